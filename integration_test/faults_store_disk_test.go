package integration_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/ptsaml/ptsaml/internal/atomicfile"
	"github.com/ptsaml/ptsaml/internal/credstore"
	"github.com/ptsaml/ptsaml/internal/sandbox"
)

// unmet skips a test whose machine cannot stage the fault, or fails it under
// CI=true, where .ci/run runs as root and every fault must be staged.
func unmet(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("cannot stage the fault under CI: "+format, args...)
	}
	t.Skipf("skipped: "+format, args...)
}

// mountTmpfs mounts a tmpfs of size (e.g. "64k") on dir, created 0700, and
// unmounts it when the test ends. It needs root (mount(2)).
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if os.Geteuid() != 0 {
		unmet(t, "mounting a small tmpfs needs root (running as uid %d)", os.Geteuid())
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		unmet(t, "mount -t tmpfs on %s is not permitted here: %v: %s", dir, err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
			_ = exec.Command("umount", "-l", dir).Run()
		}
	})
}

func remount(t *testing.T, dir, mode string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+mode, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s %s: %v: %s", mode, dir, err, out)
	}
}

// fillDisk writes to a file in dir until the file system is full.
func fillDisk(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for i := 0; ; i++ {
		if _, err = f.Write(buf); err != nil {
			break
		}
		if i > 1<<16 {
			t.Fatal("the file system never filled up")
		}
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("filling %s: %v, want ENOSPC", dir, err)
	}
}

// errorLine returns the one "error: …" line of a command's stderr.
func errorLine(t *testing.T, r result) string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.HasPrefix(l, "error: ") || strings.HasPrefix(l, "  ") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("want exactly one error line, got %d:\n%s", len(lines), r.stderr)
	}
	return lines[0]
}

func accessKey(t *testing.T, e *env) string {
	t.Helper()
	r := e.run("credential-process")
	var cp credProcessJSON
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &cp) != nil || cp.AccessKeyId == "" {
		t.Fatalf("credential-process: exit %d\n%s", r.code, r.stderr)
	}
	return cp.AccessKeyId
}

// credDir is the file store's directory of the env.
func credDir(e *env) string { return e.statePath("credentials") }

func credPath(e *env, profile string) string {
	return credstore.NewFile(credDir(e)).Path("profile:" + profile)
}

// storeFiles lists the names in the file store's directory.
func storeFiles(t *testing.T, e *env) []string {
	t.Helper()
	entries, err := os.ReadDir(credDir(e))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	return names
}

// A login whose file store is on a full disk fails with one line naming the
// problem, the file and what to do; the credentials cached before still load,
// whole, and no temp file is left. Once there is room, login works again.
func TestLoginOnAFullDiskSaysSoAndKeepsTheCachedCredentials(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	mountTmpfs(t, credDir(e), "64k")
	if r := e.run("login", "--store", "file"); r.code != 0 {
		t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
	before := accessKey(t, e)
	fillDisk(t, credDir(e))

	r := e.run("login", "--store", "file")
	if r.code != 1 {
		t.Fatalf("login on a full disk: exit %d, want 1\n%s", r.code, r.stderr)
	}
	line := errorLine(t, r)
	t.Logf("login on a full disk: %s", line)
	for _, want := range []string{"no space left on device", credPath(e, "sandbox"), "free space on that file system and try again", "nothing was changed"} {
		if !strings.Contains(line, want) {
			t.Errorf("error line lacks %q:\n%s", want, line)
		}
	}
	if got := accessKey(t, e); got != before {
		t.Fatalf("cached credentials changed to %s after the failed login, want %s", got, before)
	}
	if st := e.run("status"); st.code != 0 {
		t.Fatalf("status after the failed login: exit %d\n%s", st.code, st.stderr)
	}
	if names := storeFiles(t, e); !slices.Equal(names, []string{"filler", filepath.Base(credPath(e, "sandbox"))}) {
		t.Fatalf("store directory holds %v, want the filler and the one entry (no temp file)", names)
	}

	if err := os.Remove(filepath.Join(credDir(e), "filler")); err != nil {
		t.Fatal(err)
	}
	if r := e.run("login", "--store", "file"); r.code != 0 {
		t.Fatalf("login once there is room: exit %d\n%s", r.code, r.stderr)
	}
	if got := accessKey(t, e); got == before {
		t.Fatal("the login with room to spare did not store new credentials")
	}
}

// A file store on a read-only file system: status and credential-process still
// read the cached credentials; login and logout fail with one line naming the
// problem, the file and what to do, and change nothing.
func TestLoginAndLogoutOnAReadOnlyDiskSaySoAndKeepTheCachedCredentials(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	mountTmpfs(t, credDir(e), "64k")
	if r := e.run("login", "--store", "file"); r.code != 0 {
		t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
	before := accessKey(t, e)
	remount(t, credDir(e), "ro")

	r := e.run("login", "--store", "file")
	if r.code != 1 {
		t.Fatalf("login on a read-only disk: exit %d, want 1\n%s", r.code, r.stderr)
	}
	line := errorLine(t, r)
	t.Logf("login on a read-only disk: %s", line)
	for _, want := range []string{"read-only file system", credPath(e, "sandbox"), "remount it read-write", "nothing was changed"} {
		if !strings.Contains(line, want) {
			t.Errorf("login error line lacks %q:\n%s", want, line)
		}
	}
	if got := accessKey(t, e); got != before {
		t.Fatalf("cached credentials changed after the failed login")
	}

	r = e.run("logout")
	if r.code != 1 {
		t.Fatalf("logout on a read-only disk: exit %d, want 1\n%s", r.code, r.stderr)
	}
	line = errorLine(t, r)
	t.Logf("logout on a read-only disk: %s", line)
	for _, want := range []string{"cannot remove " + credPath(e, "sandbox"), "read-only file system", "remount it read-write"} {
		if !strings.Contains(line, want) {
			t.Errorf("logout error line lacks %q:\n%s", want, line)
		}
	}
	if got := accessKey(t, e); got != before {
		t.Fatalf("cached credentials changed after the failed logout")
	}
	if temps := atomicfile.TempFiles(credPath(e, "sandbox")); len(temps) != 0 {
		t.Fatalf("temp files: %v", temps)
	}

	remount(t, credDir(e), "rw")
	if r := e.run("logout"); r.code != 0 {
		t.Fatalf("logout on a writable disk: exit %d\n%s", r.code, r.stderr)
	}
	if st := e.run("status"); st.code != 4 {
		t.Fatalf("status after logout: exit %d, want 4\n%s", st.code, st.stderr)
	}
}
