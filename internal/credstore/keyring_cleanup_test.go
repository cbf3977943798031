package credstore

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

// checkOnly fails unless key holds want and nothing else: its header, its own chunks and
// no record of a write in progress.
func checkOnly(t *testing.T, f *fakeKeyring, s *KeyringStore, key string, want []byte) {
	t.Helper()
	got, err := s.Get(context.Background(), key)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Get = %q, %v; want %q", got, err, want)
	}
	if n, w := f.chunks(key), (len(want)+s.chunkSize()-1)/s.chunkSize(); n != w {
		t.Errorf("%d chunk entries, want the value's %d: leftovers stay", n, w)
	}
	if f.has(pendingUser(key)) {
		p, _ := f.pending(t, key)
		t.Errorf("a record of a write in progress stays: %+v", p)
	}
}

// The record of a write in progress only helps clear up after writers that die: when
// it cannot be written (here: the list has grown too big for the keyring), Set goes on.
func TestKeyringSetGoesOnWithoutItsRecord(t *testing.T) {
	ctx := context.Background()
	f := newFakeKeyring()
	s := fakeStore(f, 4)
	if err := s.Set(ctx, "k", []byte("old-value")); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.failSet = failOn(pendingUser("k"), keyring.ErrSetDataTooBig)
	f.mu.Unlock()
	if err := s.Set(ctx, "k", []byte("new-value")); err != nil {
		t.Fatalf("Set with an unwritable record: %v", err)
	}
	checkOnly(t, f, s, "k", []byte("new-value"))
}

// A Set interrupted by its caller (Ctrl-C) at any step leaves the old value or the new
// one, each whole, and no leftovers: chunks, old chunks and its record are removed under
// a context of their own.
func TestKeyringInterruptedSetClearsUp(t *testing.T) {
	oldVal, newVal := []byte("old-value"), []byte("a much newer value") // 3 and 5 chunks
	tests := []struct {
		name string
		// arm makes the fake cancel the Set at one step; block: that call waits for the
		// test to let it go, so the store has stopped waiting for it first.
		arm  func(f *fakeKeyring, oldGen string, cancel func(), block func())
		want []byte
	}{
		{"during a chunk write", func(f *fakeKeyring, oldGen string, cancel func(), block func()) {
			f.failSet = func(user string) error {
				if isChunk(user) && !strings.Contains(user, oldGen) && strings.HasSuffix(user, "/2") {
					cancel()
					block()
				}
				return nil
			}
		}, oldVal},
		{"during the header write", func(f *fakeKeyring, oldGen string, cancel func(), block func()) {
			f.failSet = func(user string) error {
				if user == "k" {
					cancel()
					block()
				}
				return nil
			}
		}, newVal},
		{"while the old chunks go", func(f *fakeKeyring, oldGen string, cancel func(), block func()) {
			f.onDelete = func(user string) {
				if strings.HasSuffix(user, oldGen+"/1") {
					cancel()
				}
			}
		}, newVal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeKeyring()
			s := fakeStore(f, 4)
			if err := s.Set(context.Background(), "k", oldVal); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// block lets the call go once the store has given up on it. It runs with f.mu
			// held (inside failSet) and releases it while it waits.
			release := make(chan struct{})
			block := func() {
				f.mu.Unlock()
				<-release
				f.mu.Lock()
			}
			oldGen := gen(t, f, "k")
			f.mu.Lock()
			tt.arm(f, oldGen, cancel, block)
			f.mu.Unlock()
			done := make(chan error, 1)
			go func() { done <- s.Set(ctx, "k", newVal) }()
			<-ctx.Done()
			close(release)
			err := <-done
			if bytes.Equal(tt.want, oldVal) && !errors.Is(err, context.Canceled) {
				t.Fatalf("Set = %v, want context.Canceled", err)
			}
			if bytes.Equal(tt.want, newVal) && err != nil {
				t.Fatalf("Set = %v; want nil: the new value was stored", err)
			}
			f.mu.Lock()
			f.failSet, f.onDelete = nil, nil
			f.mu.Unlock()
			checkOnly(t, f, s, "k", tt.want)
		})
	}
}

// A Delete (logout) interrupted once the header is gone still removes the chunks: no
// header would name them afterwards.
func TestKeyringInterruptedDeleteClearsUp(t *testing.T) {
	f := newFakeKeyring()
	s := fakeStore(f, 4)
	if err := s.Set(context.Background(), "k", []byte("a much newer value")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.mu.Lock()
	f.onDelete = func(user string) {
		if strings.HasSuffix(user, "/1") {
			cancel()
		}
	}
	f.mu.Unlock()
	if err := s.Delete(ctx, "k"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if ctx.Err() == nil {
		t.Fatal("the Delete was never interrupted")
	}
	if n := f.entries(); n != 0 {
		t.Fatalf("%d entries left after an interrupted Delete, want none", n)
	}
}
