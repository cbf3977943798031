package sandbox

import (
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestAssumeRoleWithSAMLRejections checks each refusal AWS would make, with
// AWS's error code and HTTP status, through the real SDK client.
func TestAssumeRoleWithSAMLRejections(t *testing.T) {
	tests := []struct {
		name       string
		user, role string
		entityID   string // SP entity ID, default urn:amazon:webservices
		acsPath    string // default /saml/acs
		principal  string // default ProviderARN
		mutate     func(t *testing.T, b64 string) string
		before     func(fake interface{ Advance(time.Duration) })
		wantCode   string
		wantStatus int
		wantMsg    string
	}{
		{name: "tampered assertion", user: "alice", role: TrainRoleARN,
			mutate: func(t *testing.T, b64 string) string {
				x := decodeResponse(t, b64)
				y := strings.Replace(x, ">alice</saml:AttributeValue>", ">admin</saml:AttributeValue>", 1)
				if x == y {
					t.Fatal("nothing tampered")
				}
				return base64.StdEncoding.EncodeToString([]byte(y))
			},
			wantCode: "InvalidIdentityToken", wantStatus: 400, wantMsg: "Response signature invalid"},
		{name: "signatures removed", user: "alice", role: TrainRoleARN,
			mutate: func(t *testing.T, b64 string) string {
				x := regexp.MustCompile(`(?s)<ds:Signature .*?</ds:Signature>`).ReplaceAllString(decodeResponse(t, b64), "")
				if strings.Contains(x, "SignatureValue") {
					t.Fatal("signatures still present")
				}
				return base64.StdEncoding.EncodeToString([]byte(x))
			},
			wantCode: "InvalidIdentityToken", wantStatus: 400, wantMsg: "Response signature invalid"},
		{name: "two assertions", user: "alice", role: TrainRoleARN,
			mutate: func(t *testing.T, b64 string) string {
				x := decodeResponse(t, b64)
				a := regexp.MustCompile(`(?s)<saml:Assertion .*</saml:Assertion>`).FindString(x)
				return base64.StdEncoding.EncodeToString([]byte(strings.Replace(x, a, a+a, 1)))
			},
			wantCode: "InvalidIdentityToken", wantStatus: 400, wantMsg: "exactly one Assertion"},
		{name: "role not offered to alice", user: "alice", role: ReadOnlyRoleARN,
			wantCode: "AccessDenied", wantStatus: 403, wantMsg: "Not authorized to perform sts:AssumeRoleWithSAML"},
		{name: "carol has no role", user: "carol", role: TrainRoleARN,
			wantCode: "AccessDenied", wantStatus: 403},
		{name: "unknown provider", user: "alice", role: TrainRoleARN, principal: "arn:aws:iam::123456789012:saml-provider/other",
			wantCode: "InvalidIdentityToken", wantStatus: 400, wantMsg: "Specified provider doesn't exist"},
		{name: "redeemed after 5 minutes", user: "alice", role: TrainRoleARN,
			before:   func(f interface{ Advance(time.Duration) }) { f.Advance(6 * time.Minute) },
			wantCode: "ExpiredTokenException", wantStatus: 400, wantMsg: "Token must be redeemed within 5 minutes of issuance"},
		{name: "recipient not in trust policy", user: "alice", role: TrainRoleARN, acsPath: "/other/acs",
			wantCode: "IDPRejectedClaim", wantStatus: 400},
		{name: "audience not urn:amazon:webservices", user: "alice", role: TrainRoleARN, entityID: "urn:ptsaml:test",
			wantCode: "InvalidIdentityToken", wantStatus: 400, wantMsg: "required audience"},
		{name: "not base64", user: "alice", role: TrainRoleARN,
			mutate:   func(*testing.T, string) string { return "%%%not-base64%%%" },
			wantCode: "InvalidIdentityToken", wantStatus: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, fake := startSandbox(t, Options{})
			entityID, acsPath, principal := tc.entityID, tc.acsPath, tc.principal
			if entityID == "" {
				entityID = AWSAudience
			}
			if acsPath == "" {
				acsPath = "/saml/acs"
			}
			if principal == "" {
				principal = ProviderARN
			}
			sp := newTestSP(t, srv, fake, entityID, acsPath)
			resp := sp.login(t, tc.user, tc.user)
			if tc.mutate != nil {
				resp = tc.mutate(t, resp)
			}
			if tc.before != nil {
				tc.before(fake)
			}
			in := assumeInput(resp, tc.role, 3600)
			in.PrincipalArn = &principal
			_, err := stsClient(srv, nil).AssumeRoleWithSAML(t.Context(), in)
			code, status := apiError(err)
			if code != tc.wantCode || status != tc.wantStatus {
				t.Fatalf("error = %v; want code %s, HTTP %d", err, tc.wantCode, tc.wantStatus)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q lacks %q", err, tc.wantMsg)
			}
			if srv.STSCalls() != 1 {
				t.Errorf("STSCalls = %d, want 1", srv.STSCalls())
			}
		})
	}
}

// TestDurationSecondsBelowMinimum sends DurationSeconds=600 over raw HTTP
// (SDKs may refuse it before sending) and expects AWS's ValidationError.
func TestDurationSecondsBelowMinimum(t *testing.T) {
	srv, fake := startSandbox(t, Options{})
	sp := newTestSP(t, srv, fake, AWSAudience, "/saml/acs")
	form := url.Values{
		"Action": {"AssumeRoleWithSAML"}, "Version": {"2011-06-15"}, "RoleArn": {TrainRoleARN},
		"PrincipalArn": {ProviderARN}, "SAMLAssertion": {sp.login(t, "alice", "alice")}, "DurationSeconds": {"600"},
	}
	resp, err := http.PostForm(srv.STSEndpoint(), form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var e errorResponse
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	want := "1 validation error detected: Value '600' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"
	if resp.StatusCode != 400 || e.Type != "Sender" || e.Code != "ValidationError" || e.Message != want || e.RequestID == "" {
		t.Errorf("HTTP %d, error %+v; want 400 ValidationError %q", resp.StatusCode, e, want)
	}
}

// TestCallerIdentityAfterExpiry: credentials past their Expiration get
// AWS's ExpiredToken (403) from GetCallerIdentity.
func TestCallerIdentityAfterExpiry(t *testing.T) {
	srv, fake := startSandbox(t, Options{CredentialTTL: time.Minute})
	sp := newTestSP(t, srv, fake, AWSAudience, "/saml/acs")
	out, err := assume(t.Context(), srv, sp.login(t, "alice", "alice"), TrainRoleARN)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := callerIdentity(t.Context(), srv, out); err != nil {
		t.Fatalf("GetCallerIdentity before expiry: %v", err)
	}
	fake.Advance(61 * time.Second)
	_, err = callerIdentity(t.Context(), srv, out)
	if code, status := apiError(err); code != "ExpiredToken" || status != 403 {
		t.Fatalf("GetCallerIdentity after expiry: %v; want ExpiredToken, HTTP 403", err)
	}
}

// TestCallerIdentityRejections: bad key, token or signature get AWS's codes.
func TestCallerIdentityRejections(t *testing.T) {
	srv, fake := startSandbox(t, Options{})
	sp := newTestSP(t, srv, fake, AWSAudience, "/saml/acs")
	out, err := assume(t.Context(), srv, sp.login(t, "alice", "alice"), TrainRoleARN)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name             string
		key, secret, tok string
		wantCode         string
	}{
		{"unknown key", "ASIAUNKNOWNUNKNOWN00", *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken, "InvalidClientTokenId"},
		{"wrong token", *out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, "other-token", "InvalidClientTokenId"},
		{"wrong secret", *out.Credentials.AccessKeyId, "wrong-secret", *out.Credentials.SessionToken, "SignatureDoesNotMatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := *out
			creds := *out.Credentials
			creds.AccessKeyId, creds.SecretAccessKey, creds.SessionToken = &tc.key, &tc.secret, &tc.tok
			c.Credentials = &creds
			_, err := callerIdentity(t.Context(), srv, &c)
			if code, status := apiError(err); code != tc.wantCode || status != 403 {
				t.Fatalf("GetCallerIdentity = %v; want %s, HTTP 403", err, tc.wantCode)
			}
		})
	}
}
