package broker

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestExplainWebIdentityErrors(t *testing.T) {
	gitlab := map[string]any{"iss": "https://gitlab.com", "sub": "project_path:grp/proj:ref_type:branch:ref:main", "aud": "https://gitlab.com",
		"project_path": "grp/proj", "pipeline_id": "55"}
	tests := []struct {
		name      string
		claims    map[string]any // nil: githubClaimSet
		code, msg string
		status    int
		wantFix   []string // parts of the advice
		wantCalls int
	}{
		{name: "audience", code: "InvalidIdentityToken", msg: "Incorrect token audience", status: 400,
			wantFix: []string{"aud claim (sts.amazonaws.com)", "oidc_audience", "add-client-id-to-open-id-connect-provider"}, wantCalls: 1},
		{name: "issuer", code: "InvalidIdentityToken", msg: "No OpenIDConnect provider found in your account for " + githubIss, status: 400,
			wantFix: []string{"iss claim (" + githubIss + ")", "create-open-id-connect-provider --url " + githubIss}, wantCalls: 1},
		{name: "signature", code: "InvalidIdentityToken", msg: "Couldn't verify the signature", status: 400,
			wantFix: []string{"signature does not verify", "JWKS"}, wantCalls: 1},
		{name: "other invalid", code: "InvalidIdentityToken", msg: "The ID Token provided is not a valid JWT", status: 400,
			wantFix: []string{"check the token's iss (" + githubIss + ")"}, wantCalls: 1},
		{name: "expired", code: "ExpiredTokenException", msg: "Token is expired", status: 400,
			wantFix: []string{"request a fresh one", "clock"}, wantCalls: 1},
		{name: "idp unreachable", code: "IDPCommunicationError", msg: "Couldn't retrieve verification key from your identity provider", status: 400,
			wantFix: []string{"reachable from AWS"}, wantCalls: 3},
		{name: "trust policy github", code: "AccessDenied", msg: "Not authorized to perform sts:AssumeRoleWithWebIdentity", status: 403,
			wantFix: []string{`"token.actions.githubusercontent.com:sub": "repo:ptsaml/ptsaml:*"`, `"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"`,
				`sub is "` + githubSub + `"`}, wantCalls: 1},
		{name: "trust policy gitlab", claims: gitlab, code: "AccessDenied", msg: "Not authorized to perform sts:AssumeRoleWithWebIdentity", status: 403,
			wantFix: []string{`"gitlab.com:sub": "project_path:grp/proj:*"`, `"gitlab.com:aud": "https://gitlab.com"`}, wantCalls: 1},
		{name: "session name", code: "ValidationError", msg: "1 validation error detected: Value at 'roleSessionName' failed", status: 400,
			wantFix: []string{"RoleSessionName is 2-64"}, wantCalls: 1},
		{name: "region falls back to the common table", code: "RegionDisabledException", msg: "STS is not activated in this region", status: 403,
			wantFix: []string{"or use another --region"}, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims := tt.claims
			if claims == nil {
				claims = githubClaimSet()
			}
			token := makeJWT(t, claims)
			// STS quoting the token back must not leak it either.
			fake := newFakeSTS(t, func(int, url.Values) stsReply { return stsError(tt.status, tt.code, tt.msg+" token="+token) })
			td := newTestDeps()
			_, err := ExchangeWebIdentity(context.Background(), fake.client(), WebIdentityInput{Token: token, RoleARN: ciRoleARN, Profile: "ci"}, td.Deps)
			if err == nil {
				t.Fatal("ExchangeWebIdentity succeeded, want error")
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
			for _, w := range append([]string{tt.code, tt.msg}, tt.wantFix...) {
				if !strings.Contains(line, w) {
					t.Errorf("advice = %q, want %q", line, w)
				}
			}
			if strings.Contains(line, "SAML") {
				t.Errorf("advice = %q, want no SAML advice for a web identity", line)
			}
			if strings.Contains(line, "\n") || line != a.Cause+": "+a.Fix {
				t.Errorf("advice is not one line \"<cause>: <fix>\": %q", line)
			}
			if !errors.Is(adv, err) {
				t.Errorf("advice does not wrap the STS error")
			}
			if len(td.audit.events) != 1 || td.audit.events[0].Event != "sts.error" || td.audit.events[0].Fields["code"] != tt.code {
				t.Errorf("audit = %+v, want one sts.error with code %s", td.audit.events, tt.code)
			}
			for where, text := range map[string]string{"error": err.Error(), "advice": line, "log": td.log.String(), "audit": fmt.Sprint(td.audit.events)} {
				assertNoToken(t, where, text, token)
			}
		})
	}
}

// A SAML error keeps its SAML advice: the web identity table applies only
// to ExchangeWebIdentity's errors.
func TestExplainSAMLUnchangedByWebIdentity(t *testing.T) {
	fake := newFakeSTS(t, func(int, url.Values) stsReply {
		return stsError(400, "InvalidIdentityToken", "Specified provider doesn't exist")
	})
	_, err := Exchange(context.Background(), fake.client(), ExchangeInput{Login: testLogin(), Role: trainRole, Duration: time.Hour}, newTestDeps().Deps)
	if line := Explain(err).Error(); !strings.Contains(line, "update-saml-provider") {
		t.Errorf("advice = %q, want the SAML provider advice", line)
	}
}
