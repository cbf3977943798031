package integration_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ptsaml/ptsaml/internal/sandbox"
)

// ciEnv is a CI job: CI=true, no terminal, an OIDC profile "ci".
func ciEnv(t *testing.T, tokenSetting string, extra ...string) *env {
	t.Helper()
	e := newEnv(t, sandbox.Options{})
	e.browserOff()
	e.vars["CI"] = "true"
	args := append([]string{"configure", "--profile", "ci", "--auth", "oidc", "--oidc-token", tokenSetting,
		"--sts-endpoint", e.sandbox.STSEndpoint(), "--role", trainRole}, extra...)
	if r := e.run(args...); r.code != 0 {
		t.Fatalf("configure: exit %d\n%s", r.code, r.stderr)
	}
	return e
}

func writeToken(t *testing.T, e *env, o sandbox.TokenOptions) string {
	t.Helper()
	tok, err := e.sandbox.MintToken(o)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.dir, "job-token")
	if err := os.WriteFile(path, []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOIDCTokenFileLogin(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	path := writeToken(t, e, sandbox.TokenOptions{})
	e.browserOff()
	e.vars["CI"] = "true"
	if r := e.run("configure", "--profile", "ci", "--auth", "oidc", "--oidc-token", "file:"+path,
		"--sts-endpoint", e.sandbox.STSEndpoint(), "--role", trainRole, "--store", "file"); r.code != 0 {
		t.Fatalf("configure: exit %d\n%s", r.code, r.stderr)
	}
	r := e.run("login", "--profile", "ci")
	if r.code != 0 {
		t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
	st := e.run("status", "--profile", "ci", "--output", "json")
	var v statusJSON
	if err := json.Unmarshal([]byte(st.stdout), &v); err != nil || !v.LoggedIn || v.RoleARN != trainRole {
		t.Fatalf("status after an OIDC login: %s (%v)", st.stdout, err)
	}
	if e.sandbox.WebIdentityCalls() != 1 || e.sandbox.STSCalls() != 0 {
		t.Fatalf("web identity calls %d, SAML calls %d; want 1 and 0", e.sandbox.WebIdentityCalls(), e.sandbox.STSCalls())
	}
	audit := readFile(t, e.statePath("audit.log"))
	for _, want := range []string{`"role_session_name":"gh-ptsaml-ptsaml-4242424242-1"`, `"repository":"ptsaml/ptsaml"`, `"workflow":"train"`} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit lacks %s:\n%s", want, audit)
		}
	}
	tok, _ := os.ReadFile(path)
	if strings.Contains(audit+r.stderr, string(tok)) {
		t.Fatal("the job token reached the audit log or stderr")
	}
}

func TestOIDCGitHubRequestFlowInCI(t *testing.T) {
	e := ciEnv(t, "github")
	e.vars["ACTIONS_ID_TOKEN_REQUEST_URL"] = e.sandbox.OIDCRequestURL()
	e.vars["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = e.sandbox.OIDCRequestToken()
	r := e.run("credential-process", "--profile", "ci")
	if r.code != 0 {
		t.Fatalf("credential-process: exit %d\n%s", r.code, r.stderr)
	}
	var cp credProcessJSON
	if err := json.Unmarshal([]byte(r.stdout), &cp); err != nil || !strings.HasPrefix(cp.AccessKeyId, "ASIA") {
		t.Fatalf("credential-process output %q (%v)", r.stdout, err)
	}
	// CI: memory store by default, nothing on disk.
	if fileExists(e.statePath("credentials")) {
		t.Fatal("an OIDC profile in CI wrote credentials to disk without being told to")
	}
}

func TestOIDCRefusals(t *testing.T) {
	tests := []struct {
		name  string
		token sandbox.TokenOptions
		want  []string
	}{
		{"wrong audience", sandbox.TokenOptions{Audience: "https://github.com/someone"}, []string{"InvalidIdentityToken", "aud"}},
		{"expired", sandbox.TokenOptions{Expired: true}, []string{"ExpiredTokenException", "fresh"}},
		{"signed by another key", sandbox.TokenOptions{ForeignKey: true}, []string{"InvalidIdentityToken", "signature"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			path := writeToken(t, e, tc.token)
			e.browserOff()
			e.vars["CI"] = "true"
			if r := e.run("configure", "--profile", "ci", "--auth", "oidc", "--oidc-token", "file:"+path,
				"--sts-endpoint", e.sandbox.STSEndpoint(), "--role", trainRole); r.code != 0 {
				t.Fatalf("configure: exit %d\n%s", r.code, r.stderr)
			}
			r := e.run("login", "--profile", "ci")
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
}

func TestNonInteractiveBrowserProfileNeedsLogin(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	e.browserOff()
	e.vars["CI"] = "true"
	// A hang would end in the harness's time limit as "cancelled" (exit 2).
	r := e.run("login")
	if r.code != 4 || !strings.Contains(r.stderr, "non-interactive") || !strings.Contains(r.stderr, "auth: oidc or auth: ecp") {
		t.Fatalf("exit %d, want 4 saying what to configure\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "Waiting for the IdP") {
		t.Fatal("a login started in non-interactive mode")
	}
}
