package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/crewjam/saml"

	"github.com/ptsaml/ptsaml/internal/clock"
)

// assertionLifetime is how long an assertion can be redeemed: the
// SubjectConfirmationData and Conditions NotOnOrAfter are IssueInstant plus
// this, matching the 5 minutes AWS allows.
const assertionLifetime = 5 * time.Minute

// awsAssertionMaker is the IdP's AssertionMaker. It releases what AWS needs
// (Role pairs, RoleSessionName, SessionDuration, SourceIdentity when the user
// has one), with Audience = the requesting SP's entity ID and a bearer
// SubjectConfirmation whose Recipient is the ACS URL, and stamps every time
// from the sandbox clock rather than crewjam's global TimeNow.
type awsAssertionMaker struct {
	clock clock.Clock
}

func (m awsAssertionMaker) MakeAssertion(req *saml.IdpAuthnRequest, session *saml.Session) error {
	u, ok := users[session.UserName]
	if !ok {
		return fmt.Errorf("make assertion: unknown sandbox user %q", session.UserName)
	}
	now := m.clock.Now().UTC()
	req.Now = now // the Response's IssueInstant: the same clock as the assertion's
	req.Assertion = &saml.Assertion{
		ID:           randomID("id-"),
		IssueInstant: now,
		Version:      "2.0",
		Issuer: saml.Issuer{
			Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity",
			Value:  req.IDP.MetadataURL.String(),
		},
		Subject: &saml.Subject{
			NameID: &saml.NameID{Format: session.NameIDFormat, Value: session.NameID},
			SubjectConfirmations: []saml.SubjectConfirmation{{
				Method: "urn:oasis:names:tc:SAML:2.0:cm:bearer",
				SubjectConfirmationData: &saml.SubjectConfirmationData{
					InResponseTo: req.Request.ID,
					NotOnOrAfter: now.Add(assertionLifetime),
					Recipient:    req.ACSEndpoint.Location,
				},
			}},
		},
		Conditions: &saml.Conditions{
			NotBefore:    now.Add(-time.Minute),
			NotOnOrAfter: now.Add(assertionLifetime),
			AudienceRestrictions: []saml.AudienceRestriction{{
				Audience: saml.Audience{Value: req.ServiceProviderMetadata.EntityID},
			}},
		},
		AuthnStatements: []saml.AuthnStatement{{
			AuthnInstant: session.CreateTime.UTC(),
			SessionIndex: session.Index,
			AuthnContext: saml.AuthnContext{AuthnContextClassRef: &saml.AuthnContextClassRef{
				Value: "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
			}},
		}},
		AttributeStatements: []saml.AttributeStatement{{Attributes: awsAttributes(u)}},
	}
	return nil
}

// awsAttributes returns the AWS SAML attributes for u, NameFormat uri, with
// the exact Names AWS matches on. A user without roles gets no Role
// attribute at all.
func awsAttributes(u user) []saml.Attribute {
	attr := func(name string, values ...string) saml.Attribute {
		a := saml.Attribute{Name: name, NameFormat: nameFormatURI}
		for _, v := range values {
			a.Values = append(a.Values, saml.AttributeValue{Type: "xs:string", Value: v})
		}
		return a
	}
	var attrs []saml.Attribute
	if len(u.Roles) > 0 {
		pairs := make([]string, 0, len(u.Roles))
		for _, r := range u.Roles {
			pairs = append(pairs, r+","+ProviderARN)
		}
		attrs = append(attrs, attr(attrRole, pairs...))
	}
	attrs = append(attrs,
		attr(attrRoleSessionName, u.Name),
		attr(attrSessionDuration, strconv.Itoa(sessionDurationSeconds)))
	if u.SourceIdentity != "" {
		attrs = append(attrs, attr(attrSourceIdentity, u.SourceIdentity))
	}
	return attrs
}

// randomID returns prefix followed by 20 random bytes in hex; it is a valid
// xs:ID when prefix starts with a letter.
func randomID(prefix string) string {
	b := make([]byte, 20)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go >= 1.24)
	return prefix + hex.EncodeToString(b)
}
