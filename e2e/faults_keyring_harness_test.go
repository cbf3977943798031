package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// privateKeyring is a gnome-keyring on a D-Bus session bus of its own,
// started by scripts/testbed/keyring.sh in a test's temporary directory, so
// that the test can stop and start it without touching the shared test bed.
type privateKeyring struct {
	dir    string // PTSAML_TESTBED_DIR of the script
	script string
	bus    string // DBUS_SESSION_BUS_ADDRESS
}

// startPrivateKeyring starts the keyring and stops it when the test ends.
func startPrivateKeyring(t *testing.T) *privateKeyring {
	t.Helper()
	for _, bin := range []string{"bash", "dbus-daemon", "dbus-send", "gnome-keyring-daemon", "secret-tool"} {
		if _, err := exec.LookPath(bin); err != nil {
			absent(t, "%s is not installed (scripts/testbed/deps.sh)", bin)
		}
	}
	script, err := filepath.Abs(filepath.Join("..", "scripts", "testbed", "keyring.sh"))
	if err != nil {
		t.Fatal(err)
	}
	k := &privateKeyring{dir: t.TempDir(), script: script}
	t.Cleanup(func() { k.stop(t) }) // before the directory is removed
	k.start(t)
	env, err := os.ReadFile(filepath.Join(k.dir, "keyring", "env"))
	if err != nil {
		t.Fatalf("keyring.sh start wrote no env file: %v", err)
	}
	for line := range strings.Lines(string(env)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "PTSAML_E2E_DBUS_ADDRESS="); ok {
			k.bus = v
		}
	}
	if k.bus == "" {
		t.Fatalf("no PTSAML_E2E_DBUS_ADDRESS in %s:\n%s", filepath.Join(k.dir, "keyring", "env"), env)
	}
	return k
}

// start runs `keyring.sh start` and checks that the Secret Service answers.
func (k *privateKeyring) start(t *testing.T) {
	t.Helper()
	if err := k.do(t, "start"); err != nil {
		t.Fatalf("keyring.sh start: %v", err)
	}
	if k.bus != "" {
		if err := secretServiceOn(k.bus); err != nil {
			t.Fatalf("the private keyring does not answer on %s after start: %v", k.bus, err)
		}
	}
}

// stop runs `keyring.sh stop`: the keyring daemon and its bus go away.
func (k *privateKeyring) stop(t *testing.T) {
	t.Helper()
	if err := k.do(t, "stop"); err != nil {
		t.Errorf("keyring.sh stop: %v", err)
	}
}

// freeze stops the keyring daemon with SIGSTOP: it keeps its bus name, and
// every call to it waits. The test's end lets it go on before stopping it.
func (k *privateKeyring) freeze(t *testing.T) {
	t.Helper()
	pid := k.daemonPID(t)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("SIGSTOP gnome-keyring-daemon %d: %v", pid, err)
	}
	t.Logf("gnome-keyring-daemon %d frozen", pid)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) })
}

// thaw lets a frozen keyring daemon go on.
func (k *privateKeyring) thaw(t *testing.T) {
	t.Helper()
	pid := k.daemonPID(t)
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatalf("SIGCONT gnome-keyring-daemon %d: %v", pid, err)
	}
	if err := secretServiceOn(k.bus); err != nil {
		t.Fatalf("the keyring does not answer after SIGCONT: %v", err)
	}
	t.Logf("gnome-keyring-daemon %d running again", pid)
}

// daemonPID is the gnome-keyring-daemon that keyring.sh started.
func (k *privateKeyring) daemonPID(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(k.dir, "keyring", "gkd.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		t.Fatalf("bad pid file %q: %v", b, err)
	}
	cmdline, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if !strings.Contains(string(cmdline), "gnome-keyring-daemon") {
		t.Fatalf("pid %d is not the keyring daemon (%q)", pid, cmdline)
	}
	return pid
}

// do runs keyring.sh with cmd; its output goes to a file, not a pipe, as the
// daemons it starts outlive it.
func (k *privateKeyring) do(t *testing.T, cmd string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	logPath := filepath.Join(k.dir, "keyring-"+cmd+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	c := exec.CommandContext(ctx, "bash", k.script, cmd)
	c.Env = append(inheritedEnv(), "PTSAML_TESTBED_DIR="+k.dir, "HOME="+k.dir)
	c.Stdout, c.Stderr = logFile, logFile
	start := time.Now()
	err = c.Run()
	out, _ := os.ReadFile(logPath)
	t.Logf("$ keyring.sh %s  -> %v in %s\n%s", cmd, err, time.Since(start).Round(time.Millisecond), indent(string(out)))
	return err
}

// sandboxCounters reads the sandbox's counters.
func sandboxCounters(t *testing.T, sb *runSandbox) (st struct {
	STSCalls  int64 `json:"sts_calls"`
	S3OK      int64 `json:"s3_ok"`
	S3Expired int64 `json:"s3_expired"`
	S3Denied  int64 `json:"s3_denied"`
}) {
	t.Helper()
	if err := getJSON(sb.url+"/stats", &st); err != nil {
		t.Fatalf("sandbox stats: %v", err)
	}
	return st
}

// keyringFaultJob is a Python job that writes to the sandbox's S3 with boto3 every
// 200 ms until $STOP_FILE exists (at most two minutes). It prints
// "JOB ready" after its first call and a JOB_SUMMARY line at the end, and
// exits 1 if any call failed.
const keyringFaultJob = `
import json, os, sys, time
import boto3
session = boto3.Session()
s3 = session.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"])  # botocore 1.29 ignores the variable
stop, deadline = os.environ["STOP_FILE"], time.monotonic() + 120
calls, failures, errors, keys = 0, 0, {}, set()
while not os.path.exists(stop) and time.monotonic() < deadline:
    try:
        s3.put_object(Bucket="ptsaml-data", Key="e2e-keyring-fault/%d" % (calls % 4), Body=b"x" * 64)
        keys.add(session.get_credentials().get_frozen_credentials().access_key)
        if calls == 0:
            print("JOB ready", flush=True)
    except Exception as e:
        failures += 1
        name = type(e).__name__
        errors[name] = errors.get(name, 0) + 1
        print("JOB call failed: %s: %s" % (name, e), flush=True)
    calls += 1
    time.sleep(0.2)
print("JOB_SUMMARY " + json.dumps({"calls": calls, "failures": failures, "errors": errors, "access_keys": len(keys)}), flush=True)
sys.exit(1 if failures or calls == 0 else 0)
`

// keyringFaultSummary is the JOB_SUMMARY line of keyringFaultJob.
type keyringFaultSummary struct {
	Calls      int            `json:"calls"`
	Failures   int            `json:"failures"`
	Errors     map[string]int `json:"errors"`
	AccessKeys int            `json:"access_keys"`
}

func parseKeyringFaultSummary(t *testing.T, out string) keyringFaultSummary {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if js, ok := strings.CutPrefix(sc.Text(), "JOB_SUMMARY "); ok {
			var s keyringFaultSummary
			if err := json.Unmarshal([]byte(js), &s); err != nil {
				t.Fatalf("bad summary %q: %v", sc.Text(), err)
			}
			return s
		}
	}
	t.Fatalf("the job printed no JOB_SUMMARY:\n%s", tail(out, 30))
	return keyringFaultSummary{}
}

// requireKeyringFaultParts checks that the system Python can talk to S3.
func requireKeyringFaultParts(t *testing.T) {
	t.Helper()
	if out, err := exec.Command(systemPython, "-c", "import boto3").CombinedOutput(); err != nil {
		absent(t, "%s cannot import boto3: %v %s (scripts/testbed/deps.sh installs python3-boto3)",
			systemPython, err, strings.TrimSpace(string(out)))
	}
}
