// Package samltest builds signed SAML responses for tests: a throw-away IdP
// key and certificate, its metadata, and a response builder with switches for
// every way a response can be wrong (foreign key, SHA-1, two assertions, bad
// times, audience, recipient…). It is imported only by tests.
package samltest

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crewjam/saml"
)

// IdP is a test identity provider: an entity ID, an SSO URL and a signing key.
type IdP struct {
	EntityID string
	SSOURL   string
	Key      *rsa.PrivateKey
	Cert     *x509.Certificate
}

// NewIdP makes an IdP with a fresh 2048-bit RSA key and a self-signed
// certificate valid from a day before now to a year after it.
func NewIdP(entityID, ssoURL string, now time.Time) (*IdP, error) {
	key, cert, err := NewKeyPair(entityID, now)
	if err != nil {
		return nil, err
	}
	return &IdP{EntityID: entityID, SSOURL: ssoURL, Key: key, Cert: cert}, nil
}

// NewKeyPair makes an RSA key and a self-signed certificate for it (for
// example a foreign key that the SP does not trust).
func NewKeyPair(cn string, now time.Time) (*rsa.PrivateKey, *x509.Certificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    now.Add(-24 * time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("parse certificate: %w", err)
	}
	return key, cert, nil
}

// Metadata returns the IdP's metadata: its signing certificate and an
// HTTP-Redirect SingleSignOnService at SSOURL.
func (i *IdP) Metadata() *saml.EntityDescriptor {
	return &saml.EntityDescriptor{
		EntityID: i.EntityID,
		IDPSSODescriptors: []saml.IDPSSODescriptor{{
			SSODescriptor: saml.SSODescriptor{RoleDescriptor: saml.RoleDescriptor{
				ProtocolSupportEnumeration: "urn:oasis:names:tc:SAML:2.0:protocol",
				KeyDescriptors: []saml.KeyDescriptor{{
					Use: "signing",
					KeyInfo: saml.KeyInfo{X509Data: saml.X509Data{X509Certificates: []saml.X509Certificate{
						{Data: base64.StdEncoding.EncodeToString(i.Cert.Raw)},
					}}},
				}},
			}},
			SingleSignOnServices: []saml.Endpoint{{Binding: saml.HTTPRedirectBinding, Location: i.SSOURL}},
		}},
	}
}

// AuthnRequest is what an HTTP-Redirect login URL carries.
type AuthnRequest struct {
	ID, ACSURL, Issuer, ProtocolBinding, RelayState string
}

// ParseRedirect decodes the AuthnRequest and RelayState of an HTTP-Redirect
// binding URL, as the IdP would.
func ParseRedirect(loginURL string) (*AuthnRequest, error) {
	u, err := url.Parse(loginURL)
	if err != nil {
		return nil, fmt.Errorf("parse login url: %w", err)
	}
	compressed, err := base64.StdEncoding.DecodeString(u.Query().Get("SAMLRequest"))
	if err != nil {
		return nil, fmt.Errorf("decode SAMLRequest: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(compressed)), 1<<20))
	if err != nil {
		return nil, fmt.Errorf("inflate SAMLRequest: %w", err)
	}
	var req saml.AuthnRequest
	if err := xml.Unmarshal(raw, &req); err != nil {
		return nil, fmt.Errorf("unmarshal AuthnRequest: %w", err)
	}
	out := &AuthnRequest{
		ID:              req.ID,
		ACSURL:          req.AssertionConsumerServiceURL,
		ProtocolBinding: req.ProtocolBinding,
		RelayState:      u.Query().Get("RelayState"),
	}
	if req.Issuer != nil {
		out.Issuer = req.Issuer.Value
	}
	return out, nil
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "id-" + hex.EncodeToString(b)
}

// ResolveStart opens a login's one-time start link (http://127.0.0.1:PORT/start/…)
// without following the redirect and returns the IdP URL it points to, as a
// browser would go on to. Any other URL is returned as it is.
func ResolveStart(loginURL string) (string, error) {
	u, err := url.Parse(loginURL)
	if err != nil {
		return "", fmt.Errorf("parse login url: %w", err)
	}
	if !strings.HasPrefix(u.Path, "/start/") {
		return loginURL, nil
	}
	c := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := c.Get(loginURL)
	if err != nil {
		return "", fmt.Errorf("open start link: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return "", fmt.Errorf("start link answered HTTP %d, want 302", resp.StatusCode)
	}
	return resp.Header.Get("Location"), nil
}
