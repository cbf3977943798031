package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestRunSandboxShortCredentials trains for five minutes with `ptsaml run`
// (two DDP ranks, DataLoader workers reading S3) on sandbox credentials that
// last 60 s, while `ptsaml login` runs every 40 s in another process. No S3
// call may fail, and the sandbox must have accepted only requests signed with
// credentials valid at that moment, from more than one access key.
func TestRunSandboxShortCredentials(t *testing.T) {
	requireLong(t)
	requireTorch(t)
	t.Parallel()
	ptsaml := ptsamlBin.get(t)
	h := newHome(t, "")
	sb := startRunSandbox(t, h, ptsaml, "--short-credentials", "60s")
	if r := h.run(t, time.Minute, nil, ptsaml, "login", "--profile", "sandbox"); r.code != 0 {
		t.Fatalf("login: exit %d", r.code)
	}
	stopLogins := reloginEvery(t, 40*time.Second, func() int { return h.loginQuiet(t, nil, ptsaml, "--profile", "sandbox") })
	records := sb.collectS3(t)

	out := trainWithRun(t, h, ptsaml, "sandbox", []string{"AWS_ENDPOINT_URL_S3=" + sb.s3}, 300*time.Second)
	logins := stopLogins()
	recs, total := records()

	checkTrained(t, out, 2)
	for i, c := range logins {
		if c != 0 {
			t.Errorf("re-login %d: exit %d", i+1, c)
		}
	}
	var st struct {
		S3Requests int64 `json:"s3_requests"`
		S3OK       int64 `json:"s3_ok"`
		S3Expired  int64 `json:"s3_expired"`
		S3Denied   int64 `json:"s3_denied"`
	}
	if err := getJSON(sb.url+"/stats", &st); err != nil {
		t.Fatalf("sandbox stats: %v", err)
	}
	t.Logf("sandbox S3: %+v; %d re-logins", st, len(logins))
	if st.S3Expired != 0 || st.S3Denied != 0 || st.S3OK == 0 {
		t.Errorf("sandbox S3 refused %d requests with ExpiredToken and %d otherwise (%d accepted), want 0 and 0",
			st.S3Expired, st.S3Denied, st.S3OK)
	}
	checkS3Records(t, recs, total)
}

// runSandbox is a `ptsaml sandbox` process.
type runSandbox struct {
	url, s3 string
}

var s3Endpoint = regexp.MustCompile(`(?:\bs3=|S3 endpoint:\s*)(http://\S+)`)

// startRunSandbox starts `ptsaml sandbox` with headless sign-in and the file
// store for the user, and waits until its "sandbox" profile is written.
func startRunSandbox(t *testing.T, h *home, ptsaml string, extra ...string) *runSandbox {
	t.Helper()
	addr, acs := freeAddr(t), freeAddr(t)
	p := h.start(t, nil, ptsaml, append([]string{"sandbox", "--addr", addr, "--acs-url", "http://" + acs + "/saml/acs",
		"--headless", "--store", "file"}, extra...)...)
	p.waitFor(t, 20*time.Second, "Wrote profile", addr)
	sb := &runSandbox{url: "http://" + addr, s3: "http://" + addr + "/s3"}
	if m := s3Endpoint.FindStringSubmatch(p.out.String()); m != nil {
		sb.s3 = m[1]
	}
	if err := httpOK(sb.url + "/stats"); err != nil {
		t.Fatalf("sandbox stats: %v", err)
	}
	return sb
}

// s3Record is one entry of the sandbox's /stats/s3-requests.
type s3Record struct {
	Time                 time.Time `json:"time"`
	AccessKeyID          string    `json:"access_key_id"`
	CredentialExpiration time.Time `json:"credential_expiration"`
	Verdict              string    `json:"verdict"`
	Code                 string    `json:"code"`
}

// collectS3 reads the sandbox's S3 request records every 2 s (it keeps only
// the latest ones) until the returned function is called; that returns every
// record seen by its index, and how many requests the sandbox recorded.
func (sb *runSandbox) collectS3(t *testing.T) func() (map[int64]s3Record, int64) {
	var mu sync.Mutex
	recs, total := map[int64]s3Record{}, int64(0)
	var lastErr error
	poll := func() {
		var doc struct {
			Total   int64      `json:"total"`
			Records []s3Record `json:"records"`
		}
		if err := getJSON(sb.url+"/stats/s3-requests", &doc); err != nil {
			lastErr = err
			return
		}
		mu.Lock()
		defer mu.Unlock()
		first := doc.Total - int64(len(doc.Records))
		for i, r := range doc.Records {
			recs[first+int64(i)] = r
		}
		total = doc.Total
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				poll()
				return
			case <-tick.C:
				poll()
			}
		}
	}()
	return func() (map[int64]s3Record, int64) {
		close(stop)
		<-done
		if lastErr != nil {
			t.Errorf("reading %s/stats/s3-requests: %v", sb.url, lastErr)
		}
		mu.Lock()
		defer mu.Unlock()
		return recs, total
	}
}

func getJSON(url string, v any) error {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// trainWithRun uploads the dataset and trains for d with `ptsaml run` and two
// ranks; it fails the test when the job does not exit 0 and returns its output.
func trainWithRun(t *testing.T, h *home, ptsaml, profile string, env []string, d time.Duration) string {
	t.Helper()
	env = append(env, "GLOO_SOCKET_IFNAME=lo")
	script := trainScript(t)
	prefix := "e2e-" + profile + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	mk := h.run(t, 3*time.Minute, env, ptsaml, "run", "--profile", profile, "--python", systemPython,
		script, "--make-dataset", "--prefix", prefix)
	if mk.code != 0 {
		t.Fatalf("uploading the dataset: exit %d\n%s", mk.code, tail(mk.stdout, 20))
	}
	args := append([]string{"run", "--profile", profile, "--python", systemPython, "--nproc-per-node", "2",
		"--master-addr", "127.0.0.1", "--master-port", freePort(t)}, torchrunArgs...)
	args = append(args, script, "--prefix", prefix, "--duration", strconv.Itoa(int(d.Seconds())),
		"--checkpoint-every", "30", "--step-time", "0.05")
	start := time.Now()
	job := h.start(t, env, ptsaml, args...)
	code := job.wait(t, d+3*time.Minute)
	out := job.out.String()
	t.Logf("job: exit %d after %s\n%s", code, time.Since(start).Round(time.Second), tail(out, 40))
	if code != 0 {
		t.Errorf("ptsaml run: exit %d, want 0", code)
	}
	return out
}
