package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ptsaml/ptsaml/internal/clock"
)

func writeLog(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := Open(path, clock.NewFake(t0))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := 0; i < n; i++ {
		if err := l.Record("role.assumed", map[string]any{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func(lines []string) []string
		wantErr string // "" = intact
	}{
		{"intact", func(l []string) []string { return l }, ""},
		{"edited line", func(l []string) []string {
			l[1] = strings.Replace(l[1], `"i":1`, `"i":7`, 1)
			return l
		}, "line 3: chain broken"},
		{"removed line", func(l []string) []string { return append(l[:1], l[2:]...) }, "line 2: chain broken"},
		{"removed head", func(l []string) []string { return l[1:] }, "line 1: chain broken"},
		{"garbage", func(l []string) []string { return append(l[:2], "{half", l[2]) }, "line 3: not a JSON record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeLog(t, 4)
			raw, _ := os.ReadFile(path)
			lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
			if err := os.WriteFile(path, []byte(strings.Join(tt.tamper(lines), "\n")+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			err := Verify(path)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Verify intact log: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Verify = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// A line left without its newline by a crashed writer stays separate from the next
// record, and the chain still links across it.
func TestTornLastLine(t *testing.T) {
	path := writeLog(t, 1)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(`{"time":"x","event":"torn"}`) // whole JSON but no newline
	f.Close()
	l, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Record("logout", nil); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if got := len(readLines(t, path)); got != 3 {
		t.Fatalf("got %d lines, want 3", got)
	}
	if err := Verify(path); !strings.Contains(errString(err), "line 2: chain broken") {
		t.Fatalf("Verify = %v, want the torn line (which has no prev) reported", err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestIsSecretName(t *testing.T) {
	tests := []struct {
		name   string
		secret bool
	}{
		{"SecretAccessKey", true}, {"secret_access_key", true}, {"SessionToken", true},
		{"SAMLResponse", true}, {"password", true}, {"Password", true}, {"token", true},
		{"assertion", true}, {"secret", true}, {"id_token", true}, {"raw-assertion", true},
		{"client_secret", true}, {"password_file", true}, {"aws_session_token_expiry", true},
		{"assertion_id", false}, {"AssertionID", false}, {"token_expiry", false},
		{"secret_name", false}, {"AccessKeyId", false}, {"reason", false}, {"role_arn", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsSecretName(tt.name); got != tt.secret {
				t.Errorf("IsSecretName(%q) = %v, want %v", tt.name, got, tt.secret)
			}
		})
	}
}
