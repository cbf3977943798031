package broker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/atomicfile"
	"github.com/ptsaml/ptsaml/internal/clock"
	"github.com/ptsaml/ptsaml/internal/credstore"
	"github.com/ptsaml/ptsaml/pkg/login"
)

// cacheWriterEnv makes the test binary a process that saves sessions A and B
// in turn to the file store in the directory named by its value, forever; it
// prints "ready" once the first is saved.
const cacheWriterEnv = "PTSAML_BROKER_CACHE_WRITER"

// killSessions are two sessions of very different sizes, so that a torn write
// of either could not pass for the other.
func killSessions() (a, b *Session) {
	a = testSession()
	a.AccessKeyID, a.Roles, a.SourceIdentity = "ASIAAAAAAAAAAAAAAAAA", nil, ""
	b = testSession()
	b.AccessKeyID = "ASIABBBBBBBBBBBBBBBB"
	b.CI = map[string]string{}
	for i := range 40 {
		b.Roles = append(b.Roles, login.RolePair{RoleARN: fmt.Sprintf("arn:aws:iam::123456789012:role/Role%02d", i),
			PrincipalARN: "arn:aws:iam::123456789012:saml-provider/IdP"})
		b.CI[fmt.Sprintf("claim%02d", i)] = "value"
	}
	return a, b
}

func cacheWriter(dir string) int {
	c := Cache{Store: credstore.NewFile(dir), Clock: clock.NewFake(t0)}
	a, b := killSessions()
	ctx := context.Background()
	for i := 0; ; i++ {
		s := a
		if i%2 == 1 {
			s = b
		}
		if err := c.Save(ctx, s); err != nil {
			fmt.Fprintln(os.Stderr, "save:", err)
			return 2
		}
		if i == 0 {
			fmt.Println("ready")
		}
	}
}

// A process killed (SIGKILL) at any moment while it saves a session leaves
// the previous session or the new one, whole: never an error, a mix or a
// damaged entry. The temp file it may leave is removed by the next save, so
// they never pile up.
func TestFileStoreSaveSurvivesSIGKILLAtAnyMoment(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL and process liveness are Unix")
	}
	dir := t.TempDir()
	store := credstore.NewFile(dir)
	c := Cache{Store: store, Clock: clock.NewFake(t0)}
	a, b := killSessions()
	want := map[string]*Session{a.AccessKeyID: a, b.AccessKeyID: b}
	for _, s := range want {
		s.Store, s.Profile = "file", "dev"
	}
	path := store.Path(cacheKey("dev"))
	const rounds = 50
	leftTemp, seen := 0, map[string]int{}
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), cacheWriterEnv+"="+dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || line != "ready\n" {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("round %d: writer said %q, %v", round, line, err)
		}
		// A different moment of the write loop each round: a write takes well under 1 ms
		// to a few ms, so the kill lands in every step of it over the rounds.
		time.Sleep(time.Duration(rand.Int64N(int64(3 * time.Millisecond))))
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: writer ended with %v, want killed by SIGKILL", round, err)
		}

		got, err := c.Load(context.Background(), "dev")
		if err != nil {
			t.Fatalf("round %d: Load after SIGKILL: %v", round, err)
		}
		w, ok := want[got.AccessKeyID]
		if !ok || !reflect.DeepEqual(got, w) {
			t.Fatalf("round %d: Load after SIGKILL = %+v\nwant session A or B exactly", round, got)
		}
		seen[got.AccessKeyID]++
		temps := atomicfile.TempFiles(path)
		if len(temps) > 1 {
			t.Fatalf("round %d: %d temp files in the store, want at most the last killed writer's: %v", round, len(temps), temps)
		}
		leftTemp += len(temps)
	}
	t.Logf("%d rounds: Load found A %d times, B %d times; %d kills left a temp file", rounds, seen[a.AccessKeyID], seen[b.AccessKeyID], leftTemp)
	if err := c.Save(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if temps := atomicfile.TempFiles(path); len(temps) != 0 {
		t.Fatalf("temp files left after a clean save: %v", temps)
	}
}

// A damaged entry stops Ensure with the damage when no sign-in may start;
// when one may, it replaces the entry and Damaged hears of it first.
func TestEnsureWithADamagedEntry(t *testing.T) {
	damaged := func() Cache {
		st := newMemStore()
		st.m[cacheKey("dev")] = []byte(`{"AccessKeyId":"ASIA`)
		return Cache{Store: st, Clock: fixedClock{t0}}
	}
	_, err := damaged().Ensure(context.Background(), EnsureOptions{Profile: "dev", LockDir: t.TempDir()})
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("Ensure without SignIn = %v, want ErrDamaged", err)
	}

	var heard []error
	fresh := &Session{Profile: "dev", AccessKeyID: "ASIANEW", SecretAccessKey: "s", SessionToken: "t", Expiration: t0.Add(time.Hour)}
	got, err := damaged().Ensure(context.Background(), EnsureOptions{Profile: "dev", LockDir: t.TempDir(),
		SignIn:  func(context.Context) (*Session, error) { return fresh, nil },
		Damaged: func(err error) { heard = append(heard, err) },
	})
	if err != nil || got != fresh {
		t.Fatalf("Ensure with SignIn = %v, %v; want the new session", got, err)
	}
	if len(heard) != 1 || !errors.Is(heard[0], ErrDamaged) {
		t.Errorf("Damaged heard %v, want the damage once", heard)
	}
}

func TestLockErrorSaysWhatToDo(t *testing.T) {
	err := lockError("dev", &os.PathError{Op: "open", Path: "/s/locks/dev.lock", Err: syscall.EROFS})
	if !errors.Is(err, syscall.EROFS) || err.Error() != `lock profile "dev": open /s/locks/dev.lock: read-only file system; `+
		"the file system is mounted read-only: remount it read-write, or use a directory on a writable disk" {
		t.Fatalf("lockError = %v", err)
	}
}
