package integration_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/ptsaml/ptsaml/internal/sandbox"
	"github.com/ptsaml/ptsaml/internal/testing/samltest"
)

// attack is one hostile POST to the ACS of a waiting login.
type attack struct {
	name string
	// code is the cause the refusal must carry (RejectedError.Code, as the
	// audit line records it); "" accepts any specific cause but the generic
	// "invalid".
	code string
	// build returns the POST for the login request req.
	build func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error)
}

// attackKit builds hostile responses with the sandbox IdP's key and with a
// foreign one.
type attackKit struct {
	fg                        *forger
	foreignKeyCert            *samltest.IdP // a key and certificate the IdP metadata does not name
	genuineNameID, evilNameID string
}

func (k *attackKit) options(req *samltest.AuthnRequest) samltest.Options {
	o := k.fg.goodOptions(req)
	o.NameID = k.genuineNameID
	return o
}

// form posts samlResponse (already base64) with the request's RelayState.
func (k *attackKit) form(req *samltest.AuthnRequest, samlResponse string) (*http.Request, error) {
	return k.post("application/x-www-form-urlencoded",
		url.Values{"SAMLResponse": {samlResponse}, "RelayState": {req.RelayState}}.Encode())
}

func (k *attackKit) post(contentType, body string) (*http.Request, error) {
	r, err := http.NewRequest(http.MethodPost, k.fg.e.acsURL, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", contentType)
	return r, nil
}

func (k *attackKit) xml(req *samltest.AuthnRequest, raw []byte, err error) (*http.Request, error) {
	if err != nil {
		return nil, err
	}
	return k.form(req, base64.StdEncoding.EncodeToString(raw))
}

// signed is a response to req, changed by mod before signing.
func (k *attackKit) signed(req *samltest.AuthnRequest, mod func(*samltest.Options)) ([]byte, error) {
	o := k.options(req)
	if mod != nil {
		mod(&o)
	}
	return k.fg.idp.Build(o)
}

// tampered is a response to req signed as sign says, then changed by fn
// (outside the signatures).
func (k *attackKit) tampered(req *samltest.AuthnRequest, sign samltest.Sign, fn func(*etree.Element) error) ([]byte, error) {
	raw, err := k.signed(req, func(o *samltest.Options) { o.Sign = sign })
	if err != nil {
		return nil, err
	}
	return samltest.Rewrite(raw, fn)
}

// mutated is a response to req changed by fn and then signed as sign says.
func (k *attackKit) mutated(req *samltest.AuthnRequest, sign samltest.Sign, fn func(*etree.Element) error) ([]byte, error) {
	o := k.options(req)
	o.Sign = sign
	return k.fg.idp.BuildMutated(o, fn)
}

func xsw(n int, sign samltest.Sign) func(*attackKit, *samltest.AuthnRequest) (*http.Request, error) {
	return func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
		raw, err := k.signed(req, func(o *samltest.Options) { o.Sign = sign })
		if err != nil {
			return nil, err
		}
		raw, err = samltest.XSW(raw, n, k.evilNameID)
		return k.xml(req, raw, err)
	}
}

func signedWith(mod func(*samltest.Options)) func(*attackKit, *samltest.AuthnRequest) (*http.Request, error) {
	return func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
		raw, err := k.signed(req, mod)
		return k.xml(req, raw, err)
	}
}

func tamperedWith(sign samltest.Sign, fn func(*attackKit, *etree.Element) error) func(*attackKit, *samltest.AuthnRequest) (*http.Request, error) {
	return func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
		raw, err := k.tampered(req, sign, func(el *etree.Element) error { return fn(k, el) })
		return k.xml(req, raw, err)
	}
}

func mutatedWith(sign samltest.Sign, fn func(*attackKit, *samltest.AuthnRequest, *etree.Element) error) func(*attackKit, *samltest.AuthnRequest) (*http.Request, error) {
	return func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
		raw, err := k.mutated(req, sign, func(el *etree.Element) error { return fn(k, req, el) })
		return k.xml(req, raw, err)
	}
}

func prologue(p string, nameIDEntity bool) func(*attackKit, *samltest.AuthnRequest) (*http.Request, error) {
	return func(k *attackKit, req *samltest.AuthnRequest) (*http.Request, error) {
		raw, err := k.signed(req, nil)
		if err != nil {
			return nil, err
		}
		if nameIDEntity {
			raw = bytes.Replace(raw, []byte(">"+k.genuineNameID+"<"), []byte(">&x;<"), 1)
		}
		return k.xml(req, samltest.WithPrologue(raw, p), nil)
	}
}

// replayedAssertionID is the ID of an assertion accepted once before the
// attacks start.
const replayedAssertionID = "id-attack-accepted-once"

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

// attackOutcome is what the ACS did with one case.
type attackOutcome struct {
	status  int
	err     error
	elapsed time.Duration
}

// postAttacks posts cases in order to the ACS of the login at loginURL,
// until one is not refused with a 4xx. It returns the outcomes of the cases
// it posted.
func postAttacks(k *attackKit, loginURL string, cases []attack) []attackOutcome {
	var out []attackOutcome
	req, err := samltest.ParseRedirect(loginURL)
	if err != nil {
		return append(out, attackOutcome{err: err})
	}
	client := &http.Client{Timeout: 20 * time.Second}
	for _, c := range cases {
		start := time.Now()
		hr, err := c.build(k, req)
		if err != nil {
			out = append(out, attackOutcome{err: fmt.Errorf("build: %w", err)})
			return out
		}
		resp, err := client.Do(hr)
		if err != nil {
			out = append(out, attackOutcome{err: err, elapsed: time.Since(start)})
			return out
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		out = append(out, attackOutcome{status: resp.StatusCode, elapsed: time.Since(start)})
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			return out
		}
	}
	return out
}

// acceptedSummary keeps the lines of a login's output that say what it took.
func acceptedSummary(stderr string) string {
	var out []string
	for _, line := range strings.Split(stderr, "\n") {
		for _, p := range []string{"user:", "role:", "account:"} {
			if strings.HasPrefix(strings.TrimSpace(line), p) {
				out = append(out, "  "+strings.TrimSpace(line))
			}
		}
	}
	return strings.Join(out, "\n")
}

type rejection struct{ Code, Reason string }

func auditRejections(t *testing.T, e *env) []rejection {
	t.Helper()
	var out []rejection
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, e.statePath("audit.log"))), "\n") {
		var ev struct {
			Event  string `json:"event"`
			Code   string `json:"code"`
			Reason string `json:"reason"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		if ev.Event == "assertion.rejected" {
			out = append(out, rejection{ev.Code, ev.Reason})
		}
	}
	return out
}

// terminalRefusals is how many refusals a login prints one by one.
const terminalRefusals = 5

func TestAttackSuiteIsRefusedCaseByCase(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	if r := e.run("login"); r.code != 0 {
		t.Fatalf("first login: exit %d\n%s", r.code, r.stderr)
	}
	foreign, err := samltest.NewIdP("https://idp.evil.example", "https://idp.evil.example/sso", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	k := &attackKit{fg: newForger(e), foreignKeyCert: foreign,
		genuineNameID: "mallory", evilNameID: "admin@example.org"}
	// Accept replayedAssertionID once: that is what an attacker replays later.
	e.useBrowser(&scriptedBrowser{run: func(ctx context.Context, loginURL string) {
		k.fg.post("accepted once", loginURL, func(o *samltest.Options, _ *samltest.AuthnRequest) { o.AssertionID = replayedAssertionID })
	}})
	if r := e.run("login"); r.code != 0 {
		t.Fatalf("login with a response to replay later: exit %d\n%s", r.code, r.stderr)
	}
	cases := attackCases()
	t.Logf("attack suite: %d cases", len(cases))
	if len(cases) < 40 {
		t.Errorf("only %d attack cases, want at least 40", len(cases))
	}

	var refused []attack // the cases refused as they should be, for the final round
	remaining := cases
	for round := 1; len(remaining) > 0; round++ {
		stsBefore := e.sandbox.STSCalls()
		credsBefore := e.run("credential-process").stdout
		auditBefore := len(auditRejections(t, e))

		var outcomes []attackOutcome
		b := &scriptedBrowser{run: func(ctx context.Context, loginURL string) {
			outcomes = postAttacks(k, loginURL, remaining)
		}}
		e.useBrowser(b)
		r := e.run("login", "--timeout", "10s")
		b.wait()
		reasons := refusals(r.stderr)
		audit := auditRejections(t, e)[auditBefore:]
		timedOut := r.code == 1 && strings.Contains(r.stderr, "time limit")

		if hidden := len(audit) - terminalRefusals; hidden > 0 &&
			!strings.Contains(r.stderr, fmt.Sprintf("\n%d more responses were refused; see the audit log", hidden)) {
			t.Errorf("round %d: %d refusals audited, but no line counting the %d not shown:\n%s", round, len(audit), hidden, r.stderr)
		}
		reasonAt, auditAt := 0, 0
		for i, o := range outcomes {
			c := remaining[i]
			last := i == len(outcomes)-1
			switch {
			case o.err != nil:
				t.Errorf("%s: no answer from the ACS (%v); the login ended: exit %d\n%s", c.name, o.err, r.code, r.stderr)
				continue
			case o.status < 400:
				t.Errorf("%s: ACCEPTED (HTTP %d), want refused; the login took it (exit %d):\n%s",
					c.name, o.status, r.code, acceptedSummary(r.stderr))
				continue
			case o.status >= 500:
				t.Errorf("%s: ACS answered %d, want 4xx", c.name, o.status)
			}
			if o.elapsed > 5*time.Second {
				t.Errorf("%s: took %s to refuse", c.name, o.elapsed)
			}
			if auditAt >= len(audit) {
				t.Errorf("%s: HTTP %d but no audit line", c.name, o.status)
				continue
			}
			a := audit[auditAt]
			auditAt++
			if last && !timedOut && r.code != 0 {
				// A refusal that ends the login: the final refusal of a
				// genuine answer, not a per-response one.
				t.Errorf("%s: refused (%s: %s) but the login gave up: exit %d\n%s", c.name, a.Code, a.Reason, r.code, r.stderr)
				continue
			}
			// The terminal shows a login's first refusals one by one, then
			// counts the rest; the audit log has every one.
			if auditAt <= terminalRefusals {
				if reasonAt >= len(reasons) || reasons[reasonAt] != a.Reason {
					t.Errorf("%s: audit reason %q is not the next line on the terminal", c.name, a.Reason)
				} else {
					reasonAt++
				}
			}
			ok := true
			switch {
			case a.Code == "invalid":
				t.Errorf("%s: refused for a generic reason: %s: %s", c.name, a.Code, a.Reason)
				ok = false
			case c.code != "" && a.Code != c.code:
				t.Errorf("%s: refused as %s (%s), want %s", c.name, a.Code, a.Reason, c.code)
				ok = false
			case strings.ContainsAny(a.Reason, "\r\n"):
				t.Errorf("%s: reason is not one line: %q", c.name, a.Reason)
				ok = false
			}
			t.Logf("%-66s HTTP %d  %-22s %s", c.name, o.status, a.Code, a.Reason)
			if ok {
				refused = append(refused, c)
			}
		}
		if auditAt != len(audit) {
			t.Errorf("round %d: %d audit lines for %d refusals", round, len(audit), auditAt)
		}
		if timedOut {
			if after := e.run("credential-process").stdout; after != credsBefore {
				t.Errorf("round %d: the cached credentials changed", round)
			}
			if e.sandbox.STSCalls() != stsBefore {
				t.Errorf("round %d: a hostile response reached STS", round)
			}
		}
		if len(outcomes) == 0 {
			t.Fatalf("round %d: nothing was posted: exit %d\n%s", round, r.code, r.stderr)
		}
		remaining = remaining[len(outcomes):]
		if !timedOut && len(remaining) > 0 {
			t.Logf("round %d ended early (exit %d); %d cases go to a new login", round, r.code, len(remaining))
		}
	}

	// Every properly refused case again, then the genuine sign-in: it wins.
	rejBefore := len(auditRejections(t, e))
	var outcomes []attackOutcome
	e.useBrowser(&scriptedBrowser{run: func(ctx context.Context, loginURL string) {
		outcomes = postAttacks(k, loginURL, refused)
		_ = sandbox.SignIn(ctx, loginURL, "alice", "alice")
	}})
	r := e.run("login")
	if r.code != 0 {
		t.Fatalf("genuine login after %d hostile responses: exit %d\n%s", len(refused), r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "user:     alice") {
		t.Fatalf("the accepted login is not alice's:\n%s", r.stderr)
	}
	if len(outcomes) != len(refused) {
		t.Errorf("final round: %d of %d cases posted", len(outcomes), len(refused))
	}
	if got := len(auditRejections(t, e)) - rejBefore; got != len(refused) {
		t.Errorf("final round: %d audit lines, want %d", got, len(refused))
	}
	t.Logf("attack suite: %d cases, %d refused with their own reason", len(cases), len(refused))
}
