package submit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/pkg/broker"
)

func TestRefresherNotifyCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "env")
	script := writeScript(t, `printf '%s %s %s\n' "$PTSAML_PROFILE" "$PTSAML_EXPIRES_AT" "$PTSAML_EXPIRES_IN" >> "$1"`)
	h := startRefresher(t, RefreshOptions{RoleARN: roleA, Poll: time.Minute, NotifyCommand: []string{script, out}},
		session("K1", roleA, t0, t0.Add(time.Hour)))
	h.advance(t, 30*time.Minute, time.Minute)
	h.stop() // waits for the notify commands
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), "dev 2026-11-29T14:00:00Z 1800\n"; got != want {
		t.Errorf("notify command saw %q, want %q", got, want)
	}
}

func TestRefresherNotifyCommandFailureIsLogged(t *testing.T) {
	h := startRefresher(t, RefreshOptions{RoleARN: roleA, Poll: time.Minute, WarnBefore: []time.Duration{5 * time.Minute},
		NotifyCommand: []string{"sh", "-c", "echo broken >&2; exit 3"}}, session("K1", roleA, t0, t0.Add(time.Hour)))
	h.advance(t, 56*time.Minute, time.Minute)
	h.stop()
	if log := h.log.String(); !strings.Contains(log, "notify command failed") || !strings.Contains(log, "broken") {
		t.Errorf("log %q", log)
	}
	want := []string{warning("14:00", "5m0s")}
	if got := h.status.lines(); !slices.Equal(got, want) {
		t.Errorf("status %q, want %q", got, want)
	}
}

// reauther is a Reauth that fails a number of times, then succeeds.
type reauther struct {
	mu    sync.Mutex
	h     *harness
	fails int
	calls []time.Time
}

func (r *reauther) reauth(context.Context) (*broker.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.h.clk.Now()
	r.calls = append(r.calls, now)
	if len(r.calls) <= r.fails {
		return nil, errors.New("idp down")
	}
	return session("K2", roleA, now, now.Add(time.Hour)), nil
}

func (r *reauther) gaps() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []time.Duration
	for i := 1; i < len(r.calls); i++ {
		out = append(out, r.calls[i].Sub(r.calls[i-1]))
	}
	return out
}

func TestRefresherReauth(t *testing.T) {
	tests := []struct {
		name  string
		fails int
		gaps  []time.Duration
	}{
		{"first attempt works", 0, nil},
		{"retried with back-off", 3, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{"back-off capped at a minute", 8, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
			16 * time.Second, 32 * time.Second, time.Minute, time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ra := &reauther{fails: tt.fails}
			h := startRefresher(t, RefreshOptions{RoleARN: roleA, Poll: time.Minute, Reauth: ra.reauth},
				session("K1", roleA, t0, t0.Add(time.Hour)))
			ra.mu.Lock()
			ra.h = h
			ra.mu.Unlock()
			h.advance(t, 39*time.Minute, time.Minute)
			if len(ra.calls) != 0 {
				t.Fatalf("re-auth called at %v, before the lead time", ra.calls)
			}
			h.advance(t, 10*time.Minute, time.Second)
			if len(ra.calls) == 0 || !ra.calls[0].Equal(t0.Add(40*time.Minute)) {
				t.Fatalf("re-auth calls %v, want the first at 13:40 (20m before expiry)", ra.calls)
			}
			if got := ra.gaps(); !slices.Equal(got, tt.gaps) {
				t.Errorf("gaps between calls %v, want %v", got, tt.gaps)
			}
			var want []string // the same failure is said once (all within 15 minutes here)
			if len(tt.gaps) > 0 {
				want = append(want, "ptsaml: automatic re-authentication for profile dev failed: idp down; next attempt in "+tt.gaps[0].String())
			}
			renewed := ra.calls[len(ra.calls)-1].Add(time.Hour).Format("15:04:05")
			want = append(want, "ptsaml: renewed the credentials automatically (valid until "+renewed+" UTC)")
			if got := h.status.lines(); !slices.Equal(got, want) {
				t.Errorf("status\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if cur, _ := h.sink.Current(); cur.AccessKeyID != "K2" || h.r.Refreshes() != 1 {
				t.Errorf("sink holds %s after %d refreshes, want K2 after 1", cur.AccessKeyID, h.r.Refreshes())
			}
			if ev := h.audit.all(); len(ev) != 1 || ev[0].fields["source"] != "reauth" {
				t.Errorf("audit %v", ev)
			}
		})
	}
}

func TestRefresherReauthKeepsFailing(t *testing.T) {
	ra := &reauther{fails: 1 << 30}
	h := startRefresher(t, RefreshOptions{RoleARN: roleA, Poll: time.Minute, Reauth: ra.reauth},
		session("K1", roleA, t0, t0.Add(time.Hour)))
	ra.mu.Lock()
	ra.h = h
	ra.mu.Unlock()
	h.advance(t, time.Hour, 10*time.Second)
	lines := h.status.lines()
	// The warnings before the re-auth lead (30m) are skipped; the later ones
	// and the expiry line still come.
	var kept, failed []string
	for _, l := range lines {
		if !strings.Contains(l, "re-authentication") {
			kept = append(kept, l)
		} else {
			failed = append(failed, l)
		}
	}
	// Failing from 13:40 to 14:00: said at 13:40 and again at 13:55, not at
	// every attempt.
	if len(failed) != 2 {
		t.Errorf("%d re-auth failure lines, want 2:\n%s", len(failed), strings.Join(failed, "\n"))
	}
	want := []string{warning("14:00", "15m0s"), warning("14:00", "5m0s"), expired("14:00")}
	if !slices.Equal(kept, want) {
		t.Errorf("status without re-auth lines\n%s\nwant\n%s", strings.Join(kept, "\n"), strings.Join(want, "\n"))
	}
	if len(ra.calls) < 20 {
		t.Errorf("only %d re-auth attempts in 20 minutes", len(ra.calls))
	}
}

func TestRefresherReauthWrongRole(t *testing.T) {
	h := startRefresher(t, RefreshOptions{RoleARN: roleA, Poll: time.Minute, WarnBefore: []time.Duration{},
		Reauth: func(context.Context) (*broker.Session, error) {
			return session("KB", roleB, t0, t0.Add(2*time.Hour)), nil
		}}, session("K1", roleA, t0, t0.Add(time.Hour)))
	h.advance(t, 41*time.Minute, time.Minute)
	want := []string{"ptsaml: ignoring new credentials for role " + roleB + ": this job runs as " + roleA,
		"ptsaml: automatic re-authentication for profile dev failed: it gave no newer credentials for the job's role; next attempt in 1s"}
	if got := h.status.lines(); len(got) < 2 || !slices.Equal(got[:2], want) {
		t.Errorf("status %q, want it to start with %q", got, want)
	}
	if cur, _ := h.sink.Current(); cur.AccessKeyID != "K1" {
		t.Errorf("sink holds %s, want K1", cur.AccessKeyID)
	}
}

func TestStartLine(t *testing.T) {
	s := session("K1", roleA, t0, t0.Add(time.Hour))
	tests := []struct {
		name   string
		s      *broker.Session
		reauth bool
		now    time.Time
		want   string
	}{
		{"manual", s, false, t0, "ptsaml: alice as TrainRole (123456789012), credentials until 14:00 UTC; re-login needed before 14:00 UTC (ptsaml login --profile dev)"},
		{"automatic", s, true, t0, "ptsaml: alice as TrainRole (123456789012), credentials until 14:00 UTC; refresh: automatic"},
		{"next day", session("K", "arn:aws:iam::1:role/p/ath/R", t0, t0.Add(12*time.Hour)), true, t0,
			"ptsaml: alice as R (123456789012), credentials until Nov 30 01:00 UTC; refresh: automatic"},
		{"nil", nil, false, t0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StartLine(tt.s, tt.reauth, tt.now); got != tt.want {
				t.Errorf("StartLine =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestExpiredMessage(t *testing.T) {
	want := "ptsaml: the AWS session of profile dev ended at 14:05 UTC; run `ptsaml login --profile dev` and the job continues"
	if got := ExpiredMessage("dev", time.Date(2026, 1, 2, 15, 5, 0, 0, time.FixedZone("CET", 3600))); got != want {
		t.Errorf("ExpiredMessage = %q, want %q", got, want)
	}
}

func TestRefresherReauthWithNothingToServe(t *testing.T) {
	h := startRefresher(t, RefreshOptions{RoleARN: roleA, Poll: time.Minute, Reauth: func(ctx context.Context) (*broker.Session, error) {
		return session("K2", roleA, t0, t0.Add(time.Hour)), nil
	}}, nil)
	if cur, ok := h.sink.Current(); !ok || cur.AccessKeyID != "K2" || h.r.Refreshes() != 1 {
		t.Errorf("sink holds %q (%v) after %d refreshes, want K2 after 1", cur.AccessKeyID, ok, h.r.Refreshes())
	}
}

// failingSource fails every Load.
type failingSource struct{}

func (failingSource) Load(context.Context) (*broker.Session, error) {
	return nil, errors.New("keyring locked")
}

func TestRefresherStoreErrorsLoggedOnce(t *testing.T) {
	h := startRefresher(t, RefreshOptions{RoleARN: roleA, Poll: time.Minute}, nil)
	h.stop()
	log := &syncBuffer{}
	r := NewRefresher(failingSource{}, h.sink, RefreshOptions{Profile: "dev", Poll: time.Minute}, Deps{Clock: h.clk, Log: testLogger(log)})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	for range 3 {
		if err := h.clk.BlockUntilContext(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		h.clk.Advance(time.Minute)
	}
	if err := h.clk.BlockUntilContext(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if n := strings.Count(log.String(), "keyring locked"); n != 1 {
		t.Errorf("store error logged %d times, want once:\n%s", n, log.String())
	}
}
