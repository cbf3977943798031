package credstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

func fakeStore(f *fakeKeyring, chunk int) *KeyringStore {
	return &KeyringStore{Service: "ptsaml-test", ChunkSize: chunk, API: f}
}

func TestKeyringStoreFake(t *testing.T) {
	testStore(t, fakeStore(newFakeKeyring(), 7), "keyring")
}

func TestKeyringChunking(t *testing.T) {
	ctx := context.Background()
	f := newFakeKeyring()
	s := fakeStore(f, 7)
	val := bytes.Repeat([]byte("0123456789"), 5) // 50 bytes -> 8 chunks
	if err := s.Set(ctx, "profile:dev", val); err != nil {
		t.Fatal(err)
	}
	if n := f.chunks("profile:dev"); n != 8 {
		t.Errorf("chunks after Set = %d, want 8", n)
	}
	if f.maxChunk != 7 {
		t.Errorf("largest chunk entry = %d bytes, want 7 (the chunk size)", f.maxChunk)
	}
	if err := s.Set(ctx, "profile:dev", []byte("0123456789abc")); err != nil {
		t.Fatal(err)
	}
	if n, e := f.chunks("profile:dev"), f.entries(); n != 2 || e != 3 {
		t.Errorf("after overwrite: %d chunks, %d entries; want 2 and 3 (old generation deleted)", n, e)
	}
	if err := s.Delete(ctx, "profile:dev"); err != nil {
		t.Fatal(err)
	}
	if e := f.entries(); e != 0 {
		t.Errorf("after Delete: %d entries left, want 0", e)
	}
}

func TestKeyringFailedSetKeepsOldValue(t *testing.T) {
	tests := []struct {
		name       string
		failChunk  int // index of the new chunk whose write fails; -1 = the header
		err        error
		wantUnav   bool
		wantChunks int // chunk entries left for the key
	}{
		{"third chunk fails", 2, errDBus, true, 3},         // partial new chunks removed
		{"header fails", -1, errDBus, true, 3 + 5},         // new chunks kept: outcome unknown
		{"too big", 1, keyring.ErrSetDataTooBig, false, 3}, // not a reachability problem
		{"header times out", -1, errHang, true, 3 + 5},     // per-call timeout
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFakeKeyring()
			s := fakeStore(f, 4)
			old := []byte("old-value") // 3 chunks
			if err := s.Set(ctx, "k", old); err != nil {
				t.Fatal(err)
			}
			oldGen := gen(t, f, "k")
			release := make(chan struct{})
			defer close(release)
			fired := make(chan time.Time)
			s.after = func(time.Duration) <-chan time.Time { return fired }
			f.failSet = func(user string) error {
				isTarget := user == "k"
				if tt.failChunk >= 0 {
					isTarget = strings.Contains(user, chunkMark) && !strings.Contains(user, oldGen) &&
						strings.HasSuffix(user, fmt.Sprintf("/%d", tt.failChunk))
				}
				if !isTarget {
					return nil
				}
				if tt.err == errHang {
					close(fired) // the store's timer goes off while this call hangs
					f.mu.Unlock()
					<-release
					f.mu.Lock()
				}
				return tt.err
			}
			err := s.Set(ctx, "k", []byte("a much newer value")) // 5 chunks
			if err == nil {
				t.Fatal("Set succeeded, want the injected failure")
			}
			if got := errors.Is(err, ErrUnavailable); got != tt.wantUnav {
				t.Errorf("errors.Is(err, ErrUnavailable) = %v, want %v (err: %v)", got, tt.wantUnav, err)
			}
			s.after = nil
			f.mu.Lock()
			f.failSet = nil
			f.mu.Unlock()
			got, err := s.Get(ctx, "k")
			if err != nil || !bytes.Equal(got, old) {
				t.Fatalf("Get after failed Set = %q, %v; want %q", got, err, old)
			}
			if n := f.chunks("k"); n != tt.wantChunks {
				t.Errorf("chunk entries = %d, want %d", n, tt.wantChunks)
			}
		})
	}
}

var errHang = errors.New("hang until released")

// gen returns the current generation of key, read directly from the fake.
func gen(t *testing.T, f *fakeKeyring, key string) string {
	t.Helper()
	f.mu.Lock()
	raw := f.m[key]
	f.mu.Unlock()
	var h header
	if err := json.Unmarshal([]byte(raw), &h); err != nil || h.Gen == "" {
		t.Fatalf("no header for %q: %q", key, raw)
	}
	return h.Gen
}
