package submit

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/ptsaml/ptsaml/internal/credserver"
	"github.com/ptsaml/ptsaml/internal/testing/syncbuf"
	"github.com/ptsaml/ptsaml/pkg/broker"
)

var t0 = time.Date(2026, 11, 29, 13, 0, 0, 0, time.UTC)

const (
	roleA = "arn:aws:iam::123456789012:role/TrainRole"
	roleB = "arn:aws:iam::123456789012:role/OtherRole"
)

func session(key, role string, issued, exp time.Time) *broker.Session {
	return &broker.Session{AccessKeyID: key, SecretAccessKey: "secret-" + key, SessionToken: "token-" + key,
		Expiration: exp, IssuedAt: issued, Profile: "dev", RoleARN: role, Account: "123456789012",
		RoleSessionName: "alice"}
}

// memSink keeps credentials in memory as the credentials endpoint does.
type memSink struct {
	mu  sync.Mutex
	cur credserver.Credentials
	ok  bool
}

func (s *memSink) Update(c credserver.Credentials) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ok && !c.Expiration.After(s.cur.Expiration) {
		return false
	}
	s.cur, s.ok = c, true
	return true
}

func (s *memSink) Current() (credserver.Credentials, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur, s.ok
}

// memSource is a credential store holding one session.
type memSource struct {
	mu sync.Mutex
	s  *broker.Session
}

func (m *memSource) set(s *broker.Session) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s = s
}

func (m *memSource) Load(context.Context) (*broker.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.s == nil {
		return nil, broker.ErrNoSession
	}
	c := *m.s
	return &c, nil
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct{ syncbuf.Buffer }

func (b *syncBuffer) lines() []string {
	s := strings.TrimSuffix(b.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// recorder is an Auditor that keeps events.
type recorder struct {
	mu     sync.Mutex
	events []auditEvent
}

type auditEvent struct {
	name   string
	fields map[string]any
}

func (r *recorder) Record(name string, fields map[string]any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, auditEvent{name, fields})
	return nil
}

func (r *recorder) all() []auditEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]auditEvent(nil), r.events...)
}

// harness runs a Refresher on a fake clock.
type harness struct {
	clk    *clockwork.FakeClock
	src    *memSource
	sink   *memSink
	status *syncBuffer
	log    *syncBuffer
	audit  *recorder
	r      *Refresher
	ctx    context.Context
	stop   func()
}

// startRefresher feeds initial to the sink and the store, starts Run at t0
// and returns once the Refresher waits for its timer.
func startRefresher(t *testing.T, o RefreshOptions, initial *broker.Session) *harness {
	t.Helper()
	return startRefresherFrom(t, o, initial, nil, 0)
}

// startRefresherFrom is startRefresher reading the store through wrap(store)
// when wrap is set; loadTimeout 0 keeps the default.
func startRefresherFrom(t *testing.T, o RefreshOptions, initial *broker.Session, wrap func(*memSource) Source, loadTimeout time.Duration) *harness {
	t.Helper()
	h := &harness{clk: clockwork.NewFakeClockAt(t0), src: &memSource{}, sink: &memSink{},
		status: &syncBuffer{}, log: &syncBuffer{}, audit: &recorder{}}
	var src Source = h.src
	if wrap != nil {
		src = wrap(h.src)
	}
	if initial != nil {
		h.src.set(initial)
		h.sink.Update(credserver.Credentials{AccessKeyID: initial.AccessKeyID, SecretAccessKey: initial.SecretAccessKey,
			SessionToken: initial.SessionToken, Expiration: initial.Expiration})
	}
	if o.Profile == "" {
		o.Profile = "dev"
	}
	h.r = NewRefresher(src, h.sink, o, Deps{Clock: h.clk, Status: h.status, Audit: h.audit, Log: testLogger(h.log)})
	if loadTimeout > 0 {
		h.r.loadTimeout = loadTimeout
	}
	ctx, cancel := context.WithCancel(t.Context())
	h.ctx = ctx
	done := make(chan error, 1)
	go func() { done <- h.r.Run(ctx) }()
	h.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(func() {
		if ctx.Err() == nil {
			h.stop()
		}
	})
	h.wait(t)
	return h
}

// wait returns once the Refresher has finished its round and set its timer.
func (h *harness) wait(t *testing.T) {
	t.Helper()
	if err := h.clk.BlockUntilContext(h.ctx, 1); err != nil {
		t.Fatalf("refresher not waiting: %v", err)
	}
}

// advance moves the clock by total in steps of step, letting the Refresher
// run a round after each.
func (h *harness) advance(t *testing.T, total, step time.Duration) {
	t.Helper()
	for done := time.Duration(0); done < total; done += step {
		h.clk.Advance(min(step, total-done))
		h.wait(t)
	}
}

func testLogger(w *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// waitFor polls cond until it holds or a generous deadline passes; it waits
// for another process, it does not time anything.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func fileExists(path string) func() bool {
	return func() bool { _, err := os.Stat(path); return err == nil }
}

func writeScript(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "job.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}
