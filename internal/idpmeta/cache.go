package idpmeta

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ptsaml/ptsaml/internal/atomicfile"
)

// cacheEntry is a cached metadata document and when it was fetched.
type cacheEntry struct {
	data      []byte
	fetchedAt time.Time
}

// CachePath returns the cache file for metadataURL under dir: the first
// 32 hex digits of the URL's SHA-256, so that different IdPs never share a
// file and the name leaks nothing of the URL.
func CachePath(dir, metadataURL string) string {
	sum := sha256.Sum256([]byte(metadataURL))
	return filepath.Join(dir, "idp-"+hex.EncodeToString(sum[:16])+".xml")
}

// readCache returns the cached copy, or nil when there is none. The fetch
// time is the file's modification time, which writeCache sets.
func readCache(path string) (*cacheEntry, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read metadata cache: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read metadata cache: %w", err)
	}
	return &cacheEntry{data: data, fetchedAt: st.ModTime()}, nil
}

// writeCache stores data atomically as a 0600 file in a 0700 directory,
// with fetchedAt as its modification time.
func writeCache(path string, data []byte, fetchedAt time.Time) error {
	if err := atomicfile.PrivateDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("write metadata cache: %w", err)
	}
	if err := atomicfile.Write(path, data, atomicfile.Options{ModTime: fetchedAt}); err != nil {
		return fmt.Errorf("write metadata cache: %w", err)
	}
	return nil
}
