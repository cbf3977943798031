package audit

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ptsaml/ptsaml/internal/clock"
)

// writeLog writes n records to a fresh log with opts and returns its path.
func writeLog(t *testing.T, n int, opts ...Option) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := Open(path, clock.NewFake(t0), opts...)
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

// fileLines returns the lines of a file without their newlines.
func fileLines(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
}

func writeLines(t *testing.T, path string, lines []string, end string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+end), 0o600); err != nil {
		t.Fatal(err)
	}
}

// rotatedSize makes each file hold a rotation header and two records of writeLog.
const rotatedSize = 420

func TestVerify(t *testing.T) {
	tests := []struct {
		name    string
		rotated bool   // write 9 records over several files instead of 4 in one
		file    string // suffix of the file to tamper with: "" or ".1", ...
		tamper  func(lines []string) []string
		end     string       // what follows the last line; "\n" unless set
		want    *TamperError // File: "" the tampered file, else the suffix of the one reported ("-" for none)
	}{
		{name: "intact", tamper: same},
		{name: "edited line", tamper: func(l []string) []string {
			l[1] = strings.Replace(l[1], `"i":1`, `"i":7`, 1)
			return l
		}, want: &TamperError{Line: 2, Problem: Edited}},
		{name: "deleted line", tamper: func(l []string) []string { return slices.Delete(l, 1, 2) },
			want: &TamperError{Line: 2, Problem: Deleted}},
		{name: "deleted two lines", tamper: func(l []string) []string { return slices.Delete(l, 1, 3) },
			want: &TamperError{Line: 2, Problem: Deleted}},
		{name: "deleted head", tamper: func(l []string) []string { return l[1:] },
			want: &TamperError{Line: 1, Problem: Deleted}},
		{name: "inserted copy", tamper: func(l []string) []string { return slices.Insert(l, 2, l[1]) },
			want: &TamperError{Line: 3, Problem: Inserted}},
		{name: "inserted unlinked", tamper: func(l []string) []string {
			return slices.Insert(l, 2, `{"time":"2026-11-29T18:00:00Z","event":"logout"}`)
		}, want: &TamperError{Line: 3, Problem: Inserted}},
		{name: "garbage", tamper: func(l []string) []string { return slices.Insert(l, 2, `{"time":"2026-11`) },
			want: &TamperError{Line: 3, Problem: Truncated}},
		{name: "not json", tamper: func(l []string) []string { return slices.Insert(l, 2, "hello") },
			want: &TamperError{Line: 3, Problem: Malformed}},
		{name: "truncated last line", tamper: func(l []string) []string {
			l[3] = l[3][:len(l[3])/2]
			return l
		}, end: "-", want: &TamperError{Line: 4, Problem: Truncated}},
		{name: "truncated middle line", tamper: func(l []string) []string {
			l[1] = l[1][:len(l[1])/2]
			return l
		}, want: &TamperError{Line: 2, Problem: Truncated}},

		{name: "rotated intact", rotated: true, tamper: same},
		{name: "rotated edited last line of older file", rotated: true, file: ".1", tamper: func(l []string) []string {
			l[len(l)-1] = strings.Replace(l[len(l)-1], `"role.assumed"`, `"logout"`, 1)
			return l
		}, want: &TamperError{Line: 2, Problem: Edited}},
		{name: "rotated deleted header", rotated: true, tamper: func(l []string) []string { return l[1:] },
			want: &TamperError{Line: 1, Problem: Deleted}},
		{name: "rotated deleted last line of older file", rotated: true, file: ".1",
			tamper: func(l []string) []string { return l[:len(l)-1] },
			want:   &TamperError{File: "-", Line: 1, Problem: Deleted}},
		{name: "rotated inserted in older file", rotated: true, file: ".2",
			tamper: func(l []string) []string { return slices.Insert(l, 1, l[1]) },
			want:   &TamperError{Line: 3, Problem: Inserted}},
		{name: "rotated whole middle file removed", rotated: true, file: ".2", tamper: nil,
			want: &TamperError{File: ".1", Line: 1, Problem: Deleted}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeLog(t, 4)
			if tt.rotated {
				path = writeLog(t, 9, WithMaxSize(rotatedSize), WithMaxFiles(10))
			}
			target := path + tt.file
			if tt.tamper == nil {
				if err := os.Remove(target); err != nil {
					t.Fatal(err)
				}
			} else {
				end := "\n"
				if tt.end == "-" {
					end = ""
				}
				writeLines(t, target, tt.tamper(fileLines(t, target)), end)
			}
			sum, err := Verify(path)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify intact log: %v", err)
				}
				if want := map[bool]int{false: 4, true: 9 + len(sum.Files) - 1}[tt.rotated]; sum.Records != want {
					t.Errorf("Records = %d, want %d", sum.Records, want)
				}
				return
			}
			var te *TamperError
			if !errors.As(err, &te) {
				t.Fatalf("Verify = %v, want a %s line", err, tt.want.Problem)
			}
			wantFile := target // tt.want.File, when set, is the suffix of another file
			if tt.want.File != "" {
				wantFile = path + strings.TrimPrefix(tt.want.File, "-")
			}
			if te.Problem != tt.want.Problem || te.Line != tt.want.Line || te.File != wantFile {
				t.Fatalf("Verify = %v\nwant %s line %d: %s", err, wantFile, tt.want.Line, tt.want.Problem)
			}
		})
	}
}

func same(l []string) []string { return l }

// A line left without its newline by a crashed writer stays separate from the next
// record, which chains to it; Verify reports it as cut short.
func TestTornLastLine(t *testing.T) {
	path := writeLog(t, 1)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(`{"time":"2026-11-29T18:00:01Z","event":"role.ass`) // a write cut short
	f.Close()
	_, err = Verify(path)
	var te *TamperError
	if !errors.As(err, &te) || te.Problem != Truncated || te.Line != 2 || !strings.Contains(te.Detail, "last line") {
		t.Fatalf("Verify = %v, want line 2 truncated as the last line", err)
	}
	l, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Record("logout", nil); err != nil {
		t.Fatal(err)
	}
	l.Close()
	lines := fileLines(t, path)
	if len(lines) != 3 || !strings.Contains(lines[2], `"seq":3`) {
		t.Fatalf("after the torn line: %q", lines)
	}
	if _, err := Verify(path); !errors.As(err, &te) || te.Problem != Truncated || te.Line != 2 {
		t.Fatalf("Verify = %v, want line 2 truncated", err)
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
