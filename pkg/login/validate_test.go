package login

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/testing/samltest"
)

const (
	testACS   = "http://127.0.0.1:18181/saml/acs"
	testReqID = "id-request-1"
	testRelay = "relay-state-value"
)

func TestValidateAccepts(t *testing.T) {
	f := newFixture(t, testACS)
	cases := []struct {
		name   string
		mod    func(*samltest.Options)
		cfgMod func(*Config)
		reqID  string
	}{
		{name: "response and assertion signed", mod: func(*samltest.Options) {}},
		{name: "assertion signed only", mod: func(o *samltest.Options) { o.Sign = samltest.SignAssertion }},
		{name: "response signed only", mod: func(o *samltest.Options) { o.Sign = samltest.SignResponse }},
		{name: "provider first in role value", mod: func(o *samltest.Options) { o.Roles = []string{testProvider + "," + testRole} }},
		{name: "recipient is the AWS sign-in URL", mod: func(o *samltest.Options) { o.Recipient, o.Destination = testSignIn, testSignIn }},
		{name: "no destination on unsigned response", mod: func(o *samltest.Options) { o.Sign, o.Destination = samltest.SignAssertion, "" }},
		{name: "IdP-initiated when allowed", reqID: "-", mod: func(o *samltest.Options) { o.InResponseTo = "" },
			cfgMod: func(c *Config) { c.AllowIdPInitiated = true }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := f.good(testReqID)
			tc.mod(&o)
			cfg := f.cfg
			if tc.cfgMod != nil {
				tc.cfgMod(&cfg)
			}
			reqID := testReqID
			if tc.reqID == "-" {
				reqID = ""
			}
			raw := f.build(t, o)
			res, err := Validate(context.Background(), raw, cfg, ValidateOptions{
				RequestID: reqID, RelayState: testRelay, WantRelayState: testRelay,
				Clock: f.clk, Replay: &MemoryReplayCache{Clock: f.clk},
			})
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			want := []RolePair{{RoleARN: testRole, PrincipalARN: testProvider}}
			if len(res.Roles) != 1 || res.Roles[0] != want[0] {
				t.Errorf("roles = %v, want %v", res.Roles, want)
			}
			if res.SAMLResponse != raw || res.Issuer != f.idp.EntityID || res.NameID != "alice@example.org" ||
				res.RoleSessionName != "alice@example.org" || res.SourceIdentity != "alice" ||
				res.SessionDuration != time.Hour || res.AssertionID == "" {
				t.Errorf("result = %+v", res)
			}
			if !res.NotOnOrAfter.Equal(testNow.Add(5*time.Minute)) || !res.SessionNotOnOrAfter.Equal(testNow.Add(8*time.Hour)) ||
				!res.IssueInstant.Equal(testNow) {
				t.Errorf("times = %v %v %v", res.IssueInstant, res.NotOnOrAfter, res.SessionNotOnOrAfter)
			}
		})
	}
}

func TestValidateRejects(t *testing.T) {
	f := newFixture(t, testACS)
	foreignKey, foreignCert, err := samltest.NewKeyPair("evil", testNow)
	if err != nil {
		t.Fatal(err)
	}
	type tc struct {
		name     string
		mod      func(*samltest.Options)
		vmod     func(*ValidateOptions)
		raw      string // instead of a built response
		code     string
		contains string
	}
	cases := []tc{
		{name: "forged signature (foreign key)", code: CodeSignature, mod: func(o *samltest.Options) { o.ForeignKey, o.ForeignCert = foreignKey, foreignCert }},
		{name: "unsigned", code: CodeSignature, mod: func(o *samltest.Options) { o.Sign = samltest.SignNone }},
		{name: "unsolicited when not allowed", code: CodeUnsolicited, mod: func(o *samltest.Options) { o.InResponseTo = "" }},
		{name: "wrong RelayState", code: CodeRelayState, mod: func(*samltest.Options) {}, vmod: func(v *ValidateOptions) { v.RelayState = "other" }},
		{name: "wrong InResponseTo", code: CodeInResponseTo, mod: func(o *samltest.Options) { o.InResponseTo = "id-someone-else" }},
		{name: "expired", code: CodeExpired, contains: "assertion expired at 2026-11-29T17:59:50Z (10s ago)", mod: func(o *samltest.Options) {
			o.IssueInstant, o.NotOnOrAfter = testNow.Add(-time.Minute), testNow.Add(-10*time.Second)
		}},
		{name: "issued too long ago", code: CodeStale, mod: func(o *samltest.Options) { o.IssueInstant = testNow.Add(-4 * time.Minute) }},
		{name: "future IssueInstant", code: CodeFutureIssueInstant, contains: "assertion IssueInstant is 7m12s in the future: this machine's clock is about 7m12s behind the IdP's",
			mod: func(o *samltest.Options) {
				o.IssueInstant = testNow.Add(7*time.Minute + 12*time.Second)
				o.NotOnOrAfter = testNow.Add(15 * time.Minute)
			}},
		{name: "wrong audience", code: CodeAudienceMismatch, mod: func(o *samltest.Options) { o.Audience = "urn:someone:else" }},
		{name: "missing audience", code: CodeAudienceMissing, mod: func(o *samltest.Options) { o.NoAudience = true }},
		{name: "wrong recipient", code: CodeRecipient, mod: func(o *samltest.Options) { o.Recipient = "http://127.0.0.1:9999/saml/acs" }},
		{name: "wrong destination", code: CodeDestination, mod: func(o *samltest.Options) { o.Destination = "https://sp.example.org/acs" }},
		{name: "two SubjectConfirmations", code: CodeSubjectConfirmation, mod: func(o *samltest.Options) { o.ConfirmationCount = 2 }},
		{name: "two assertions", code: CodeAssertionCount, mod: func(o *samltest.Options) { o.TwoAssertions = true }},
		{name: "assertion nested in Advice", code: CodeAssertionCount, mod: func(o *samltest.Options) { o.AdviceAssertion = true }},
		{name: "SHA-1", code: CodeSHA1, mod: func(o *samltest.Options) { o.SHA1 = true }},
		{name: "DOCTYPE", code: CodeDoctype, mod: func(o *samltest.Options) { o.Doctype = true }},
		{name: "issuer is not the IdP", code: CodeIssuer, mod: func(o *samltest.Options) { o.Issuer = "https://other-idp.example.org" }},
		{name: "IdP status not success", code: CodeStatus, mod: func(o *samltest.Options) { o.Status = "urn:oasis:names:tc:SAML:2.0:status:Requester" }},
		{name: "no roles", code: CodeRoles, mod: func(o *samltest.Options) { o.Roles = nil }},
		{name: "roles only by FriendlyName", code: CodeRoles, mod: func(o *samltest.Options) { o.FriendlyRoles = true }},
		{name: "malformed role", code: CodeRoles, mod: func(o *samltest.Options) { o.Roles = []string{"arn:aws:iam::1:role/x,nope"} }},
		{name: "bad RoleSessionName", code: CodeRoleSessionName, mod: func(o *samltest.Options) { o.RoleSessionName = "a b" }},
		{name: "bad SessionDuration", code: CodeSessionDuration, mod: func(o *samltest.Options) { o.SessionDuration = "1h" }},
		{name: "not base64", code: CodeMalformed, raw: "%%%not-base64%%%"},
		{name: "not XML", code: CodeMalformed, raw: "PG5vdA=="},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := c.raw
			if raw == "" {
				o := f.good(testReqID)
				c.mod(&o)
				raw = f.build(t, o)
			}
			v := ValidateOptions{RequestID: testReqID, RelayState: testRelay, WantRelayState: testRelay,
				Clock: f.clk, Replay: &MemoryReplayCache{Clock: f.clk}}
			if c.vmod != nil {
				c.vmod(&v)
			}
			_, err := Validate(context.Background(), raw, f.cfg, v)
			assertRejected(t, err, c.code, c.contains)
		})
	}
}

func assertRejected(t *testing.T, err error, code, contains string) {
	t.Helper()
	var rej *RejectedError
	if !errors.As(err, &rej) {
		t.Fatalf("err = %v, want *RejectedError %s", err, code)
	}
	if rej.Code != code {
		t.Errorf("code = %s (%q), want %s", rej.Code, rej.Reason, code)
	}
	if !strings.Contains(rej.Reason, contains) {
		t.Errorf("reason = %q, want it to contain %q", rej.Reason, contains)
	}
	if rej.Reason == "" || strings.ContainsAny(rej.Reason, "<\n") || len(rej.Reason) > 300 {
		t.Errorf("reason %q is not one short line without XML", rej.Reason)
	}
}

func TestValidateReplay(t *testing.T) {
	f := newFixture(t, testACS)
	raw := f.build(t, f.good(testReqID))
	v := ValidateOptions{RequestID: testReqID, Clock: f.clk,
		Replay: &FileReplayCache{Path: t.TempDir() + "/replay.json", Clock: f.clk}}
	if _, err := Validate(context.Background(), raw, f.cfg, v); err != nil {
		t.Fatalf("first use: %v", err)
	}
	_, err := Validate(context.Background(), raw, f.cfg, v)
	assertRejected(t, err, CodeReplayed, "already used")
}

// A rejected response must not be recorded: the genuine one with the same
// assertion ID is still accepted afterwards.
func TestValidateRejectionLeavesReplayCache(t *testing.T) {
	f := newFixture(t, testACS)
	o := f.good(testReqID)
	o.AssertionID = "id-same-assertion"
	bad := o
	bad.Audience = "urn:someone:else"
	v := ValidateOptions{RequestID: testReqID, Clock: f.clk, Replay: &MemoryReplayCache{Clock: f.clk}}
	if _, err := Validate(context.Background(), f.build(t, bad), f.cfg, v); err == nil {
		t.Fatal("bad response accepted")
	}
	if _, err := Validate(context.Background(), f.build(t, o), f.cfg, v); err != nil {
		t.Fatalf("good response after a rejected one: %v", err)
	}
}
