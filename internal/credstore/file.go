package credstore

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// maxFileKey keeps the encoded file name under the usual 255-byte limit.
const maxFileKey = 180

// FileStore keeps one 0600 file per key in a 0700 directory. File names are "k-" plus
// the key in unpadded URL-safe base64, so any key maps to a safe name. Set writes a temp
// file in the same directory, fsyncs it, renames it over the old file and fsyncs the
// directory, so readers see either the old or the new value, never a mix.
type FileStore struct {
	// Dir holds the files. It is created 0700 when missing; an existing directory that
	// group or others can access is tightened to 0700 (or Set fails saying so).
	Dir string

	write  func(f *os.File, b []byte) error // test hooks; nil = the real thing
	rename func(oldpath, newpath string) error
}

// NewFile returns a file store in dir. It does no I/O.
func NewFile(dir string) *FileStore { return &FileStore{Dir: dir} }

// Name returns "file".
func (s *FileStore) Name() string { return KindFile }

// Path returns the file that holds key.
func (s *FileStore) Path(key string) string {
	return filepath.Join(s.Dir, "k-"+base64.RawURLEncoding.EncodeToString([]byte(key)))
}

func checkFileKey(key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if len(key) > maxFileKey {
		return fmt.Errorf("key of %d bytes is longer than %d", len(key), maxFileKey)
	}
	return nil
}

// Get reads the file for key; ErrNotFound when there is none.
func (s *FileStore) Get(ctx context.Context, key string) ([]byte, error) {
	if err := checkFileKey(key); err != nil {
		return nil, fmt.Errorf("file store get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("file store get: %w", err)
	}
	b, err := os.ReadFile(s.Path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", s.Path(key), ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("file store get: %w", err)
	}
	return b, nil
}

// Set replaces the file for key atomically; on error the old file is untouched and no
// temp file is left behind.
func (s *FileStore) Set(ctx context.Context, key string, value []byte) (err error) {
	if err := checkFileKey(key); err != nil {
		return fmt.Errorf("file store set: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("file store set: %w", err)
	}
	if err := ensurePrivateDir(s.Dir); err != nil {
		return fmt.Errorf("file store set: %w", err)
	}
	f, err := os.CreateTemp(s.Dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("file store set: create temp file: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("file store set: chmod temp file: %w", err)
	}
	write := s.write
	if write == nil {
		write = func(f *os.File, b []byte) error { _, err := f.Write(b); return err }
	}
	if err := write(f, value); err != nil {
		return fmt.Errorf("file store set: write temp file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("file store set: sync temp file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("file store set: close temp file: %w", err)
	}
	rename := s.rename
	if rename == nil {
		rename = os.Rename
	}
	if err := rename(tmp, s.Path(key)); err != nil {
		return fmt.Errorf("file store set: replace %s: %w", s.Path(key), err)
	}
	if err := syncDir(s.Dir); err != nil {
		return fmt.Errorf("file store set: %w", err)
	}
	return nil
}

// Delete removes the file for key; a missing file is not an error.
func (s *FileStore) Delete(ctx context.Context, key string) error {
	if err := checkFileKey(key); err != nil {
		return fmt.Errorf("file store delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("file store delete: %w", err)
	}
	err := os.Remove(s.Path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("file store delete: %w", err)
	}
	if err := syncDir(s.Dir); err != nil {
		return fmt.Errorf("file store delete: %w", err)
	}
	return nil
}

// ensurePrivateDir creates dir (and missing parents) 0700 and tightens an existing dir
// that group or others can reach.
func ensurePrivateDir(dir string) error {
	if dir == "" {
		return errors.New("no directory configured")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("check directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if runtime.GOOS == "windows" || fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("directory %s is open to other users (mode %04o) and could not be restricted: %w; run `chmod 700 %s`",
			dir, fi.Mode().Perm(), err, dir)
	}
	return nil
}

// syncDir makes a rename or removal in dir durable (not supported on Windows).
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}
