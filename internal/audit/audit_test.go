package audit

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/clock"
)

var t0 = time.Date(2026, 11, 29, 18, 0, 0, 123456789, time.UTC)

// readLines parses every line of the log, failing on any that is not a JSON object.
func readLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, MaxRecord), MaxRecord)
	for n := 1; sc.Scan(); n++ {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d is not one whole JSON object (%v): %.120q", n, err, sc.Text())
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRecord(t *testing.T) {
	type session struct {
		RoleARN         string
		SecretAccessKey string
		SessionToken    string `json:"session_token"`
	}
	tests := []struct {
		name   string
		event  string
		fields map[string]any
		want   map[string]any // without time
	}{
		{"no fields", "login.start", nil, map[string]any{"event": "login.start", "seq": 1.0}},
		{"rejection", "assertion.rejected", map[string]any{"reason": "audience mismatch", "assertion_id": "_a1"},
			map[string]any{"event": "assertion.rejected", "seq": 1.0, "reason": "audience mismatch", "assertion_id": "_a1"}},
		{"secrets dropped", "role.assumed", map[string]any{
			"SecretAccessKey": "s", "SessionToken": "t", "SAMLResponse": "PHNhbWw+", "password": "p", "token": "x",
			"Assertion": "a", "client_secret": "c", "AssertionID": "_id", "token_expiry": "2026", "AccessKeyId": "ASIA",
			"duration_s": 3600},
			map[string]any{"event": "role.assumed", "seq": 1.0, "AssertionID": "_id", "token_expiry": "2026", "AccessKeyId": "ASIA",
				"duration_s": 3600.0, "dropped": []any{"Assertion", "SAMLResponse", "SecretAccessKey", "SessionToken",
					"client_secret", "password", "token"}}},
		{"nested secrets dropped", "role.assumed", map[string]any{
			"session": session{RoleARN: "arn:aws:iam::1:role/R", SecretAccessKey: "s", SessionToken: "t"},
			"list":    []any{map[string]any{"Password": "p", "user": "alice"}}},
			map[string]any{"event": "role.assumed", "seq": 1.0, "session": map[string]any{"RoleARN": "arn:aws:iam::1:role/R"},
				"list": []any{map[string]any{"user": "alice"}}, "dropped": []any{"list.Password",
					"session.SecretAccessKey", "session.session_token"}}},
		{"reserved names", "logout", map[string]any{"time": "forged", "event": "forged", "prev": "x", "seq": 9, "all": true},
			map[string]any{"event": "logout", "seq": 1.0, "all": true, "dropped": []any{"event", "prev", "seq", "time"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.log")
			l, err := Open(path, clock.NewFake(t0))
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if err := l.Record(tt.event, tt.fields); err != nil {
				t.Fatalf("Record: %v", err)
			}
			raw, _ := os.ReadFile(path)
			for _, secret := range []string{`"s"`, `"t"`, "PHNhbWw+", `"p"`, `"c"`} {
				if strings.Contains(string(raw), secret) {
					t.Errorf("log holds secret value %s: %s", secret, raw)
				}
			}
			lines := readLines(t, path)
			if len(lines) != 1 {
				t.Fatalf("got %d lines, want 1", len(lines))
			}
			got := lines[0]
			if got["time"] != "2026-11-29T18:00:00.123456789Z" {
				t.Errorf("time = %v", got["time"])
			}
			delete(got, "time")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("record = %v\nwant     %v", got, tt.want)
			}
			if !strings.HasPrefix(string(raw), `{"time":`) || !strings.HasSuffix(string(raw), "}\n") {
				t.Errorf("line does not start with time or end with a newline: %q", raw)
			}
		})
	}
}

func TestRecordErrors(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), "audit.log"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Record("", nil); err == nil {
		t.Error("empty event accepted")
	}
	if err := l.Record("x", map[string]any{"f": func() {}}); err == nil || !strings.Contains(err.Error(), "encode fields") {
		t.Errorf("unencodable field: err = %v", err)
	}
	if err := l.Record("x", map[string]any{"big": strings.Repeat("a", MaxRecord)}); err == nil {
		t.Error("oversized record accepted")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Record("x", nil); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Record after Close: err = %v", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestDiscard(t *testing.T) {
	d := Discard()
	if err := d.Record("login.start", map[string]any{"password": "p"}); err != nil {
		t.Errorf("Discard Record: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("Discard Close: %v", err)
	}
	var nilLog *Log
	if err := nilLog.Record("login.start", nil); err != nil {
		t.Errorf("nil Log Record: %v", err)
	}
}

func TestPermissions(t *testing.T) {
	base := t.TempDir()
	t.Run("created private", func(t *testing.T) {
		path := filepath.Join(base, "new", "state", "audit.log")
		l, err := Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Record("login.start", nil); err != nil {
			t.Fatal(err)
		}
		l.Close()
		assertMode(t, filepath.Dir(path), 0o700)
		assertMode(t, path, 0o600)
		assertMode(t, path+".lock", 0o600)
	})
	t.Run("loose ones tightened", func(t *testing.T) {
		dir := filepath.Join(base, "loose")
		path := filepath.Join(dir, "audit.log")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		_ = os.Chmod(dir, 0o755)
		_ = os.Chmod(path, 0o644)
		l, err := Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		assertMode(t, dir, 0o700)
		assertMode(t, path, 0o600)
	})
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s mode = %04o, want %04o", path, got, want)
	}
}
