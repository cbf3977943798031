package samltest

import (
	"crypto"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

// Attribute names AWS reads from an assertion.
const (
	AttrRole            = "https://aws.amazon.com/SAML/Attributes/Role"
	AttrRoleSessionName = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	AttrSessionDuration = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	AttrSourceIdentity  = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
)

// Sign says which elements of a response are signed.
type Sign int

const (
	SignBoth      Sign = iota // the Assertion, then the Response around it (default)
	SignAssertion             // only the Assertion
	SignResponse              // only the Response
	SignNone                  // nothing
)

// Options describe one response. Zero values give a good response for
// Recipient/Audience, issued at Now.
type Options struct {
	Now                  time.Time // required: base of every time below
	IssueInstant         time.Time // assertion IssueInstant; zero = Now
	ResponseIssueInstant time.Time // zero = IssueInstant
	NotOnOrAfter         time.Time // SubjectConfirmationData and Conditions; zero = Now+5m
	SessionNotOnOrAfter  time.Time // AuthnStatement; zero = absent

	ResponseID, AssertionID string // zero = random
	InResponseTo            string // on the Response and the SubjectConfirmationData; "" = unsolicited
	Destination             string // Response Destination; "" = absent
	Recipient               string // SubjectConfirmationData Recipient
	Audience                string // "" = urn:amazon:webservices
	NoAudience              bool   // leave out the AudienceRestriction
	Issuer                  string // "" = the IdP's entity ID
	NameID                  string // "" = alice@example.org
	Status                  string // "" = Success

	Roles           []string // Role attribute values, "roleArn,providerArn"
	RoleSessionName string   // "" = NameID
	SessionDuration string   // "" = absent
	SourceIdentity  string   // "" = absent
	Attributes      map[string][]string
	FriendlyRoles   bool // put the roles under FriendlyName "Role" with another Name

	Sign              Sign
	ForeignKey        *rsa.PrivateKey // sign with this key (and ForeignCert) instead of the IdP's
	ForeignCert       *x509.Certificate
	SHA1              bool // rsa-sha1 + sha1 digest
	ConfirmationCount int  // bearer SubjectConfirmations; 0 = 1
	TwoAssertions     bool // a second signed assertion in the Response
	AdviceAssertion   bool // a second assertion nested in the first one's Advice
	Doctype           bool // prepend a DOCTYPE
}

// Build returns the response XML.
func (i *IdP) Build(o Options) ([]byte, error) {
	ctx, err := i.signingContext(o)
	if err != nil {
		return nil, err
	}
	assertionEl, err := i.assertionEl(ctx, o, o.AssertionID)
	if err != nil {
		return nil, err
	}
	resp := i.response(o)
	respEl := resp.Element()
	respEl.AddChild(assertionEl)
	if o.TwoAssertions {
		second, err := i.assertionEl(ctx, o, "")
		if err != nil {
			return nil, err
		}
		respEl.AddChild(second)
	}
	if o.Sign == SignBoth || o.Sign == SignResponse {
		signed, err := ctx.SignEnveloped(respEl)
		if err != nil {
			return nil, fmt.Errorf("sign response: %w", err)
		}
		resp.Signature = signed.ChildElements()[len(signed.ChildElements())-1]
		children := respEl.ChildElements()
		respEl = resp.Element()
		for _, c := range children[2:] { // after Issuer and Status
			respEl.AddChild(c)
		}
	}
	doc := etree.NewDocument()
	doc.SetRoot(respEl)
	out, err := doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("serialise response: %w", err)
	}
	if o.Doctype {
		out = append([]byte(`<!DOCTYPE Response [<!ENTITY x "y">]>`), out...)
	}
	return out, nil
}

// BuildBase64 returns the response as the SAMLResponse form value.
func (i *IdP) BuildBase64(o Options) (string, error) {
	raw, err := i.Build(o)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

func (i *IdP) signingContext(o Options) (*dsig.SigningContext, error) {
	key, cert := i.Key, i.Cert
	if o.ForeignKey != nil {
		key, cert = o.ForeignKey, o.ForeignCert
	}
	ctx := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore(tls.Certificate{
		Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert,
	}))
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	method := dsig.RSASHA256SignatureMethod
	if o.SHA1 {
		method = dsig.RSASHA1SignatureMethod
	}
	if err := ctx.SetSignatureMethod(method); err != nil {
		return nil, fmt.Errorf("signature method: %w", err)
	}
	if o.SHA1 {
		ctx.Hash = crypto.SHA1
	}
	return ctx, nil
}

func (i *IdP) response(o Options) *saml.Response {
	issue := first(o.ResponseIssueInstant, first(o.IssueInstant, o.Now))
	status := o.Status
	if status == "" {
		status = saml.StatusSuccess
	}
	return &saml.Response{
		ID:           or(o.ResponseID, randomID()),
		InResponseTo: o.InResponseTo,
		Version:      "2.0",
		IssueInstant: issue,
		Destination:  o.Destination,
		Issuer:       &saml.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: or(o.Issuer, i.EntityID)},
		Status:       saml.Status{StatusCode: saml.StatusCode{Value: status}},
	}
}

func first(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
