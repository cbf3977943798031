package credstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/ptsaml/ptsaml/internal/atomicfile"
)

// maxPending is how many records of writes in progress one key keeps: the newest. A
// record is about 150 bytes, so the list stays well inside the smallest keyring entry
// (Windows: 2,560 bytes) however many writers die.
const maxPending = 8

// pendingWrite is a Set in progress: the generation it writes and the one it replaces. A
// writer killed before its header switch leaves chunks no header names; one killed after
// it leaves the old generation's chunks. Either is removed once the record is abandoned
// (see atomicfile.Writer.Abandoned): its writer is gone, or it is old.
type pendingWrite struct {
	Writer    string `json:"writer"` // atomicfile.Writer
	At        int64  `json:"at"`     // when the write began, Unix seconds; 0 = long ago
	Gen       string `json:"gen"`
	Chunks    int    `json:"chunks"`
	OldGen    string `json:"old_gen,omitempty"`
	OldChunks int    `json:"old_chunks,omitempty"`
}

func (w pendingWrite) abandoned(now time.Time) bool {
	who, _ := atomicfile.ParseWriter(w.Writer) // unreadable: the zero Writer, judged by age
	return who.Abandoned(time.Unix(w.At, 0), now)
}

// pendingUser names the entry listing key's writes in progress. Keys cannot contain
// chunkMark and generations are hex, so it clashes with no key or chunk.
func pendingUser(key string) string { return key + chunkMark + "pending" }

// readPending returns the recorded writes of key; bad reports an entry that is there but
// cannot be read (its chunks, if any, stay behind).
func (s *KeyringStore) readPending(ctx context.Context, key string) (p []pendingWrite, bad bool, err error) {
	raw, err := s.kget(ctx, pendingUser(key))
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if json.Unmarshal([]byte(raw), &p) != nil {
		return nil, true, nil
	}
	return p, false, nil
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

// sweep returns the newest limit records of p whose writers may still run, and deletes
// the chunks of the others, abandoned or over the limit, then drops them. It reads the
// header just before deleting and never deletes the generation it names (a writer may
// have switched it a moment ago), nor one a kept record writes. A record whose chunks
// could not be deleted is kept while there is room, for the next sweep.
func (s *KeyringStore) sweep(ctx context.Context, key string, p []pendingWrite, limit int) []pendingWrite {
	now := s.clock()
	p = slices.Clone(p)
	slices.SortStableFunc(p, func(a, b pendingWrite) int { return cmp.Compare(b.At, a.At) }) // newest first
	var keep, drop []pendingWrite
	for _, w := range p {
		if len(keep) < limit && !w.abandoned(now) {
			keep = append(keep, w)
		} else {
			drop = append(drop, w)
		}
	}
	if len(drop) == 0 {
		return keep
	}
	h, err := s.readHeader(ctx, key)
	canDelete := err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrDamaged)
	protect := map[string]bool{}
	if h != nil {
		protect[h.Gen] = true
	}
	for _, w := range keep {
		protect[w.Gen] = true
	}
	for _, w := range drop {
		for _, g := range []struct {
			gen string
			n   int
		}{{w.Gen, w.Chunks}, {w.OldGen, w.OldChunks}} {
			if canDelete && g.gen != "" && !protect[g.gen] {
				canDelete = s.deleteChunks(ctx, key, g.gen, g.n)
			}
		}
		if !canDelete && len(keep) < limit {
			keep = append(keep, w)
		}
	}
	return keep
}

// sweepPending sweeps key's records and writes back those that remain. An entry that
// cannot be read, or cannot be written back, is deleted: a Delete leaves the key clean.
func (s *KeyringStore) sweepPending(ctx context.Context, key string) error {
	p, bad, err := s.readPending(ctx, key)
	if err != nil {
		return err
	}
	if bad {
		return s.kdel(ctx, pendingUser(key))
	}
	if len(p) == 0 {
		return nil
	}
	if err := s.writePending(ctx, key, s.sweep(ctx, key, p, maxPending)); err != nil {
		return s.kdel(ctx, pendingUser(key))
	}
	return nil
}

// beginWrite clears up after abandoned writes and records this write of generation gen
// (n chunks) replacing old (nil: none). Two processes writing the same key at the same
// moment may lose one record; its chunks then stay only if that writer also dies.
func (s *KeyringStore) beginWrite(ctx context.Context, key string, old *header, gen string, n int) error {
	p, _, err := s.readPending(ctx, key) // an unreadable list is replaced
	if err != nil {
		return err
	}
	rec := pendingWrite{Writer: atomicfile.Self().String(), At: s.clock().Unix(), Gen: gen, Chunks: n}
	if old != nil {
		rec.OldGen, rec.OldChunks = old.Gen, old.Chunks
	}
	return s.writePending(ctx, key, append(s.sweep(ctx, key, p, maxPending-1), rec))
}

// endWrite drops the record of generation gen, best effort: a record left behind is
// removed by a later writer once it is abandoned.
func (s *KeyringStore) endWrite(ctx context.Context, key, gen string) {
	p, _, err := s.readPending(ctx, key)
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
