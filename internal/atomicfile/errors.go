package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Error is a failed write or removal of Path. When Err is a condition of the
// file system that a person must fix (no space, quota, read-only mount,
// permission), the message names it and says what to do. Err stays
// reachable through errors.Is and errors.As.
type Error struct {
	Op   string // "write" or "remove"
	Path string // the file the caller named, never the temporary file
	Step string // the step that failed, for causes that are not file-system conditions
	Err  error
}

func (e *Error) Error() string {
	if errno := Errno(e.Err); errno != 0 {
		msg := fmt.Sprintf("cannot %s %s: %s", e.Op, e.Path, errno.Error())
		if a := Advice(e.Err); a != "" {
			msg += "; " + a
		}
		return msg + " (nothing was changed)"
	}
	return fmt.Sprintf("cannot %s %s: %s: %v", e.Op, e.Path, e.Step, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Errno returns the system error number inside err when it is one of the file
// system conditions Advice knows, else 0.
func Errno(err error) syscall.Errno {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return 0
	}
	switch errno {
	case syscall.ENOSPC, syscall.EDQUOT, syscall.EROFS, syscall.EACCES, syscall.EPERM:
		return errno
	}
	return 0
}

// Advice says what a person can do about err, a failed file-system call: ""
// when err is not a condition they can fix.
func Advice(err error) string {
	switch Errno(err) {
	case syscall.ENOSPC:
		return "free space on that file system and try again"
	case syscall.EDQUOT:
		return "free space or have your disk quota raised, then try again"
	case syscall.EROFS:
		return "the file system is mounted read-only: remount it read-write, or use a directory on a writable disk"
	case syscall.EACCES, syscall.EPERM:
		return "check the owner and permissions of the file and its directory"
	}
	return ""
}

// Remove deletes path and makes the removal durable; a missing file is not an
// error. Failures are *Error.
func Remove(path string) error {
	err := os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		return &Error{Op: "remove", Path: path, Step: "remove", Err: err}
	}
	return nil
}
