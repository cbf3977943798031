package audit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const (
	childEnv  = "AUDIT_TEST_CHILD_LOG" // set: this process is a writer child
	perWriter = 150
)

// pad makes each record larger than PIPE_BUF (4 KiB), where interleaving would show.
var pad = strings.Repeat("x", 6000)

func writeRecords(l *Log, who string) error {
	for i := 0; i < perWriter; i++ {
		if err := l.Record("login.start", map[string]any{"who": who, "i": i, "pad": pad}); err != nil {
			return err
		}
	}
	return nil
}

// TestChildWriter is the body of the writer processes started by TestConcurrentRecord.
func TestChildWriter(t *testing.T) {
	path := os.Getenv(childEnv)
	if path == "" {
		t.Skip("helper process for TestConcurrentRecord")
	}
	l, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := writeRecords(l, "pid-"+strconv.Itoa(os.Getpid())); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "audit.log")
	l, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const procs, goroutines = 2, 6
	var cmds []*exec.Cmd
	for i := 0; i < procs; i++ {
		cmd := exec.Command(exe, "-test.run=^TestChildWriter$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+path)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("child %d output:\n%s", i, out.String())
			}
		})
	}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Go(func() { errs <- writeRecords(l, fmt.Sprintf("goroutine-%d", g)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Record: %v", err)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v", i, err)
		}
	}

	lines := readLines(t, path) // fails on any torn or interleaved line
	if want := (procs + goroutines) * perWriter; len(lines) != want {
		t.Fatalf("got %d records, want %d", len(lines), want)
	}
	seen := map[string]int{}
	for _, m := range lines {
		if m["pad"] != pad {
			t.Fatalf("record with a damaged payload from %v", m["who"])
		}
		seen[m["who"].(string)]++
	}
	if len(seen) != procs+goroutines {
		t.Errorf("records came from %d writers, want %d: %v", len(seen), procs+goroutines, seen)
	}
	if _, err := Verify(path); err != nil {
		t.Errorf("hash chain after concurrent writes: %v", err)
	}
	assertMode(t, path, 0o600)
	assertMode(t, filepath.Dir(path), 0o700)
}
