package login

import (
	"context"
	"strings"
	"testing"
	"time"
)

// An IdP whose clock is off by more than the allowances: the refusal names
// the skew, in the right direction, and says to fix the clock; with the time
// the request was made it can be sure the IdP is behind.
func TestValidateNamesClockSkew(t *testing.T) {
	f := newFixture(t, testACS)
	now := f.clk.Now()
	tests := []struct {
		name        string
		idpOffset   time.Duration // IdP clock minus this machine's
		requestedAt time.Time     // zero: not known
		code        string
		contains    []string
		hint        string
	}{
		{name: "IdP ahead", idpOffset: 10 * time.Minute, requestedAt: now.Add(-2 * time.Second), code: CodeFutureIssueInstant,
			contains: []string{"assertion IssueInstant is 10m0s in the future", "about 10m0s behind the IdP's"}, hint: hintClock},
		{name: "IdP ahead, request time unknown", idpOffset: 7 * time.Minute, code: CodeFutureIssueInstant,
			contains: []string{"7m0s in the future", "about 7m0s behind the IdP's"}, hint: hintClock},
		{name: "IdP behind: issued before the request", idpOffset: -10 * time.Minute, requestedAt: now.Add(-3 * time.Second), code: CodeStale,
			contains: []string{"issued 9m57s before this login's request was sent", "this machine's clock is about 10m0s ahead of the IdP's", "timedatectl / chrony"},
			hint:     hintClock},
		{name: "IdP behind, after a slow sign-in: the skew is a range", idpOffset: -10 * time.Minute, requestedAt: now.Add(-4 * time.Minute), code: CodeStale,
			contains: []string{"issued 6m0s before this login's request was sent", "this machine's clock is between 6m0s and 10m0s ahead of the IdP's"},
			hint:     hintClock},
		{name: "IdP behind, request time unknown", idpOffset: -10 * time.Minute, code: CodeStale,
			contains: []string{"issued 10m0s ago", "the sign-in took that long, or this machine's clock is about 10m0s ahead of the IdP's"},
			hint:     hintMaybeClock},
		{name: "IdP behind by less than the slack before a slow sign-in", idpOffset: -2*time.Minute - 4*time.Second, requestedAt: now.Add(-2 * time.Minute),
			code: CodeStale, contains: []string{"issued 2m4s ago", "the sign-in took that long, or"}, hint: hintMaybeClock},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := f.good(testReqID)
			o.Now = now.Add(tt.idpOffset) // every time the IdP writes comes from its clock
			v := ValidateOptions{RequestID: testReqID, Clock: f.clk, Replay: &MemoryReplayCache{Clock: f.clk}, RequestedAt: tt.requestedAt}
			_, err := Validate(context.Background(), f.build(t, o), f.cfg, v)
			for _, c := range tt.contains {
				assertRejected(t, err, tt.code, c)
			}
			if rej := err.(*RejectedError); rej.Hint != tt.hint {
				t.Errorf("hint = %q, want %q", rej.Hint, tt.hint)
			}
		})
	}
}

// A slow sign-in with clocks that agree is not called clock skew, however
// late the answer comes; and skew within the allowances is accepted.
func TestValidateClockSkewBoundaries(t *testing.T) {
	f := newFixture(t, testACS)
	now := f.clk.Now()
	t.Run("late answer, clocks agree", func(t *testing.T) {
		o := f.good(testReqID)
		o.Now = now.Add(-4 * time.Minute) // issued a minute after the request, posted 4 minutes later
		o.NotOnOrAfter = now.Add(time.Minute)
		v := ValidateOptions{RequestID: testReqID, Clock: f.clk, RequestedAt: now.Add(-5 * time.Minute)}
		_, err := Validate(context.Background(), f.build(t, o), f.cfg, v)
		assertRejected(t, err, CodeStale, "issued 4m0s ago")
		if strings.Contains(err.Error(), "before this login's request") {
			t.Errorf("reason %q claims skew the times do not prove", err)
		}
	})
	t.Run("unsolicited answer", func(t *testing.T) {
		o := f.good("")
		o.InResponseTo = ""
		o.Now = now.Add(-10 * time.Minute)
		cfg := f.cfg
		cfg.AllowIdPInitiated = true
		v := ValidateOptions{Clock: f.clk, RequestedAt: now.Add(-time.Second)}
		_, err := Validate(context.Background(), f.build(t, o), cfg, v)
		assertRejected(t, err, CodeStale, "the sign-in took that long, or this machine's clock is about 10m0s ahead")
	})
	for _, off := range []time.Duration{-80 * time.Second, 2 * time.Minute} {
		t.Run("accepted skew "+off.String(), func(t *testing.T) {
			o := f.good(testReqID)
			o.Now = now.Add(off)
			o.NotOnOrAfter = now.Add(5 * time.Minute)
			v := ValidateOptions{RequestID: testReqID, Clock: f.clk, RequestedAt: now.Add(-time.Second)}
			if _, err := Validate(context.Background(), f.build(t, o), f.cfg, v); err != nil {
				t.Fatalf("Validate with the IdP %v off: %v", off, err)
			}
		})
	}
}
