//go:build unix

package submit

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

type runResult struct {
	code int
	err  error
}

// startRun runs job in the background; the result arrives on the channel.
func startRun(ctx context.Context, job Job, sig <-chan os.Signal, d RunDeps) <-chan runResult {
	out := make(chan runResult, 1)
	go func() {
		code, err := Run(ctx, job, sig, d)
		out <- runResult{code, err}
	}()
	return out
}

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		name string
		argv []string
		want int
	}{
		{"success", []string{"sh", "-c", "exit 0"}, 0},
		{"exit 3", []string{"sh", "-c", "exit 3"}, 3},
		{"killed by SIGTERM", []string{"sh", "-c", "kill -TERM $$"}, 128 + int(syscall.SIGTERM)},
		{"killed by SIGKILL", []string{"sh", "-c", "kill -KILL $$"}, 128 + int(syscall.SIGKILL)},
		{"environment and directory", []string{"sh", "-c", `test "$FOO" = bar && test "$(pwd -P)" = "$WANT_DIR"`}, 0},
	}
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := Job{Argv: tt.argv, Dir: dir, Env: []string{"PATH=" + os.Getenv("PATH"), "FOO=bar", "WANT_DIR=" + dir}}
			code, err := Run(t.Context(), job, nil, RunDeps{})
			if err != nil || code != tt.want {
				t.Errorf("Run = %d, %v; want %d, nil", code, err, tt.want)
			}
		})
	}
}

func TestRunStreams(t *testing.T) {
	var out, errOut bytes.Buffer
	job := Job{Argv: []string{"sh", "-c", "cat; echo oops >&2"}, Stdin: strings.NewReader("hello\n"), Stdout: &out, Stderr: &errOut}
	if code, err := Run(t.Context(), job, nil, RunDeps{}); code != 0 || err != nil {
		t.Fatalf("Run = %d, %v", code, err)
	}
	if out.String() != "hello\n" || errOut.String() != "oops\n" {
		t.Errorf("stdout %q, stderr %q", out.String(), errOut.String())
	}
}

func TestRunStartErrors(t *testing.T) {
	tests := []struct {
		name, argv0, want string
	}{
		{"python missing", "python3-ptsaml-test-missing", "install Python 3 or set python: in the profile or --python"},
		{"command missing", "ptsaml-test-missing", "ptsaml-test-missing: executable file not found in $PATH"},
		{"path missing", "./ptsaml-test-missing", "start ./ptsaml-test-missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(t.Context(), Job{Argv: []string{tt.argv0}, Dir: t.TempDir()}, nil, RunDeps{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	_, err := Run(t.Context(), Job{Argv: []string{"python3-ptsaml-test-missing"}}, nil, RunDeps{})
	if !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("error %v does not match exec.ErrNotFound", err)
	}
	if _, err := Run(t.Context(), Job{}, nil, RunDeps{}); err == nil {
		t.Error("empty argv started")
	}
}

func TestRunForwardsSIGTERM(t *testing.T) {
	ready := filepath.Join(t.TempDir(), "ready")
	script := writeScript(t, `trap 'exit 7' TERM; echo ready > "$1"; sleep 60 & wait`)
	sig := make(chan os.Signal, 1)
	res := startRun(t.Context(), Job{Argv: []string{script, ready}}, sig, RunDeps{StrayGrace: 300 * time.Millisecond})
	waitFor(t, "job ready", fileExists(ready))
	sig <- syscall.SIGTERM
	if r := <-res; r.code != 7 || r.err != nil {
		t.Errorf("Run = %d, %v; want 7 (the trap's code)", r.code, r.err)
	}
}

func TestRunForwardsSIGHUPToGroup(t *testing.T) {
	sig := make(chan os.Signal, 1)
	sig <- syscall.SIGHUP // before the start: delivered once the job runs
	r := <-startRun(t.Context(), Job{Argv: []string{"sleep", "60"}}, sig, RunDeps{})
	if want := 128 + int(syscall.SIGHUP); r.code != want || r.err != nil {
		t.Errorf("Run = %d, %v; want %d", r.code, r.err, want)
	}
}

// helperJobSetup returns a Job that re-executes the test binary as helperJob.
func helperJobSetup(t *testing.T, extra ...string) (job Job, ready, count string) {
	t.Helper()
	dir := t.TempDir()
	ready, count = filepath.Join(dir, "ready"), filepath.Join(dir, "count")
	env := append(os.Environ(), helperEnv+"=job", "READY_FILE="+ready, "COUNT_FILE="+count)
	return Job{Argv: []string{os.Args[0]}, Env: append(env, extra...)}, ready, count
}

func readCount(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Count(string(b), "INT\n")
}

func TestRunInterrupt(t *testing.T) {
	t.Run("once is forwarded once", func(t *testing.T) {
		job, ready, count := helperJobSetup(t, "EXIT_ON_INT=1")
		var status bytes.Buffer
		sig := make(chan os.Signal, 1)
		res := startRun(t.Context(), job, sig, RunDeps{Status: &status})
		waitFor(t, "job ready", fileExists(ready))
		sig <- os.Interrupt
		r := <-res
		if r.code != 130 || r.err != nil {
			t.Errorf("Run = %d, %v; want 130", r.code, r.err)
		}
		if n := readCount(t, count); n != 1 {
			t.Errorf("job got %d SIGINTs, want 1", n)
		}
		if !strings.Contains(status.String(), "press Ctrl-C again") {
			t.Errorf("status %q", status.String())
		}
	})
	t.Run("twice kills", func(t *testing.T) {
		job, ready, count := helperJobSetup(t)
		var status bytes.Buffer
		sig := make(chan os.Signal, 1)
		res := startRun(t.Context(), job, sig, RunDeps{Status: &status})
		waitFor(t, "job ready", fileExists(ready))
		sig <- os.Interrupt
		waitFor(t, "first SIGINT received", func() bool { return readCount(t, count) == 1 })
		sig <- os.Interrupt
		r := <-res
		if want := 128 + int(syscall.SIGKILL); r.code != want || r.err != nil {
			t.Errorf("Run = %d, %v; want %d", r.code, r.err, want)
		}
		if n := readCount(t, count); n != 1 {
			t.Errorf("job got %d SIGINTs, want 1", n)
		}
		if !strings.Contains(status.String(), "killing the job") {
			t.Errorf("status %q", status.String())
		}
	})
}

func TestRunContextCancel(t *testing.T) {
	job, ready, _ := helperJobSetup(t, "IGNORE_TERM=1")
	clk := clockwork.NewFakeClock()
	ctx, cancel := context.WithCancel(t.Context())
	res := startRun(ctx, job, nil, RunDeps{Clock: clk, Grace: 30 * time.Second})
	waitFor(t, "job ready", fileExists(ready))
	cancel()
	// The job ignores SIGTERM: only the SIGKILL after the grace ends it.
	if err := clk.BlockUntilContext(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-res:
		t.Fatalf("job ended before the grace: %d, %v", r.code, r.err)
	default:
	}
	clk.Advance(30 * time.Second)
	if r := <-res; r.code != 128+int(syscall.SIGKILL) || r.err != nil {
		t.Errorf("Run = %d, %v; want 137", r.code, r.err)
	}
}

func TestRunContextCancelStopsCooperativeJob(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := <-startRun(ctx, Job{Argv: []string{"sleep", "60"}}, nil, RunDeps{})
	if r.code != 128+int(syscall.SIGTERM) || r.err != nil {
		t.Errorf("Run = %d, %v; want 143", r.code, r.err)
	}
}
