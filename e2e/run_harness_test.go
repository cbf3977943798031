package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/testing/syncbuf"
)

// systemPython is Debian's interpreter with python3-torch and python3-boto3;
// the first python3 on PATH may be another one without them.
const systemPython = "/usr/bin/python3"

// torchrunArgs are the `ptsaml run` flags every multi-rank job passes: on
// Debian's torch 1.13 with Python 3.11 the launcher crashes at start unless
// its stream options are non-zero.
var torchrunArgs = []string{"--launcher-arg=--redirects", "--launcher-arg=1", "--launcher-arg=--tee", "--launcher-arg=1"}

// requireLong skips tests that train for minutes unless PTSAML_E2E_LONG=1
// (.ci/run sets it), so that a developer's scripts/test.sh stays quick.
func requireLong(t *testing.T) {
	t.Helper()
	if os.Getenv("PTSAML_E2E_LONG") != "1" {
		t.Skip("skipped: trains for minutes; set PTSAML_E2E_LONG=1 (as .ci/run does) to run it")
	}
}

// requireTorch checks that the training example can run.
func requireTorch(t *testing.T) {
	t.Helper()
	out, err := exec.Command(systemPython, "-c", "import torch, boto3").CombinedOutput()
	if err != nil {
		absent(t, "%s cannot import torch and boto3: %v %s (scripts/testbed/deps.sh installs python3-torch)",
			systemPython, err, bytes.TrimSpace(out))
	}
}

// moto60URL is the moto whose credentials last 60 s (scripts/testbed/moto60.sh).
func moto60URL(t *testing.T) string {
	t.Helper()
	u := envOr("PTSAML_E2E_MOTO60_URL", "http://127.0.0.1:18501")
	if err := httpOK(u + "/moto-api/"); err != nil {
		absent(t, "no 60 s moto at %s: %v (scripts/testbed/moto60.sh start)", u, err)
	}
	return u
}

// trainScript is the absolute path of examples/train.py.
func trainScript(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "examples", "train.py"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func freePort(t *testing.T) string {
	t.Helper()
	_, port, _ := strings.Cut(freeAddr(t), ":")
	return port
}

type syncBuffer = syncbuf.Buffer

// proc is a started process whose combined output is collected.
type proc struct {
	cmd  *exec.Cmd
	out  syncBuffer
	done chan struct{}
	code int
}

// start runs name in the user's environment plus extraEnv; Cleanup kills it.
func (h *home) start(t *testing.T, extraEnv []string, name string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(name, args...), done: make(chan struct{})}
	p.cmd.Dir = h.dir
	p.cmd.Env = append(append([]string{}, h.env...), extraEnv...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.cmd.WaitDelay = 3 * time.Second // orphans holding the output pipe do not delay the exit
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", filepath.Base(name), err)
	}
	t.Logf("$ %s %s  (pid %d)", filepath.Base(name), strings.Join(args, " "), p.cmd.Process.Pid)
	go func() {
		_ = p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		if ws, ok := p.cmd.ProcessState.Sys().(interface{ Signaled() bool }); ok && ws.Signaled() {
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait waits for the exit and returns the code (-1 when killed by a signal).
func (p *proc) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(limit):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("%s: no exit within %s; output:\n%s", filepath.Base(p.cmd.Path), limit, tail(p.out.String(), 60))
		return 0
	}
}

// waitFor polls the output until it contains every needle, the process ends,
// or limit passes.
func (p *proc) waitFor(t *testing.T, limit time.Duration, needles ...string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		out, all := p.out.String(), true
		for _, n := range needles {
			all = all && strings.Contains(out, n)
		}
		if all {
			return
		}
		select {
		case <-p.done:
			t.Fatalf("the process ended (code %d) before printing %q:\n%s", p.code, needles, tail(out, 60))
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q within %s:\n%s", needles, limit, tail(out, 60))
		}
	}
}

func tail(s string, lines int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return indent(strings.Join(l, "\n"))
}

// reloginEvery runs login every period until the returned stop is called;
// stop returns the exit codes of the logins.
func reloginEvery(t *testing.T, period time.Duration, login func() int) (stop func() []int) {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var codes []int
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				c := login()
				mu.Lock()
				codes = append(codes, c)
				mu.Unlock()
			}
		}
	}()
	return func() []int {
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return codes
	}
}

// loginQuiet runs one `ptsaml login` without failing the test from another
// goroutine; it returns the exit code (-1 when it could not run).
func (h *home) loginQuiet(t *testing.T, extraEnv []string, ptsaml string, args ...string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, ptsaml, append([]string{"login"}, args...)...)
	cmd.Dir = h.dir
	cmd.Env = append(append([]string{}, h.env...), extraEnv...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	code := cmd.ProcessState.ExitCode()
	if err != nil && code == 0 {
		code = -1
	}
	t.Logf("re-login at %s: exit %d in %s\n%s", start.UTC().Format("15:04:05"), code,
		time.Since(start).Round(time.Millisecond), indent(string(out)))
	return code
}

// checkS3Records asserts that the sandbox accepted every S3 request, each
// with credentials valid at that moment, from more than one access key.
func checkS3Records(t *testing.T, recs map[int64]s3Record, total int64) {
	t.Helper()
	keys := map[string]bool{}
	for i := range total {
		r, ok := recs[i]
		switch {
		case !ok:
			t.Fatalf("S3 request record %d of %d was dropped before the test read it", i, total)
		case r.Verdict != "ok":
			t.Errorf("S3 request %d at %s: %s %s", i, r.Time.Format(time.RFC3339Nano), r.Verdict, r.Code)
		case !r.Time.Before(r.CredentialExpiration):
			t.Errorf("S3 request %d accepted at %s with credentials that expired at %s",
				i, r.Time.Format(time.RFC3339Nano), r.CredentialExpiration.Format(time.RFC3339Nano))
		default:
			keys[r.AccessKeyID] = true
		}
	}
	t.Logf("%d S3 requests checked, signed with %d access keys", total, len(keys))
	if total == 0 || len(keys) < 2 {
		t.Errorf("%d S3 requests signed with %d access key(s): the credentials were never renewed", total, len(keys))
	}
}
