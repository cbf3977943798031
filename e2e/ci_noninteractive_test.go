package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/sandbox"
)

// TestCINonInteractive runs the built ptsaml as a CI job does: CI=true, no
// stdin, no terminal, no D-Bus session. A browser profile must fail at once
// with exit 4 and say what to configure, without starting any browser; OIDC
// profiles (a token file, and the GitHub Actions request flow) must sign in
// by themselves and keep the credentials in memory only.
func TestCINonInteractive(t *testing.T) {
	ptsaml := ptsamlBin.get(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := sandbox.Start(ctx, sandbox.Options{})
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	browserEnv, browsersStarted := noBrowsers(t)
	h := newHome(t, "")
	job := append(append([]string{}, ciVars...), browserEnv...)

	// A browser profile with the default store (the keyring, unreachable
	// without D-Bus) and one with the file store: neither can sign in here.
	for _, store := range []string{"", "file"} {
		profile := "people"
		if store != "" {
			profile += "-" + store
		}
		t.Run("browser profile "+profile+" needs a login", func(t *testing.T) {
			args := []string{"configure", "--profile", profile,
				"--idp-metadata-url", srv.MetadataURL(), "--sp-entity-id", sandbox.AWSAudience,
				"--acs-url", "http://127.0.0.1:18195/saml/acs", "--region", "us-east-1",
				"--sts-endpoint", srv.STSEndpoint(), "--role", sandbox.TrainRoleARN}
			if store != "" {
				args = append(args, "--store", store)
			}
			if r := h.run(t, time.Minute, nil, ptsaml, args...); r.code != 0 {
				t.Fatalf("configure: exit %d", r.code)
			}
			for _, cmd := range [][]string{
				{"login", "--profile", profile},
				{"credential-process", "--profile", profile},
				{"exec", "--profile", profile, "--", "true"},
			} {
				checkLoginRequired(t, h.run(t, 30*time.Second, job, ptsaml, cmd...), cmd[0])
			}
			if got := browsersStarted(); len(got) > 0 {
				t.Errorf("non-interactive commands started browsers: %v", got)
			}
			if srv.STSCalls() != 0 {
				t.Errorf("the sandbox STS saw %d calls from a profile that cannot sign in", srv.STSCalls())
			}
		})
	}

	tokenFile := filepath.Join(t.TempDir(), "job-token") // the CI runner's, outside the user's home
	token, err := srv.MintToken(sandbox.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, profile, source string
		env                   []string
	}{
		{name: "oidc token file", profile: "ci-file", source: "file:" + tokenFile},
		{name: "oidc github request flow", profile: "ci-github", source: "github",
			env: []string{"ACTIONS_ID_TOKEN_REQUEST_URL=" + srv.OIDCRequestURL(),
				"ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + srv.OIDCRequestToken()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := h.run(t, time.Minute, nil, ptsaml, "configure", "--profile", tt.profile, "--auth", "oidc",
				"--oidc-token", tt.source, "--region", "us-east-1", "--sts-endpoint", srv.STSEndpoint(),
				"--role", sandbox.TrainRoleARN); r.code != 0 {
				t.Fatalf("configure: exit %d", r.code)
			}
			env := append(append([]string{}, job...), tt.env...)
			before := srv.WebIdentityCalls()
			if r := h.run(t, time.Minute, env, ptsaml, "login", "--profile", tt.profile); r.code != 0 {
				t.Fatalf("login: exit %d", r.code)
			}
			cp := h.runQuietEnv(t, env, ptsaml, "credential-process", "--profile", tt.profile)
			t.Logf("credential-process: exit %d\n%s", cp.code, indent(cp.stderr))
			creds := parseProcessCreds(t, cp)
			if arn := callerARN(t, srv.STSEndpoint(), creds); !strings.Contains(arn, ":assumed-role/TrainRole/gh-ptsaml-ptsaml-") {
				t.Errorf("caller identity %q, want TrainRole with a session named after the GitHub run", arn)
			}
			if n := srv.WebIdentityCalls() - before; n < 1 {
				t.Errorf("%d AssumeRoleWithWebIdentity calls, want at least one", n)
			}
			if srv.STSCalls() != 0 {
				t.Errorf("%d AssumeRoleWithSAML calls for an OIDC profile", srv.STSCalls())
			}
			ex := h.run(t, time.Minute, env, ptsaml, "exec", "--profile", tt.profile, "--",
				"sh", "-c", `test -n "$AWS_ACCESS_KEY_ID$AWS_CONTAINER_CREDENTIALS_FULL_URI"`)
			if ex.code != 0 {
				t.Errorf("exec: exit %d, want 0 with credentials for the command", ex.code)
			}
			noCredentialsOnDisk(t, h, creds.SecretAccessKey, creds.SessionToken, token)
			if got := browsersStarted(); len(got) > 0 {
				t.Errorf("an OIDC profile started browsers: %v", got)
			}
		})
	}
}

// checkLoginRequired asserts that a command gave up with exit 4 (a hang
// would hit the runner's time limit instead), one error line and a hint at
// what to configure for CI.
func checkLoginRequired(t *testing.T, r result, name string) {
	t.Helper()
	errs := errorLines(r.stderr)
	switch {
	case r.code != 4:
		t.Errorf("%s: exit %d, want 4 (login required)", name, r.code)
	case r.stdout != "":
		t.Errorf("%s: %d bytes on stdout, want none", name, len(r.stdout))
	case len(errs) != 1:
		t.Errorf("%s: %d error lines, want one:\n%s", name, len(errs), r.stderr)
	}
	if !mentionsCIConfig(r.stderr) {
		t.Errorf("%s: stderr does not say what to configure for CI (auth: ecp|oidc, non-interactive):\n%s", name, r.stderr)
	}
}

// mentionsCIConfig reports whether a login-required message points a CI user
// at what to configure.
func mentionsCIConfig(stderr string) bool {
	s := strings.ToLower(stderr)
	return strings.Contains(s, "auth: ecp") || strings.Contains(s, "auth: oidc") || strings.Contains(s, "docs/ci.md") ||
		strings.Contains(s, "non-interactive")
}
