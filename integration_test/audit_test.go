package integration_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/audit"
	"github.com/ptsaml/ptsaml/internal/sandbox"
)

// seedAudit writes records an hour apart, ending at the env's clock, through a log that
// rotates every few records.
func seedAudit(t *testing.T, e *env, recs []map[string]any) {
	t.Helper()
	l, err := audit.Open(e.statePath("audit.log"), e.clock, audit.WithMaxSize(700), audit.WithMaxFiles(10))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	e.clock.Advance(-time.Duration(len(recs)) * time.Hour)
	for _, r := range recs {
		e.clock.Advance(time.Hour)
		ev := r["event"].(string)
		fields := map[string]any{}
		for k, v := range r {
			if k != "event" {
				fields[k] = v
			}
		}
		if err := l.Record(ev, fields); err != nil {
			t.Fatal(err)
		}
	}
}

var auditRecords = []map[string]any{
	{"event": "assertion.accepted", "profile": "dev", "assertion_id": "_a1"},          // now-5h
	{"event": "role.assumed", "profile": "dev", "role_arn": "arn:aws:iam::1:role/R"},  // now-4h
	{"event": "assertion.rejected", "profile": "prod", "reason": "audience"},          // now-3h
	{"event": "role.assumed", "profile": "prod", "role_arn": "arn:aws:iam::1:role/P"}, // now-2h
	{"event": "logout", "profile": "dev"},                                             // now-1h
	{"event": "logout", "profile": "prod"},                                            // now
}

func TestAuditShow(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	seedAudit(t, e, auditRecords)
	now := e.clock.Now().UTC()
	if files, _ := audit.Files(e.statePath("audit.log")); len(files) < 2 {
		t.Fatalf("the seeded log did not rotate: %q", files)
	}
	tests := []struct {
		name string
		args []string
		want []string // "event/profile" of the records shown, oldest first
	}{
		{"all", nil, []string{"assertion.accepted/dev", "role.assumed/dev", "assertion.rejected/prod",
			"role.assumed/prod", "logout/dev", "logout/prod"}},
		{"event", []string{"--event", "role.assumed"}, []string{"role.assumed/dev", "role.assumed/prod"}},
		{"two events", []string{"--event", "logout,assertion.rejected"},
			[]string{"assertion.rejected/prod", "logout/dev", "logout/prod"}},
		{"profile", []string{"--profile", "prod"}, []string{"assertion.rejected/prod", "role.assumed/prod", "logout/prod"}},
		{"since duration", []string{"--since", "90m"}, []string{"logout/dev", "logout/prod"}},
		{"until duration", []string{"--until", "4h"}, []string{"assertion.accepted/dev", "role.assumed/dev"}},
		{"since RFC 3339", []string{"--since", now.Add(-2 * time.Hour).Format(time.RFC3339Nano), "--profile", "dev"},
			[]string{"logout/dev"}},
		{"window", []string{"--since", "4h", "--until", now.Add(-2 * time.Hour).Format(time.RFC3339Nano)},
			[]string{"role.assumed/dev", "assertion.rejected/prod", "role.assumed/prod"}},
		{"nothing", []string{"--event", "job.start"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.run(append([]string{"audit", "show", "--output", "json"}, tt.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			var got []string
			for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
				if line == "" {
					continue
				}
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatalf("not a JSON line: %q", line)
				}
				if m["event"] == audit.RotatedEvent {
					continue
				}
				got = append(got, m["event"].(string)+"/"+m["profile"].(string))
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Fatalf("shown %v\nwant  %v", got, tt.want)
			}
		})
	}
	t.Run("text", func(t *testing.T) {
		r := e.run("audit", "show", "--event", "assertion.rejected")
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "TIME") ||
			!strings.Contains(lines[1], "assertion.rejected  prod") || !strings.Contains(lines[1], "reason=audience") {
			t.Fatalf("table:\n%s", r.stdout)
		}
	})
	t.Run("bad time", func(t *testing.T) {
		r := e.run("audit", "show", "--since", "yesterday")
		if r.code != 1 || !strings.Contains(r.stderr, "--since") || !strings.Contains(r.stderr, "hint:") {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
	})
}

// A real login writes records that show and verify read back.
func TestAuditAfterLogin(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	if r := e.run("login"); r.code != 0 {
		t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
	r := e.run("audit", "show", "--output", "json", "--profile", "sandbox")
	if r.code != 0 || !strings.Contains(r.stdout, `"event":"role.assumed"`) {
		t.Fatalf("show: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	if r := e.run("audit", "verify"); r.code != 0 || !strings.Contains(r.stderr, "records, chain intact") {
		t.Fatalf("verify: exit %d\n%s", r.code, r.stderr)
	}
}

func TestAuditVerify(t *testing.T) {
	tests := []struct {
		name   string
		file   string // which file to change: "" is the active one
		tamper func(lines []string) []string
		end    string
		want   string // "" = intact
	}{
		{"intact", "", nil, "\n", ""},
		{"edited", ".1", func(l []string) []string {
			l[0] = strings.Replace(l[0], `"profile":"`, `"profile":"x`, 1)
			return l
		}, "\n", "audit.log.1 line 1: edited"},
		{"deleted", "", func(l []string) []string { return append(l[:1], l[2:]...) }, "\n", "audit.log line 2: deleted"},
		{"inserted", "", func(l []string) []string { return append(l[:2], append([]string{l[1]}, l[2:]...)...) },
			"\n", "audit.log line 3: inserted"},
		{"truncated", "", func(l []string) []string {
			l[len(l)-1] = l[len(l)-1][:20]
			return l
		}, "", "truncated: the last line has no end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			seedAudit(t, e, auditRecords)
			path := e.statePath("audit.log") + tt.file
			if tt.tamper != nil {
				lines := strings.Split(strings.TrimSuffix(readFile(t, path), "\n"), "\n")
				if len(lines) < 3 {
					t.Fatalf("%s has %d lines, the case needs 3", path, len(lines))
				}
				if err := os.WriteFile(path, []byte(strings.Join(tt.tamper(lines), "\n")+tt.end), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			r := e.run("audit", "verify")
			if tt.want == "" {
				if r.code != 0 || !strings.Contains(r.stderr, "records, chain intact") {
					t.Fatalf("exit %d\n%s", r.code, r.stderr)
				}
				j := e.run("audit", "verify", "--output", "json")
				if j.code != 0 || !strings.Contains(j.stdout, `"intact": true`) {
					t.Fatalf("json: exit %d\n%s%s", j.code, j.stdout, j.stderr)
				}
				return
			}
			if r.code != 1 || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("exit %d, want 1 and %q\n%s", r.code, tt.want, r.stderr)
			}
		})
	}
}
