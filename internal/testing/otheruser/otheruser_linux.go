// Package otheruser runs a helper test of the current test binary as another
// local user, for tests of what another user of a shared host can reach.
// Running a process as another user needs root; CI runs as root.
package otheruser

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// UID is the other user: nobody.
const UID = 65534

// Binary copies the test binary, which lives in a 0700 directory, to a
// directory UID can enter, and returns its path; the copy is removed when
// the test ends.
func Binary(t testing.TB) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "ptsaml-other-user-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, filepath.Base(self))
	if err := copyFile(self, bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

// Command returns a command that runs the helper test named helper (an
// exact test name) of bin, a Binary, as UID with env as its whole
// environment.
func Command(t testing.TB, bin, helper string, env ...string) *exec.Cmd {
	cmd := exec.CommandContext(t.Context(), bin, "-test.run=^"+helper+"$")
	cmd.Env = env
	cmd.Dir = filepath.Dir(bin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: UID, Gid: UID}}
	return cmd
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
