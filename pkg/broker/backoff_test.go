package broker

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// backoffRecorder replaces the client's backoff with the SDK's own (built
// from the same options NewSTS sets, so it computes exactly the delays the
// CLI would wait), records each delay, and waits a fraction of it so tests
// stay fast. With hold > 0 it waits hold instead.
type backoffRecorder struct {
	scale  time.Duration // the wait is the SDK's delay divided by scale
	hold   time.Duration
	waited chan struct{} // when set, receives once per wait, before it starts

	mu    sync.Mutex
	waits []backoffWait
}

type backoffWait struct {
	attempt    int // the attempt that failed (1-based)
	sdk, slept time.Duration
}

func (r *backoffRecorder) option(o *retry.StandardOptions) {
	sdk := retry.NewStandard(func(s *retry.StandardOptions) { *s = *o })
	o.Backoff = retry.BackoffDelayerFunc(func(attempt int, err error) (time.Duration, error) {
		d, derr := sdk.RetryDelay(attempt, err)
		slept := r.hold
		if slept == 0 {
			slept = d / r.scale
		}
		r.mu.Lock()
		r.waits = append(r.waits, backoffWait{attempt: attempt, sdk: d, slept: slept})
		r.mu.Unlock()
		if r.waited != nil {
			r.waited <- struct{}{}
		}
		return slept, derr
	})
}

func (r *backoffRecorder) Waits() []backoffWait {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]backoffWait(nil), r.waits...)
}

// timedSTS is a loopback STS that always answers reply and notes when each
// request arrived.
func timedSTS(t *testing.T, reply stsReply) (*fakeSTS, func() []time.Time) {
	var mu sync.Mutex
	var arrived []time.Time
	fake := newFakeSTS(t, func(int, url.Values) stsReply {
		mu.Lock()
		arrived = append(arrived, time.Now())
		mu.Unlock()
		return reply
	})
	return fake, func() []time.Time { mu.Lock(); defer mu.Unlock(); return append([]time.Time(nil), arrived...) }
}

// The waits are random (full jitter), grow with the attempt, stay under the
// documented ceilings and are really waited.
func TestSTSBackoffIsJitteredAndBounded(t *testing.T) {
	const runs = 8
	tests := []struct {
		name     string
		reply    stsReply
		ceilings map[int]time.Duration // by failed attempt
	}{
		{"throttling", stsError(http.StatusBadRequest, "Throttling", "Rate exceeded"), map[int]time.Duration{1: time.Second, 2: 2 * time.Second}},
		{"5xx", stsError(http.StatusInternalServerError, "InternalFailure", "An internal error occurred"), map[int]time.Duration{1: 50 * time.Millisecond, 2: 100 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[int]map[time.Duration]bool{1: {}, 2: {}}
			for run := range runs {
				fake, arrivals := timedSTS(t, tt.reply)
				rec := &backoffRecorder{scale: 100}
				_, err := Exchange(context.Background(), newSTS("eu-west-1", fake.srv.URL, fake.srv.Client(), rec.option),
					ExchangeInput{Login: testLogin(), Role: trainRole, Profile: "dev"}, Deps{})
				if err == nil {
					t.Fatal("Exchange succeeded")
				}
				waits, at := rec.Waits(), arrivals()
				if len(waits) != 2 || len(at) != 3 {
					t.Fatalf("run %d: %d waits and %d requests, want 2 and 3", run, len(waits), len(at))
				}
				for i, w := range waits {
					if w.attempt != i+1 {
						t.Errorf("run %d: wait %d follows attempt %d, want %d", run, i, w.attempt, i+1)
					}
					if w.sdk <= 0 || w.sdk > tt.ceilings[w.attempt] || w.sdk > stsMaxBackoff {
						t.Errorf("run %d: wait after attempt %d = %v, want in (0, %v] and at most %v",
							run, w.attempt, w.sdk, tt.ceilings[w.attempt], stsMaxBackoff)
					}
					// The SDK really waits before the next attempt is sent.
					if gap := at[i+1].Sub(at[i]); gap < w.slept {
						t.Errorf("run %d: request %d came %v after the previous one, before the %v wait ended", run, i+1, gap, w.slept)
					}
					seen[w.attempt][w.sdk] = true
				}
			}
			for attempt, delays := range seen {
				if len(delays) < 2 {
					t.Errorf("waits after attempt %d were the same in all %d runs (%v): no jitter", attempt, runs, delays)
				}
			}
		})
	}
}

// Under long throttling (more attempts than NewSTS makes) the exponential
// growth stops at stsMaxBackoff.
func TestSTSBackoffStopsAtMaxBackoff(t *testing.T) {
	fake, _ := timedSTS(t, stsError(http.StatusBadRequest, "Throttling", "Rate exceeded"))
	rec := &backoffRecorder{scale: 1000}
	more := func(o *retry.StandardOptions) { o.MaxAttempts = 8 }
	_, err := Exchange(context.Background(), newSTS("eu-west-1", fake.srv.URL, fake.srv.Client(), more, rec.option),
		ExchangeInput{Login: testLogin(), Role: trainRole, Profile: "dev"}, Deps{})
	if err == nil || len(fake.Calls()) != 8 {
		t.Fatalf("err = %v after %d calls, want an error after 8", err, len(fake.Calls()))
	}
	for _, w := range rec.Waits() {
		ceiling := min(time.Second<<(w.attempt-1), stsMaxBackoff)
		if w.sdk <= 0 || w.sdk > ceiling {
			t.Errorf("wait after attempt %d = %v, want in (0, %v]", w.attempt, w.sdk, ceiling)
		}
	}
}

// Cancelling (Ctrl-C) while the client waits to retry ends the call at once
// with the context's error, without another attempt.
func TestSTSCancelDuringBackoff(t *testing.T) {
	fake := newFakeSTS(t, func(int, url.Values) stsReply { return stsError(http.StatusBadRequest, "Throttling", "Rate exceeded") })
	rec := &backoffRecorder{hold: time.Hour, waited: make(chan struct{}, 1)}
	td := newTestDeps()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := Exchange(ctx, newSTS("eu-west-1", fake.srv.URL, fake.srv.Client(), rec.option),
			ExchangeInput{Login: testLogin(), Role: trainRole, Profile: "dev"}, td.Deps)
		done <- err
	}()
	<-rec.waited // the first attempt failed; the client is about to wait an hour
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Exchange still waiting 30s after cancel (backoff 1h)")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := len(fake.Calls()); n != 1 {
		t.Errorf("STS calls = %d, want 1", n)
	}
	if got := Explain(err); got != err {
		t.Errorf("Explain turned a cancellation into %q", got)
	}
	if ev := td.audit.events; len(ev) != 1 || ev[0].Event != "sts.error" || ev[0].Fields["code"] != "Canceled" {
		t.Errorf("audit = %+v, want one sts.error with code Canceled", ev)
	}
}
