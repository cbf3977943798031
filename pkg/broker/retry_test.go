package broker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The STS client's retries, proved against a loopback STS speaking the Query
// API: what is retried, how often, and what the person is told at the end.

// failThenSucceed answers the first n calls with fail, then with ok.
func failThenSucceed(n int, fail stsReply, ok func(url.Values) stsReply) func(int, url.Values) stsReply {
	return func(i int, form url.Values) stsReply {
		if i < n {
			return fail
		}
		return ok(form)
	}
}

// assertAttemptHeaders checks the SDK numbered the calls as one operation's
// attempts 1..n of 3, each carrying the same request.
func assertAttemptHeaders(t *testing.T, calls []stsCall) {
	t.Helper()
	for i, c := range calls {
		if got, want := c.Header.Get("Amz-Sdk-Request"), fmt.Sprintf("attempt=%d; max=3", i+1); got != want {
			t.Errorf("call %d: amz-sdk-request = %q, want %q", i, got, want)
		}
		if c.Form.Encode() != calls[0].Form.Encode() {
			t.Errorf("call %d sent another request than call 0", i)
		}
	}
}

func TestSTSServerErrorsAreRetriedUntilSuccess(t *testing.T) {
	internal := stsError(http.StatusInternalServerError, "InternalFailure", "An internal error occurred")
	internal.Body = strings.Replace(internal.Body, "<Type>Sender</Type>", "<Type>Receiver</Type>", 1)
	t.Run("AssumeRoleWithSAML", func(t *testing.T) {
		fake := newFakeSTS(t, failThenSucceed(2, internal, func(url.Values) stsReply { return stsSuccess(t0.Add(time.Hour)) }))
		td := newTestDeps()
		// NewSTS exactly as the CLI builds it: the real backoff (at most 150 ms here).
		s, err := Exchange(context.Background(), NewSTS("eu-west-1", fake.srv.URL, fake.srv.Client()),
			ExchangeInput{Login: testLogin(), Role: trainRole, Profile: "dev"}, td.Deps)
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		if s.AccessKeyID != testAccessKey || s.SessionToken != testSessionToken {
			t.Errorf("session = %s/%.8s…, want the credentials of the third answer", s.AccessKeyID, s.SessionToken)
		}
		calls := fake.Calls()
		if len(calls) != 3 {
			t.Fatalf("STS calls = %d, want 3 (two 500s, then success)", len(calls))
		}
		assertAttemptHeaders(t, calls)
		if len(td.audit.events) != 1 || td.audit.events[0].Event != "role.assumed" {
			t.Errorf("audit = %+v, want one role.assumed and no sts.error", td.audit.events)
		}
	})
	// ExchangeWebIdentity (CI) is given the same client and retries alike.
	t.Run("AssumeRoleWithWebIdentity", func(t *testing.T) {
		fake := newFakeSTS(t, failThenSucceed(2, internal, func(f url.Values) stsReply { return stsWebSuccess(t0.Add(time.Hour), f) }))
		td := newTestDeps()
		s, err := ExchangeWebIdentity(context.Background(), NewSTS("eu-west-1", fake.srv.URL, fake.srv.Client()),
			WebIdentityInput{Token: makeJWT(t, githubClaimSet()), RoleARN: ciRoleARN, Profile: "ci"}, td.Deps)
		if err != nil {
			t.Fatalf("ExchangeWebIdentity: %v", err)
		}
		if s.AccessKeyID != testAccessKey {
			t.Errorf("access key = %s, want %s", s.AccessKeyID, testAccessKey)
		}
		calls := fake.Calls()
		if len(calls) != 3 {
			t.Fatalf("STS calls = %d, want 3", len(calls))
		}
		assertAttemptHeaders(t, calls)
	})
}

func TestSTSGivesUpAfterThreeAttempts(t *testing.T) {
	tests := []struct {
		name      string
		reply     stsReply
		wantCause string
		wantCode  string // audited
	}{
		{"Throttling", stsError(http.StatusBadRequest, "Throttling", "Rate exceeded"),
			"STS is throttling requests (Throttling: Rate exceeded) after 3 attempts", "Throttling"},
		{"ThrottlingException", stsError(http.StatusBadRequest, "ThrottlingException", "Rate exceeded"),
			"STS is throttling requests (ThrottlingException: Rate exceeded) after 3 attempts", "ThrottlingException"},
		{"503 ServiceUnavailable", stsError(http.StatusServiceUnavailable, "ServiceUnavailable", "Service is unavailable"),
			"STS is unavailable (ServiceUnavailable: Service is unavailable) after 3 attempts", "ServiceUnavailable"},
		{"500 InternalFailure", stsError(http.StatusInternalServerError, "InternalFailure", "An internal error occurred"),
			"STS is unavailable (InternalFailure: An internal error occurred) after 3 attempts", "InternalFailure"},
		{"503 without a body", stsReply{Status: http.StatusServiceUnavailable},
			"STS is unavailable (HTTP 503) after 3 attempts", "RequestFailed"},
		{"502 from a proxy", stsReply{Status: http.StatusBadGateway, Body: "<html><body>Bad gateway</body></html>"},
			"STS is unavailable (HTTP 502) after 3 attempts", "RequestFailed"},
		{"500 with an unknown code", stsError(http.StatusInternalServerError, "SomethingBroke", "oops"),
			"STS is unavailable (HTTP 500 SomethingBroke: oops) after 3 attempts", "SomethingBroke"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeSTS(t, func(int, url.Values) stsReply { return tt.reply })
			rec := &backoffRecorder{scale: 1000}
			td := newTestDeps()
			_, err := Exchange(context.Background(), newSTS("eu-west-1", fake.srv.URL, fake.srv.Client(), rec.option),
				ExchangeInput{Login: testLogin(), Role: trainRole, Profile: "dev"}, td.Deps)
			if err == nil {
				t.Fatal("Exchange succeeded against an STS that always fails")
			}
			calls := fake.Calls()
			if len(calls) != 3 {
				t.Fatalf("STS calls = %d, want exactly 3", len(calls))
			}
			assertAttemptHeaders(t, calls)
			if n := len(rec.Waits()); n != 2 {
				t.Errorf("backoff waits = %d, want 2 (between 3 attempts)", n)
			}
			adv := Explain(err)
			var a *AdviceError
			if !errors.As(adv, &a) {
				t.Fatalf("Explain(%v) = %T, want *AdviceError", err, adv)
			}
			line := adv.Error()
			if a.Cause != tt.wantCause {
				t.Errorf("cause = %q, want %q", a.Cause, tt.wantCause)
			}
			if !strings.Contains(a.Fix, "run `ptsaml login` again") || strings.Contains(line, "\n") {
				t.Errorf("advice = %q, want one line saying to run `ptsaml login` again", line)
			}
			if !errors.Is(adv, err) {
				t.Error("advice does not wrap the error")
			}
			if ev := td.audit.events; len(ev) != 1 || ev[0].Event != "sts.error" || ev[0].Fields["code"] != tt.wantCode {
				t.Errorf("audit = %+v, want one sts.error with code %s", ev, tt.wantCode)
			}
			assertNoSecret(t, "advice", line)
		})
	}
}

func TestSTSWebIdentityThrottlingGivesUpAfterThreeAttempts(t *testing.T) {
	fake := newFakeSTS(t, func(int, url.Values) stsReply { return stsError(http.StatusBadRequest, "Throttling", "Rate exceeded") })
	rec := &backoffRecorder{scale: 1000}
	token := makeJWT(t, githubClaimSet())
	_, err := ExchangeWebIdentity(context.Background(), newSTS("eu-west-1", fake.srv.URL, fake.srv.Client(), rec.option),
		WebIdentityInput{Token: token, RoleARN: ciRoleARN, Profile: "ci"}, newTestDeps().Deps)
	if n := len(fake.Calls()); n != 3 {
		t.Fatalf("STS calls = %d, want 3", n)
	}
	line := Explain(err).Error()
	if !strings.HasPrefix(line, "STS is throttling requests (Throttling: Rate exceeded) after 3 attempts: wait a minute") {
		t.Errorf("advice = %q", line)
	}
	assertNoToken(t, "advice", line, token)
}

// Refusals are final: sending them again cannot help, so they go once, even
// when STS's Date header says its clock is far from this machine's (the SDK
// retries some codes on clock skew).
func TestSTSRefusalsAreSentOnce(t *testing.T) {
	tests := []struct {
		code   string
		status int
		web    bool
	}{
		{"AccessDenied", http.StatusForbidden, false},
		{"InvalidIdentityToken", http.StatusBadRequest, false},
		{"ExpiredTokenException", http.StatusBadRequest, false},
		{"IDPRejectedClaim", http.StatusForbidden, false},
		{"RegionDisabledException", http.StatusForbidden, false},
		{"ValidationError", http.StatusBadRequest, false},
		{"AccessDenied", http.StatusForbidden, true},
		{"InvalidIdentityToken", http.StatusBadRequest, true},
		{"ExpiredTokenException", http.StatusBadRequest, true},
	}
	for _, tt := range tests {
		for _, skew := range []time.Duration{0, -10 * time.Minute, 10 * time.Minute} {
			t.Run(fmt.Sprintf("%s/web=%t/date%+v", tt.code, tt.web, skew), func(t *testing.T) {
				fake := &fakeSTS{reply: func(int, url.Values) stsReply { return stsError(tt.status, tt.code, "refused") }}
				fake.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Date", time.Now().Add(skew).UTC().Format(http.TimeFormat))
					fake.serve(w, r)
				}))
				t.Cleanup(fake.srv.Close)
				client := NewSTS("eu-west-1", fake.srv.URL, fake.srv.Client())
				var err error
				if tt.web {
					_, err = ExchangeWebIdentity(context.Background(), client,
						WebIdentityInput{Token: makeJWT(t, githubClaimSet()), RoleARN: ciRoleARN, Profile: "ci"}, newTestDeps().Deps)
				} else {
					_, err = Exchange(context.Background(), client,
						ExchangeInput{Login: testLogin(), Role: trainRole, Profile: "dev"}, newTestDeps().Deps)
				}
				if err == nil {
					t.Fatal("refusal accepted")
				}
				if n := len(fake.Calls()); n != 1 {
					t.Errorf("STS calls = %d, want 1: a refusal must not be retried", n)
				}
				if line := Explain(err).Error(); strings.Contains(line, "attempts") {
					t.Errorf("advice = %q, want no attempt count for a single call", line)
				}
			})
		}
	}
}
