package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	path := filepath.Join(dir, "f")
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := Write(path, []byte("one"), Options{ModTime: when}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || !fi.ModTime().Equal(when) {
		t.Fatalf("mode %v, mtime %v", fi.Mode().Perm(), fi.ModTime())
	}
	if di, _ := os.Stat(dir); di.Mode().Perm() != 0o700 {
		t.Fatalf("new directory mode %v, want 0700", di.Mode().Perm())
	}
	if err := Write(path, []byte("two"), Options{Perm: 0o644}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "two" {
		t.Fatalf("content %q", b)
	}
}

func TestWriteFailureKeepsOldContent(t *testing.T) {
	boom := errors.New("disk full")
	tests := []struct {
		name string
		o    Options
	}{
		{"write fails", Options{WriteData: func(*os.File, []byte) error { return boom }}},
		{"rename fails", Options{Rename: func(string, string) error { return boom }}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f")
			if err := Write(path, []byte("old"), Options{}); err != nil {
				t.Fatal(err)
			}
			if err := Write(path, []byte("new"), tc.o); !errors.Is(err, boom) {
				t.Fatalf("err = %v, want %v", err, boom)
			}
			if b, _ := os.ReadFile(path); string(b) != "old" {
				t.Fatalf("content %q, want the old one", b)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Fatalf("%d files in the directory, want 1 (a temp file was left)", len(entries))
			}
		})
	}
}

func TestPrivateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "loose")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := PrivateDir(dir); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Fatalf("mode %v, want 0700", fi.Mode().Perm())
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := PrivateDir(file); err == nil {
		t.Fatal("a regular file was accepted as a directory")
	}
	if err := PrivateDir(""); err == nil {
		t.Fatal("an empty path was accepted")
	}
}
