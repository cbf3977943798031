package integration_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/sandbox"
)

func TestExecServesCredentialsToTheJob(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	if r := e.run("login"); r.code != 0 {
		t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
	out := filepath.Join(e.dir, "job-env")
	// The job's environment starts from ptsaml's; static keys must not reach it.
	e.environ = []string{"PATH=" + os.Getenv("PATH"), "AWS_ACCESS_KEY_ID=AKIASTATIC", "AWS_PROFILE=other", "KEEP=me"}
	r := e.run("exec", "--", "sh", "-c", `env > "$0"; exit 3`, out)
	if r.code != 3 {
		t.Fatalf("exit %d, want the job's 3\n%s", r.code, r.stderr)
	}
	env := readFile(t, out)
	for _, want := range []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:", "AWS_CONTAINER_AUTHORIZATION_TOKEN=", "AWS_REGION=us-east-1", "KEEP=me"} {
		if !strings.Contains(env, want) {
			t.Errorf("job environment lacks %q", want)
		}
	}
	for _, gone := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE"} {
		if strings.Contains(env, gone+"=") {
			t.Errorf("job environment still has %s", gone)
		}
	}
	if !strings.Contains(r.stderr, "removed AWS_ACCESS_KEY_ID, AWS_PROFILE") || !strings.Contains(r.stderr, "alice as TrainRole") {
		t.Errorf("stderr lacks the cleaning note or the start line:\n%s", r.stderr)
	}
	if ev := auditEvents(t, e); ev["job.start"] != 1 || ev["job.end"] != 1 {
		t.Errorf("audit events %v, want one job.start and one job.end", ev)
	}
}

func TestExecEndpointAnswersTheJobsToken(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	if r := e.run("login"); r.code != 0 {
		t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
	out := filepath.Join(e.dir, "endpoint")
	e.environ = []string{"PATH=" + os.Getenv("PATH")}
	done := make(chan result, 1)
	go func() {
		// The job writes where its endpoint is, then waits for the test to call it.
		done <- e.run("exec", "--", "sh", "-c",
			`printf '%s\n%s\n' "$AWS_CONTAINER_CREDENTIALS_FULL_URI" "$AWS_CONTAINER_AUTHORIZATION_TOKEN" > "$0.tmp" && mv "$0.tmp" "$0"; sleep 3`, out)
	}()
	var lines []string
	for deadline := time.Now().Add(20 * time.Second); len(lines) < 2; time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(out); err == nil {
			lines = strings.Fields(string(b))
		}
		if time.Now().After(deadline) {
			t.Fatal("the job never wrote its endpoint")
		}
	}
	get := func(token string) (*http.Response, error) {
		req, _ := http.NewRequest(http.MethodGet, lines[0], nil)
		if token != "" {
			req.Header.Set("Authorization", token)
		}
		return http.DefaultClient.Do(req)
	}
	resp, err := get(lines[1])
	if err != nil {
		t.Fatal(err)
	}
	var creds struct{ AccessKeyId, SecretAccessKey, Token, Expiration string }
	err = json.NewDecoder(resp.Body).Decode(&creds)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(creds.AccessKeyId, "ASIA") || creds.Token == "" {
		t.Fatalf("endpoint answered %d %+v (%v)", resp.StatusCode, creds.AccessKeyId, err)
	}
	if resp, err := get("wrong-token"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a wrong token got %v %v, want 401", resp.StatusCode, err)
	}
	if r := <-done; r.code != 0 {
		t.Fatalf("exec: exit %d\n%s", r.code, r.stderr)
	}
}

func TestExecWithoutCredentialsNeedsLogin(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	e.browserOff()
	r := e.run("exec", "--", "true")
	if r.code != 4 || !strings.Contains(r.stderr, "ptsaml login --profile sandbox") {
		t.Fatalf("exit %d, want 4 with the login command\n%s", r.code, r.stderr)
	}
}
