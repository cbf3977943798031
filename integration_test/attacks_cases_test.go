package integration_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/ptsaml/ptsaml/internal/sandbox"
	"github.com/ptsaml/ptsaml/internal/testing/samltest"
)

// attackCases are the hostile responses, each with the cause it must be
// refused for.
func attackCases() []attack {
	const lol = `<!DOCTYPE Response [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY x "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>`
	setNameID := func(k *attackKit, el *etree.Element) error {
		return samltest.SetText(el, "NameID", k.genuineNameID, k.evilNameID)
	}
	cases := []attack{
		// Transport and encoding.
		{"content type text/xml", "bad-request", func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
			raw, err := k.signed(req, nil)
			if err != nil {
				return nil, err
			}
			return k.post("text/xml", string(raw))
		}},
		{"content type application/json", "bad-request", func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
			raw, err := k.signed(req, nil)
			if err != nil {
				return nil, err
			}
			j, _ := json.Marshal(map[string]string{"SAMLResponse": base64.StdEncoding.EncodeToString(raw), "RelayState": req.RelayState})
			return k.post("application/json", string(j))
		}},
		{"content type multipart/form-data", "bad-request", func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
			raw, err := k.signed(req, nil)
			if err != nil {
				return nil, err
			}
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			_ = mw.WriteField("SAMLResponse", base64.StdEncoding.EncodeToString(raw))
			_ = mw.WriteField("RelayState", req.RelayState)
			_ = mw.Close()
			return k.post(mw.FormDataContentType(), b.String())
		}},
		{"bad base64", "malformed", func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
			return k.form(req, "PHNhbWxwOlJlc3BvbnNl!!!*not*base64")
		}},
		{"truncated base64", "malformed", func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
			raw, err := k.signed(req, nil)
			if err != nil {
				return nil, err
			}
			s := base64.StdEncoding.EncodeToString(raw)
			return k.form(req, s[:len(s)-len(s)%4-3])
		}},
		{"empty SAMLResponse", "bad-request", func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
			return k.form(req, "")
		}},
		{"oversized SAMLResponse", "bad-request", func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
			raw, err := k.signed(req, nil)
			if err != nil {
				return nil, err
			}
			pad := []byte("<!--" + strings.Repeat("x", 120_000) + "-->")
			return k.xml(req, append(pad, raw...), nil)
		}},
		{"oversized body", "bad-request", func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
			return k.form(req, strings.Repeat("A", 400<<10))
		}},
		{"deeply nested document", "", func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
			doc := `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="x" Version="2.0">` +
				samltest.Nested(10_000) + `</samlp:Response>`
			return k.xml(req, []byte(doc), nil)
		}},
		{"not well-formed XML", "malformed", func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
			raw, err := k.signed(req, nil)
			if err != nil {
				return nil, err
			}
			return k.xml(req, raw[:len(raw)/2], nil)
		}},
		{"root is not a Response", "malformed", func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
			raw, err := k.signed(req, nil)
			if err != nil {
				return nil, err
			}
			raw, err = samltest.Rewrite(raw, func(el *etree.Element) error { el.Tag = "LogoutResponse"; return nil })
			return k.xml(req, raw, err)
		}},
		{"SAML artifact", "artifact", func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
			return k.post("application/x-www-form-urlencoded",
				url.Values{"SAMLart": {"AAQAAMh48/1oXIM+sDo7Dh2qMp1HM4IF5DaRNmDj6RdUmllwn9jJHyEgIi8="}, "RelayState": {req.RelayState}}.Encode())
		}},

		// Signatures.
		{"signature stripped (unsigned response)", "signature", signedWith(func(o *samltest.Options) { o.Sign = samltest.SignNone })},
		{"signatures removed from a signed response", "signature", tamperedWith(samltest.SignBoth, func(k *attackKit, el *etree.Element) error {
			samltest.StripSignatures(el)
			return setNameID(k, el)
		})},
		{"unsigned evil assertion inside a signed response", "signature", tamperedWith(samltest.SignResponse, setNameID)},
		{"signed response and assertion, NameID altered", "signature", tamperedWith(samltest.SignBoth, setNameID)},
		{"signed assertion altered inside an unsigned response", "signature", tamperedWith(samltest.SignAssertion, setNameID)},
		{"signed response, assertion signature stripped and NameID altered", "signature", tamperedWith(samltest.SignBoth, func(k *attackKit, el *etree.Element) error {
			if s := samltest.ChildSignature(el.SelectElement("Assertion")); s != nil {
				s.Parent().RemoveChild(s)
			}
			return setNameID(k, el)
		})},
		{"signed assertion of another request inside an unsigned response", "in-response-to", mutatedWith(samltest.SignAssertion, func(k *attackKit, req *samltest.AuthnRequest, el *etree.Element) error {
			samltest.Find(el, "SubjectConfirmationData").CreateAttr("InResponseTo", "id-another-login")
			return nil
		})},
		{"signed assertion for another SP inside an unsigned response", "audience-mismatch", signedWith(func(o *samltest.Options) {
			o.Sign, o.Audience = samltest.SignAssertion, "urn:example:other-sp"
		})},
		{"signature moved onto an evil assertion", "signature", tamperedWith(samltest.SignAssertion, func(k *attackKit, el *etree.Element) error {
			orig := el.SelectElement("Assertion")
			idx := orig.Index()
			el.RemoveChild(orig)
			el.InsertChildAt(idx, samltest.Evil(orig, k.evilNameID, true))
			return nil
		})},
		{"foreign certificate in KeyInfo", "signature", func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
			raw, err := k.tampered(req, samltest.SignBoth, func(el *etree.Element) error {
				return samltest.ReplaceCertificates(el, k.foreignKeyCert.Cert.Raw)
			})
			return k.xml(req, raw, err)
		}},
		{"foreign key with the IdP's certificate in KeyInfo", "signature", func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
			raw, err := k.signed(req, func(o *samltest.Options) { o.ForeignKey, o.ForeignCert = k.foreignKeyCert.Key, k.foreignKeyCert.Cert })
			if err == nil {
				raw, err = samltest.Rewrite(raw, func(el *etree.Element) error { return samltest.ReplaceCertificates(el, k.fg.idp.Cert.Raw) })
			}
			return k.xml(req, raw, err)
		}},
		{"foreign key and certificate", "signature", func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
			raw, err := k.signed(req, func(o *samltest.Options) { o.ForeignKey, o.ForeignCert = k.foreignKeyCert.Key, k.foreignKeyCert.Cert })
			return k.xml(req, raw, err)
		}},
		{"XSLT transform in the signature", "signature", tamperedWith(samltest.SignBoth, func(_ *attackKit, el *etree.Element) error {
			return samltest.AddXSLTTransform(el)
		})},
		{"XSLT transform, assertion-only signature", "signature", tamperedWith(samltest.SignAssertion, func(_ *attackKit, el *etree.Element) error {
			return samltest.AddXSLTTransform(el)
		})},
		{"SHA-1 signature and digest", "sha1", signedWith(func(o *samltest.Options) { o.SHA1 = true })},
		{"SHA-1 DigestMethod only", "sha1", tamperedWith(samltest.SignBoth, func(_ *attackKit, el *etree.Element) error {
			samltest.Find(el, "DigestMethod").CreateAttr("Algorithm", "http://www.w3.org/2000/09/xmldsig#sha1")
			return nil
		})},

		// Signature wrapping.
		{"XSW1", "assertion-count", xsw(1, samltest.SignResponse)},
		{"XSW2", "assertion-count", xsw(2, samltest.SignResponse)},
		{"XSW3", "assertion-count", xsw(3, samltest.SignAssertion)},
		{"XSW4", "assertion-count", xsw(4, samltest.SignAssertion)},
		{"XSW5", "assertion-count", xsw(5, samltest.SignAssertion)},
		{"XSW6", "assertion-count", xsw(6, samltest.SignAssertion)},
		{"XSW7", "assertion-count", xsw(7, samltest.SignAssertion)},
		{"XSW8", "assertion-count", xsw(8, samltest.SignAssertion)},
		{"XSW1, both signed", "assertion-count", xsw(1, samltest.SignBoth)},
		{"XSW2, both signed", "assertion-count", xsw(2, samltest.SignBoth)},
		{"XSW3, both signed", "assertion-count", xsw(3, samltest.SignBoth)},
		{"XSW4, both signed", "assertion-count", xsw(4, samltest.SignBoth)},
		{"XSW5, both signed", "assertion-count", xsw(5, samltest.SignBoth)},
		{"XSW6, both signed", "assertion-count", xsw(6, samltest.SignBoth)},
		{"XSW7, both signed", "assertion-count", xsw(7, samltest.SignBoth)},
		{"XSW8, both signed", "assertion-count", xsw(8, samltest.SignBoth)},
		{"XSW3 with a duplicate ID", "assertion-count", tamperedWith(samltest.SignAssertion, func(k *attackKit, el *etree.Element) error {
			orig := el.SelectElement("Assertion")
			evil := samltest.Evil(orig, k.evilNameID, false)
			evil.CreateAttr("ID", orig.SelectAttrValue("ID", ""))
			el.InsertChildAt(orig.Index(), evil)
			return nil
		})},
		{"evil assertion in a foreign namespace", "assertion-count", tamperedWith(samltest.SignAssertion, func(k *attackKit, el *etree.Element) error {
			evil := samltest.Evil(el.SelectElement("Assertion"), k.evilNameID, false)
			evil.Space = "evil"
			evil.CreateAttr("xmlns:evil", "urn:example:evil")
			el.AddChild(evil)
			return nil
		})},
		{"two signed assertions", "assertion-count", signedWith(func(o *samltest.Options) { o.TwoAssertions = true })},
		{"assertion nested in Advice", "assertion-count", signedWith(func(o *samltest.Options) { o.AdviceAssertion = true })},
		{"encrypted assertion beside the signed one", "encrypted-assertion", tamperedWith(samltest.SignAssertion, func(_ *attackKit, el *etree.Element) error {
			ea := el.CreateElement("saml:EncryptedAssertion")
			ea.CreateElement("xenc:EncryptedData").CreateAttr("xmlns:xenc", "http://www.w3.org/2001/04/xmlenc#")
			return nil
		})},

		// Comments (canonical XML drops them, so the signatures still hold).
		{"comment inside NameID", "xml-comment", func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
			const signedName = "alice@example.org.evil.test"
			raw, err := k.signed(req, func(o *samltest.Options) { o.NameID = signedName; o.RoleSessionName = "mallory" })
			if err == nil {
				raw, err = samltest.Rewrite(raw, func(el *etree.Element) error {
					return samltest.InsertComment(el, "NameID", signedName, len("alice@example.org"))
				})
			}
			return k.xml(req, raw, err)
		}},
		{"comment inside the Role value", "xml-comment", func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
			value := trainRole + "," + sandbox.ProviderARN
			raw, err := k.signed(req, nil)
			if err == nil {
				raw, err = samltest.Rewrite(raw, func(el *etree.Element) error {
					return samltest.InsertComment(el, "AttributeValue", value, strings.Index(value, "Train")+len("Train"))
				})
			}
			return k.xml(req, raw, err)
		}},

		// DOCTYPE and entities.
		{"DOCTYPE", "doctype", signedWith(func(o *samltest.Options) { o.Doctype = true })},
		{"entity expansion (billion laughs)", "doctype", prologue(lol, true)},
		{"XXE external entity", "doctype", prologue(`<!DOCTYPE Response [<!ENTITY x SYSTEM "file:///etc/passwd">]>`, true)},
		{"external DTD", "doctype", prologue(`<!DOCTYPE Response SYSTEM "http://127.0.0.1:1/evil.dtd">`, false)},
		{"parameter entity", "doctype", prologue(`<!DOCTYPE Response [<!ENTITY % p SYSTEM "http://127.0.0.1:1/p.dtd"> %p;]>`, false)},

		// Protocol and conditions.
		{"InResponseTo missing", "unsolicited", signedWith(func(o *samltest.Options) { o.InResponseTo = "" })},
		{"InResponseTo wrong", "in-response-to", signedWith(func(o *samltest.Options) { o.InResponseTo = "id-another-login" })},
		{"InResponseTo wrong on the Response only", "in-response-to", mutatedWith(samltest.SignBoth, func(_ *attackKit, _ *samltest.AuthnRequest, el *etree.Element) error {
			el.CreateAttr("InResponseTo", "id-another-login")
			return nil
		})},
		{"InResponseTo wrong on SubjectConfirmationData only", "in-response-to", mutatedWith(samltest.SignBoth, func(_ *attackKit, _ *samltest.AuthnRequest, el *etree.Element) error {
			samltest.Find(el, "SubjectConfirmationData").CreateAttr("InResponseTo", "id-another-login")
			return nil
		})},
		{"Destination wrong", "destination", signedWith(func(o *samltest.Options) { o.Destination = "http://127.0.0.1:1/saml/acs" })},
		{"Recipient missing", "recipient", signedWith(func(o *samltest.Options) { o.Recipient = "" })},
		{"not yet valid", "not-yet-valid", mutatedWith(samltest.SignBoth, func(k *attackKit, _ *samltest.AuthnRequest, el *etree.Element) error {
			samltest.Find(el, "Conditions").CreateAttr("NotBefore", k.fg.e.clock.Now().Add(10*time.Minute).UTC().Format(time.RFC3339))
			return nil
		})},
		{"future IssueInstant", "future-issue-instant", signedWith(func(o *samltest.Options) { o.IssueInstant = o.Now.Add(10 * time.Minute) })},
		{"future Response IssueInstant", "future-issue-instant", signedWith(func(o *samltest.Options) { o.ResponseIssueInstant = o.Now.Add(10 * time.Minute) })},
		{"stale IssueInstant", "stale", signedWith(func(o *samltest.Options) { o.IssueInstant = o.Now.Add(-30 * time.Minute) })},
		{"audience missing", "audience-missing", signedWith(func(o *samltest.Options) { o.NoAudience = true })},
		{"audience empty", "audience-missing", mutatedWith(samltest.SignBoth, func(_ *attackKit, _ *samltest.AuthnRequest, el *etree.Element) error {
			samltest.Find(el, "Audience").SetText("")
			return nil
		})},
		{"issuer of another IdP", "issuer", signedWith(func(o *samltest.Options) { o.Issuer = "https://idp.evil.example" })},
		{"two SubjectConfirmations", "subject-confirmation", signedWith(func(o *samltest.Options) { o.ConfirmationCount = 2 })},
		{"wrong RelayState", "relay-state", func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
			raw, err := k.signed(req, nil)
			if err != nil {
				return nil, err
			}
			return k.post("application/x-www-form-urlencoded",
				url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(raw)}, "RelayState": {"not-the-relay-state"}}.Encode())
		}},
		{"Recipient wrong", "recipient", signedWith(func(o *samltest.Options) { o.Recipient = "http://127.0.0.1:1/saml/acs" })},
		{"audience of another SP", "audience-mismatch", signedWith(func(o *samltest.Options) { o.Audience = "urn:example:other-sp" })},
		{"expired", "expired", signedWith(func(o *samltest.Options) {
			o.IssueInstant = o.Now.Add(-80 * time.Second)
			o.NotOnOrAfter = o.Now.Add(-10 * time.Second)
		})},
		{"IdP status not Success", "status", signedWith(func(o *samltest.Options) { o.Status = "urn:oasis:names:tc:SAML:2.0:status:Responder" })},
		{"replayed assertion", "replayed", signedWith(func(o *samltest.Options) { o.AssertionID = replayedAssertionID })},
		{"holder-of-key confirmation", "subject-confirmation", mutatedWith(samltest.SignBoth, func(_ *attackKit, _ *samltest.AuthnRequest, el *etree.Element) error {
			samltest.Find(el, "SubjectConfirmation").CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key")
			return nil
		})},
	}
	return cases
}
