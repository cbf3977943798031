package submit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/credstore"
	"github.com/ptsaml/ptsaml/pkg/broker"
)

// deadKeyring is an OS keyring whose every call fails with err, as
// go-keyring does when the D-Bus socket is gone.
type deadKeyring struct{ err error }

func (d deadKeyring) Set(string, string, string) error   { return d.err }
func (d deadKeyring) Get(string, string) (string, error) { return "", d.err }
func (d deadKeyring) Delete(string, string) error        { return d.err }
func deadCache(cause string) broker.Cache {
	return broker.Cache{Store: keyringWith(deadKeyring{errors.New(cause)}, 0)}
}
func keyringWith(api credstore.KeyringAPI, timeout time.Duration) *credstore.KeyringStore {
	return &credstore.KeyringStore{API: api, Timeout: timeout}
}

// keyringDown is the error the keyring store gives a read while the keyring
// answers cause.
func keyringDown(cause string) error {
	_, err := deadCache(cause).Load(context.Background(), "dev")
	return err
}

// hungKeyring never answers until it is closed.
type hungKeyring struct{ release chan struct{} }

func (h hungKeyring) Set(string, string, string) error   { <-h.release; return nil }
func (h hungKeyring) Get(string, string) (string, error) { <-h.release; return "", nil }
func (h hungKeyring) Delete(string, string) error        { <-h.release; return nil }

// flakySource is the store of a memSource that fails every Load while err
// is set, or waits for the end of Load's context while hang is set.
type flakySource struct {
	mem   *memSource
	mu    sync.Mutex
	err   error
	hang  bool
	loads int
}

func (f *flakySource) Load(ctx context.Context) (*broker.Session, error) {
	f.mu.Lock()
	f.loads++
	err, hang := f.err, f.hang
	f.mu.Unlock()
	switch {
	case hang:
		<-ctx.Done()
		return nil, fmt.Errorf("load cached credentials: %w", ctx.Err())
	case err != nil:
		return nil, err
	}
	return f.mem.Load(ctx)
}

func (f *flakySource) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *flakySource) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.loads
}

// startFlaky is startRefresher with a flakySource; loadTimeout 0 keeps the
// default.
func startFlaky(t *testing.T, o RefreshOptions, initial *broker.Session, loadTimeout time.Duration) (*harness, *flakySource) {
	t.Helper()
	var src *flakySource
	h := startRefresherFrom(t, o, initial, func(m *memSource) Source {
		src = &flakySource{mem: m}
		return src
	}, loadTimeout)
	return h, src
}

func cannotRead(cause, keeps string) string {
	return "ptsaml: cannot read the credential store (" + cause + "); " + keeps +
		"; new ones are picked up once it is readable again"
}

const readableAgain = "ptsaml: the credential store is readable again"

func checkStatus(t *testing.T, h *harness, want []string) {
	t.Helper()
	if got := h.status.lines(); !slices.Equal(got, want) {
		t.Errorf("status\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestRefresherStoreDown(t *testing.T) {
	const dial = "dial unix /run/user/1000/bus: connect: no such file or directory"
	h, src := startFlaky(t, RefreshOptions{RoleARN: roleA, Poll: time.Minute, WarnBefore: []time.Duration{}},
		session("K1", roleA, t0, t0.Add(time.Hour)), 0)
	h.advance(t, 5*time.Minute, time.Minute)
	src.fail(keyringDown(dial))
	before := src.count()
	h.advance(t, 10*time.Minute, time.Minute)

	down := cannotRead("keyring not reachable: "+dial, "the job keeps its current credentials, valid until 14:00 UTC")
	checkStatus(t, h, []string{down})
	if n := src.count() - before; n < 10 {
		t.Errorf("the store was read %d times in 10 minutes of 1m polls, want at least 10", n)
	}
	if cur, ok := h.sink.Current(); !ok || cur.AccessKeyID != "K1" || cur.SessionToken != "token-K1" {
		t.Errorf("the endpoint holds %q (%v) while the store is down, want K1", cur.AccessKeyID, ok)
	}
	if n := strings.Count(h.log.String(), "connect: no such file or directory"); n != 1 {
		t.Errorf("store error logged %d times, want once:\n%s", n, h.log.String())
	}

	// A login while the store was down is seen once it answers again.
	h.src.set(session("K2", roleA, t0.Add(16*time.Minute), t0.Add(76*time.Minute)))
	src.fail(nil)
	h.advance(t, 2*time.Minute, time.Minute)
	picked := "ptsaml: picked up new credentials (valid until 14:16:00 UTC)"
	checkStatus(t, h, []string{down, readableAgain, picked})
	if cur, _ := h.sink.Current(); cur.AccessKeyID != "K2" || h.r.Refreshes() != 1 {
		t.Errorf("the endpoint holds %s after %d refreshes, want K2 after 1", cur.AccessKeyID, h.r.Refreshes())
	}

	// Another failure is another episode: one more line, with the new expiry.
	src.fail(errors.New(`cached credentials for profile "dev" are unreadable; run ptsaml logout --profile dev`))
	h.advance(t, 3*time.Minute, time.Minute)
	checkStatus(t, h, []string{down, readableAgain, picked, cannotRead(
		`cached credentials for profile "dev" are unreadable; run ptsaml logout --profile dev`,
		"the job keeps its current credentials, valid until 14:16 UTC")})
	if strings.Contains(h.status.String()+h.log.String(), "secret-") || strings.Contains(h.status.String(), "token-") {
		t.Error("a secret reached a status or log line")
	}
}

// TestRefresherStoreDownWarnsOnTime checks that warnings and the expiry line
// come at their moment while every read of the store fails.
func TestRefresherStoreDownWarnsOnTime(t *testing.T) {
	h, src := startFlaky(t, RefreshOptions{RoleARN: roleA, Poll: 7 * time.Minute, WarnBefore: []time.Duration{15 * time.Minute}},
		session("K1", roleA, t0, t0.Add(time.Hour)), 0)
	src.fail(keyringDown("The name org.freedesktop.secrets was not provided by any .service files"))
	h.advance(t, 7*time.Minute, 7*time.Minute)
	down := cannotRead("keyring not reachable: The name org.freedesktop.secrets was not provided by any .service files",
		"the job keeps its current credentials, valid until 14:00 UTC")
	checkStatus(t, h, []string{down})
	h.advance(t, 37*time.Minute, time.Minute) // 13:44
	checkStatus(t, h, []string{down})
	h.advance(t, time.Minute, time.Minute) // 13:45
	checkStatus(t, h, []string{down, warning("14:00", "15m0s")})
	h.advance(t, 15*time.Minute, 15*time.Minute) // 14:00
	checkStatus(t, h, []string{down, warning("14:00", "15m0s"), expired("14:00")})
	if cur, ok := h.sink.Current(); !ok || cur.AccessKeyID != "K1" {
		t.Errorf("the endpoint holds %q (%v), want K1", cur.AccessKeyID, ok)
	}
}

// TestRefresherHungStore checks that a store that never answers is given up
// on after the load timeout, said once, and holds back no warning.
func TestRefresherHungStore(t *testing.T) {
	h, src := startFlaky(t, RefreshOptions{RoleARN: roleA, Poll: 10 * time.Minute, WarnBefore: []time.Duration{5 * time.Minute}},
		session("K1", roleA, t0, t0.Add(time.Hour)), 20*time.Millisecond)
	src.mu.Lock()
	src.hang = true
	src.mu.Unlock()
	h.advance(t, 55*time.Minute, 5*time.Minute)
	checkStatus(t, h, []string{
		cannotRead("no answer within 20ms", "the job keeps its current credentials, valid until 14:00 UTC"),
		warning("14:00", "5m0s"),
	})
}

func TestStoreCause(t *testing.T) {
	hung := hungKeyring{release: make(chan struct{})}
	defer close(hung.release)
	_, timedOut := broker.Cache{Store: keyringWith(hung, 20*time.Millisecond)}.Load(context.Background(), "dev")
	long := strings.Repeat("é", 200)
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"keyring gone", keyringDown("dial unix /tmp/bus: connect: connection refused"),
			"keyring not reachable: dial unix /tmp/bus: connect: connection refused"},
		{"keyring gives no answer", timedOut, "keyring not reachable: no answer within 20ms"},
		{"load timeout", fmt.Errorf("load: %w", context.DeadlineExceeded), "no answer within 15s"},
		{"other error", errors.New("file store: permission denied"), "file store: permission denied"},
		{"several lines", errors.Join(errors.New("first"), errors.New("second")), "first second"},
		{"too long", errors.New(long), strings.Repeat("é", maxCause-1) + "…"},
	}
	r := NewRefresher(&memSource{}, &memSink{}, RefreshOptions{}, Deps{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.storeCause(tt.err); got != tt.want {
				t.Errorf("storeCause(%q) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}
