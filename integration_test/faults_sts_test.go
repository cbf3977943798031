package integration_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ptsaml/ptsaml/internal/sandbox"
)

// auditOf returns the fields of every audit record of event, oldest first.
func auditOf(t *testing.T, e *env, event string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, e.statePath("audit.log"))), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		if rec["event"] == event {
			out = append(out, rec)
		}
	}
	return out
}

// storeSnapshot returns every file of the file credential store, by name.
func storeSnapshot(t *testing.T, e *env) map[string]string {
	t.Helper()
	snap := map[string]string{}
	root := e.statePath("credentials")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		snap[path] = string(b)
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return snap
}

func assertStoreUnchanged(t *testing.T, e *env, before map[string]string) {
	t.Helper()
	after := storeSnapshot(t, e)
	if len(after) != len(before) {
		t.Errorf("credential store has %d files, had %d", len(after), len(before))
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("credential store file %s changed", filepath.Base(k))
		}
	}
}

// errorLines returns the lines of stderr a person reads as the error.
func errorLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "error: ") || strings.HasPrefix(l, "hint: ") {
			out = append(out, l)
		}
	}
	return out
}

func TestLoginRetriesSTSServerErrors(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	e.sandbox.FailSTS(2, http.StatusInternalServerError, "InternalFailure")
	r := e.run("login", "--profile", "sandbox")
	if r.code != 0 {
		t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
	if f, c := e.sandbox.STSFaults(), e.sandbox.STSCalls(); f != 2 || c != 1 {
		t.Errorf("STS failed %d and served %d requests, want 2 and 1 (3 attempts)", f, c)
	}
	if ev := auditOf(t, e, "role.assumed"); len(ev) != 1 || len(auditOf(t, e, "sts.error")) != 0 {
		t.Errorf("audit: %d role.assumed, %d sts.error; want 1 and 0", len(ev), len(auditOf(t, e, "sts.error")))
	}
	if r := e.run("status"); r.code != 0 {
		t.Errorf("status after login: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestLoginGivesUpWhenSTSKeepsFailing(t *testing.T) {
	tests := []struct {
		name   string
		status int
		code   string
		want   string
	}{
		{"throttling", http.StatusBadRequest, "Throttling",
			"STS is throttling requests (Throttling: Rate exceeded) after 3 attempts: wait a minute and run `ptsaml login` again"},
		{"unavailable", http.StatusServiceUnavailable, "ServiceUnavailable",
			"STS is unavailable (ServiceUnavailable: Service is unavailable. Please try again later.) after 3 attempts: the failure is on AWS's side; wait a few minutes and run `ptsaml login` again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			if r := e.run("login"); r.code != 0 {
				t.Fatalf("first login: exit %d\n%s", r.code, r.stderr)
			}
			before := storeSnapshot(t, e)
			if len(before) == 0 {
				t.Fatal("the first login cached nothing in the file store")
			}
			e.sandbox.FailSTS(-1, tt.status, tt.code)
			r := e.run("login")
			if r.code != 1 {
				t.Fatalf("login: exit %d, want 1\n%s", r.code, r.stderr)
			}
			lines := errorLines(r.stderr)
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "error: assume role "+trainRole+": ") || !strings.Contains(lines[0], tt.want) {
				t.Errorf("error lines = %q, want one naming %q", lines, tt.want)
			}
			if n := e.sandbox.STSFaults(); n != 3 {
				t.Errorf("STS requests = %d, want exactly 3 attempts", n)
			}
			assertStoreUnchanged(t, e, before)
			ev := auditOf(t, e, "sts.error")
			if len(ev) != 1 || ev[0]["code"] != tt.code || ev[0]["profile"] != "sandbox" {
				t.Errorf("sts.error audit records = %v, want one with code %s", ev, tt.code)
			}
		})
	}
}
