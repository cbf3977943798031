package login

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/crewjam/saml"
)

// authnRequest is one SP-initiated login in flight.
type authnRequest struct {
	ID         string // AuthnRequest ID, expected as InResponseTo
	RelayState string // random, expected back with the response
	URL        string // IdP SSO URL with the HTTP-Redirect binding
	// StartPath is a one-time path on the ACS listener that redirects to URL.
	// The browser is given that loopback link, never URL itself, so the
	// request ID and RelayState do not show in a process list (argv) or a
	// terminal log where another user of the host could read them.
	StartPath string
	// IssuedAt is when the request was made (by the login's clock).
	IssuedAt time.Time
}

// NewRelayState returns 32 random bytes, base64url without padding.
func NewRelayState() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("relay state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// newAuthnRequest builds the AuthnRequest (ACS URL, HTTP-POST protocol
// binding, SP entity ID as Issuer) for the IdP's HTTP-Redirect SSO endpoint.
func newAuthnRequest(cfg Config, clk Clock) (*authnRequest, error) {
	issuedAt := clk.Now()
	sp := newServiceProvider(cfg, clk)
	sso := sp.GetSSOBindingLocation(saml.HTTPRedirectBinding)
	if sso == "" {
		return nil, errors.New("authn request: the IdP metadata has no HTTP-Redirect SingleSignOnService")
	}
	req, err := sp.MakeAuthenticationRequest(sso, saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return nil, fmt.Errorf("authn request: %w", err)
	}
	relay, err := NewRelayState()
	if err != nil {
		return nil, err
	}
	u, err := req.Redirect(relay, sp)
	if err != nil {
		return nil, fmt.Errorf("authn request: %w", err)
	}
	start, err := NewRelayState() // same strength: 32 random bytes
	if err != nil {
		return nil, err
	}
	return &authnRequest{ID: req.ID, RelayState: relay, URL: u.String(), StartPath: "/start/" + start, IssuedAt: issuedAt}, nil
}
