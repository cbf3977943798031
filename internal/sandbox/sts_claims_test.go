package sandbox

import (
	"testing"
	"time"

	"github.com/crewjam/saml"
)

// goodAssertion is a parsed assertion that passes checkClaims at now.
func goodAssertion(srv *Server, now time.Time) *saml.Assertion {
	u := users["bob"]
	return &saml.Assertion{
		IssueInstant: now,
		Issuer:       saml.Issuer{Value: srv.MetadataURL()},
		Subject: &saml.Subject{
			NameID: &saml.NameID{Format: string(saml.PersistentNameIDFormat), Value: "bob"},
			SubjectConfirmations: []saml.SubjectConfirmation{{
				Method: "urn:oasis:names:tc:SAML:2.0:cm:bearer",
				SubjectConfirmationData: &saml.SubjectConfirmationData{
					Recipient: "https://signin.aws.amazon.com/saml", NotOnOrAfter: now.Add(5 * time.Minute),
				},
			}},
		},
		Conditions: &saml.Conditions{
			NotOnOrAfter:         now.Add(5 * time.Minute),
			AudienceRestrictions: []saml.AudienceRestriction{{Audience: saml.Audience{Value: AWSAudience}}},
		},
		AttributeStatements: []saml.AttributeStatement{{Attributes: awsAttributes(u)}},
	}
}

func TestCheckClaims(t *testing.T) {
	srv, fake := startSandbox(t, Options{})
	now := fake.Now()
	setAttr := func(name, value string) func(*saml.Assertion) {
		return func(a *saml.Assertion) {
			attrs := a.AttributeStatements[0].Attributes
			for i := range attrs {
				if attrs[i].Name == name {
					attrs[i].Values = []saml.AttributeValue{{Value: value}}
				}
			}
		}
	}
	tests := []struct {
		name   string
		change func(*saml.Assertion)
		code   string
	}{
		{"good", func(*saml.Assertion) {}, ""},
		{"issuer of another IdP", func(a *saml.Assertion) { a.Issuer.Value = "https://idp.example/" }, "InvalidIdentityToken"},
		{"confirmation expired", func(a *saml.Assertion) {
			a.Subject.SubjectConfirmations[0].SubjectConfirmationData.NotOnOrAfter = now
		}, "ExpiredTokenException"},
		{"conditions expired", func(a *saml.Assertion) { a.Conditions.NotOnOrAfter = now.Add(-time.Second) }, "ExpiredTokenException"},
		{"issued in the future", func(a *saml.Assertion) { a.IssueInstant = now.Add(10 * time.Minute) }, "InvalidIdentityToken"},
		{"no audience restriction", func(a *saml.Assertion) { a.Conditions.AudienceRestrictions = nil }, "InvalidIdentityToken"},
		{"two subject confirmations", func(a *saml.Assertion) {
			a.Subject.SubjectConfirmations = append(a.Subject.SubjectConfirmations, a.Subject.SubjectConfirmations[0])
		}, "InvalidIdentityToken"},
		{"holder-of-key confirmation", func(a *saml.Assertion) {
			a.Subject.SubjectConfirmations[0].Method = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"
		}, "InvalidIdentityToken"},
		{"loopback recipient on another path", func(a *saml.Assertion) {
			a.Subject.SubjectConfirmations[0].SubjectConfirmationData.Recipient = "http://127.0.0.1:18181/evil"
		}, "IDPRejectedClaim"},
		{"RoleSessionName missing", func(a *saml.Assertion) {
			a.AttributeStatements[0].Attributes = a.AttributeStatements[0].Attributes[:1]
		}, "InvalidIdentityToken"},
		{"RoleSessionName too short", setAttr(attrRoleSessionName, "b"), "InvalidIdentityToken"},
		{"SourceIdentity with aws: prefix", setAttr(attrSourceIdentity, "aws:bob"), "InvalidIdentityToken"},
		{"SessionDuration out of range", setAttr(attrSessionDuration, "60"), "InvalidIdentityToken"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := goodAssertion(srv, now)
			tc.change(a)
			c, e := srv.sts.checkClaims(a, now)
			switch {
			case tc.code == "" && e != nil:
				t.Fatalf("checkClaims refused a good assertion: %v", e)
			case tc.code == "":
				if !c.offers(ReadOnlyRoleARN, ProviderARN) || c.RoleSessionName != "bob" || c.SourceIdentity != "bob" ||
					c.SessionDuration != 12*time.Hour {
					t.Errorf("claims = %+v", c)
				}
			case e == nil || e.Code != tc.code:
				t.Fatalf("checkClaims = %v, want %s", e, tc.code)
			}
		})
	}
}

func TestRecipientAccepted(t *testing.T) {
	srv, _ := startSandbox(t, Options{})
	withACS, _ := startSandbox(t, Options{ACSURLs: []string{"http://127.0.0.1:18300/saml/acs"}})
	tests := []struct {
		srv       *Server
		recipient string
		want      bool
	}{
		{srv, "https://signin.aws.amazon.com/saml", true},
		{srv, "https://eu-west-1.signin.aws.amazon.com/saml", true},
		{srv, "https://signin.amazonaws-us-gov.com/saml", true},
		{srv, "https://signin.amazonaws.cn/saml", true},
		{srv, "https://signin.aws.amazon.com.evil.example/saml", false},
		{srv, "http://127.0.0.1:18300/saml/acs", true},
		{srv, "http://127.0.0.1:18300/saml/acs?x=1", false},
		{srv, "http://127.0.0.1:18300/other/acs", false},
		{srv, "http://localhost:18300/saml/acs", false},
		{withACS, "http://127.0.0.1:18300/saml/acs", true},
		{withACS, "http://127.0.0.1:18301/saml/acs", false},
		{withACS, "https://signin.aws.amazon.com/saml", true},
	}
	for _, tc := range tests {
		t.Run(tc.recipient, func(t *testing.T) {
			if got := tc.srv.sts.recipientAccepted(tc.recipient); got != tc.want {
				t.Errorf("recipientAccepted(%q) = %v, want %v", tc.recipient, got, tc.want)
			}
		})
	}
}
