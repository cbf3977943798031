package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestWriteErrorSaysWhatToDo(t *testing.T) {
	tests := []struct {
		name string
		err  error // what the write of the temp file returns, wrapped in a PathError
		want string
	}{
		{"ENOSPC", syscall.ENOSPC, "no space left on device; free space on that file system"},
		{"EDQUOT", syscall.EDQUOT, "quota"},
		{"EROFS", syscall.EROFS, "read-only file system; the file system is mounted read-only"},
		{"EACCES", syscall.EACCES, "permission denied; check the owner and permissions"},
		// Windows reports ERROR_ACCESS_DENIED, which is no Unix errno but matches
		// fs.ErrPermission, as this does.
		{"ErrPermission", fs.ErrPermission, "permission denied; check the owner and permissions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f")
			err := Write(path, []byte("new"), Options{WriteData: func(f *os.File, _ []byte) error {
				return &os.PathError{Op: "write", Path: f.Name(), Err: tt.err}
			}})
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want it to match %v", err, tt.err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "cannot write "+path+": ") || !strings.Contains(msg, tt.want) ||
				!strings.HasSuffix(msg, "(nothing was changed)") || strings.Contains(msg, ".tmp") || strings.Contains(msg, "\n") {
				t.Fatalf("message %q: want the path, %q, no temp file name, one line", msg, tt.want)
			}
		})
	}
}

// failDirSync makes syncing a directory fail with errno until the test ends.
func failDirSync(t *testing.T, errno syscall.Errno) {
	t.Helper()
	dirSync = func(dir string) error { return &os.PathError{Op: "sync", Path: dir, Err: errno} }
	t.Cleanup(func() { dirSync = syncDir })
}

// When only the directory sync fails the file has already been replaced or
// removed: the error says so (not "nothing was changed"), names the step once,
// and still gives the advice.
func TestDirSyncFailureSaysTheChangeWasMade(t *testing.T) {
	tests := []struct {
		name string
		do   func(path string) error
		want string // content afterwards; "" = no file
		done string
	}{
		{"write", func(path string) error { return Write(path, []byte("new"), Options{}) }, "new", "the file was replaced"},
		{"remove", Remove, "", "the file was removed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f")
			if err := Write(path, []byte("old"), Options{}); err != nil {
				t.Fatal(err)
			}
			failDirSync(t, syscall.ENOSPC)
			err := tt.do(path)
			var e *Error
			if !errors.As(err, &e) || !e.Done || !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("err = %#v, want an *Error with Done set that matches ENOSPC", err)
			}
			msg := err.Error()
			if strings.Contains(msg, "nothing was changed") || strings.Count(msg, "sync directory") != 1 ||
				!strings.Contains(msg, tt.done) || !strings.Contains(msg, "free space") || strings.Contains(msg, "\n") {
				t.Fatalf("message %q: want %q, the step named once, the advice, and no %q", msg, tt.done, "nothing was changed")
			}
			b, rerr := os.ReadFile(path)
			if got := string(b); got != tt.want || (tt.want == "") != errors.Is(rerr, fs.ErrNotExist) {
				t.Fatalf("after the failed %s the file holds %q (%v), want %q", tt.name, got, rerr, tt.want)
			}
		})
	}
}

// The real directory sync failing (the directory was moved away right after the
// rename) names its step once.
func TestDirSyncFailureNamesItsStepOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	path := filepath.Join(dir, "f")
	err := Write(path, []byte("new"), Options{Rename: func(oldpath, newpath string) error {
		if err := os.Rename(oldpath, newpath); err != nil {
			return err
		}
		return os.Rename(dir, dir+"-moved")
	}})
	var e *Error
	if !errors.As(err, &e) || !e.Done || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want an *Error with Done set that matches fs.ErrNotExist", err)
	}
	if msg := err.Error(); strings.Count(msg, "sync directory") != 1 || strings.Contains(msg, "nothing was changed") {
		t.Fatalf("message %q: want the step named once", msg)
	}
	if b, _ := os.ReadFile(filepath.Join(dir+"-moved", "f")); string(b) != "new" {
		t.Fatalf("the file holds %q, want the new content", b)
	}
}

func TestAdvice(t *testing.T) {
	for _, err := range []error{syscall.EPERM, syscall.EACCES, fs.ErrPermission, &os.PathError{Op: "open", Path: "x", Err: fs.ErrPermission}} {
		if a := Advice(err); !strings.Contains(a, "permissions") {
			t.Errorf("Advice(%v) = %q, want the permission advice", err, a)
		}
	}
	for _, err := range []error{errors.New("boom"), syscall.EIO, fs.ErrNotExist} {
		if a := Advice(err); a != "" {
			t.Errorf("Advice(%v) = %q, want none", err, a)
		}
	}
	if Errno(&os.PathError{Err: syscall.EROFS}) != syscall.EROFS || Errno(syscall.EIO) != 0 {
		t.Error("Errno does not pick out the conditions it knows")
	}
}

func TestRemove(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Remove(path); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("file still there: %v", err)
	}
	if err := Remove(path); err != nil {
		t.Fatalf("Remove of a missing file: %v", err)
	}
}
