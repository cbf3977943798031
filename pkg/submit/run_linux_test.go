package submit

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// alive reports whether pid is a live process (a zombie counts as dead).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) STATE …; comm may hold spaces and parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	waitFor(t, "pid file", func() bool {
		b, err := os.ReadFile(path)
		return err == nil && bytes.HasSuffix(b, []byte("\n"))
	})
	b, _ := os.ReadFile(path)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %q: %v", b, err)
	}
	return pid
}

func TestRunEndsStrays(t *testing.T) {
	tests := []struct {
		name, script string
	}{
		{"grandchild", `sleep 60 & echo $! > "$1"; exit 0`},
		{"grandchild ignoring SIGTERM", `sh -c 'trap "" TERM; echo $$ > "$1"; while :; do sleep 1; done' sh "$1" & wait_for() { while ! test -s "$1"; do sleep 0.01; done; }; wait_for "$1"; exit 4`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pid")
			script := writeScript(t, tt.script)
			code, err := Run(t.Context(), Job{Argv: []string{script, pidFile}}, nil, RunDeps{StrayGrace: 300 * time.Millisecond})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			pid := readPid(t, pidFile)
			t.Logf("job exited %d; grandchild %d", code, pid)
			waitFor(t, "grandchild gone", func() bool { return !alive(pid) })
		})
	}
}

func TestRunPdeathsig(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	fake := exec.Command(os.Args[0])
	fake.Env = append(os.Environ(), helperEnv+"=ptsaml", "PID_FILE="+pidFile)
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	pid := readPid(t, pidFile)
	if !alive(pid) {
		t.Fatal("job not running")
	}
	if err := fake.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = fake.Wait()
	waitFor(t, "job gone after its ptsaml was killed", func() bool { return !alive(pid) })
}
