package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// keyringCallTimeout is the keyring store's bound on one call (credstore's
// DefaultTimeout): a command that finds the keyring gone must end well
// within a few of these.
const keyringCallTimeout = 5 * time.Second

// keyringFault is a way for the keyring to fail under a running job.
type keyringFault struct {
	cause   string // what the status line gives as the cause
	inflict func(*privateKeyring, *testing.T)
	repair  func(*privateKeyring, *testing.T)
}

// TestFaultKeyringDaemonStopped stops the gnome-keyring daemon and its D-Bus
// under a running `ptsaml exec` job, then starts them again: see
// runKeyringFault.
func TestFaultKeyringDaemonStopped(t *testing.T) {
	t.Parallel()
	runKeyringFault(t, keyringFault{
		cause:   "keyring not reachable: dial unix ",
		inflict: (*privateKeyring).stop,
		repair:  (*privateKeyring).start,
	})
}

// TestFaultKeyringDaemonHung freezes the gnome-keyring daemon (SIGSTOP)
// under a running job, so that every keyring call waits for an answer that
// never comes, then lets it go on (SIGCONT): see runKeyringFault.
func TestFaultKeyringDaemonHung(t *testing.T) {
	t.Parallel()
	runKeyringFault(t, keyringFault{
		cause:   "keyring not reachable: no answer within " + keyringCallTimeout.String(),
		inflict: (*privateKeyring).freeze,
		repair:  (*privateKeyring).thaw,
	})
}

// runKeyringFault breaks a private keyring under a running `ptsaml exec`
// job that writes to the sandbox's S3: the job keeps being served the
// credentials it has, ptsaml says so in one line and neither crashes nor
// hangs, while `ptsaml credential-process` and `ptsaml login` fail within a
// few keyring timeouts with one line. Once the keyring is repaired, a new
// login reaches the job, the job ends with 0, and no S3 request of it failed.
func runKeyringFault(t *testing.T, fault keyringFault) {
	requireKeyringFaultParts(t)
	ptsaml := ptsamlBin.get(t)
	kr := startPrivateKeyring(t)
	h := newHome(t, kr.bus)
	// startRunSandbox passes --store file first: the last --store wins.
	sb := startRunSandbox(t, h, ptsaml, "--store", "keyring", "--short-credentials", "90s")
	if r := h.run(t, time.Minute, nil, ptsaml, "login", "--profile", "sandbox"); r.code != 0 {
		t.Fatalf("login: exit %d", r.code)
	}
	if n := keyringItems(t, h, "sandbox"); n == 0 {
		t.Fatal("the login left nothing in the private keyring")
	}
	if files := storeFiles(t, h.credentialsDir()); len(files) > 0 {
		t.Fatalf("the keyring profile wrote credential files: %v", files)
	}

	records := sb.collectS3(t)
	script := filepath.Join(t.TempDir(), "job.py")
	stopFile := filepath.Join(t.TempDir(), "stop")
	if err := os.WriteFile(script, []byte(keyringFaultJob), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"AWS_ENDPOINT_URL_S3=" + sb.s3, "STOP_FILE=" + stopFile}
	start := time.Now()
	job := h.start(t, env, ptsaml, "exec", "--profile", "sandbox", "--", systemPython, script)
	job.waitFor(t, 30*time.Second, "JOB ready")
	firstKey := latestS3Key(t, sb)

	fault.inflict(kr, t)
	down := time.Now()
	before := sandboxCounters(t, sb)
	// The job re-reads the store every 15 s (a sixth of 90 s credentials).
	job.waitFor(t, 40*time.Second, "ptsaml: cannot read the credential store ("+fault.cause,
		"the job keeps its current credentials, valid until")
	t.Logf("status line %s after the keyring stopped", time.Since(down).Round(time.Millisecond))

	for _, cmd := range [][]string{{"credential-process", "--profile", "sandbox"}, {"login", "--profile", "sandbox"}} {
		r := h.run(t, 4*keyringCallTimeout, nil, ptsaml, cmd...)
		checkFailsFast(t, cmd[0], r)
	}
	if st := sandboxCounters(t, sb); st.STSCalls != before.STSCalls {
		t.Errorf("login went to the IdP and STS (%d STS calls, were %d) although it cannot save the credentials",
			st.STSCalls, before.STSCalls)
	}
	// The job is served all along: S3 keeps accepting its requests.
	waitS3OK(t, sb, before.S3OK+10, 30*time.Second)
	select {
	case <-job.done:
		t.Fatalf("the job ended (code %d) while the keyring was down:\n%s", job.code, tail(job.out.String(), 30))
	default:
	}

	fault.repair(kr, t)
	up := time.Now()
	t.Logf("keyring down for %s", up.Sub(down).Round(time.Millisecond))
	if r := h.run(t, time.Minute, nil, ptsaml, "login", "--profile", "sandbox"); r.code != 0 {
		t.Fatalf("login after the keyring came back: exit %d", r.code)
	}
	job.waitFor(t, 40*time.Second, "ptsaml: the credential store is readable again", "ptsaml: picked up new credentials")
	t.Logf("new credentials picked up %s after the keyring came back", time.Since(up).Round(time.Millisecond))
	waitS3NewKey(t, sb, firstKey, 30*time.Second)

	if err := os.WriteFile(stopFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	code := job.wait(t, 30*time.Second)
	out := job.out.String()
	t.Logf("job: exit %d after %s\n%s", code, time.Since(start).Round(time.Millisecond), tail(out, 20))
	if code != 0 {
		t.Errorf("ptsaml exec: exit %d, want 0", code)
	}
	for _, line := range []string{"ptsaml: cannot read the credential store", "ptsaml: the credential store is readable again"} {
		if n := strings.Count(out, line); n != 1 {
			t.Errorf("%q printed %d times, want once", line, n)
		}
	}
	if n := strings.Count(out, "credential store"); n != 2 {
		t.Errorf("the job's output mentions the credential store %d times, want only its two status lines:\n%s", n, tail(out, 30))
	}
	for _, bad := range []string{"panic:", "goroutine ", "re-authentication", "expired at"} {
		if strings.Contains(out, bad) {
			t.Errorf("the job's output holds %q:\n%s", bad, tail(out, 30))
		}
	}
	sum := parseKeyringFaultSummary(t, out)
	t.Logf("job: %+v", sum)
	if sum.Failures != 0 || sum.AccessKeys < 2 {
		t.Errorf("job: %d of %d S3 calls failed (%v), %d access keys; want none failed and 2 keys",
			sum.Failures, sum.Calls, sum.Errors, sum.AccessKeys)
	}
	recs, total := records()
	checkS3Records(t, recs, total)
	duringOutage := 0
	for _, r := range recs {
		if r.Verdict == "ok" && r.Time.After(down) && r.Time.Before(up) {
			duringOutage++
		}
	}
	t.Logf("%d S3 requests accepted while the keyring was down", duringOutage)
	if duringOutage == 0 {
		t.Error("no S3 request of the job was accepted while the keyring was down")
	}
	if st := sandboxCounters(t, sb); st.S3Expired != 0 || st.S3Denied != 0 {
		t.Errorf("sandbox S3 refused %d requests with ExpiredToken and %d otherwise", st.S3Expired, st.S3Denied)
	}
}

// checkFailsFast checks a command run while the keyring is down: a non-zero
// exit, nothing on stdout, one error line that names the keyring, and an end
// within a few keyring call timeouts (h.run fails the test if it hangs).
func checkFailsFast(t *testing.T, name string, r result) {
	t.Helper()
	if r.code == 0 || r.stdout != "" {
		t.Errorf("%s with the keyring down: exit %d with %d bytes on stdout, want a failure and none",
			name, r.code, len(r.stdout))
	}
	var lines []string
	for line := range strings.Lines(r.stderr) {
		if line = strings.TrimSpace(line); line != "" {
			lines = append(lines, line)
		}
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "error: ") || !strings.Contains(lines[0], "keyring is not reachable") {
		t.Errorf("%s with the keyring down printed %q, want one error line saying the keyring is not reachable", name, lines)
	}
	if limit := 3 * keyringCallTimeout; r.took > limit {
		t.Errorf("%s with the keyring down took %s, want less than %s", name, r.took.Round(time.Millisecond), limit)
	}
}

// waitS3OK polls the sandbox until it has accepted n S3 requests.
func waitS3OK(t *testing.T, sb *runSandbox, n int64, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		st := sandboxCounters(t, sb)
		if st.S3OK >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sandbox accepted %d S3 requests within %s, want %d", st.S3OK, limit, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// latestS3Key is the access key of the newest S3 request the sandbox
// accepted.
func latestS3Key(t *testing.T, sb *runSandbox) string {
	t.Helper()
	var doc struct {
		Records []s3Record `json:"records"`
	}
	if err := getJSON(sb.url+"/stats/s3-requests", &doc); err != nil {
		t.Fatalf("sandbox S3 records: %v", err)
	}
	for i := len(doc.Records) - 1; i >= 0; i-- {
		if r := doc.Records[i]; r.Verdict == "ok" {
			return r.AccessKeyID
		}
	}
	t.Fatal("the sandbox accepted no S3 request yet")
	return ""
}

// waitS3NewKey polls until the sandbox accepts an S3 request signed with
// another access key than old: the job uses the new credentials.
func waitS3NewKey(t *testing.T, sb *runSandbox, old string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for latestS3Key(t, sb) == old {
		if time.Now().After(deadline) {
			t.Fatalf("no S3 request signed with new credentials within %s", limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func storeFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
