package broker

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/clock"
	"github.com/ptsaml/ptsaml/pkg/login"
)

var (
	t0        = time.Date(2026, 11, 29, 18, 0, 0, 0, time.UTC)
	trainRole = login.RolePair{
		RoleARN:      "arn:aws:iam::123456789012:role/TrainRole",
		PrincipalARN: "arn:aws:iam::123456789012:saml-provider/corp-idp",
	}
	readRole = login.RolePair{
		RoleARN:      "arn:aws:iam::123456789012:role/ReadOnlyRole",
		PrincipalARN: "arn:aws:iam::123456789012:saml-provider/corp-idp",
	}
	// testAssertion has '+', '/' and '=' so form encoding is exercised.
	testAssertion = base64.StdEncoding.EncodeToString(append([]byte(`<samlp:Response ID="_1">`), bytes.Repeat([]byte{0xfb, 0xff, 0xfe}, 60)...)) + "A=="
)

type auditEvent struct {
	Event  string
	Fields map[string]any
}

type fakeAudit struct {
	mu     sync.Mutex
	events []auditEvent
}

func (a *fakeAudit) Record(event string, fields map[string]any) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, auditEvent{event, fields})
	return nil
}

func testLogin() *login.Result {
	return &login.Result{
		SAMLResponse:        testAssertion,
		Issuer:              "https://idp.example.com/saml",
		NameID:              "alice@example.com",
		AssertionID:         "_a1",
		RoleSessionName:     "alice@example.com",
		SourceIdentity:      "alice",
		SessionNotOnOrAfter: t0.Add(12 * time.Hour),
		Roles:               []login.RolePair{trainRole, readRole},
	}
}

type testDeps struct {
	Deps
	audit  *fakeAudit
	status *bytes.Buffer
	log    *bytes.Buffer
}

func newTestDeps() testDeps {
	td := testDeps{audit: &fakeAudit{}, status: &bytes.Buffer{}, log: &bytes.Buffer{}}
	td.Deps = Deps{
		Clock:  clock.NewFake(t0),
		Audit:  td.audit,
		Status: td.status,
		Log:    slog.New(slog.NewTextHandler(td.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	return td
}

// assertNoSecret fails when text contains a credential or the assertion.
func assertNoSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range []string{testSecretKey, testSessionToken, testAssertion, testAssertion[:100]} {
		if strings.Contains(text, s) {
			t.Errorf("%s contains a secret (%.12s…): %s", where, s, text)
		}
	}
}

func TestExchangeWire(t *testing.T) {
	fake := newFakeSTS(t, func(int, url.Values) stsReply { return stsSuccess(t0.Add(time.Hour)) })
	td := newTestDeps()
	s, err := Exchange(context.Background(), fake.client(), ExchangeInput{Login: testLogin(), Role: trainRole, Profile: "dev"}, td.Deps)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	calls := fake.Calls()
	if len(calls) != 1 {
		t.Fatalf("STS calls = %d, want 1", len(calls))
	}
	c := calls[0]
	for _, h := range []string{"Authorization", "X-Amz-Security-Token", "X-Amz-Date"} {
		if v := c.Header.Get(h); v != "" {
			t.Errorf("request header %s = %q, want none (AssumeRoleWithSAML is unsigned)", h, v)
		}
	}
	want := map[string]string{
		"Action": "AssumeRoleWithSAML", "Version": "2011-06-15",
		"RoleArn": trainRole.RoleARN, "PrincipalArn": trainRole.PrincipalARN,
		"SAMLAssertion": testAssertion, "DurationSeconds": "3600",
	}
	for k, v := range want {
		if got := c.Form.Get(k); got != v {
			t.Errorf("form %s = %q, want %q", k, got, v)
		}
	}
	wantS := Session{
		AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey, SessionToken: testSessionToken,
		Expiration: t0.Add(time.Hour), Profile: "dev", RoleARN: trainRole.RoleARN, PrincipalARN: trainRole.PrincipalARN,
		AssumedRoleARN: testAssumedRole, Account: "123456789012", RoleSessionName: "alice@example.com",
		NameID: "alice@example.com", Issuer: "https://idp.example.com/saml", SourceIdentity: "alice",
		AssertionID: "_a1", Roles: []login.RolePair{trainRole, readRole}, IssuedAt: t0,
	}
	if got, want := fmt.Sprintf("%+v", *s), fmt.Sprintf("%+v", wantS); got != want {
		t.Errorf("session\n got %s\nwant %s", got, want)
	}
	if len(td.audit.events) != 1 || td.audit.events[0].Event != "role.assumed" {
		t.Fatalf("audit = %+v, want one role.assumed", td.audit.events)
	}
	f := td.audit.events[0].Fields
	wantF := map[string]any{"profile": "dev", "role_arn": trainRole.RoleARN, "assumed_role_arn": testAssumedRole,
		"expiration": "2026-11-29T19:00:00Z", "name_id": "alice@example.com", "access_key_id": testAccessKey,
		"role_session_name": "alice@example.com", "source_identity": "alice", "assertion_id": "_a1",
		"issuer": "https://idp.example.com/saml"}
	if fmt.Sprint(f) != fmt.Sprint(wantF) {
		t.Errorf("audit fields = %v, want %v", f, wantF)
	}
	if td.status.Len() != 0 {
		t.Errorf("status = %q, want nothing", td.status)
	}
	assertNoSecret(t, "log", td.log.String())
	assertNoSecret(t, "audit", fmt.Sprint(td.audit.events))
}

func TestExchangeDuration(t *testing.T) {
	tests := []struct {
		name       string
		requested  time.Duration
		attr       time.Duration
		wantSent   string // DurationSeconds; "" = STS not called
		wantStatus string
	}{
		{name: "default 1h", wantSent: "3600"},
		{name: "8h", requested: 8 * time.Hour, wantSent: "28800"},
		{name: "capped by SessionDuration", requested: 8 * time.Hour, attr: 2 * time.Hour, wantSent: "7200", wantStatus: "IdP limits sessions to 2h"},
		{name: "SessionDuration above request", requested: time.Hour, attr: 8 * time.Hour, wantSent: "3600"},
		{name: "above 12h clamped", requested: 24 * time.Hour, wantSent: "43200", wantStatus: "using 12h"},
		{name: "fraction truncated", requested: 90*time.Minute + 500*time.Millisecond, wantSent: "5400"},
		{name: "exactly 15m", requested: 15 * time.Minute, wantSent: "900"},
		{name: "below 15m refused", requested: 10 * time.Minute, wantStatus: ""},
		{name: "SessionDuration below 15m refused", attr: 10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeSTS(t, func(int, url.Values) stsReply { return stsSuccess(t0.Add(time.Hour)) })
			lr := testLogin()
			lr.SessionDuration = tt.attr
			td := newTestDeps()
			_, err := Exchange(context.Background(), fake.client(), ExchangeInput{Login: lr, Role: trainRole, Duration: tt.requested, Profile: "dev"}, td.Deps)
			calls := fake.Calls()
			if tt.wantSent == "" {
				var adv *AdviceError
				if !errors.As(err, &adv) || len(calls) != 0 {
					t.Fatalf("err = %v, calls = %d; want *AdviceError before any STS call", err, len(calls))
				}
				return
			}
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if len(calls) != 1 || calls[0].Form.Get("DurationSeconds") != tt.wantSent {
				t.Fatalf("calls = %d, DurationSeconds = %v; want one call with %s", len(calls), calls, tt.wantSent)
			}
			if !strings.Contains(td.status.String(), tt.wantStatus) || (tt.wantStatus == "" && td.status.Len() != 0) {
				t.Errorf("status = %q, want %q", td.status, tt.wantStatus)
			}
		})
	}
}

const maxSessionMsg = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."

func TestExchangeRetriesWithOneHour(t *testing.T) {
	tests := []struct {
		name      string
		requested time.Duration
		replies   []stsReply
		wantSent  []string
		wantErr   bool
		wantRetry bool
	}{
		{name: "retry succeeds", requested: 8 * time.Hour,
			replies:  []stsReply{stsError(400, "ValidationError", maxSessionMsg), stsSuccess(t0.Add(time.Hour))},
			wantSent: []string{"28800", "3600"}, wantRetry: true},
		{name: "retry fails too, no third call", requested: 8 * time.Hour,
			replies:  []stsReply{stsError(400, "ValidationError", maxSessionMsg), stsError(400, "ValidationError", maxSessionMsg)},
			wantSent: []string{"28800", "3600"}, wantErr: true, wantRetry: true},
		{name: "already 1h: no retry", requested: time.Hour,
			replies:  []stsReply{stsError(400, "ValidationError", maxSessionMsg)},
			wantSent: []string{"3600"}, wantErr: true},
		{name: "other validation error: no retry", requested: 8 * time.Hour,
			replies:  []stsReply{stsError(400, "ValidationError", "1 validation error detected: Value at 'roleArn' failed to satisfy constraint")},
			wantSent: []string{"28800"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeSTS(t, func(n int, _ url.Values) stsReply { return tt.replies[min(n, len(tt.replies)-1)] })
			td := newTestDeps()
			s, err := Exchange(context.Background(), fake.client(), ExchangeInput{Login: testLogin(), Role: trainRole, Duration: tt.requested, Profile: "dev"}, td.Deps)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && s.Expiration != t0.Add(time.Hour) {
				t.Errorf("expiration = %v", s.Expiration)
			}
			var sent []string
			for _, c := range fake.Calls() {
				sent = append(sent, c.Form.Get("DurationSeconds"))
			}
			if fmt.Sprint(sent) != fmt.Sprint(tt.wantSent) {
				t.Errorf("DurationSeconds sent = %v, want %v", sent, tt.wantSent)
			}
			status := td.status.String()
			gotRetry := strings.Contains(status, "retried with 1h")
			if gotRetry != tt.wantRetry {
				t.Fatalf("status = %q, want retry line %v", status, tt.wantRetry)
			}
			if tt.wantRetry && (!strings.Contains(status, "role "+trainRole.RoleARN) || !strings.Contains(status, "raise MaxSessionDuration")) {
				t.Errorf("status = %q, want role ARN and MaxSessionDuration advice", status)
			}
		})
	}
}
