package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoginChromiumKeyringAWSCLI drives the whole user path with real parts:
// configure, a browser login at SimpleSAMLphp through headless Chromium,
// AssumeRoleWithSAML at moto, credentials in gnome-keyring, the AWS CLI using
// them through credential_process, and logout.
func TestLoginChromiumKeyringAWSCLI(t *testing.T) {
	tb := loadTestbed()
	tb.require(t, idp, moto, chromium, keyring, awscli)
	ptsaml := ptsamlBin.get(t)
	browser := chromeloginBin.get(t)
	h := newHome(t, tb.DBusAddress)
	clearKeyring(t, h)
	const password = "alice-pass"

	configure := h.run(t, time.Minute, nil, ptsaml, "configure", "--profile", "e2e",
		"--idp-metadata-url", tb.IdPMetadataURL,
		"--sp-entity-id", spEntityID,
		"--acs-url", "http://127.0.0.1:18181/saml/acs",
		"--recipients", "acs",
		"--region", "us-east-1",
		"--sts-endpoint", tb.STSURL,
		"--role", trainRole,
		"--store", "keyring")
	if configure.code != 0 {
		t.Fatalf("configure: exit %d", configure.code)
	}

	login := h.run(t, 2*time.Minute, []string{"PTSAML_E2E_USER=alice", "PTSAML_E2E_PASSWORD=" + password},
		ptsaml, "login", "--profile", "e2e", "--browser-command", browser, "--timeout", "90s")
	if login.code != 0 {
		t.Fatalf("login: exit %d", login.code)
	}
	if strings.Contains(login.stdout+login.stderr, password) {
		t.Error("login output contains the IdP password")
	}

	t.Run("status shows role and expiry", func(t *testing.T) {
		st := h.run(t, 30*time.Second, nil, ptsaml, "status", "--profile", "e2e", "--output", "json")
		if st.code != 0 {
			t.Fatalf("status: exit %d", st.code)
		}
		var v struct {
			RoleARN    string    `json:"role_arn"`
			Expiration time.Time `json:"expiration"`
		}
		if err := json.Unmarshal([]byte(st.stdout), &v); err != nil {
			t.Fatalf("status --output json is not JSON: %v\n%s", err, st.stdout)
		}
		if v.RoleARN != trainRole {
			t.Errorf("status role_arn = %q, want %q (stdout %s)", v.RoleARN, trainRole, st.stdout)
		}
		if left := time.Until(v.Expiration); left < 10*time.Minute || left > 12*time.Hour {
			t.Errorf("status expiration %s is %s from now, want 10m..12h", v.Expiration, left.Round(time.Second))
		}
	})

	t.Run("credentials only in the keyring", func(t *testing.T) {
		var creds struct {
			Version                                   int
			AccessKeyID                               string `json:"AccessKeyId"`
			SecretAccessKey, SessionToken, Expiration string
		}
		if n := keyringItems(t, h, "e2e"); n == 0 {
			t.Error("the keyring holds no ptsaml item for profile e2e after login")
		}
		cp := h.run(t, 30*time.Second, nil, ptsaml, "credential-process", "--profile", "e2e")
		if cp.code != 0 {
			t.Fatalf("credential-process: exit %d", cp.code)
		}
		if err := json.Unmarshal([]byte(cp.stdout), &creds); err != nil {
			t.Fatalf("credential-process output is not JSON: %v", err)
		}
		if creds.Version != 1 || creds.AccessKeyID == "" || creds.SecretAccessKey == "" || creds.SessionToken == "" || creds.Expiration == "" {
			t.Fatalf("credential-process output lacks a field (Version %d, AccessKeyId %q)", creds.Version, creds.AccessKeyID)
		}
		if files := h.filesContaining(t, creds.SecretAccessKey, creds.SessionToken); len(files) > 0 {
			t.Errorf("credentials written to disk with the keyring store: %v", files)
		}
	})

	t.Run("aws cli through credential_process", func(t *testing.T) {
		config := "[profile e2e]\ncredential_process = " + ptsaml + " credential-process --profile e2e\nregion = us-east-1\n"
		if err := os.WriteFile(filepath.Join(h.dir, ".aws", "config"), []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
		id := h.run(t, time.Minute, nil, awsCLI, "--profile", "e2e", "--endpoint-url", tb.STSURL,
			"sts", "get-caller-identity", "--output", "json")
		if id.code != 0 {
			t.Fatalf("aws sts get-caller-identity: exit %d", id.code)
		}
		var who struct{ Arn, Account string }
		if err := json.Unmarshal([]byte(id.stdout), &who); err != nil {
			t.Fatalf("get-caller-identity output: %v\n%s", err, id.stdout)
		}
		if !strings.Contains(who.Arn, "assumed-role/TrainRole/") || who.Account != account {
			t.Errorf("caller identity = %+v, want an assumed-role/TrainRole ARN in %s", who, account)
		}

		body := filepath.Join(h.root, "checkpoint.txt")
		if err := os.WriteFile(body, []byte("epoch 1\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		put := h.run(t, time.Minute, nil, awsCLI, "--profile", "e2e", "--endpoint-url", tb.STSURL,
			"s3", "cp", body, "s3://ptsaml-data/e2e/checkpoint.txt")
		get := h.run(t, time.Minute, nil, awsCLI, "--profile", "e2e", "--endpoint-url", tb.STSURL,
			"s3", "cp", "s3://ptsaml-data/e2e/checkpoint.txt", "-")
		if put.code != 0 || get.code != 0 || get.stdout != "epoch 1\n" {
			t.Errorf("S3 round trip with the role credentials: put exit %d, get exit %d, got %q", put.code, get.code, get.stdout)
		}
	})

	t.Run("logout clears the keyring", func(t *testing.T) {
		out := h.run(t, 30*time.Second, nil, ptsaml, "logout", "--profile", "e2e")
		if out.code != 0 {
			t.Fatalf("logout: exit %d", out.code)
		}
		if n := keyringItems(t, h, "e2e"); n != 0 {
			t.Errorf("the keyring still holds %d ptsaml items for profile e2e after logout", n)
		}
		cp := h.run(t, 30*time.Second, nil, ptsaml, "credential-process", "--profile", "e2e")
		if cp.code != 4 || cp.stdout != "" {
			t.Errorf("credential-process after logout: exit %d with %d bytes on stdout, want exit 4 (login required) and none",
				cp.code, len(cp.stdout))
		}
	})
}

// keyringItems counts the ptsaml entries for profile in the test bed's keyring
// (go-keyring stores attributes service and username; secret-tool prints them
// on stderr). secret-tool prints the secrets too, so its output is never logged.
func keyringItems(t *testing.T, h *home, profile string) int {
	t.Helper()
	r := h.runQuiet(t, "secret-tool", "search", "--all", "service", "ptsaml")
	n := 0
	for line := range strings.Lines(r.stdout + r.stderr) {
		if strings.HasPrefix(line, "attribute.username = ") && strings.Contains(line, profile) {
			n++
		}
	}
	return n
}

// clearKeyring removes every ptsaml entry from the test bed's private keyring,
// so that what the test finds there is what this run wrote.
func clearKeyring(t *testing.T, h *home) {
	t.Helper()
	h.runQuiet(t, "secret-tool", "clear", "service", "ptsaml")
	if n := keyringItems(t, h, ""); n != 0 {
		t.Fatalf("could not empty the test keyring: %d ptsaml items left", n)
	}
}
