package login

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/ptsaml/ptsaml/internal/atomicfile"
)

// FileReplayCache is a ReplayCache shared by every ptsaml process of a user:
// a JSON object of assertion ID -> expiry, read and rewritten under an
// exclusive flock on Path+".lock", pruned of expired IDs on each write,
// written 0600 (in a 0700 directory) through a temporary file and rename.
// An unreadable file is treated as empty and rewritten.
type FileReplayCache struct {
	Path  string
	Clock Clock // nil = wall clock
}

// NewFileReplayCache returns a FileReplayCache at path.
func NewFileReplayCache(path string) ReplayCache {
	return &FileReplayCache{Path: path}
}

// Seen records id until the given time and reports whether it was already
// recorded and not yet expired.
func (c *FileReplayCache) Seen(ctx context.Context, id string, until time.Time) (bool, error) {
	if id == "" {
		return false, errors.New("replay cache: empty assertion id")
	}
	if err := atomicfile.PrivateDir(filepath.Dir(c.Path)); err != nil {
		return false, fmt.Errorf("replay cache: %w", err)
	}
	lock := flock.New(c.Path + ".lock")
	ok, err := lock.TryLockContext(ctx, 20*time.Millisecond)
	if err != nil || !ok {
		return false, fmt.Errorf("replay cache: lock %s: %w", c.Path, errors.Join(err, ctx.Err()))
	}
	defer func() { _ = lock.Unlock() }()

	now := wallClock{}.Now()
	if c.Clock != nil {
		now = c.Clock.Now()
	}
	entries := map[string]time.Time{}
	if b, err := os.ReadFile(c.Path); err == nil {
		if json.Unmarshal(b, &entries) != nil {
			entries = map[string]time.Time{}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("replay cache: %w", err)
	}
	for k, exp := range entries {
		if !exp.After(now) {
			delete(entries, k)
		}
	}
	if _, ok := entries[id]; ok {
		return true, nil
	}
	entries[id] = until.UTC()
	if err := writeAtomic(c.Path, entries); err != nil {
		return false, fmt.Errorf("replay cache: %w", err)
	}
	return false, nil
}

func writeAtomic(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b, atomicfile.Options{})
}

// MemoryReplayCache is a ReplayCache for one process (tests, CI).
type MemoryReplayCache struct {
	Clock Clock // nil = wall clock
	mu    sync.Mutex
	ids   map[string]time.Time
}

// Seen records id until the given time and reports whether it was already
// recorded and not yet expired.
func (m *MemoryReplayCache) Seen(_ context.Context, id string, until time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := wallClock{}.Now()
	if m.Clock != nil {
		now = m.Clock.Now()
	}
	if exp, ok := m.ids[id]; ok && exp.After(now) {
		return true, nil
	}
	if m.ids == nil {
		m.ids = map[string]time.Time{}
	}
	m.ids[id] = until
	return false, nil
}
