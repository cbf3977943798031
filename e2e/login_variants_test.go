package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLoginVariants logs in through Chromium with the file store and no
// session bus at all: a user with two roles picks one with --role, and a user
// without any role is refused with a reason and nothing cached.
func TestLoginVariants(t *testing.T) {
	tb := loadTestbed()
	tb.require(t, idp, moto, chromium)
	ptsaml := ptsamlBin.get(t)
	browser := chromeloginBin.get(t)

	tests := []struct {
		name      string
		user      string
		acsPort   int
		loginArgs []string
		wantRole  string // "" = the login must fail
		wantErr   string // in stderr when the login fails
	}{
		{name: "bob picks ReadOnlyRole", user: "bob", acsPort: 18182, loginArgs: []string{"--role", readOnlyRole}, wantRole: readOnlyRole},
		{name: "carol has no role", user: "carol", acsPort: 18183, wantErr: "no AWS role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHome(t, "")
			profile := "e2e-" + tt.user
			cfg := h.run(t, time.Minute, nil, ptsaml, "configure", "--profile", profile,
				"--idp-metadata-url", tb.IdPMetadataURL, "--sp-entity-id", spEntityID,
				"--acs-url", "http://127.0.0.1:"+strconv.Itoa(tt.acsPort)+"/saml/acs", "--recipients", "acs",
				"--region", "us-east-1", "--sts-endpoint", tb.STSURL, "--store", "file")
			if cfg.code != 0 {
				t.Fatalf("configure: exit %d", cfg.code)
			}
			args := append([]string{"login", "--profile", profile, "--browser-command", browser, "--timeout", "60s"}, tt.loginArgs...)
			login := h.run(t, 2*time.Minute,
				[]string{"PTSAML_E2E_USER=" + tt.user, "PTSAML_E2E_PASSWORD=" + tt.user + "-pass"}, ptsaml, args...)

			if tt.wantRole == "" {
				if login.code == 0 || !strings.Contains(login.stderr, tt.wantErr) {
					t.Errorf("login: exit %d, want a failure that says %q", login.code, tt.wantErr)
				}
				cp := h.run(t, 30*time.Second, nil, ptsaml, "credential-process", "--profile", profile)
				if cp.code != 4 {
					t.Errorf("credential-process after a refused login: exit %d, want 4 (nothing cached)", cp.code)
				}
				return
			}
			if login.code != 0 {
				t.Fatalf("login: exit %d", login.code)
			}
			st := h.run(t, 30*time.Second, nil, ptsaml, "status", "--profile", profile, "--output", "json")
			var v struct {
				RoleARN string `json:"role_arn"`
			}
			if err := json.Unmarshal([]byte(st.stdout), &v); err != nil || v.RoleARN != tt.wantRole {
				t.Errorf("status role_arn = %q (%v), want %q", v.RoleARN, err, tt.wantRole)
			}
			cp := h.run(t, 30*time.Second, nil, ptsaml, "credential-process", "--profile", profile)
			var creds struct{ SecretAccessKey string }
			if err := json.Unmarshal([]byte(cp.stdout), &creds); err != nil || creds.SecretAccessKey == "" {
				t.Fatalf("credential-process: exit %d, no credentials (%v)", cp.code, err)
			}
			files := h.filesContaining(t, creds.SecretAccessKey)
			if len(files) == 0 {
				t.Fatal("file store: no file holds the credentials")
			}
			for _, f := range files {
				checkMode(t, f, 0o600)
				checkMode(t, filepath.Dir(f), 0o700)
			}
		})
	}
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %o, want %o", path, got, want)
	}
}
