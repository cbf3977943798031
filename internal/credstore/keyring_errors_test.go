package credstore

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestKeyringUnavailable(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(f *fakeKeyring, s *KeyringStore) // may arrange a timeout
		wantMsg string
	}{
		{"d-bus error", func(f *fakeKeyring, s *KeyringStore) {
			f.failSet = failOn("", errDBus)
		}, "org.freedesktop.secrets"},
		{"no answer in time", func(f *fakeKeyring, s *KeyringStore) {
			f.block = make(chan struct{})
			fired := make(chan time.Time)
			close(fired)
			s.after = func(time.Duration) <-chan time.Time { return fired }
		}, "no answer within 5s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeKeyring()
			s := fakeStore(f, 0)
			tt.setup(f, s)
			defer func() {
				if f.block != nil {
					close(f.block)
				}
			}()
			err := s.Set(context.Background(), "profile:dev", []byte("v"))
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			for _, want := range []string{"not reachable", "--store file", "store: file", "PTSAML_STORE=file", tt.wantMsg} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if errors.Is(err, ErrNotFound) {
				t.Errorf("an unreachable keyring must not look like an empty one: %v", err)
			}
		})
	}
}

func TestKeyringContextCancelled(t *testing.T) {
	f := newFakeKeyring()
	f.block = make(chan struct{})
	defer close(f.block)
	s := fakeStore(f, 0)
	s.after = func(time.Duration) <-chan time.Time { return nil } // never fires
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan error, 1)
	go func() {
		_, err := s.Get(ctx, "profile:dev")
		got <- err
	}()
	cancel()
	err := <-got
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want context.Canceled and not ErrUnavailable", err)
	}
}

func TestKeyringDamagedValue(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(f *fakeKeyring, g string)
		wantMsg string
	}{
		{"missing chunk", func(f *fakeKeyring, g string) { delete(f.m, chunkUser("k", g, 1)) }, "chunk 2 of 3 is missing"},
		{"changed chunk", func(f *fakeKeyring, g string) { f.m[chunkUser("k", g, 0)] = "XXXX" }, "checksum"},
		{"not a header", func(f *fakeKeyring, g string) { f.m["k"] = "plain old password" }, "does not hold a ptsaml header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFakeKeyring()
			s := fakeStore(f, 4)
			if err := s.Set(ctx, "k", []byte("0123456789")); err != nil {
				t.Fatal(err)
			}
			tt.damage(f, gen(t, f, "k"))
			_, err := s.Get(ctx, "k")
			var de *DamagedError
			if !errors.Is(err, ErrDamaged) || errors.Is(err, ErrNotFound) || !errors.As(err, &de) ||
				de.Key != "k" || !strings.Contains(de.Reason, tt.wantMsg) {
				t.Fatalf("Get = %v; want ErrDamaged (not ErrNotFound) mentioning %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), "0123") {
				t.Fatalf("the error quotes the value: %v", err)
			}
			if err := s.Set(ctx, "k", []byte("fresh")); err != nil {
				t.Fatalf("Set over a damaged value: %v", err)
			}
			if v, err := s.Get(ctx, "k"); err != nil || string(v) != "fresh" {
				t.Fatalf("Get after repair = %q, %v", v, err)
			}
		})
	}
}

// A reader that races a writer in another process (which deletes the chunks the reader
// is about to fetch) must retry with the new header and return the new value.
func TestKeyringGetRetriesAfterGenerationSwitch(t *testing.T) {
	ctx := context.Background()
	f := newFakeKeyring()
	reader, writer := fakeStore(f, 4), fakeStore(f, 4)
	if err := writer.Set(ctx, "k", []byte("old-old-old")); err != nil {
		t.Fatal(err)
	}
	newVal := []byte("new-new-new-new")
	switched := false
	f.onGet = func(user string) {
		if strings.HasSuffix(user, "/1") && !switched {
			switched = true
			if err := writer.Set(ctx, "k", newVal); err != nil {
				t.Errorf("writer Set: %v", err)
			}
		}
	}
	got, err := reader.Get(ctx, "k")
	if err != nil || !bytes.Equal(got, newVal) {
		t.Fatalf("Get = %q, %v; want %q", got, err, newVal)
	}
	if !switched {
		t.Fatal("the generation switch never happened")
	}
}

func TestKeyringBadKey(t *testing.T) {
	s := fakeStore(newFakeKeyring(), 0)
	for _, key := range []string{"", "a/chunk/b"} {
		if err := s.Set(context.Background(), key, []byte("v")); err == nil {
			t.Errorf("Set(%q) succeeded, want an error", key)
		}
	}
}
