package broker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// lockChildEnv makes the test binary act as a second process that tries to
// take the lock: value "DIR PROFILE TIMEOUT"; exit 0 = got it, 3 = timed out.
const lockChildEnv = "PTSAML_BROKER_LOCK_CHILD"

func TestMain(m *testing.M) {
	if v := os.Getenv(lockChildEnv); v != "" {
		os.Exit(lockChild(v))
	}
	if v := os.Getenv(cacheWriterEnv); v != "" {
		os.Exit(cacheWriter(v))
	}
	os.Exit(m.Run())
}

func lockChild(arg string) int {
	var dir, profile, wait string
	_, err := fmt.Sscan(arg, &dir, &profile, &wait)
	timeout, err2 := time.ParseDuration(wait)
	if err != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "bad child argument:", arg)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	unlock, err := Lock(ctx, dir, profile)
	if errors.Is(err, context.DeadlineExceeded) {
		return 3
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	unlock()
	return 0
}

func TestLockAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	unlock, err := Lock(context.Background(), dir, "dev")
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	child := func(timeout string) int {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s dev %s", lockChildEnv, dir, timeout))
		cmd.Stderr = os.Stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("child: %v", err)
		}
		return 0
	}
	if code := child("300ms"); code != 3 {
		t.Fatalf("child while the lock is held: exit %d, want 3 (timed out)", code)
	}
	unlock()
	unlock() // a second call is harmless
	if code := child("30s"); code != 0 {
		t.Fatalf("child after unlock: exit %d, want 0", code)
	}
}

func TestLockSerialisesGoroutines(t *testing.T) {
	dir := t.TempDir()
	const workers = 32
	var inside, maxInside, done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := Lock(context.Background(), dir, "dev")
			if err != nil {
				errs <- err
				return
			}
			n := inside.Add(1)
			for {
				m := maxInside.Load()
				if n <= m || maxInside.CompareAndSwap(m, n) {
					break
				}
			}
			for range 100 { // give others every chance to enter too
				runtime.Gosched()
			}
			inside.Add(-1)
			done.Add(1)
			unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Lock: %v", err)
	}
	if got := maxInside.Load(); got != 1 {
		t.Errorf("at most %d goroutines were inside the lock at once, want 1", got)
	}
	if got := done.Load(); got != workers {
		t.Errorf("%d of %d goroutines ran the critical section", got, workers)
	}
}

func TestLockHonoursContext(t *testing.T) {
	dir := t.TempDir()
	unlock, err := Lock(context.Background(), dir, "dev")
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	defer unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Lock(ctx, dir, "dev"); !errors.Is(err, context.Canceled) {
		t.Errorf("Lock with cancelled ctx: err = %v, want context.Canceled", err)
	}
	// Another profile has its own lock.
	other, err := Lock(ctx2s(t), dir, "prod")
	if err != nil {
		t.Fatalf("Lock of another profile: %v", err)
	}
	other()
}

func ctx2s(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestLockFilesAndNames(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "locks")
	unlock, err := Lock(context.Background(), dir, "dev")
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	defer unlock()
	if runtime.GOOS != "windows" {
		for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "dev.lock"): 0o600} {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("%s mode = %o, want %o", path, got, want)
			}
		}
	}
	for _, bad := range []string{"", ".", "..", "../x", `a\b`} {
		if _, err := Lock(context.Background(), dir, bad); err == nil {
			t.Errorf("Lock(%q) succeeded, want error", bad)
		}
	}
}
