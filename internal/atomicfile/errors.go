package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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
	// Done is true when the step that failed came after the file was replaced
	// or removed (syncing its directory): the change is visible, but a crash
	// may still undo it.
	Done bool
	Err  error
}

func (e *Error) Error() string {
	a := Advice(e.Err)
	if e.Done {
		msg := fmt.Sprintf("cannot %s %s: %s: %s", e.Op, e.Path, e.Step, describe(e.Err))
		if a != "" {
			msg += "; " + a
		}
		return msg + fmt.Sprintf(" (the file was %s, but a crash may still undo that)", doneWord(e.Op))
	}
	if a != "" {
		return fmt.Sprintf("cannot %s %s: %s; %s (nothing was changed)", e.Op, e.Path, describe(e.Err), a)
	}
	return fmt.Sprintf("cannot %s %s: %s: %v", e.Op, e.Path, e.Step, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

func doneWord(op string) string {
	switch op {
	case "write":
		return "replaced"
	case "remove":
		return "removed"
	}
	return "changed"
}

// describe says what went wrong without the file names that os errors carry
// (they would name the temporary file).
func describe(err error) string {
	if errno := Errno(err); errno != 0 {
		return errno.Error()
	}
	for {
		var inner error
		switch e := err.(type) {
		case *fs.PathError:
			inner = e.Err
		case *os.LinkError:
			inner = e.Err
		case *os.SyscallError:
			inner = e.Err
		}
		if inner == nil {
			return err.Error()
		}
		err = inner
	}
}

type condition int

const (
	noCondition condition = iota
	noSpace
	overQuota
	readOnly
	noPermission
)

// classify names the file-system condition of err, with its system error
// number when it has one (a bare fs.ErrPermission has none). The numbers
// differ between systems: see errnoNoSpace and the others.
func classify(err error) (condition, syscall.Errno) {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch {
		case slices.Contains(errnoNoSpace, errno):
			return noSpace, errno
		case slices.Contains(errnoQuota, errno):
			return overQuota, errno
		case slices.Contains(errnoReadOnly, errno):
			return readOnly, errno
		}
	}
	if errors.Is(err, fs.ErrPermission) {
		return noPermission, errno
	}
	return noCondition, 0
}

// Errno returns the system error number inside err when it is one of the file
// system conditions Advice knows, else 0.
func Errno(err error) syscall.Errno {
	_, errno := classify(err)
	return errno
}

// Advice says what a person can do about err, a failed file-system call: ""
// when err is not a condition they can fix.
func Advice(err error) string {
	switch c, _ := classify(err); c {
	case noSpace:
		return "free space on that file system and try again"
	case overQuota:
		return "free space or have your disk quota raised, then try again"
	case readOnly:
		return "the file system is mounted read-only: remount it read-write, or use a directory on a writable disk"
	case noPermission:
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
	if err != nil {
		return &Error{Op: "remove", Path: path, Step: "remove", Err: err}
	}
	if err := dirSync(filepath.Dir(path)); err != nil {
		return &Error{Op: "remove", Path: path, Step: "sync directory", Done: true, Err: err}
	}
	return nil
}
