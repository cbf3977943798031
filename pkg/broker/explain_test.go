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

func TestExplainSTSErrors(t *testing.T) {
	tests := []struct {
		code      string
		status    int
		msg       string
		wantFix   string // part of the advice
		wantCalls int
	}{
		{"IDPRejectedClaim", 403, "Recipient did not match", `"SAML:aud": "http://127.0.0.1:*/saml/acs"`, 1},
		{"IDPRejectedClaim", 403, "Recipient did not match", "https://signin.aws.amazon.com/saml", 1},
		{"InvalidIdentityToken", 400, "Specified provider doesn't exist or the signature is invalid", "aws iam update-saml-provider", 1},
		{"ExpiredTokenException", 400, "Token must be redeemed within 5 minutes of issuance", "check this machine's clock", 1},
		{"ValidationError", 400, "Value '60' at 'durationSeconds' failed to satisfy constraint", "MaxSessionDuration", 1},
		{"ValidationError", 400, "RoleSessionName is invalid", "RoleSessionName is 2-64 characters", 1},
		{"AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML", "trust policy does not allow this SAML provider", 1},
		{"RegionDisabledException", 403, "STS is not activated in this region for account:123456789012", "or use another --region", 1},
		{"Throttling", 400, "Rate exceeded", "wait a minute", 3},
		{"ThrottlingException", 400, "Rate exceeded", "wait a minute", 3},
		{"RequestLimitExceeded", 400, "Request limit exceeded.", "wait a minute", 3},
		// A message quoting the assertion must not leak it anywhere.
		{"IDPRejectedClaim", 403, "bad assertion " + testAssertion, "SAML:aud", 1},
	}
	for _, tt := range tests {
		t.Run(tt.code+"/"+tt.wantFix, func(t *testing.T) {
			fake := newFakeSTS(t, func(int, url.Values) stsReply { return stsError(tt.status, tt.code, tt.msg) })
			td := newTestDeps()
			_, err := Exchange(context.Background(), fake.client(), ExchangeInput{Login: testLogin(), Role: trainRole, Duration: 30 * time.Minute, Profile: "dev"}, td.Deps)
			if err == nil {
				t.Fatal("Exchange succeeded, want error")
			}
			if n := len(fake.Calls()); n != tt.wantCalls {
				t.Errorf("STS calls = %d, want %d", n, tt.wantCalls)
			}
			adv := Explain(err)
			var a *AdviceError
			if !errors.As(adv, &a) {
				t.Fatalf("Explain(%v) = %T, want *AdviceError", err, adv)
			}
			line := adv.Error()
			if !strings.Contains(line, tt.wantFix) || !strings.Contains(line, tt.code) {
				t.Errorf("advice = %q, want code %s and %q", line, tt.code, tt.wantFix)
			}
			if !strings.Contains(tt.msg, testAssertion) && !strings.Contains(line, tt.msg) {
				t.Errorf("advice = %q, want STS message %q kept", line, tt.msg)
			}
			if strings.Contains(line, "\n") || line != a.Cause+": "+a.Fix {
				t.Errorf("advice is not one line \"<cause>: <fix>\": %q", line)
			}
			if !errors.Is(adv, err) && !errors.Is(adv, errors.Unwrap(err)) {
				t.Errorf("advice does not wrap the STS error")
			}
			if len(td.audit.events) != 1 || td.audit.events[0].Event != "sts.error" || td.audit.events[0].Fields["code"] != tt.code ||
				td.audit.events[0].Fields["profile"] != "dev" || td.audit.events[0].Fields["reason"] == "" {
				t.Errorf("audit = %+v, want one sts.error with code %s", td.audit.events, tt.code)
			}
			for where, text := range map[string]string{"error": err.Error(), "advice": line, "log": td.log.String(), "audit": fmt.Sprint(td.audit.events)} {
				assertNoSecret(t, where, text)
			}
		})
	}
}

func TestExplainUnreachableEndpoint(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	endpoint := srv.URL + "/sts/"
	srv.Close() // nothing listens there any more
	client := newSTS("eu-west-1", endpoint, nil, noBackoff)
	td := newTestDeps()
	_, err := Exchange(context.Background(), client, ExchangeInput{Login: testLogin(), Role: trainRole, Profile: "dev"}, td.Deps)
	if err == nil {
		t.Fatal("Exchange succeeded against a closed port")
	}
	adv := Explain(err)
	var a *AdviceError
	if !errors.As(adv, &a) || !strings.Contains(a.Cause, "cannot reach the STS endpoint "+endpoint) {
		t.Fatalf("Explain = %v, want advice naming %s", adv, endpoint)
	}
	assertNoSecret(t, "advice", adv.Error())
}

func TestExplainPassesOtherErrorsThrough(t *testing.T) {
	plain := errors.New("something else")
	canceled := fmt.Errorf("assume role: %w", context.Canceled)
	own := &AdviceError{Cause: "c", Fix: "f"}
	for _, err := range []error{nil, plain, canceled, own} {
		if got := Explain(err); got != err {
			t.Errorf("Explain(%v) = %v, want it unchanged", err, got)
		}
	}
}

func TestScrub(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Token must be\nredeemed   within 5 minutes", "Token must be redeemed within 5 minutes"},
		{"bad " + testAssertion + " end", "bad [redacted] end"},
		{"role arn:aws:iam::123456789012:role/TrainRole not trusted", "role arn:aws:iam::123456789012:role/TrainRole not trusted"},
	}
	for _, tt := range tests {
		if got := scrub(tt.in); got != tt.want {
			t.Errorf("scrub(%.40q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
