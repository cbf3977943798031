package credstore

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/ptsaml/ptsaml/internal/atomicfile"
)

// pendingWrite is a Set in progress: the generation it writes and the one it replaces. A
// writer killed before its header switch leaves chunks no header names; one killed after
// it leaves the old generation's chunks. Either is removed once the writer is gone.
type pendingWrite struct {
	Writer    string `json:"writer"` // atomicfile.Writer
	Gen       string `json:"gen"`
	Chunks    int    `json:"chunks"`
	OldGen    string `json:"old_gen,omitempty"`
	OldChunks int    `json:"old_chunks,omitempty"`
}

// pendingUser names the entry listing key's writes in progress. Keys cannot contain
// chunkMark and generations are hex, so it clashes with no key or chunk.
func pendingUser(key string) string { return key + chunkMark + "pending" }

// readPending returns the recorded writes of key; an unreadable list counts as empty
// (its chunks, if any, stay behind).
func (s *KeyringStore) readPending(ctx context.Context, key string) ([]pendingWrite, error) {
	raw, err := s.kget(ctx, pendingUser(key))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var p []pendingWrite
	if json.Unmarshal([]byte(raw), &p) != nil {
		return nil, nil
	}
	return p, nil
}

func (s *KeyringStore) writePending(ctx context.Context, key string, p []pendingWrite) error {
	if len(p) == 0 {
		return s.kdel(ctx, pendingUser(key))
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return s.kset(ctx, pendingUser(key), string(b))
}

// sweep deletes the chunks left by recorded writers that are gone, except those of
// generation cur (what the header names; "" for none), and returns the records of
// writers that may still run.
func (s *KeyringStore) sweep(ctx context.Context, key, cur string, p []pendingWrite) []pendingWrite {
	var keep []pendingWrite
	for _, w := range p {
		if who, ok := atomicfile.ParseWriter(w.Writer); ok && !who.Gone() {
			keep = append(keep, w)
			continue
		}
		for _, g := range []struct {
			gen string
			n   int
		}{{w.Gen, w.Chunks}, {w.OldGen, w.OldChunks}} {
			if g.gen != "" && g.gen != cur {
				s.deleteChunks(ctx, key, g.gen, g.n)
			}
		}
	}
	return keep
}

// sweepPending runs sweep on key's records and writes back those that remain.
func (s *KeyringStore) sweepPending(ctx context.Context, key, cur string) error {
	p, err := s.readPending(ctx, key)
	if err != nil || len(p) == 0 {
		return err
	}
	return s.writePending(ctx, key, s.sweep(ctx, key, cur, p))
}

// beginWrite clears up after dead writers and records this write of generation gen (n
// chunks) replacing old (nil: none). Two processes writing the same key at the same
// moment may lose one record; its chunks then stay only if that writer also dies.
func (s *KeyringStore) beginWrite(ctx context.Context, key string, old *header, gen string, n int) error {
	p, err := s.readPending(ctx, key)
	if err != nil {
		return err
	}
	rec := pendingWrite{Writer: atomicfile.Self().String(), Gen: gen, Chunks: n}
	cur := ""
	if old != nil {
		cur, rec.OldGen, rec.OldChunks = old.Gen, old.Gen, old.Chunks
	}
	return s.writePending(ctx, key, append(s.sweep(ctx, key, cur, p), rec))
}

// endWrite drops the record of generation gen, best effort: a record left behind is
// removed by a later writer once this process is gone.
func (s *KeyringStore) endWrite(ctx context.Context, key, gen string) {
	p, err := s.readPending(ctx, key)
	if err != nil {
		return
	}
	keep := p[:0]
	for _, w := range p {
		if w.Gen != gen {
			keep = append(keep, w)
		}
	}
	if len(keep) != len(p) {
		_ = s.writePending(ctx, key, keep)
	}
}
