package credstore

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// testStore checks the Store contract every backend must meet.
func testStore(t *testing.T, s Store, wantName string) {
	t.Helper()
	ctx := context.Background()
	if got := s.Name(); got != wantName {
		t.Errorf("Name() = %q, want %q", got, wantName)
	}
	tests := []struct {
		name string
		key  string
		vals [][]byte // written in order; the last must be read back
	}{
		{"simple", "profile:dev", [][]byte{[]byte(`{"AccessKeyId":"AKIA"}`)}},
		{"overwrite longer then shorter", "profile:prod", [][]byte{
			bytes.Repeat([]byte("a"), 5000), []byte("short"), bytes.Repeat([]byte("b"), 4100)}},
		{"empty value", "profile:empty", [][]byte{[]byte("was here"), {}}},
		{"odd key", "profile:../../etc/passwd \x01 é", [][]byte{[]byte("x")}},
		{"binary value", "profile:bin", [][]byte{allBytes()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Get(ctx, tt.key); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get before Set: err = %v, want ErrNotFound", err)
			}
			for _, v := range tt.vals {
				in := bytes.Clone(v)
				if err := s.Set(ctx, tt.key, in); err != nil {
					t.Fatalf("Set(%d bytes): %v", len(v), err)
				}
				for i := range in {
					in[i] ^= 0xff // the store must have copied the value
				}
			}
			want := tt.vals[len(tt.vals)-1]
			got, err := s.Get(ctx, tt.key)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("Get = %d bytes %.40q, want %d bytes %.40q", len(got), got, len(want), want)
			}
			if len(got) > 0 {
				got[0] ^= 0xff
				again, err := s.Get(ctx, tt.key)
				if err != nil || !bytes.Equal(again, want) {
					t.Fatalf("value changed through the returned slice: %v", err)
				}
			}
			if err := s.Delete(ctx, tt.key); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if _, err := s.Get(ctx, tt.key); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get after Delete: err = %v, want ErrNotFound", err)
			}
			if err := s.Delete(ctx, tt.key); err != nil {
				t.Fatalf("Delete of an absent key: %v", err)
			}
		})
	}
	t.Run("cancelled context", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.Set(cctx, "profile:cancelled", []byte("v")); !errors.Is(err, context.Canceled) {
			t.Fatalf("Set with cancelled ctx: err = %v, want context.Canceled", err)
		}
	})
}

func allBytes() []byte {
	b := make([]byte, 0, 512)
	for i := 0; i < 512; i++ {
		b = append(b, byte(i))
	}
	return b
}

func TestNew(t *testing.T) {
	tests := []struct {
		kind     string
		wantName string
		wantErr  string
	}{
		{"keyring", "keyring", ""},
		{"", "keyring", ""},
		{" File ", "file", ""},
		{"memory", "memory", ""},
		{"plaintext", "", `unknown credential store "plaintext": valid stores are keyring, file, memory`},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			s, err := New(tt.kind, Options{Dir: t.TempDir()})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("New(%q) err = %v, want %q", tt.kind, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(%q): %v", tt.kind, err)
			}
			if s.Name() != tt.wantName {
				t.Fatalf("New(%q).Name() = %q, want %q", tt.kind, s.Name(), tt.wantName)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	if _, err := New("file", Options{}); err == nil {
		t.Error("a file store without a directory was accepted")
	}
	dir := t.TempDir()
	s, err := New("file", Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if s.(*FileStore).Dir != dir {
		t.Errorf("file Dir = %q, want %q", s.(*FileStore).Dir, dir)
	}
	k, _ := New("keyring", Options{})
	if ks := k.(*KeyringStore); ks.service() != "ptsaml" || ks.chunkSize() != 2000 {
		t.Errorf("keyring defaults: service %q chunk %d", ks.service(), ks.chunkSize())
	}
}

func TestMemoryStore(t *testing.T) {
	testStore(t, NewMemory(), "memory")
	var zero MemoryStore
	if err := zero.Set(context.Background(), "k", []byte("v")); err != nil {
		t.Fatalf("zero MemoryStore Set: %v", err)
	}
	if err := zero.Set(context.Background(), "", []byte("v")); err == nil || !strings.Contains(err.Error(), "empty key") {
		t.Fatalf("Set with empty key: err = %v", err)
	}
}
