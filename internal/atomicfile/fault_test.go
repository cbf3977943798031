package atomicfile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

func TestWriteErrorSaysWhatToDo(t *testing.T) {
	tests := []struct {
		errno syscall.Errno
		want  string
	}{
		{syscall.ENOSPC, "no space left on device; free space on that file system"},
		{syscall.EDQUOT, "quota"},
		{syscall.EROFS, "read-only file system; the file system is mounted read-only"},
		{syscall.EACCES, "permission denied; check the owner and permissions"},
	}
	for _, tt := range tests {
		t.Run(tt.errno.Error(), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f")
			err := Write(path, []byte("new"), Options{WriteData: func(f *os.File, _ []byte) error {
				return &os.PathError{Op: "write", Path: f.Name(), Err: tt.errno}
			}})
			if !errors.Is(err, tt.errno) {
				t.Fatalf("err = %v, want it to match %v", err, tt.errno)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "cannot write "+path+": ") || !strings.Contains(msg, tt.want) ||
				!strings.HasSuffix(msg, "(nothing was changed)") || strings.Contains(msg, ".tmp") || strings.Contains(msg, "\n") {
				t.Fatalf("message %q: want the path, %q, no temp file name, one line", msg, tt.want)
			}
		})
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

func TestParseWriter(t *testing.T) {
	w := Self()
	if got, ok := ParseWriter(w.String()); !ok || got != w {
		t.Fatalf("ParseWriter(%q) = %v, %v", w.String(), got, ok)
	}
	for _, bad := range []string{"", "abc-1", "0123abcd-0", "0123abcd-x", "0123abcd"} {
		if _, ok := ParseWriter(bad); ok {
			t.Errorf("ParseWriter(%q) accepted", bad)
		}
	}
	if w.Gone() {
		t.Error("this process counts as gone")
	}
}

// deadPID returns the PID of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// A writer killed between creating its temp file and the rename leaves the
// temp file; the next write of the same file removes it, and nothing else.
func TestWriteRemovesTempFilesOfDeadWriters(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("process liveness is not checked on Windows: temp files stay")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "k-abc")
	self := Self()
	dead := Writer{Host: self.Host, PID: deadPID(t)}
	elsewhere := Writer{Host: "0badf00d", PID: dead.PID}
	if elsewhere.Host == self.Host {
		elsewhere.Host = "0badf00e"
	}
	names := map[string]bool{ // name -> removed by the next write
		".k-abc." + dead.String() + ".123.tmp":                       true,
		".k-abc." + dead.String() + ".456.tmp":                       true,
		".k-abc." + self.String() + ".789.tmp":                       false, // this process may be writing
		".k-abc." + Writer{self.Host, 1}.String() + ".1.tmp":         false, // PID 1 runs
		".k-abc." + elsewhere.String() + ".2.tmp":                    false, // another host: cannot tell
		".k-abc.4242.tmp":                                            false, // no writer in the name
		".k-abcd." + dead.String() + ".3.tmp":                        false, // another file's
		".k-abc.x." + dead.String() + ".4.tmp":                       false, // another file's
		"k-abc." + dead.String() + ".5.tmp":                          false,
		".k-abc." + dead.String() + ".6.tmp.bak":                     false,
		".k-abc." + dead.String() + ".x.tmp":                         false,
		".k-abc." + Writer{self.Host, 999999999}.String() + ".7.tmp": true,
	}
	for name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(TempFiles(path)); got != 6 {
		t.Fatalf("TempFiles lists %d files, want the 6 named for k-abc with a writer", got)
	}
	if err := Write(path, []byte("value"), Options{}); err != nil {
		t.Fatal(err)
	}
	for name, removed := range names {
		_, err := os.Stat(filepath.Join(dir, name))
		if gone := errors.Is(err, os.ErrNotExist); gone != removed {
			t.Errorf("%s: removed = %v, want %v", name, gone, removed)
		}
	}
}
