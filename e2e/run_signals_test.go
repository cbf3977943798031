package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunSignals checks how `ptsaml run` passes signals on: SIGTERM reaches
// every rank and ptsaml exits with the job's code; a SIGKILLed ptsaml leaves
// no process of the job behind.
func TestRunSignals(t *testing.T) {
	requireTorch(t)
	ptsaml := ptsamlBin.get(t)
	h := newHome(t, "")
	sb := startRunSandbox(t, h, ptsaml)
	if r := h.run(t, time.Minute, nil, ptsaml, "login", "--profile", "sandbox"); r.code != 0 {
		t.Fatalf("login: exit %d", r.code)
	}
	env := []string{"AWS_ENDPOINT_URL_S3=" + sb.s3, "GLOO_SOCKET_IFNAME=lo"}
	script, prefix := trainScript(t), "e2e-signals"
	if r := h.run(t, 2*time.Minute, env, ptsaml, "run", "--profile", "sandbox", "--python", systemPython,
		script, "--make-dataset", "--prefix", prefix, "--shards", "8"); r.code != 0 {
		t.Fatalf("uploading the dataset: exit %d", r.code)
	}

	tests := []struct {
		name   string
		ranks  int
		signal syscall.Signal
		codes  []int // acceptable exit codes of ptsaml; nil for SIGKILL
	}{
		// the script dies of SIGTERM after its line: 128+15
		{name: "SIGTERM plain python", ranks: 1, signal: syscall.SIGTERM, codes: []int{143}},
		// torch.distributed.run stops its ranks and ends with its own code:
		// 1 (an uncaught SignalException) on torch 1.13, or death by SIGTERM
		{name: "SIGTERM torchrun", ranks: 2, signal: syscall.SIGTERM, codes: []int{1, 143}},
		{name: "SIGKILL torchrun", ranks: 2, signal: syscall.SIGKILL},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			marker := fmt.Sprintf("ptsaml-e2e-signal-%d-%d", os.Getpid(), i)
			args := []string{"run", "--profile", "sandbox", "--python", systemPython}
			if tt.ranks > 1 {
				args = append(append(args, "--nproc-per-node", strconv.Itoa(tt.ranks),
					"--master-addr", "127.0.0.1", "--master-port", freePort(t)), torchrunArgs...)
			}
			args = append(args, script, "--prefix", prefix, "--shards", "8", "--duration", "120",
				"--step-time", "0.05", "--marker", marker)
			job := h.start(t, env, ptsaml, args...)
			var started []string
			for r := range tt.ranks {
				started = append(started, fmt.Sprintf("rank %d/%d starting", r, tt.ranks))
			}
			job.waitFor(t, time.Minute, started...)
			// ptsaml, the launcher when there is one, and each rank with its two DataLoader workers
			waitProcs(t, marker, 1+min(tt.ranks-1, 1)+3*tt.ranks, 30*time.Second)
			if err := job.cmd.Process.Signal(tt.signal); err != nil {
				t.Fatal(err)
			}
			code := job.wait(t, time.Minute)
			out := job.out.String()
			if tt.codes != nil {
				for r := range tt.ranks {
					if !strings.Contains(out, fmt.Sprintf("PTSAML_TRAIN_SIGTERM rank=%d ", r)) {
						t.Errorf("rank %d did not get SIGTERM:\n%s", r, tail(out, 30))
					}
				}
				if !slices.Contains(tt.codes, code) {
					t.Errorf("ptsaml run exited %d after SIGTERM, want one of %v:\n%s", code, tt.codes, tail(out, 30))
				}
			}
			if left := survivors(marker, 20*time.Second); len(left) > 0 {
				t.Errorf("%s: %d processes of the job still run 20s after ptsaml ended: %v", tt.name, len(left), left)
			}
		})
	}
}

// procsWith lists the processes whose command line contains marker.
func procsWith(marker string) map[int]string {
	found := map[int]string{}
	files, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || !strings.Contains(string(b), marker) {
			continue
		}
		if pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(f))); pid != os.Getpid() {
			found[pid] = strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " ")
		}
	}
	return found
}

// waitProcs polls until at least n processes carry marker.
func waitProcs(t *testing.T, marker string, n int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for len(procsWith(marker)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d processes of the job after %s, want %d: %v", len(procsWith(marker)), limit, n, procsWith(marker))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// survivors polls until no process carries marker or limit passes; it kills
// and returns those still there ("pid: command line").
func survivors(marker string, limit time.Duration) []string {
	deadline := time.Now().Add(limit)
	for {
		left := procsWith(marker)
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			var out []string
			for pid, cmd := range left {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				out = append(out, fmt.Sprintf("%d: %s", pid, cmd))
			}
			return out
		}
		time.Sleep(200 * time.Millisecond)
	}
}
