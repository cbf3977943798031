package audit

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ptsaml/ptsaml/internal/clock"
)

func TestRotation(t *testing.T) {
	tests := []struct {
		name      string
		records   int
		maxFiles  int
		wantFiles int
	}{
		{"below the limit", 2, 5, 1},
		{"three files", 5, 5, 3},
		{"oldest dropped", 20, 3, 3},
		{"one file", 9, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeLog(t, tt.records, WithMaxSize(rotatedSize), WithMaxFiles(tt.maxFiles))
			files, err := Files(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != tt.wantFiles {
				t.Fatalf("files = %q, want %d", files, tt.wantFiles)
			}
			var seqs []int64
			for i, name := range files {
				assertMode(t, name, 0o600)
				fi, _ := os.Stat(name)
				if fi.Size() > rotatedSize {
					t.Errorf("%s is %d bytes, more than %d", name, fi.Size(), rotatedSize)
				}
				lines := readLines(t, name)
				// Every file but the very first starts with a record linking it to the one before.
				if first := lines[0]; first["event"] != RotatedEvent && (i > 0 || first["seq"] != 1.0) {
					t.Errorf("%s starts with %v, want %s", name, first, RotatedEvent)
				}
				for _, m := range lines {
					n, _ := m["seq"].(float64)
					seqs = append(seqs, int64(n))
				}
			}
			for i := 1; i < len(seqs); i++ {
				if seqs[i] != seqs[i-1]+1 {
					t.Fatalf("seq %v is not consecutive", seqs)
				}
			}
			sum, err := Verify(path)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if sum.Records != len(seqs) || len(sum.Files) != len(files) {
				t.Errorf("Summary = %+v, want %d records", sum, len(seqs))
			}
		})
	}
}

// Two Logs on one path stand for two processes: the one that did not rotate follows the
// rename instead of writing into the rotated file.
func TestRotationByAnotherWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	var logs [2]*Log
	for i := range logs {
		l, err := Open(path, clock.NewFake(t0), WithMaxSize(600), WithMaxFiles(100))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		logs[i] = l
	}
	const n = 40
	for i := 0; i < n; i++ {
		if err := logs[i%2].Record("login.start", map[string]any{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := Verify(path)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if len(sum.Files) < 5 {
		t.Errorf("only %d files after %d records", len(sum.Files), n)
	}
	var got []string
	if err := Read(path, Filter{Events: []string{"login.start"}}, func(e Entry) error {
		got = append(got, e.Fields["i"].(json.Number).String())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprint(i)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("records read back %v, want 0..%d in order", got, n-1)
	}
}
