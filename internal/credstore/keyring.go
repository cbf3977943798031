package credstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// DefaultChunkSize is the largest value, in bytes, written to one keyring entry: it fits
// Windows Credential Manager (2,560 B) and the macOS Keychain (~3 KB once go-keyring has
// base64-encoded it).
const DefaultChunkSize = 2000

// headerFormat marks a header entry written by this package.
const headerFormat = "chunked/v1"

// chunkMark separates a key from its chunk suffix in chunk entry names; keys must not
// contain it.
const chunkMark = "/chunk/"

// KeyringStore keeps values in the OS keyring. A value is split into chunks of at most
// ChunkSize bytes, stored under "<key>/chunk/<generation>/<i>", and the entry named key
// holds a small JSON header naming the current generation, chunk count, length and
// SHA-256. Set writes a fresh generation's chunks first and switches the header last, so
// a failure part-way leaves the previous value readable; the previous generation's chunks
// are deleted once the header has switched. While it writes, an entry
// "<key>/chunk/pending" records the generations in play and the writing process, so that
// when a writer is killed part-way the next Set or Delete of the key removes the chunks it
// left. Every keyring call is bounded by Timeout. The clean-up that follows a write (old
// chunks, the record) runs to its end even when the caller's context ends, bounded by
// Timeout as a whole.
//
// Use NewKeyring, or set the exported fields before first use; do not copy after use.
type KeyringStore struct {
	Service   string        // keyring service name; "" = DefaultService
	Timeout   time.Duration // per keyring call; 0 = DefaultTimeout
	ChunkSize int           // bytes per entry; 0 = DefaultChunkSize
	API       KeyringAPI    // nil = OSKeyring{}
	Log       *slog.Logger  // debug notes on clean-up; nil = none

	after func(time.Duration) <-chan time.Time // timeout timer; nil = time.NewTimer
	now   func() time.Time                     // record dates; nil = time.Now
	mu    sync.Mutex                           // serialises Set/Delete in this process
}

// NewKeyring returns a keyring store for service ("" = "ptsaml") whose calls each time
// out after timeout (0 = 5s).
func NewKeyring(service string, timeout time.Duration) *KeyringStore {
	return &KeyringStore{Service: service, Timeout: timeout}
}

// Name returns "keyring".
func (s *KeyringStore) Name() string { return KindKeyring }

type header struct {
	Format string `json:"ptsaml"`
	Gen    string `json:"gen"`
	Chunks int    `json:"chunks"`
	Len    int    `json:"len"`
	SHA256 string `json:"sha256"`
}

func (s *KeyringStore) service() string {
	if s.Service == "" {
		return DefaultService
	}
	return s.Service
}

func (s *KeyringStore) timeout() time.Duration {
	if s.Timeout <= 0 {
		return DefaultTimeout
	}
	return s.Timeout
}

func (s *KeyringStore) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

func (s *KeyringStore) logger() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func (s *KeyringStore) chunkSize() int {
	if s.ChunkSize <= 0 {
		return DefaultChunkSize
	}
	return s.ChunkSize
}

func damaged(key, reason string) error {
	return &DamagedError{Store: KindKeyring, Key: key, Reason: reason}
}

func chunkUser(key, gen string, i int) string {
	return fmt.Sprintf("%s%s%s/%d", key, chunkMark, gen, i)
}

func checkKeyringKey(key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if strings.Contains(key, chunkMark) {
		return fmt.Errorf("key %q must not contain %q", key, chunkMark)
	}
	return nil
}

// readHeader returns ErrNotFound when key is absent and a *DamagedError when the entry is
// not a header this package wrote.
func (s *KeyringStore) readHeader(ctx context.Context, key string) (*header, error) {
	raw, err := s.kget(ctx, key)
	if err != nil {
		return nil, err
	}
	var h header
	if err := json.Unmarshal([]byte(raw), &h); err != nil || h.Format != headerFormat || h.Gen == "" ||
		h.Chunks < 0 || h.Len < 0 {
		return nil, damaged(key, "it does not hold a ptsaml header")
	}
	return &h, nil
}

// Get returns the value stored under key. A value whose chunks are missing or do not
// match the header's checksum is a *DamagedError (matching ErrDamaged): Delete or Set
// replaces it.
func (s *KeyringStore) Get(ctx context.Context, key string) ([]byte, error) {
	if err := checkKeyringKey(key); err != nil {
		return nil, fmt.Errorf("keyring get: %w", err)
	}
	h, err := s.readHeader(ctx, key)
	for attempt := 1; err == nil; attempt++ {
		var val []byte
		if val, err = s.readChunks(ctx, key, h); err == nil || !errors.Is(err, ErrDamaged) {
			return val, err
		}
		if attempt == 3 {
			break
		}
		// Another process may have switched generations and deleted the chunks we were
		// reading: try again only if the header moved on.
		h2, herr := s.readHeader(ctx, key)
		if herr != nil && !errors.Is(herr, ErrDamaged) {
			return nil, herr // gone (ErrNotFound) or unreachable
		}
		if herr != nil || h2.Gen == h.Gen {
			break
		}
		h, err = h2, nil
	}
	return nil, err
}

func (s *KeyringStore) readChunks(ctx context.Context, key string, h *header) ([]byte, error) {
	val := make([]byte, 0, min(h.Len, 1<<20)) // h.Len is untrusted
	for i := 0; i < h.Chunks; i++ {
		c, err := s.kget(ctx, chunkUser(key, h.Gen, i))
		if errors.Is(err, ErrNotFound) {
			return nil, damaged(key, fmt.Sprintf("chunk %d of %d is missing", i+1, h.Chunks))
		}
		if err != nil {
			return nil, err
		}
		val = append(val, c...)
	}
	sum := sha256.Sum256(val)
	if len(val) != h.Len || hex.EncodeToString(sum[:]) != h.SHA256 {
		return nil, damaged(key, "its chunks do not match the header's checksum")
	}
	return val, nil
}

// Set stores value under key. On error the previous value, if any, is still readable.
func (s *KeyringStore) Set(ctx context.Context, key string, value []byte) error {
	if err := checkKeyringKey(key); err != nil {
		return fmt.Errorf("keyring set: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := s.readHeader(ctx, key)
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrDamaged) {
		return err
	}
	var buf [8]byte
	_, _ = rand.Read(buf[:]) // never fails (crypto/rand since Go 1.24)
	gen := hex.EncodeToString(buf[:])
	size := s.chunkSize()
	n := (len(value) + size - 1) / size
	if err := s.beginWrite(ctx, key, old, gen, n); err != nil {
		// The record only helps clear up after a writer that dies; the write goes on.
		s.logger().Debug("keyring: cannot record the write in progress; writing without it", "key", key, "err", err)
	}
	for i := 0; i < n; i++ {
		chunk := value[i*size : min((i+1)*size, len(value))]
		if err := s.kset(ctx, chunkUser(key, gen, i), string(chunk)); err != nil {
			s.dropWrite(ctx, key, gen, i+1, err) // the header never named them
			return fmt.Errorf("keyring set %q: chunk %d of %d: %w", key, i+1, n, err)
		}
	}
	sum := sha256.Sum256(value)
	hdr, err := json.Marshal(header{Format: headerFormat, Gen: gen, Chunks: n, Len: len(value), SHA256: hex.EncodeToString(sum[:])})
	if err != nil {
		return fmt.Errorf("keyring set %q: encode header: %w", key, err)
	}
	// If this fails the header may still switch later, so the new chunks stay, and so does
	// the record of this write: a later writer sorts it out once the record is abandoned.
	// Only when the caller gave up while the keyring was answering is the answer awaited.
	if err := s.kset(ctx, key, string(hdr)); err != nil {
		if !s.awaitSwitch(ctx, err) {
			return fmt.Errorf("keyring set %q: %w", key, err)
		}
	}
	s.finishWrite(ctx, key, old, gen)
	return nil
}

// deleteChunks removes chunks 0..n-1 of a generation, best effort: it stops at the first
// failure (the keyring is probably unreachable), leaves the rest behind and returns false.
func (s *KeyringStore) deleteChunks(ctx context.Context, key, gen string, n int) bool {
	for i := 0; i < n; i++ {
		if s.kdel(ctx, chunkUser(key, gen, i)) != nil {
			return false
		}
	}
	return true
}

// Delete removes key, its chunks and what abandoned writes left of it, and trims the
// record of writes in progress (or removes it when it cannot be read); an absent key is
// not an error. A damaged value is removed as far as it can be found. Once the header is
// gone the rest runs to its end even when ctx ends, bounded by Timeout as a whole.
func (s *KeyringStore) Delete(ctx context.Context, key string) error {
	if err := checkKeyringKey(key); err != nil {
		return fmt.Errorf("keyring delete: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h, err := s.readHeader(ctx, key)
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrDamaged) {
		return err
	}
	if !errors.Is(err, ErrNotFound) {
		if err := s.kdel(ctx, key); err != nil {
			return err
		}
	}
	cctx, cancel := s.cleanupContext(ctx)
	defer cancel()
	if h != nil {
		s.deleteChunks(cctx, key, h.Gen, h.Chunks)
	}
	// The value is gone; what the sweep cannot remove waits for the next Set or Delete.
	if err := s.sweepPending(cctx, key); err != nil {
		s.logger().Debug("keyring: cannot clear up after unfinished writes", "key", key, "err", err)
	}
	return nil
}
