package submit

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/pkg/broker"
)

// storeReauth is a Reauth that signs in as an ECP or OIDC profile does and
// stores the session in a keyring that is down while down is set. With
// precheck it first reads the store, as `ptsaml login` does, and gives up
// when that fails.
type storeReauth struct {
	mu       sync.Mutex
	h        *harness
	src      *flakySource
	precheck bool
	calls    []time.Time
}

const busGone = "dial unix /run/user/1000/bus: connect: no such file or directory"

func (s *storeReauth) reauth(ctx context.Context) (*broker.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.h.clk.Now()
	s.calls = append(s.calls, now)
	s.src.mu.Lock()
	down := s.src.err != nil
	s.src.mu.Unlock()
	if down && s.precheck {
		return nil, keyringDown(busGone)
	}
	sess := session("K2", roleA, now, now.Add(time.Hour))
	if down {
		if err := deadCache(busGone).Save(ctx, sess); err != nil {
			return sess, fmt.Errorf("save credentials: %w", err)
		}
	}
	s.h.src.set(sess)
	return sess, nil
}

func (s *storeReauth) times() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.calls...)
}

func startStoreReauth(t *testing.T, precheck bool, poll time.Duration) (*harness, *flakySource, *storeReauth) {
	t.Helper()
	ra := &storeReauth{precheck: precheck}
	ra.mu.Lock() // Run's first round must not call it before h is set
	h, src := startFlaky(t, RefreshOptions{RoleARN: roleA, Poll: poll, WarnBefore: []time.Duration{}, Reauth: ra.reauth},
		session("K1", roleA, t0, t0.Add(time.Hour)), 0)
	ra.h, ra.src = h, src
	ra.mu.Unlock()
	return h, src, ra
}

// TestRefresherReauthWhileStoreDown checks that credentials renewed while
// the store cannot be written still reach the job.
func TestRefresherReauthWhileStoreDown(t *testing.T) {
	h, src, ra := startStoreReauth(t, false, time.Minute)
	h.advance(t, 30*time.Minute, time.Minute)
	src.fail(keyringDown(busGone))
	h.advance(t, 11*time.Minute, time.Minute) // re-auth at 13:40, 20m before expiry

	down := cannotRead("keyring not reachable: "+busGone, "the job keeps its current credentials, valid until 14:00 UTC")
	renewed := "ptsaml: renewed the credentials automatically (valid until 14:40:00 UTC)"
	checkStatus(t, h, []string{down, renewed})
	if calls := ra.times(); len(calls) != 1 || !calls[0].Equal(t0.Add(40*time.Minute)) {
		t.Errorf("re-auth calls %v, want one at 13:40", calls)
	}
	if cur, _ := h.sink.Current(); cur.AccessKeyID != "K2" || h.r.Refreshes() != 1 {
		t.Errorf("the endpoint holds %s after %d refreshes, want K2 after 1", cur.AccessKeyID, h.r.Refreshes())
	}
	if ev := h.audit.all(); len(ev) != 1 || ev[0].fields["source"] != "reauth" {
		t.Errorf("audit %v, want one refresh from reauth", ev)
	}

	src.fail(nil) // the store still holds K1: nothing newer to pick up
	h.advance(t, time.Minute, time.Minute)
	checkStatus(t, h, []string{down, renewed, readableAgain})
}

// TestRefresherReauthUnsaved checks the line for credentials renewed but not
// stored while the store can be read.
func TestRefresherReauthUnsaved(t *testing.T) {
	// Writes fail, reads work: Reauth reports the failed save with the session.
	reauth := func(ctx context.Context) (*broker.Session, error) {
		sess := session("K2", roleA, t0.Add(40*time.Minute), t0.Add(100*time.Minute))
		return sess, fmt.Errorf("save credentials: %w", deadCache(busGone).Save(ctx, sess))
	}
	h, _ := startFlaky(t, RefreshOptions{RoleARN: roleA, Poll: time.Minute, WarnBefore: []time.Duration{}, Reauth: reauth},
		session("K1", roleA, t0, t0.Add(time.Hour)), 0)
	h.advance(t, 41*time.Minute, time.Minute)
	checkStatus(t, h, []string{
		"ptsaml: renewed the credentials automatically (valid until 14:40:00 UTC)",
		"ptsaml: cannot save the renewed credentials in the credential store (keyring not reachable: " + busGone +
			"); this job uses them all the same",
	})
	if cur, _ := h.sink.Current(); cur.AccessKeyID != "K2" {
		t.Errorf("the endpoint holds %s, want K2", cur.AccessKeyID)
	}
}

// TestRefresherReauthWaitsForStore checks a Reauth that needs the store
// (it reads it before signing in): while the store is down its failures are
// not repeated on Status, and it is tried again at the first read that
// works, not after its back-off.
func TestRefresherReauthWaitsForStore(t *testing.T) {
	h, src, ra := startStoreReauth(t, true, 10*time.Second)
	h.advance(t, 30*time.Minute, time.Minute)
	src.fail(keyringDown(busGone))
	// Re-auth fails from 13:40 on, 1s, 2s, … up to 1m apart: the last
	// attempt before 13:49:05 is at 13:49:03, the next one due at 13:50:03.
	h.advance(t, 19*time.Minute+5*time.Second, time.Second)
	failed := len(ra.times())
	if failed < 10 {
		t.Errorf("%d re-auth attempts while the store was down, want more", failed)
	}
	back := h.clk.Now()
	src.fail(nil)
	h.advance(t, 15*time.Second, time.Second)

	calls := ra.times()
	if len(calls) != failed+1 {
		t.Fatalf("%d re-auth calls after the store came back, want 1", len(calls)-failed)
	}
	if at := calls[failed]; !at.After(back) || at.Sub(back) > 10*time.Second {
		t.Errorf("re-auth tried again at %s, want at the first store read after %s (10s polls)",
			at.Format("15:04:05"), back.Format("15:04:05"))
	}
	checkStatus(t, h, []string{
		cannotRead("keyring not reachable: "+busGone, "the job keeps its current credentials, valid until 14:00 UTC"),
		readableAgain,
		"ptsaml: renewed the credentials automatically (valid until " + calls[failed].Add(time.Hour).Format("15:04:05") + " UTC)",
	})
	if cur, _ := h.sink.Current(); cur.AccessKeyID != "K2" {
		t.Errorf("the endpoint holds %s, want K2", cur.AccessKeyID)
	}
}
