package submit

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/pkg/broker"
)

func TestRefresherPicksUpNewerSession(t *testing.T) {
	h := startRefresher(t, RefreshOptions{RoleARN: roleA, Poll: time.Minute, WarnBefore: []time.Duration{}},
		session("K1", roleA, t0, t0.Add(time.Hour)))
	h.advance(t, time.Minute, time.Minute)
	if n := h.r.Refreshes(); n != 0 || len(h.status.lines()) != 0 {
		t.Fatalf("refreshed %d times with nothing new; status %q", n, h.status.String())
	}

	h.src.set(session("K0", roleA, t0, t0.Add(30*time.Minute))) // older: not taken
	h.advance(t, time.Minute, time.Minute)
	h.src.set(session("K2", roleA, t0.Add(2*time.Minute), t0.Add(2*time.Hour+2*time.Minute)))
	h.advance(t, 3*time.Minute, time.Minute)

	if cur, _ := h.sink.Current(); cur.AccessKeyID != "K2" || cur.SessionToken != "token-K2" {
		t.Errorf("sink holds %s, want K2", cur.AccessKeyID)
	}
	if n := h.r.Refreshes(); n != 1 {
		t.Errorf("Refreshes = %d, want 1", n)
	}
	want := []string{"ptsaml: picked up new credentials (valid until 15:02:00 UTC)"}
	if got := h.status.lines(); !slices.Equal(got, want) {
		t.Errorf("status %q, want %q", got, want)
	}
	wantAudit := []auditEvent{{"refresh", map[string]any{"profile": "dev", "role_arn": roleA,
		"expiration": "2026-11-29T15:02:00Z", "source": "store", "access_key_id": "K2",
		"assumed_role_arn": "", "role_session_name": "alice"}}}
	if got := h.audit.all(); !reflect.DeepEqual(got, wantAudit) {
		t.Errorf("audit %v, want %v", got, wantAudit)
	}
	if strings.Contains(h.status.String()+h.log.String(), "secret-") {
		t.Error("a secret reached a status or log line")
	}
}

func TestRefresherIgnoresOtherRole(t *testing.T) {
	h := startRefresher(t, RefreshOptions{RoleARN: roleA, Poll: time.Minute, WarnBefore: []time.Duration{}},
		session("K1", roleA, t0, t0.Add(time.Hour)))
	h.src.set(session("KB", roleB, t0, t0.Add(3*time.Hour)))
	h.advance(t, 5*time.Minute, time.Minute)
	h.src.set(session("KB2", roleB, t0, t0.Add(4*time.Hour)))
	h.advance(t, 2*time.Minute, time.Minute)

	if cur, _ := h.sink.Current(); cur.AccessKeyID != "K1" {
		t.Errorf("sink holds %s, want K1", cur.AccessKeyID)
	}
	want := []string{"ptsaml: ignoring new credentials for role " + roleB + ": this job runs as " + roleA}
	if got := h.status.lines(); !slices.Equal(got, want) {
		t.Errorf("status %q, want %q", got, want)
	}
	if n := h.r.Refreshes(); n != 0 {
		t.Errorf("Refreshes = %d, want 0", n)
	}
}

func TestRefresherPinsFirstRoleWhenNoneGiven(t *testing.T) {
	h := startRefresher(t, RefreshOptions{Poll: time.Minute, WarnBefore: []time.Duration{}},
		session("K1", roleA, t0, t0.Add(time.Hour)))
	h.src.set(session("KB", roleB, t0, t0.Add(3*time.Hour)))
	h.advance(t, time.Minute, time.Minute)
	if cur, _ := h.sink.Current(); cur.AccessKeyID != "K1" {
		t.Errorf("sink holds %s, want K1", cur.AccessKeyID)
	}
}

func warning(exp, in string) string {
	return "ptsaml: AWS credentials of profile dev expire at " + exp + " UTC (in " + in +
		"): run `ptsaml login --profile dev` in any terminal; this job picks them up by itself"
}

func expired(at string) string {
	return "ptsaml: AWS credentials of profile dev expired at " + at +
		" UTC; AWS calls of this job fail until you run `ptsaml login --profile dev`"
}

func TestRefresherWarnings(t *testing.T) {
	tests := []struct {
		name    string
		initial *sessionSpec
		warn    []time.Duration
		run     time.Duration
		want    []string
	}{
		{"2h credentials, default lead times", &sessionSpec{issued: t0, life: 2 * time.Hour}, nil, 2*time.Hour + 10*time.Minute,
			[]string{warning("15:00", "1h0m0s"), warning("15:00", "30m0s"), warning("15:00", "15m0s"),
				warning("15:00", "5m0s"), expired("15:00")}},
		{"1h credentials skip the 60m lead", &sessionSpec{issued: t0, life: time.Hour}, nil, 2 * time.Hour,
			[]string{warning("14:00", "30m0s"), warning("14:00", "15m0s"), warning("14:00", "5m0s"), expired("14:00")}},
		{"started late: passed lead times give one line", &sessionSpec{issued: t0.Add(-50 * time.Minute), life: time.Hour}, nil, 20 * time.Minute,
			[]string{warning("13:10", "10m0s"), warning("13:10", "5m0s"), expired("13:10")}},
		{"custom lead times, unsorted", &sessionSpec{issued: t0, life: 3 * time.Hour}, []time.Duration{10 * time.Minute, 2 * time.Hour}, 3 * time.Hour,
			[]string{warning("16:00", "2h0m0s"), warning("16:00", "10m0s"), expired("16:00")}},
		{"no warnings", &sessionSpec{issued: t0, life: time.Hour}, []time.Duration{}, 2 * time.Hour, []string{expired("14:00")}},
		{"nothing to serve", nil, nil, 2 * time.Hour, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var initial = tt.initial.session()
			h := startRefresher(t, RefreshOptions{RoleARN: roleA, Poll: time.Minute, WarnBefore: tt.warn}, initial)
			h.advance(t, tt.run, time.Minute)
			if got := h.status.lines(); !slices.Equal(got, tt.want) {
				t.Errorf("status\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestRefresherWarnsOnTimeWithLongPoll checks that warnings come at their
// moment even when the store is re-read rarely.
func TestRefresherWarnsOnTimeWithLongPoll(t *testing.T) {
	h := startRefresher(t, RefreshOptions{RoleARN: roleA, Poll: time.Hour, WarnBefore: []time.Duration{15 * time.Minute}},
		session("K1", roleA, t0, t0.Add(time.Hour)))
	h.advance(t, 45*time.Minute, 45*time.Minute)
	if got, want := h.status.lines(), []string{warning("14:00", "15m0s")}; !slices.Equal(got, want) {
		t.Errorf("status %q, want %q", got, want)
	}
}

func TestRefresherWarningsRestartForNewCredentials(t *testing.T) {
	h := startRefresher(t, RefreshOptions{RoleARN: roleA, Poll: time.Minute, WarnBefore: []time.Duration{5 * time.Minute}},
		session("K1", roleA, t0, t0.Add(time.Hour)))
	h.advance(t, time.Hour+time.Minute, time.Minute)
	h.src.set(session("K2", roleA, t0.Add(61*time.Minute), t0.Add(2*time.Hour+time.Minute)))
	h.advance(t, time.Hour, time.Minute)
	want := []string{warning("14:00", "5m0s"), expired("14:00"),
		"ptsaml: picked up new credentials (valid until 15:01:00 UTC)", warning("15:01", "5m0s"), expired("15:01")}
	if got := h.status.lines(); !slices.Equal(got, want) {
		t.Errorf("status\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

type sessionSpec struct {
	issued time.Time
	life   time.Duration
}

func (s *sessionSpec) session() *broker.Session {
	if s == nil {
		return nil
	}
	return session("K1", roleA, s.issued, s.issued.Add(s.life))
}
