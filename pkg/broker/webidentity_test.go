package broker

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	ciRoleARN   = "arn:aws:iam::123456789012:role/CIRole"
	githubIss   = "https://token.actions.githubusercontent.com"
	githubSub   = "repo:ptsaml/ptsaml:ref:refs/heads/main"
	testJWTSig  = 256 // bytes in the fake RS256 signature
	stsWebXMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// githubClaimSet is what a GitHub Actions job token carries.
func githubClaimSet() map[string]any {
	return map[string]any{
		"iss": githubIss, "sub": githubSub, "aud": "sts.amazonaws.com",
		"exp": t0.Add(5 * time.Minute).Unix(), "iat": t0.Unix(), "nbf": t0.Unix(),
		"repository": "ptsaml/ptsaml", "repository_owner": "ptsaml", "run_id": "7412345678", "run_attempt": "2",
		"workflow": "CI", "ref": "refs/heads/main", "actor": "octocat", "event_name": "push",
		"job_workflow_ref": "ptsaml/ptsaml/.github/workflows/ci.yml@refs/heads/main",
	}
}

// makeJWT builds a compact RS256 JWT with claims and a signature nobody can
// verify: the broker reads claims only, STS verifies.
func makeJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT","kid":"k1"}`)) + "." + enc(payload) + "." +
		enc(bytes.Repeat([]byte{0xfb, 0xef, 0x3e, 0x7f}, testJWTSig/4))
}

// assertNoToken fails when text contains the token or one of its long parts.
func assertNoToken(t *testing.T, where, text, token string) {
	t.Helper()
	assertNoSecret(t, where, text)
	parts := strings.Split(token, ".")
	for _, s := range append([]string{token}, parts[1:]...) {
		if len(s) > 20 && strings.Contains(text, s) {
			t.Errorf("%s contains the web identity token (%.12s…): %s", where, s, text)
		}
	}
}

// stsWebSuccess is AWS's AssumeRoleWithWebIdentity response document; the
// assumed role ARN ends with the RoleSessionName sent.
func stsWebSuccess(exp time.Time, form url.Values) stsReply {
	name := form.Get("RoleSessionName")
	return stsReply{Status: http.StatusOK, Body: `<AssumeRoleWithWebIdentityResponse xmlns="` + stsWebXMLNS + `">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>` + githubSub + `</SubjectFromWebIdentityToken>
    <Audience>sts.amazonaws.com</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/CIRole/` + name + `</Arn>
      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:` + name + `</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>` + testSessionToken + `</SessionToken>
      <SecretAccessKey>` + testSecretKey + `</SecretAccessKey>
      <Expiration>` + exp.UTC().Format(time.RFC3339) + `</Expiration>
      <AccessKeyId>` + testAccessKey + `</AccessKeyId>
    </Credentials>
    <Provider>token.actions.githubusercontent.com</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`}
}

func TestExchangeWebIdentityWire(t *testing.T) {
	fake := newFakeSTS(t, func(_ int, f url.Values) stsReply { return stsWebSuccess(t0.Add(time.Hour), f) })
	token := makeJWT(t, githubClaimSet())
	td := newTestDeps()
	s, err := ExchangeWebIdentity(context.Background(), fake.client(), WebIdentityInput{Token: token, RoleARN: ciRoleARN, Profile: "ci"}, td.Deps)
	if err != nil {
		t.Fatalf("ExchangeWebIdentity: %v", err)
	}
	calls := fake.Calls()
	if len(calls) != 1 {
		t.Fatalf("STS calls = %d, want 1", len(calls))
	}
	c := calls[0]
	for _, h := range []string{"Authorization", "X-Amz-Security-Token", "X-Amz-Date"} {
		if v := c.Header.Get(h); v != "" {
			t.Errorf("request header %s = %q, want none (AssumeRoleWithWebIdentity is unsigned)", h, v)
		}
	}
	wantName := "gh-ptsaml-ptsaml-7412345678-2"
	want := map[string]string{
		"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15", "RoleArn": ciRoleARN,
		"RoleSessionName": wantName, "WebIdentityToken": token, "DurationSeconds": "3600",
	}
	for k, v := range want {
		if got := c.Form.Get(k); got != v {
			t.Errorf("form %s = %q, want %q", k, got, v)
		}
	}
	if len(c.Form) != len(want) {
		t.Errorf("form has %d fields, want %d: %v", len(c.Form), len(want), keys(c.Form))
	}
	wantCI := map[string]string{"ci": "github", "repository": "ptsaml/ptsaml", "repository_owner": "ptsaml",
		"run_id": "7412345678", "run_attempt": "2", "workflow": "CI", "ref": "refs/heads/main", "actor": "octocat",
		"event_name": "push", "job_workflow_ref": "ptsaml/ptsaml/.github/workflows/ci.yml@refs/heads/main"}
	wantS := Session{
		AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey, SessionToken: testSessionToken,
		Expiration: t0.Add(time.Hour), Profile: "ci", RoleARN: ciRoleARN,
		AssumedRoleARN: "arn:aws:sts::123456789012:assumed-role/CIRole/" + wantName, Account: "123456789012",
		RoleSessionName: wantName, NameID: githubSub, Issuer: githubIss, CI: wantCI, IssuedAt: t0,
	}
	if got, want := fmt.Sprintf("%+v", *s), fmt.Sprintf("%+v", wantS); got != want {
		t.Errorf("session\n got %s\nwant %s", got, want)
	}
	if len(td.audit.events) != 1 || td.audit.events[0].Event != "role.assumed" {
		t.Fatalf("audit = %+v, want one role.assumed", td.audit.events)
	}
	wantF := map[string]any{"profile": "ci", "role_arn": ciRoleARN, "assumed_role_arn": wantS.AssumedRoleARN,
		"expiration": "2026-11-29T19:00:00Z", "name_id": githubSub, "issuer": githubIss,
		"role_session_name": wantName, "ci": wantCI, "access_key_id": testAccessKey}
	if got := fmt.Sprint(td.audit.events[0].Fields); got != fmt.Sprint(wantF) {
		t.Errorf("audit fields = %v, want %v", got, wantF)
	}
	js, err := json.Marshal(s)
	if err != nil || !strings.Contains(string(js), `"CI":{"actor":"octocat"`) {
		t.Errorf("session JSON = %s (%v), want a CI object", js, err)
	}
	assertNoToken(t, "log", td.log.String(), token)
	assertNoToken(t, "audit", fmt.Sprint(td.audit.events), token)
}

func keys(v url.Values) []string {
	var ks []string
	for k := range v {
		ks = append(ks, k)
	}
	return ks
}

func TestExchangeWebIdentityDuration(t *testing.T) {
	tests := []struct {
		name      string
		requested time.Duration
		replies   []stsReply // nil entries are successes
		wantSent  []string
		wantErr   bool
		wantNote  string
	}{
		{name: "8h", requested: 8 * time.Hour, replies: []stsReply{{}}, wantSent: []string{"28800"}},
		{name: "above 12h clamped", requested: 24 * time.Hour, replies: []stsReply{{}}, wantSent: []string{"43200"}, wantNote: "using 12h"},
		{name: "below 15m refused locally", requested: 10 * time.Minute, wantErr: true},
		{name: "MaxSessionDuration retry", requested: 4 * time.Hour,
			replies: []stsReply{stsError(400, "ValidationError", maxSessionMsg), {}}, wantSent: []string{"14400", "3600"}, wantNote: "retried with 1h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeSTS(t, func(n int, f url.Values) stsReply {
				if n < len(tt.replies) && tt.replies[n].Status != 0 {
					return tt.replies[n]
				}
				return stsWebSuccess(t0.Add(time.Hour), f)
			})
			td := newTestDeps()
			_, err := ExchangeWebIdentity(context.Background(), fake.client(),
				WebIdentityInput{Token: makeJWT(t, githubClaimSet()), RoleARN: ciRoleARN, Duration: tt.requested, Profile: "ci"}, td.Deps)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			var sent []string
			for _, c := range fake.Calls() {
				sent = append(sent, c.Form.Get("DurationSeconds"))
			}
			if fmt.Sprint(sent) != fmt.Sprint(tt.wantSent) {
				t.Errorf("DurationSeconds sent = %v, want %v", sent, tt.wantSent)
			}
			if !strings.Contains(td.status.String(), tt.wantNote) || (tt.wantNote == "" && td.status.Len() != 0) {
				t.Errorf("status = %q, want %q", td.status, tt.wantNote)
			}
		})
	}
}

func TestExchangeWebIdentityRefusesBadInput(t *testing.T) {
	tests := []struct {
		name, token, role, wantErr string
	}{
		{"no token", "  \n", ciRoleARN, "no web identity token"},
		{"no role", "x.y.z", "", "no role configured"},
		{"opaque token", strings.Repeat("opaque-secret-", 10), ciRoleARN, "not a signed JWT"},
		{"claims not JSON", "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte("not json")) + ".c2ln", ciRoleARN, "claims are not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeSTS(t, func(_ int, f url.Values) stsReply { return stsWebSuccess(t0.Add(time.Hour), f) })
			td := newTestDeps()
			_, err := ExchangeWebIdentity(context.Background(), fake.client(), WebIdentityInput{Token: tt.token, RoleARN: tt.role}, td.Deps)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if n := len(fake.Calls()); n != 0 {
				t.Errorf("STS calls = %d, want none", n)
			}
			if strings.TrimSpace(tt.token) != "" && strings.Contains(err.Error(), tt.token) {
				t.Errorf("error quotes the token: %v", err)
			}
			var we *webIdentityError
			if errors.As(err, &we) {
				t.Errorf("local refusal is marked as an STS answer")
			}
		})
	}
}
