package login

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"

	"github.com/ptsaml/ptsaml/internal/testing/samltest"
)

type samlOpts = samltest.Options

const (
	ecpUser     = "svc-train"
	ecpPassword = "s3cret-Pa55-do-not-leak"
	ecpACS      = "http://127.0.0.1:18181/saml/acs"
)

// ecpSeen is one request the fake ECP IdP received.
type ecpSeen struct {
	ID, ACSURL, ProtocolBinding, Issuer string
	Header                              http.Header
	AuthOK                              bool
}

// ecpAnswerFunc makes the IdP's reply: HTTP status, content type, body.
type ecpAnswerFunc func(t *testing.T, f *fixture, seen ecpSeen) (int, string, string)

// ecpIdP is an httptest ECP endpoint built on samltest: it checks basic
// auth, reads the AuthnRequest from the SOAP body and answers as told.
type ecpIdP struct {
	*httptest.Server
	mu   sync.Mutex
	seen []ecpSeen
}

func newECPIdP(t *testing.T, f *fixture, answer ecpAnswerFunc) *ecpIdP {
	t.Helper()
	idp := &ecpIdP{}
	idp.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, err := readECPRequest(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		idp.mu.Lock()
		idp.seen = append(idp.seen, seen)
		idp.mu.Unlock()
		code, ctype, body := answer(t, f, seen)
		w.Header().Set("Content-Type", ctype)
		if code == http.StatusSeeOther {
			w.Header().Set("Location", "/login?AuthState=x")
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(idp.Close)
	return idp
}

func (i *ecpIdP) requests() []ecpSeen {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]ecpSeen(nil), i.seen...)
}

func readECPRequest(r *http.Request) (ecpSeen, error) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/xml") {
		return ecpSeen{}, fmt.Errorf("want a text/xml POST, got %s %s", r.Method, r.Header.Get("Content-Type"))
	}
	doc := etree.NewDocument()
	if _, err := doc.ReadFrom(r.Body); err != nil {
		return ecpSeen{}, err
	}
	el := doc.FindElement("/Envelope/Body/AuthnRequest")
	if el == nil || doc.Root().NamespaceURI() != soapEnvelopeNS {
		return ecpSeen{}, fmt.Errorf("no AuthnRequest in a SOAP body")
	}
	inner := etree.NewDocument()
	inner.SetRoot(el.Copy())
	raw, err := inner.WriteToBytes()
	if err != nil {
		return ecpSeen{}, err
	}
	var req saml.AuthnRequest
	if err := xml.Unmarshal(raw, &req); err != nil {
		return ecpSeen{}, err
	}
	user, pass, ok := r.BasicAuth()
	seen := ecpSeen{ID: req.ID, ACSURL: req.AssertionConsumerServiceURL, ProtocolBinding: req.ProtocolBinding,
		Header: r.Header.Clone(), AuthOK: ok && user == ecpUser && pass == ecpPassword}
	if req.Issuer != nil {
		seen.Issuer = req.Issuer.Value
	}
	return seen, nil
}

// soapEnvelope wraps a Response the way SimpleSAMLphp does, with an
// ecp:Response header for acs ("" = no header) and optional extra headers.
func soapEnvelope(acs, extraHeader, body string) string {
	header := extraHeader
	if acs != "" {
		header = `<ecp:Response xmlns:ecp="` + ecpNS + `" SOAP-ENV:mustUnderstand="1" ` +
			`SOAP-ENV:actor="http://schemas.xmlsoap.org/soap/actor/next" AssertionConsumerServiceURL="` + acs + `"/>` + header
	}
	return `<?xml version="1.0" encoding="utf-8"?>` + "\n" +
		`<SOAP-ENV:Envelope xmlns:SOAP-ENV="` + soapEnvelopeNS + `">` + "\n    " +
		`<SOAP-ENV:Header>` + header + `</SOAP-ENV:Header>` + "\n    " +
		`<SOAP-ENV:Body>` + body + `</SOAP-ENV:Body>` + "\n</SOAP-ENV:Envelope>\n"
}

// signedResponse is the good response to seen, changed by opts.
func signedResponse(t *testing.T, f *fixture, seen ecpSeen, change func(o *samlOpts)) string {
	t.Helper()
	o := f.good(seen.ID)
	if change != nil {
		change(&o)
	}
	b, err := f.idp.Build(o)
	if err != nil {
		t.Fatalf("build response: %v", err)
	}
	return string(b)
}

// statusResponse is an unsigned Response without an assertion: the answer
// of an IdP that refused the login.
func statusResponse(inResponseTo, code, sub, message string) string {
	inner := ""
	if sub != "" {
		inner = `<samlp:StatusCode Value="` + sub + `"/>`
	}
	return `<samlp:Response xmlns:samlp="` + samlpNS + `" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_e1" ` +
		`Version="2.0" IssueInstant="2026-11-29T18:00:00Z" Destination="` + ecpACS + `" InResponseTo="` + inResponseTo + `">` +
		`<saml:Issuer>https://idp.example.org/saml</saml:Issuer><samlp:Status><samlp:StatusCode Value="` + code + `">` + inner +
		`</samlp:StatusCode><samlp:StatusMessage>` + message + `</samlp:StatusMessage></samlp:Status></samlp:Response>`
}

func soapFault(code, text string) string {
	return `<SOAP-ENV:Fault><faultcode>` + code + `</faultcode><faultstring>` + text + `</faultstring></SOAP-ENV:Fault>`
}

// goodECP answers like SimpleSAMLphp: a signed Response for the right
// password, a Responder status (WRONGUSERPASS) otherwise.
func goodECP(t *testing.T, f *fixture, seen ecpSeen) (int, string, string) {
	if !seen.AuthOK {
		return 200, "text/xml;charset=UTF-8", soapEnvelope(seen.ACSURL, "",
			statusResponse(seen.ID, saml.StatusResponder, "", `SimpleSAML\Error\Error: WRONGUSERPASS`))
	}
	return 200, "text/xml;charset=UTF-8", soapEnvelope(seen.ACSURL, "", signedResponse(t, f, seen, nil))
}
