package credstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "creds")
	s := NewFile(dir)
	testStore(t, s, "file")
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode = %04o, want 0700", fi.Mode().Perm())
	}
}

func TestFileStorePermissions(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "creds")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // beat the umask
		t.Fatal(err)
	}
	s := NewFile(dir)
	if err := s.Set(ctx, "profile:dev", []byte("secret")); err != nil {
		t.Fatal(err)
	}
	di, _ := os.Stat(dir)
	if di.Mode().Perm() != 0o700 {
		t.Errorf("loose dir not tightened: mode %04o", di.Mode().Perm())
	}
	fi, err := os.Stat(s.Path("profile:dev"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %04o, want 0600", fi.Mode().Perm())
	}
	if name := filepath.Base(s.Path("a/../b:c")); strings.ContainsAny(name, "/:.") {
		t.Errorf("file name %q is not sanitised", name)
	}
}

func TestFileStoreNotADirectory(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := NewFile(f).Set(context.Background(), "k", []byte("v"))
	if err == nil || !strings.Contains(err.Error(), "file store: cannot create "+f) {
		t.Fatalf("Set into a regular file: err = %v", err)
	}
}

// A failed write must leave the old value readable and no temp file behind. Tests run as
// root, where a read-only directory does not stop writes, so failures are injected.
func TestFileStoreFailedWriteKeepsOldValue(t *testing.T) {
	boom := errors.New("disk full")
	tests := []struct {
		name string
		set  func(s *FileStore)
	}{
		{"write fails", func(s *FileStore) {
			s.write = func(f *os.File, b []byte) error {
				_, _ = f.Write(b[:len(b)/2])
				return boom
			}
		}},
		{"rename fails", func(s *FileStore) {
			s.rename = func(string, string) error { return boom }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			s := NewFile(dir)
			if err := s.Set(ctx, "profile:dev", []byte("old value")); err != nil {
				t.Fatal(err)
			}
			tt.set(s)
			if err := s.Set(ctx, "profile:dev", []byte("new value that is longer")); !errors.Is(err, boom) {
				t.Fatalf("Set err = %v, want the injected error", err)
			}
			got, err := s.Get(ctx, "profile:dev")
			if err != nil || string(got) != "old value" {
				t.Fatalf("after failed Set: Get = %q, %v; want old value", got, err)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Fatalf("dir holds %v, want only the value file", names)
			}
		})
	}
}

// The longest key accepted must work, temp file included (file names are limited to 255
// bytes); one byte more is refused before anything is written.
func TestFileStoreLongKey(t *testing.T) {
	ctx := context.Background()
	s := NewFile(t.TempDir())
	longest := strings.Repeat("k", maxFileKey)
	if err := s.Set(ctx, longest, []byte("v")); err != nil {
		t.Fatalf("Set with a %d-byte key: %v", maxFileKey, err)
	}
	if v, err := s.Get(ctx, longest); err != nil || string(v) != "v" {
		t.Fatalf("Get with a %d-byte key = %q, %v", maxFileKey, v, err)
	}
	err := s.Set(ctx, longest+"k", []byte("v"))
	if err == nil || !strings.Contains(err.Error(), "longer than 160") {
		t.Fatalf("Set with long key: err = %v", err)
	}
}
