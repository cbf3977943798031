package integration_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/sandbox"
)

// A damaged cache entry (garbage, truncated JSON, JSON without the
// credentials) makes status, and, where nobody can sign in, credential-process,
// run, exec and env each fail with one line that names the damage and says to
// log out, exit 1, and print nothing on stdout. logout removes the entry; then
// status says "not logged in" and a login works.
func TestDamagedEntryIsNamedByEveryCommandAndLogoutClearsIt(t *testing.T) {
	tests := []struct {
		name   string
		damage func(valid []byte) []byte
		reason string
	}{
		{"garbage bytes", func([]byte) []byte { return []byte("\x00\x9f\xffPK\x03\x04 not a session") }, "not JSON"},
		{"truncated JSON", func(v []byte) []byte { return v[:len(v)*2/3] }, "truncated JSON"},
		{"JSON without credentials", func([]byte) []byte {
			return []byte(`{"Profile":"sandbox","RoleArn":"` + trainRole + `","Expiration":"2099-01-01T00:00:00Z"}`)
		}, "missing AccessKeyId, SecretAccessKey, SessionToken"},
		{"empty file", func([]byte) []byte { return nil }, "empty entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			if r := e.run("login"); r.code != 0 {
				t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
			}
			path := credPath(e, "sandbox")
			valid, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tt.damage(valid), 0o600); err != nil {
				t.Fatal(err)
			}
			e.environ = []string{"PATH=" + os.Getenv("PATH")}
			e.browserOff() // nobody to sign in: a sign-in would replace the entry
			want := "error: stored credentials for profile sandbox are damaged (" + tt.reason
			for _, args := range [][]string{
				{"status"}, {"status", "--output", "json"}, {"credential-process"},
				{"run", "train.py"}, {"exec", "--", "true"}, {"env"},
			} {
				r := e.run(args...)
				line := errorLine(t, r)
				if r.code != 1 || !strings.HasPrefix(line, want) ||
					!strings.HasSuffix(line, "): run `ptsaml logout --profile sandbox` and log in again") || r.stdout != "" {
					t.Errorf("%s: exit %d, stdout %q, error line:\n%s\nwant exit 1, nothing on stdout, and %q…",
						strings.Join(args, " "), r.code, r.stdout, line, want)
				}
			}
			if n := e.sandbox.STSCalls(); n != 1 {
				t.Errorf("STS calls = %d: a command signed in over the damaged entry", n)
			}

			if r := e.run("logout", "--profile", "sandbox"); r.code != 0 {
				t.Fatalf("logout of a damaged entry: exit %d\n%s", r.code, r.stderr)
			}
			if r := e.run("status"); r.code != 4 || !strings.Contains(r.stdout, "profile sandbox: not logged in") {
				t.Fatalf("status after logout: exit %d, want 4 and not logged in\n%s%s", r.code, r.stdout, r.stderr)
			}
			e.mu.Lock()
			e.browser = &browser{user: "alice"}
			e.mu.Unlock()
			if r := e.run("login"); r.code != 0 {
				t.Fatalf("login after logout: exit %d\n%s", r.code, r.stderr)
			}
			if r := e.run("status"); r.code != 0 {
				t.Fatalf("status after a new login: exit %d\n%s", r.code, r.stderr)
			}
		})
	}
}

// Where a sign-in may start, a damaged entry is replaced by one, with a
// warning that names the damage: an unattended (ECP, OIDC) job must not stop
// until a person runs logout.
func TestDamagedEntryIsReplacedBySigningIn(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	if err := os.MkdirAll(credDir(e), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(credPath(e, "sandbox"), []byte(`{"AccessKeyId":`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := e.run("credential-process")
	if r.code != 0 || !strings.Contains(r.stdout, `"AccessKeyId"`) ||
		!strings.Contains(r.stderr, "warning: the stored credentials of profile sandbox are damaged (truncated JSON); signing in again replaces them") {
		t.Fatalf("credential-process over a damaged entry: exit %d\n%s", r.code, r.stderr)
	}
	if n := e.sandbox.STSCalls(); n != 1 {
		t.Errorf("STS calls = %d, want the one sign-in", n)
	}
	if r := e.run("status"); r.code != 0 || strings.Contains(r.stderr, "damaged") {
		t.Fatalf("status after the sign-in: exit %d\n%s", r.code, r.stderr)
	}
}

// `ptsaml login` over a damaged entry replaces it without a logout first.
func TestLoginReplacesADamagedEntry(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	if err := os.MkdirAll(credDir(e), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(credPath(e, "sandbox"), []byte(`{"AccessKeyId":`), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := e.run("login"); r.code != 0 {
		t.Fatalf("login over a damaged entry: exit %d\n%s", r.code, r.stderr)
	}
	if r := e.run("status"); r.code != 0 {
		t.Fatalf("status: exit %d\n%s", r.code, r.stderr)
	}
}

// Expired credentials are not damaged: status says they expired and exits 4
// (login required), credential-process without a way to sign in asks for a
// login, and neither says "damaged".
func TestExpiredEntryIsNotCalledDamaged(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	if r := e.run("login"); r.code != 0 {
		t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
	e.clock.Advance(2 * time.Hour)
	r := e.run("status")
	if r.code != 4 || !strings.Contains(r.stdout, "(expired)") || strings.Contains(r.stderr, "damaged") {
		t.Fatalf("status of expired credentials: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	e.browserOff()
	r = e.run("credential-process")
	if r.code != 4 || !strings.Contains(r.stderr, "login required") || strings.Contains(r.stderr, "damaged") {
		t.Fatalf("credential-process on expired credentials: exit %d\n%s", r.code, r.stderr)
	}
}
