package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// setIdentity makes this process's host tag exact or not until the test ends.
func setIdentity(t *testing.T, exact bool) identity {
	t.Helper()
	old := self
	id := identity{tag: old().tag, exact: exact}
	self = func() identity { return id }
	t.Cleanup(func() { self = old })
	return id
}

// moveClock makes removeStale see the time d from now until the test ends.
func moveClock(t *testing.T, d time.Duration) {
	t.Helper()
	now = func() time.Time { return time.Now().Add(d) }
	t.Cleanup(func() { now = time.Now })
}

func TestParseWriter(t *testing.T) {
	w := Self()
	if got, ok := ParseWriter(w.String()); !ok || got != w {
		t.Fatalf("ParseWriter(%q) = %v, %v", w.String(), got, ok)
	}
	if len(w.Host) != 16 {
		t.Fatalf("host tag %q: want 16 hex digits (64 bits)", w.Host)
	}
	if old, ok := ParseWriter("0123abcd-1"); !ok || old.Abandoned(time.Now(), time.Now()) {
		t.Errorf("ParseWriter of an earlier 8-digit tag = %v, %v; want it read and judged by age", old, ok)
	}
	for _, bad := range []string{"", "abc-1", "0123abcde-1", "0123456789abcdef-0", "0123456789abcdef-x",
		"0123456789abcdef", "0123456789abcdeg-1"} {
		if _, ok := ParseWriter(bad); ok {
			t.Errorf("ParseWriter(%q) accepted", bad)
		}
	}
	if w.Abandoned(time.Now(), time.Now()) {
		t.Error("this process's fresh work counts as abandoned")
	}
}

// Two containers that share a host name (and a kernel) but not a PID
// namespace get different tags, so neither judges the other's PIDs.
func TestHostTagTellsPIDNamespacesApart(t *testing.T) {
	const boot = "a07c1934-47b9-4338-a0f8-de8c5e892603/"
	a, b := hostTag("node1", boot+"pid:[4026531836]"), hostTag("node1", boot+"pid:[4026532201]")
	if a == b || a == hostTag("node1", "") || len(a) != 16 {
		t.Fatalf("tags %q and %q: want 16 hex digits that differ by PID namespace", a, b)
	}
	if a != hostTag("node1", boot+"pid:[4026531836]") {
		t.Fatal("the tag is not stable")
	}
	// 64 bits: the upper half is used too, so a cluster of hosts sharing a home
	// directory does not collide.
	upper := 0
	for i := range 64 {
		if !strings.HasPrefix(hostTag(fmt.Sprintf("node%d", i), ""), "00000000") {
			upper++
		}
	}
	if upper == 0 {
		t.Error("host tags carry only 32 bits")
	}
	if runtime.GOOS == "linux" && !self().exact {
		t.Error("on Linux the tag should name the boot and the PID namespace")
	}
}

func TestAbandoned(t *testing.T) {
	id := self()
	dead := Writer{Host: id.tag, PID: deadPID(t)}
	running := Writer{Host: id.tag, PID: 1}
	other := Writer{Host: strings.Repeat("0", 15) + "1", PID: dead.PID}
	me := Self()
	t0 := time.Now()
	tests := []struct {
		name  string
		w     Writer
		age   time.Duration
		exact bool
		want  bool
	}{
		{"dead writer, exact tag, fresh", dead, 0, true, true},
		{"dead writer, host-name tag, fresh", dead, 0, false, false},
		{"dead writer, host-name tag, past the grace", dead, Grace + time.Minute, false, true},
		{"running writer", running, time.Hour, true, false},
		{"running writer, a day old", running, MaxAge, true, true},
		{"this process, fresh", me, time.Minute, true, false},
		{"this process, past the grace", me, Grace, true, true},
		{"another host", other, time.Hour, true, false},
		{"another host, a day old", other, MaxAge + time.Minute, true, true},
		{"unreadable writer", Writer{}, time.Hour, true, false},
		{"unreadable writer, a day old", Writer{}, MaxAge, true, true},
		{"dated a little ahead", running, -time.Hour, true, false},
		{"dated a day ahead", running, -MaxAge, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setIdentity(t, tt.exact)
			if got := tt.w.Abandoned(t0.Add(-tt.age), t0); got != tt.want {
				t.Fatalf("Abandoned = %v, want %v", got, tt.want)
			}
		})
	}
}

// deadPID returns the PID of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("process liveness is not checked on Windows")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0") // no pause at exit under -race
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// A writer killed between creating its temp file and the rename leaves the
// temp file; the next write of the same file removes it, and nothing else.
func TestWriteRemovesTempFilesOfDeadWriters(t *testing.T) {
	setIdentity(t, true)
	dir := t.TempDir()
	path := filepath.Join(dir, "k-abc")
	me := Self()
	dead := Writer{Host: me.Host, PID: deadPID(t)}
	elsewhere := Writer{Host: "0badf00d0badf00d", PID: dead.PID}
	if elsewhere.Host == me.Host {
		elsewhere.Host = "0badf00d0badf00e"
	}
	names := map[string]bool{ // name -> removed by the next write
		".k-abc." + dead.String() + ".123.tmp":                     true,
		".k-abc." + dead.String() + ".456.tmp":                     true,
		".k-abc." + me.String() + ".789.tmp":                       false, // this process may be writing
		".k-abc." + Writer{me.Host, 1}.String() + ".1.tmp":         false, // PID 1 runs
		".k-abc." + elsewhere.String() + ".2.tmp":                  false, // another host: cannot tell
		".k-abc.4242.tmp":                                          false, // no writer in the name
		".k-abcd." + dead.String() + ".3.tmp":                      false, // another file's
		".k-abc.x." + dead.String() + ".4.tmp":                     false, // another file's
		"k-abc." + dead.String() + ".5.tmp":                        false,
		".k-abc." + dead.String() + ".6.tmp.bak":                   false,
		".k-abc." + dead.String() + ".x.tmp":                       false,
		".k-abc." + Writer{me.Host, 999999999}.String() + ".7.tmp": true,
		".k-abc.0123abcd-42.8.tmp":                                 false, // an earlier 32-bit tag: a day's wait
	}
	for name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(TempFiles(path)); got != 7 {
		t.Fatalf("TempFiles lists %d files, want the 7 named for k-abc with a writer", got)
	}
	if err := Write(path, []byte("value"), Options{}); err != nil {
		t.Fatal(err)
	}
	checkRemoved(t, dir, names)
}

// Where the host tag cannot name the PID namespace, a PID that no process has
// here may still be a live writer's in another namespace of the same host
// name: its temp file stays until Grace has passed. The temp files of other
// hosts go once they are a day old.
func TestWriteKeepsFreshTempFilesOfUncertainWriters(t *testing.T) {
	setIdentity(t, false)
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	me := Self()
	dead := ".f." + Writer{Host: me.Host, PID: deadPID(t)}.String() + ".1.tmp"
	far := ".f." + Writer{Host: "0badf00d0badf00d", PID: 1}.String() + ".2.tmp"
	for _, name := range []string{dead, far} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := Write(path, []byte("one"), Options{}); err != nil {
		t.Fatal(err)
	}
	checkRemoved(t, dir, map[string]bool{dead: false, far: false})
	moveClock(t, Grace+time.Minute)
	if err := Write(path, []byte("two"), Options{}); err != nil {
		t.Fatal(err)
	}
	checkRemoved(t, dir, map[string]bool{dead: true, far: false})
	moveClock(t, MaxAge+time.Minute)
	if err := Write(path, []byte("three"), Options{}); err != nil {
		t.Fatal(err)
	}
	checkRemoved(t, dir, map[string]bool{far: true})
	if b, _ := os.ReadFile(path); string(b) != "three" {
		t.Fatalf("content %q", b)
	}
}

// A temp file whose modification time was set back (Options.ModTime) still
// counts as fresh: its change time is.
func TestWriteJudgesTempFilesByTheirLastChange(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("the change time is read on Linux and macOS")
	}
	setIdentity(t, false)
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	dead := ".f." + Writer{Host: Self().Host, PID: deadPID(t)}.String() + ".1.tmp"
	tmp := filepath.Join(dir, dead)
	if err := os.WriteFile(tmp, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-MaxAge / 2)
	if err := os.Chtimes(tmp, old, old); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("one"), Options{}); err != nil {
		t.Fatal(err)
	}
	checkRemoved(t, dir, map[string]bool{dead: false})
}

func checkRemoved(t *testing.T, dir string, names map[string]bool) {
	t.Helper()
	for name, removed := range names {
		_, err := os.Stat(filepath.Join(dir, name))
		if gone := errors.Is(err, os.ErrNotExist); gone != removed {
			t.Errorf("%s: removed = %v, want %v", name, gone, removed)
		}
	}
}
