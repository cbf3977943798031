package login

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
)

// ECP protocol constants (SAML profiles 4.2, Liberty PAOS).
const (
	soapEnvelopeNS = "http://schemas.xmlsoap.org/soap/envelope/"
	ecpNS          = "urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp"
	paosBinding    = "urn:oasis:names:tc:SAML:2.0:bindings:PAOS"
	paosHeader     = `ver="urn:liberty:paos:2003-08";"` + ecpNS + `"`
	soapAction     = "http://www.oasis-open.org/committees/security"
	// maxECPAnswer bounds the IdP's SOAP answer: the Response inside is at
	// most MaxSAMLResponse characters of base64 (75 000 bytes).
	maxECPAnswer = 1 << 20
)

// ecpRequest is one ECP AuthnRequest in flight.
type ecpRequest struct {
	ID       string    // expected as InResponseTo
	Envelope []byte    // SOAP envelope with the AuthnRequest in its body
	IssuedAt time.Time // when the request was made, by the login's clock
}

// checkECPConfig checks the endpoint, account and ACS URL before anything
// is sent. Basic auth travels in the clear, so the endpoint must be https
// unless it is on this machine.
func checkECPConfig(cfg Config, ecp ECPConfig) (*url.URL, error) {
	if ecp.URL == "" {
		return nil, errors.New("ecp config: no ecp_url and the IdP metadata names no SOAP SingleSignOnService (is ECP enabled at the IdP?)")
	}
	u, err := url.Parse(ecp.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("ecp config: ecp_url %s is not an absolute http(s) URL", quote(ecp.URL))
	}
	if u.User != nil {
		return nil, errors.New("ecp config: ecp_url must not carry a user name or password; use ecp_username and ecp_password")
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("ecp config: ecp_url %s is plain http: the password would cross the network in the clear; use https", quote(u.Redacted()))
	}
	if ecp.Username == "" || strings.ContainsAny(ecp.Username, ":\r\n") {
		return nil, errors.New("ecp config: the service account user name is empty or contains ':' or a line break")
	}
	if ecp.Password == "" {
		return nil, fmt.Errorf("ecp config: the password of %s is empty", quote(ecp.Username))
	}
	acs, err := url.Parse(cfg.ACSURL)
	if err != nil || acs.Host == "" || (acs.Scheme != "https" && acs.Scheme != "http") {
		return nil, fmt.Errorf("ecp config: acs_url %s must be the absolute URL registered at the IdP with the PAOS binding", quote(cfg.ACSURL))
	}
	return u, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// newECPRequest builds the AuthnRequest (ProtocolBinding PAOS, ACS URL,
// SP entity ID as Issuer) in a SOAP 1.1 envelope. The ECP forwards only
// the request to the IdP (profiles 4.2.4.2), so there are no header blocks.
func newECPRequest(cfg Config, endpoint string, clk Clock) (*ecpRequest, error) {
	issuedAt := clk.Now()
	sp := newServiceProvider(cfg, clk)
	req, err := sp.MakeAuthenticationRequest(endpoint, saml.SOAPBinding, paosBinding)
	if err != nil {
		return nil, fmt.Errorf("authn request: %w", err)
	}
	doc := etree.NewDocument()
	env := doc.CreateElement("S:Envelope")
	env.CreateAttr("xmlns:S", soapEnvelopeNS)
	env.CreateElement("S:Body").AddChild(req.Element())
	b, err := doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("authn request: %w", err)
	}
	return &ecpRequest{ID: req.ID, Envelope: b, IssuedAt: issuedAt}, nil
}

// postECP sends the envelope with basic auth and reads the SOAP answer.
// HTTP 401 and 403 are wrong credentials; a redirect or an answer that is
// not XML means the URL is not an ECP endpoint for this SP.
func postECP(ctx context.Context, endpoint *url.URL, ecp ECPConfig, spEntityID string, envelope []byte) (*ecpAnswer, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), bytes.NewReader(envelope))
	if err != nil {
		return nil, fmt.Errorf("ecp request: %w", err)
	}
	hreq.Header.Set("Content-Type", "text/xml; charset=utf-8")
	hreq.Header.Set("Accept", "text/xml, application/vnd.paos+xml, application/soap+xml")
	hreq.Header.Set("PAOS", paosHeader)
	hreq.Header.Set("SOAPAction", soapAction)
	hreq.SetBasicAuth(ecp.Username, ecp.Password)

	client := http.Client{}
	if ecp.HTTPClient != nil {
		client = *ecp.HTTPClient
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("post to %s: %w", endpoint.Host, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxECPAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("read the answer of %s: %w", endpoint.Host, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("%w for %s at %s (HTTP %d)", ErrECPCredentials, quote(ecp.Username), endpoint.Host, resp.StatusCode)
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, fmt.Errorf("%s answered with a redirect (HTTP %d), not SOAP: ECP is not enabled there for this SP, "+
			"or the acs_url is not registered at the IdP with the PAOS binding", endpoint.Host, resp.StatusCode)
	case len(body) > maxECPAnswer:
		return nil, fmt.Errorf("the answer of %s is larger than %d bytes", endpoint.Host, maxECPAnswer)
	case !isXMLType(resp.Header.Get("Content-Type")):
		return nil, fmt.Errorf("%s answered HTTP %d with %s, not a SOAP envelope: is ecp_url the IdP's SOAP (ECP) endpoint, "+
			"and does the IdP know the SP %s?", endpoint.Host, resp.StatusCode, quote(resp.Header.Get("Content-Type")), quote(spEntityID))
	}
	ans, err := parseECPAnswer(body)
	if err != nil {
		return nil, fmt.Errorf("the answer of %s (HTTP %d): %w", endpoint.Host, resp.StatusCode, err)
	}
	return ans, nil
}

func isXMLType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch mt {
	case "text/xml", "application/xml", "application/soap+xml", "application/vnd.paos+xml":
		return true
	}
	return false
}
