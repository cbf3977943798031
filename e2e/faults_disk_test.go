package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/credstore"
	"github.com/ptsaml/ptsaml/pkg/broker"
	"github.com/ptsaml/ptsaml/pkg/login"
)

// keyringWriterEnv makes the test binary, run with -test.run naming
// TestKeyringSaveSurvivesSIGKILLAtAnyMoment, a process that saves sessions A
// and B in turn to the keyring service named by its value, forever.
const keyringWriterEnv = "PTSAML_E2E_KEYRING_WRITER"

// killChunk splits sessions into many keyring entries, so that a kill lands
// between chunks as often as anywhere else.
const killChunk = 512

// keyringKillSessions are two sessions of very different sizes (about 2 and 7
// chunks), so that a torn value of one could not pass for the other.
func keyringKillSessions() (a, b *broker.Session) {
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	base := func(key string) *broker.Session {
		return &broker.Session{AccessKeyID: key, SecretAccessKey: strings.Repeat("s", 40), SessionToken: strings.Repeat("t", 600),
			Expiration: exp, Profile: "kill", RoleARN: trainRole, PrincipalARN: idpProvider, Account: account,
			IssuedAt: exp.Add(-time.Hour), Store: credstore.KindKeyring}
	}
	a, b = base("ASIAAAAAAAAAAAAAAAAA"), base("ASIABBBBBBBBBBBBBBBB")
	for i := range 40 {
		b.Roles = append(b.Roles, login.RolePair{RoleARN: fmt.Sprintf("arn:aws:iam::%s:role/Role%02d", account, i), PrincipalARN: idpProvider})
	}
	return a, b
}

func killCache(service string) broker.Cache {
	return broker.Cache{Store: &credstore.KeyringStore{Service: service, Timeout: 20 * time.Second, ChunkSize: killChunk}}
}

func keyringWriter(service string) {
	_ = os.Remove(binDir) // this process's own, empty: a killed process cannot clean up
	c := killCache(service)
	a, b := keyringKillSessions()
	for i := 0; ; i++ {
		s := a
		if i%2 == 1 {
			s = b
		}
		if err := c.Save(context.Background(), s); err != nil {
			fmt.Fprintln(os.Stderr, "save:", err)
			os.Exit(2)
		}
		if i == 0 {
			fmt.Println("ready")
		}
	}
}

// keyringEntries counts the entries of service in the test bed's keyring.
func keyringEntries(t *testing.T, h *home, service string) int {
	t.Helper()
	r := h.runQuiet(t, "secret-tool", "search", "--all", "service", service)
	return strings.Count(r.stdout+r.stderr, "attribute.username = ")
}

// A process killed (SIGKILL) at any moment while it saves a session to the
// real keyring (gnome-keyring, chunked values) leaves the previous session or
// the new one, whole, never an error or a mix; the chunks it leaves are
// removed by the next save, so they never pile up.
func TestKeyringSaveSurvivesSIGKILLAtAnyMoment(t *testing.T) {
	if service := os.Getenv(keyringWriterEnv); service != "" {
		keyringWriter(service)
		return
	}
	tb := loadTestbed()
	tb.require(t, keyring)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", tb.DBusAddress) // this process reads the keyring too
	h := newHome(t, tb.DBusAddress)
	var r [6]byte
	_, _ = rand.Read(r[:])
	service := "ptsaml-e2e-kill-" + hex.EncodeToString(r[:])
	t.Cleanup(func() { h.runQuiet(t, "secret-tool", "clear", "service", service) })
	c := killCache(service)
	a, b := keyringKillSessions()
	want := map[string]*broker.Session{a.AccessKeyID: a, b.AccessKeyID: b}
	chunks := func(s *broker.Session) int {
		v, _ := json.Marshal(s)
		return (len(v) + killChunk - 1) / killChunk
	}
	// The value's header and chunks, plus what the last killed writer left: its
	// own chunks or the old ones, and its record.
	limit := 1 + chunks(b) + chunks(b) + 1

	const rounds = 40
	seen, most := map[string]int{}, 0
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKeyringSaveSurvivesSIGKILLAtAnyMoment$")
		cmd.Env = append(append([]string{}, h.env...), keyringWriterEnv+"="+service)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || line != "ready\n" {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("round %d: writer said %q, %v", round, line, err)
		}
		// Kill somewhere in the next few saves (B takes several times as long as A), at a
		// moment that differs each round.
		firstSave := time.Since(start) / 2
		time.Sleep(time.Duration(mrand.Int64N(int64(8*firstSave) + 1)))
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: writer ended with %v, want killed by SIGKILL", round, err)
		}

		got, err := c.Load(context.Background(), "kill")
		if err != nil {
			t.Fatalf("round %d: Load after SIGKILL: %v", round, err)
		}
		if w, ok := want[got.AccessKeyID]; !ok || !reflect.DeepEqual(got, w) {
			t.Fatalf("round %d: Load after SIGKILL is neither session A nor B exactly (key %s)", round, got.AccessKeyID)
		}
		seen[got.AccessKeyID]++
		n := keyringEntries(t, h, service)
		if n > limit {
			t.Fatalf("round %d: %d keyring entries, want at most %d: leftovers pile up", round, n, limit)
		}
		most = max(most, n)
	}
	t.Logf("%d rounds: Load found A %d times, B %d times; at most %d entries (limit %d)",
		rounds, seen[a.AccessKeyID], seen[b.AccessKeyID], most, limit)
	if err := c.Save(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if n := keyringEntries(t, h, service); n != 1+chunks(a) {
		t.Fatalf("%d keyring entries after a clean save, want the header and %d chunks", n, chunks(a))
	}
}

// A keyring entry with a chunk missing (the real gnome-keyring, the real
// binary): status fails with one line that names the missing chunk and says
// to log out; credential-process, which may sign in here, replaces the entry
// with a warning; damaged again, logout removes the rest, then status says not
// logged in and a login works.
func TestKeyringEntryWithAMissingChunkIsNamedAndLogoutClearsIt(t *testing.T) {
	tb := loadTestbed()
	tb.require(t, keyring)
	ptsaml := ptsamlBin.get(t)
	h := newHome(t, tb.DBusAddress)
	clearKeyring(t, h)
	addr, acs := freeAddr(t), freeAddr(t)
	sb := h.start(t, nil, ptsaml, "sandbox", "--addr", addr, "--acs-url", "http://"+acs+"/saml/acs", "--headless", "--store", "keyring")
	sb.waitFor(t, 20*time.Second, "Wrote profile", addr)
	if r := h.run(t, time.Minute, nil, ptsaml, "login", "--profile", "sandbox"); r.code != 0 {
		t.Fatalf("login: exit %d", r.code)
	}

	// removeLastChunk deletes the last chunk of the entry's current generation.
	removeLastChunk := func() (have, of int) {
		t.Helper()
		r := h.runQuiet(t, "secret-tool", "lookup", "service", "ptsaml", "username", "profile:sandbox")
		var hdr struct {
			Gen    string `json:"gen"`
			Chunks int    `json:"chunks"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &hdr); err != nil || hdr.Gen == "" || hdr.Chunks < 1 {
			t.Fatalf("keyring header of profile:sandbox: %v (exit %d)", err, r.code)
		}
		chunk := fmt.Sprintf("profile:sandbox/chunk/%s/%d", hdr.Gen, hdr.Chunks-1)
		if r := h.runQuiet(t, "secret-tool", "clear", "service", "ptsaml", "username", chunk); r.code != 0 {
			t.Fatalf("secret-tool clear %s: exit %d: %s", chunk, r.code, r.stderr)
		}
		return hdr.Chunks, hdr.Chunks
	}

	n, of := removeLastChunk()
	want := fmt.Sprintf("error: stored credentials for profile sandbox are damaged (chunk %d of %d is missing in the keyring): "+
		"run `ptsaml logout --profile sandbox` and log in again\n", n, of)
	if r := h.run(t, time.Minute, nil, ptsaml, "status", "--profile", "sandbox"); r.code != 1 || r.stderr != want || r.stdout != "" {
		t.Errorf("status: exit %d, stdout %d bytes, stderr:\n%s\nwant exit 1, nothing on stdout and only:\n%s",
			r.code, len(r.stdout), r.stderr, want)
	}
	// The profile can sign in by itself (its browser command): a sign-in
	// replaces the damaged entry, with a warning naming the damage.
	r := h.run(t, time.Minute, nil, ptsaml, "credential-process", "--profile", "sandbox")
	if r.code != 0 || !strings.Contains(r.stdout, `"AccessKeyId"`) ||
		!strings.Contains(r.stderr, fmt.Sprintf("warning: the stored credentials of profile sandbox are damaged (chunk %d of %d is missing in the keyring); signing in again replaces them", n, of)) {
		t.Errorf("credential-process over the damaged entry: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if r := h.run(t, time.Minute, nil, ptsaml, "status", "--profile", "sandbox"); r.code != 0 {
		t.Fatalf("status after the sign-in replaced the entry: exit %d\n%s", r.code, r.stderr)
	}

	removeLastChunk()
	if r := h.run(t, time.Minute, nil, ptsaml, "logout", "--profile", "sandbox"); r.code != 0 {
		t.Fatalf("logout: exit %d", r.code)
	}
	if n := keyringItems(t, h, "profile:sandbox"); n != 0 {
		t.Fatalf("%d keyring entries of profile sandbox left after logout", n)
	}
	if r := h.run(t, time.Minute, nil, ptsaml, "status", "--profile", "sandbox"); r.code != 4 || !strings.Contains(r.stdout, "not logged in") {
		t.Fatalf("status after logout: exit %d, want 4 and not logged in", r.code)
	}
	if r := h.run(t, time.Minute, nil, ptsaml, "login", "--profile", "sandbox"); r.code != 0 {
		t.Fatalf("login after logout: exit %d", r.code)
	}
	if r := h.run(t, time.Minute, nil, ptsaml, "status", "--profile", "sandbox"); r.code != 0 {
		t.Fatalf("status after the new login: exit %d", r.code)
	}
}
