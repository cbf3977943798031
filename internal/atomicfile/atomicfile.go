// Package atomicfile writes ptsaml's files the one safe way: private (0600 in
// a 0700 directory) and atomic (a synced temporary file renamed over the old
// one), so a crash or a full disk leaves the old content or the new one,
// never a mix, and no other user can read them.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// Options adjust Write. The zero value writes a 0600 file.
type Options struct {
	// Perm is the file mode; default 0600.
	Perm os.FileMode
	// ModTime, when set, becomes the file's modification time.
	ModTime time.Time
	// WriteData and Rename replace the file write and the final rename;
	// tests set them to inject failures.
	WriteData func(f *os.File, data []byte) error
	Rename    func(oldpath, newpath string) error
}

// Write replaces path with data atomically. The directory is created 0700
// when missing. Errors are *Error naming path. On an error before the rename
// the old file is untouched and no temporary file is left behind. When only
// the last step fails, making the rename durable by syncing the directory,
// the new content is already in place (Error.Done is set) and a crash may
// still bring back the old one. Temporary files that writers of the same path
// left when they died are removed first (see Writer.Abandoned), so crashes
// leave few behind, and none for long.
func Write(path string, data []byte, o Options) (err error) {
	dir := filepath.Dir(path)
	fail := func(step string, err error) error { return &Error{Op: "write", Path: path, Step: step, Err: err} }
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail("create directory", err)
	}
	removeStale(dir, filepath.Base(path))
	f, err := os.CreateTemp(dir, tempPrefix(filepath.Base(path))+Self().String()+".*"+tempSuffix)
	if err != nil {
		return fail("create temp file", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	perm := o.Perm
	if perm == 0 {
		perm = 0o600
	}
	if err := f.Chmod(perm); err != nil {
		return fail("chmod temp file", err)
	}
	write := o.WriteData
	if write == nil {
		write = func(f *os.File, b []byte) error { _, err := f.Write(b); return err }
	}
	if err := write(f, data); err != nil {
		return fail("write temp file", err)
	}
	if err := f.Sync(); err != nil {
		return fail("sync temp file", err)
	}
	if err := f.Close(); err != nil {
		return fail("close temp file", err)
	}
	if !o.ModTime.IsZero() {
		if err := os.Chtimes(tmp, o.ModTime, o.ModTime); err != nil {
			return fail("set modification time", err)
		}
	}
	rename := o.Rename
	if rename == nil {
		rename = os.Rename
	}
	if err := rename(tmp, path); err != nil {
		return fail("replace the file", err)
	}
	if err := dirSync(dir); err != nil {
		return &Error{Op: "write", Path: path, Step: "sync directory", Done: true, Err: err}
	}
	return nil
}

// PrivateDir creates dir (and missing parents) 0700, or tightens an existing
// dir that group or others can reach to 0700.
func PrivateDir(dir string) error {
	if dir == "" {
		return errors.New("no directory configured")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return &Error{Op: "create", Path: dir, Step: "create directory", Err: err}
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

// dirSync is syncDir; tests replace it to inject failures.
var dirSync = syncDir

// syncDir makes a rename or removal in dir durable (a no-op on Windows). Its
// errors are the os package's; callers name the step.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
