package ciauth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// env is a getenv over a fixed map.
func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestEnvVar(t *testing.T) {
	vars := map[string]string{"GITLAB_OIDC_TOKEN": "  " + jobToken + "\n"}
	src := EnvVar("GITLAB_OIDC_TOKEN", env(vars))
	tok, err := src.Token(context.Background())
	if err != nil || tok != jobToken {
		t.Fatalf("Token = %q, %v; want the variable's token", tok, err)
	}
	vars["GITLAB_OIDC_TOKEN"] = "second"
	if tok, _ := src.Token(context.Background()); tok != "second" {
		t.Errorf("Token = %q, want the variable read again", tok)
	}
	if s := fmt.Sprint(src); s != "environment variable GITLAB_OIDC_TOKEN" {
		t.Errorf("String() = %q", s)
	}
	_, err = EnvVar("MISSING_TOKEN", env(vars)).Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "environment variable MISSING_TOKEN is not set") ||
		!strings.Contains(err.Error(), "id_tokens") || !errors.Is(err, ErrNoToken) {
		t.Errorf("error = %v, want one naming MISSING_TOKEN and wrapping ErrNoToken", err)
	}
}

func TestEnvVarDefaultsToProcessEnvironment(t *testing.T) {
	t.Setenv("PTSAML_TEST_OIDC_TOKEN", jobToken)
	if tok, err := EnvVar("PTSAML_TEST_OIDC_TOKEN", nil).Token(context.Background()); err != nil || tok != jobToken {
		t.Errorf("Token = %q, %v", tok, err)
	}
}

func TestFileReReadEveryCall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	src := File(path)
	for i, content := range []string{jobToken + "\n", "rotated.by.kubelet"} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		tok, err := src.Token(context.Background())
		if err != nil || tok != strings.TrimSpace(content) {
			t.Errorf("call %d: Token = %q, %v; want %q", i, tok, err, strings.TrimSpace(content))
		}
	}
}

func TestFileErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(empty, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, make([]byte, maxTokenFile+1), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, want string }{
		{filepath.Join(dir, "missing"), "no such file"},
		{empty, "the file is empty"},
		{big, "not a token"},
	}
	for _, tt := range tests {
		_, err := File(tt.path).Token(context.Background())
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.path) {
			t.Errorf("File(%s): error = %v, want %q and the path", tt.path, err, tt.want)
		}
	}
}

func TestFromSetting(t *testing.T) {
	gh := map[string]string{EnvGitHubRequestURL: "https://pipelines.example/idtoken?api-version=2.0", EnvGitHubRequestToken: requestToken}
	ghAndFile := map[string]string{EnvGitHubRequestURL: gh[EnvGitHubRequestURL], EnvGitHubRequestToken: requestToken, EnvTokenFile: "/var/run/token"}
	tests := []struct {
		name, setting string
		env           map[string]string
		audience      string
		want          string // String() of the source; "" = error
		wantErr       string
		wantNoToken   bool
	}{
		{name: "github", setting: "github", env: gh, want: "GitHub Actions job token (audience sts.amazonaws.com)"},
		{name: "github custom audience", setting: "GitHub", env: gh, audience: "api://ptsaml", want: "GitHub Actions job token (audience api://ptsaml)"},
		{name: "github outside Actions", setting: "github", env: nil, wantErr: "ACTIONS_ID_TOKEN_REQUEST_URL is not set: the workflow (or job) needs `permissions: id-token: write`", wantNoToken: true},
		{name: "github without request token", setting: "github", env: map[string]string{EnvGitHubRequestURL: "https://x/"}, wantErr: "ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set", wantNoToken: true},
		{name: "github with argument", setting: "github:x", env: gh, wantErr: "github takes no argument"},
		{name: "gitlab", setting: "gitlab:GITLAB_OIDC_TOKEN", want: "environment variable GITLAB_OIDC_TOKEN"},
		{name: "gitlab without name", setting: "gitlab", wantErr: "write gitlab:VARNAME"},
		{name: "gitlab bad name", setting: "gitlab:MY-TOKEN", wantErr: "write gitlab:VARNAME"},
		{name: "file", setting: "file:/var/run/secrets/eks.amazonaws.com/serviceaccount/token", want: "token file /var/run/secrets/eks.amazonaws.com/serviceaccount/token"},
		{name: "file with colon in path", setting: " file:C:/tokens/ci:1 ", want: "token file C:/tokens/ci:1"},
		{name: "file without path", setting: "file:", wantErr: "write file:/path/to/token"},
		{name: "unknown", setting: "env:TOKEN", wantErr: "unknown token source, want github | gitlab:VARNAME | file:/path"},
		{name: "colon only", setting: ":x", wantErr: "unknown token source"},
		{name: "auto github", setting: "", env: gh, want: "GitHub Actions job token (audience sts.amazonaws.com)"},
		{name: "auto prefers github over a token file", setting: "", env: ghAndFile, want: "GitHub Actions job token (audience sts.amazonaws.com)"},
		{name: "auto token file", setting: "  ", env: map[string]string{EnvTokenFile: "/var/run/token"}, want: "token file /var/run/token"},
		{name: "auto github incomplete", setting: "", env: map[string]string{EnvGitHubRequestURL: "https://x/", EnvTokenFile: "/t"}, wantErr: "ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set", wantNoToken: true},
		{name: "auto nothing", setting: "", env: map[string]string{}, wantErr: "no web identity token source found: set oidc_token (github | gitlab:VARNAME | file:/path), or in GitHub Actions give the workflow `permissions: id-token: write`, or set AWS_WEB_IDENTITY_TOKEN_FILE", wantNoToken: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := FromSetting(tt.setting, env(tt.env), nil, tt.audience)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("FromSetting(%q) = %v, %v; want error %q", tt.setting, src, err, tt.wantErr)
				}
				if errors.Is(err, ErrNoToken) != tt.wantNoToken {
					t.Errorf("errors.Is(err, ErrNoToken) = %v, want %v", !tt.wantNoToken, tt.wantNoToken)
				}
				return
			}
			if err != nil {
				t.Fatalf("FromSetting(%q): %v", tt.setting, err)
			}
			if got := fmt.Sprint(src); got != tt.want {
				t.Errorf("source = %q, want %q", got, tt.want)
			}
		})
	}
}

// The github setting wires the environment's URL and request token into a
// working request flow.
func TestFromSettingGitHubEndToEnd(t *testing.T) {
	f := newFakeGitHub(t, 200, `{"value":"`+jobToken+`"}`)
	vars := map[string]string{EnvGitHubRequestURL: f.srv.URL + "/idtoken?api-version=2.0", EnvGitHubRequestToken: requestToken}
	src, err := FromSetting("", env(vars), f.srv.Client(), "")
	if err != nil {
		t.Fatalf("FromSetting: %v", err)
	}
	if tok, err := src.Token(context.Background()); err != nil || tok != jobToken {
		t.Fatalf("Token = %q, %v", tok, err)
	}
	r := f.requests()[0]
	if r.URL.Query().Get("audience") != DefaultAudience || r.Header.Get("Authorization") != "bearer "+requestToken {
		t.Errorf("request ?%s Authorization %q", r.URL.RawQuery, r.Header.Get("Authorization"))
	}
}
