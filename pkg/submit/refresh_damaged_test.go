package submit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/pkg/broker"
)

// A damaged store entry is said once, whole (the command to run must not be
// cut), with what the job keeps; the job keeps its credentials, and a login
// that replaces the entry reaches it.
func TestRefresherDamagedEntry(t *testing.T) {
	h, src := startFlaky(t, RefreshOptions{RoleARN: roleA, Poll: time.Minute, WarnBefore: []time.Duration{}},
		session("K1", roleA, t0, t0.Add(time.Hour)), 0)
	damaged := &broker.DamagedError{Profile: "research-training-gpu-cluster-east", Reason: "chunk 3 of 3 is missing in the keyring"}
	src.fail(damaged)
	h.advance(t, 5*time.Minute, time.Minute)
	said := "ptsaml: " + damaged.Error() + "; the job keeps its current credentials, valid until 14:00 UTC"
	checkStatus(t, h, []string{said})
	if cur, _ := h.sink.Current(); cur.AccessKeyID != "K1" {
		t.Errorf("the endpoint holds %s, want K1", cur.AccessKeyID)
	}
	h.src.set(session("K2", roleA, t0.Add(6*time.Minute), t0.Add(66*time.Minute)))
	src.fail(nil)
	h.advance(t, 2*time.Minute, time.Minute)
	checkStatus(t, h, []string{said, "ptsaml: picked up new credentials (valid until 14:06:00 UTC)"})
}

// failingReauth fails every call with err and records when it was called.
type failingReauth struct {
	mu    sync.Mutex
	err   error
	calls int
}

func (f *failingReauth) reauth(context.Context) (*broker.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return nil, f.err
}

func (f *failingReauth) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// A store that comes back does not reset the back-off of a re-auth that
// failed for another reason (the IdP refused): it would be retried at every
// poll otherwise.
func TestRefresherStoreRecoveryKeepsIdPBackoff(t *testing.T) {
	ra := &failingReauth{err: errors.New("ecp: the IdP refused the service account's password")}
	h, src := startFlaky(t, RefreshOptions{RoleARN: roleA, Poll: 10 * time.Second, WarnBefore: []time.Duration{}, Reauth: ra.reauth},
		session("K1", roleA, t0, t0.Add(time.Hour)), 0)
	h.advance(t, 40*time.Minute+30*time.Second, time.Second) // re-auth failing since 13:40, 1m apart by now
	before := ra.count()
	// The store flaps: down for a poll, back, down, back…
	for range 6 {
		src.fail(keyringDown(busGone))
		h.advance(t, 10*time.Second, 10*time.Second)
		src.fail(nil)
		h.advance(t, 10*time.Second, 10*time.Second)
	}
	if n := ra.count() - before; n > 3 {
		t.Errorf("%d re-auth attempts in 2 minutes of a flapping store, want the 1m back-off kept (at most 3)", n)
	}
}
