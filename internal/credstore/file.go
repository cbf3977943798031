package credstore

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ptsaml/ptsaml/internal/atomicfile"
)

// maxFileKey keeps the encoded file name, and the name of its temporary file
// (which adds a writer tag and a random number), under the usual 255-byte limit.
const maxFileKey = 160

// FileStore keeps one 0600 file per key in a 0700 directory. File names are "k-" plus
// the key in unpadded URL-safe base64, so any key maps to a safe name. Set writes a temp
// file in the same directory, fsyncs it, renames it over the old file and fsyncs the
// directory, so readers see either the old or the new value, never a mix. A temp file
// left by a writer that was killed is removed by the next Set of the same key.
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
// temp file is left behind. A full disk, a quota, a read-only file system or missing
// permission give an error naming the file and what to do (see atomicfile.Error).
func (s *FileStore) Set(ctx context.Context, key string, value []byte) error {
	if err := checkFileKey(key); err != nil {
		return fmt.Errorf("file store set: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("file store set: %w", err)
	}
	if err := atomicfile.PrivateDir(s.Dir); err != nil {
		return fmt.Errorf("file store: %w", err)
	}
	// The error names the file: no prefix needed.
	return atomicfile.Write(s.Path(key), value, atomicfile.Options{WriteData: s.write, Rename: s.rename})
}

// Delete removes the file for key; a missing file is not an error.
func (s *FileStore) Delete(ctx context.Context, key string) error {
	if err := checkFileKey(key); err != nil {
		return fmt.Errorf("file store delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("file store delete: %w", err)
	}
	return atomicfile.Remove(s.Path(key))
}
