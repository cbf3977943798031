package integration_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/sandbox"
)

type statusJSON struct {
	Profile          string    `json:"profile"`
	LoggedIn         bool      `json:"logged_in"`
	Store            string    `json:"store"`
	NameID           string    `json:"name_id"`
	RoleARN          string    `json:"role_arn"`
	Account          string    `json:"account"`
	Expiration       time.Time `json:"expiration"`
	ExpiresInSeconds int64     `json:"expires_in_seconds"`
}

type credProcessJSON struct {
	Version         int
	AccessKeyId     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

const trainRole = "arn:aws:iam::123456789012:role/TrainRole"

func TestLoginStatusCredentialProcessLogout(t *testing.T) {
	e := newEnv(t, sandbox.Options{})

	r := e.run("login", "--profile", "sandbox")
	if r.code != 0 {
		t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
	if e.sandbox.STSCalls() != 1 {
		t.Fatalf("STS calls after login = %d, want 1", e.sandbox.STSCalls())
	}

	r = e.run("status", "--output", "json")
	if r.code != 0 {
		t.Fatalf("status: exit %d\n%s", r.code, r.stderr)
	}
	var st statusJSON
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status json: %v\n%s", err, r.stdout)
	}
	if !st.LoggedIn || st.RoleARN != trainRole || st.Account != "123456789012" || st.Store != "file" || st.NameID == "" {
		t.Fatalf("status = %+v", st)
	}
	if st.ExpiresInSeconds < 3000 || st.ExpiresInSeconds > 3600 {
		t.Fatalf("expires in %d s, want about one hour", st.ExpiresInSeconds)
	}

	r = e.run("credential-process")
	if r.code != 0 {
		t.Fatalf("credential-process: exit %d\n%s", r.code, r.stderr)
	}
	var cp credProcessJSON
	if err := json.Unmarshal([]byte(r.stdout), &cp); err != nil {
		t.Fatalf("credential-process json: %v\n%s", err, r.stdout)
	}
	if cp.Version != 1 || !strings.HasPrefix(cp.AccessKeyId, "ASIA") || cp.SecretAccessKey == "" || cp.SessionToken == "" || !cp.Expiration.Equal(st.Expiration) {
		t.Fatalf("credential-process = %+v", cp)
	}
	if e.sandbox.STSCalls() != 1 {
		t.Fatalf("a fresh cache must not call STS; calls = %d", e.sandbox.STSCalls())
	}
	if strings.Contains(r.stderr, cp.SecretAccessKey) {
		t.Fatal("secret access key on stderr")
	}

	r = e.run("env", "--shell", "fish")
	if r.code != 0 || !strings.Contains(r.stdout, "set -gx AWS_ACCESS_KEY_ID '"+cp.AccessKeyId+"';") {
		t.Fatalf("env fish: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = e.run("env", "--shell", "powershell")
	if r.code != 0 || !strings.Contains(r.stdout, "$Env:AWS_SESSION_TOKEN = '") {
		t.Fatalf("env powershell: exit %d\n%s", r.code, r.stdout)
	}

	r = e.run("roles", "--output", "json")
	if r.code != 0 || !strings.Contains(r.stdout, trainRole) {
		t.Fatalf("roles: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = e.run("logout")
	if r.code != 0 {
		t.Fatalf("logout: exit %d\n%s", r.code, r.stderr)
	}
	r = e.run("status")
	if r.code != 4 || !strings.Contains(r.stdout, "not logged in") {
		t.Fatalf("status after logout: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestCredentialProcessWithoutWayToSignIn(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	e.browserOff()
	r := e.run("credential-process")
	if r.code != 4 {
		t.Fatalf("exit %d, want 4\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "error: login required") || !strings.Contains(lines[0], "ptsaml login --profile sandbox") {
		t.Fatalf("stderr = %q", r.stderr)
	}
	if r.stdout != "" {
		t.Fatalf("stdout = %q, want nothing", r.stdout)
	}
	if e.sandbox.STSCalls() != 0 {
		t.Fatalf("STS calls = %d", e.sandbox.STSCalls())
	}
}

func TestParallelCredentialProcessOnStaleCacheCallsSTSOnce(t *testing.T) {
	e := newEnv(t, sandbox.Options{CredentialTTL: 60 * time.Second})
	if r := e.run("login"); r.code != 0 {
		t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
	// 60 s credentials are stale once less than half their life is left.
	e.clock.Advance(45 * time.Second)
	before := e.sandbox.STSCalls()

	const n = 32
	var wg sync.WaitGroup
	results := make([]result, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.run("credential-process")
		}()
	}
	wg.Wait()
	keys := map[string]bool{}
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("caller %d: exit %d\n%s", i, r.code, r.stderr)
		}
		var cp credProcessJSON
		if err := json.Unmarshal([]byte(r.stdout), &cp); err != nil {
			t.Fatalf("caller %d: %v", i, err)
		}
		keys[cp.AccessKeyId] = true
	}
	if got := e.sandbox.STSCalls() - before; got != 1 {
		t.Fatalf("STS calls for %d parallel callers = %d, want 1", n, got)
	}
	if len(keys) != 1 {
		t.Fatalf("callers got %d different keys, want 1", len(keys))
	}
}
