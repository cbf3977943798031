package samltest

import (
	"fmt"
	"sort"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

const bearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer"

// assertionEl builds the assertion of o, signed unless o.Sign says otherwise.
func (i *IdP) assertionEl(ctx *dsig.SigningContext, o Options, id string) (*etree.Element, error) {
	a := i.assertion(o, or(id, randomID()))
	var advice *etree.Element
	if o.AdviceAssertion {
		advice = etree.NewElement("saml:Advice")
		advice.AddChild(i.assertion(o, randomID()).Element())
	}
	render := func() *etree.Element {
		el := a.Element()
		if advice != nil {
			insertAfter(el, "Conditions", advice.Copy())
		}
		return el
	}
	el := render()
	if o.Sign == SignBoth || o.Sign == SignAssertion {
		signed, err := ctx.SignEnveloped(el)
		if err != nil {
			return nil, fmt.Errorf("sign assertion: %w", err)
		}
		a.Signature = signed.ChildElements()[len(signed.ChildElements())-1]
		el = render()
	}
	return el, nil
}

func insertAfter(parent *etree.Element, tag string, child *etree.Element) {
	for _, c := range parent.ChildElements() {
		if c.Tag == tag {
			parent.InsertChildAt(c.Index()+1, child)
			return
		}
	}
	parent.AddChild(child)
}

func (i *IdP) assertion(o Options, id string) *saml.Assertion {
	issue := first(o.IssueInstant, o.Now)
	notAfter := first(o.NotOnOrAfter, o.Now.Add(5*time.Minute))
	nameID := or(o.NameID, "alice@example.org")
	n := o.ConfirmationCount
	if n == 0 {
		n = 1
	}
	var confirmations []saml.SubjectConfirmation
	for range n {
		confirmations = append(confirmations, saml.SubjectConfirmation{
			Method: bearer,
			SubjectConfirmationData: &saml.SubjectConfirmationData{
				NotOnOrAfter: notAfter,
				Recipient:    o.Recipient,
				InResponseTo: o.InResponseTo,
			},
		})
	}
	cond := &saml.Conditions{NotBefore: o.Now.Add(-time.Minute), NotOnOrAfter: notAfter}
	if !o.NoAudience {
		cond.AudienceRestrictions = []saml.AudienceRestriction{{Audience: saml.Audience{Value: or(o.Audience, "urn:amazon:webservices")}}}
	}
	authn := saml.AuthnStatement{
		AuthnInstant: issue,
		SessionIndex: "s-" + id,
		AuthnContext: saml.AuthnContext{AuthnContextClassRef: &saml.AuthnContextClassRef{
			Value: "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
		}},
	}
	if !o.SessionNotOnOrAfter.IsZero() {
		t := o.SessionNotOnOrAfter
		authn.SessionNotOnOrAfter = &t
	}
	return &saml.Assertion{
		ID:                  id,
		IssueInstant:        issue,
		Version:             "2.0",
		Issuer:              saml.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: or(o.Issuer, i.EntityID)},
		Subject:             &saml.Subject{NameID: &saml.NameID{Format: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", Value: nameID}, SubjectConfirmations: confirmations},
		Conditions:          cond,
		AuthnStatements:     []saml.AuthnStatement{authn},
		AttributeStatements: []saml.AttributeStatement{{Attributes: attributes(o, nameID)}},
	}
}

func attributes(o Options, nameID string) []saml.Attribute {
	attrs := map[string][]string{}
	for k, v := range o.Attributes {
		attrs[k] = v
	}
	roleName := AttrRole
	if o.FriendlyRoles {
		roleName = "urn:example:roles"
	}
	if len(o.Roles) > 0 {
		attrs[roleName] = o.Roles
	}
	attrs[AttrRoleSessionName] = []string{or(o.RoleSessionName, nameID)}
	if o.SessionDuration != "" {
		attrs[AttrSessionDuration] = []string{o.SessionDuration}
	}
	if o.SourceIdentity != "" {
		attrs[AttrSourceIdentity] = []string{o.SourceIdentity}
	}
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]saml.Attribute, 0, len(names))
	for _, name := range names {
		a := saml.Attribute{Name: name, NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"}
		if name == roleName && o.FriendlyRoles {
			a.FriendlyName = "Role"
		}
		for _, v := range attrs[name] {
			a.Values = append(a.Values, saml.AttributeValue{Type: "xs:string", Value: v})
		}
		out = append(out, a)
	}
	return out
}
