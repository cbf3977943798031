package login

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/crewjam/saml"
)

// ECPConfig is the service account and endpoint for a SAML ECP login.
// Password is never logged, printed or put in an error; String, GoString
// and LogValue redact it.
type ECPConfig struct {
	// URL is the IdP's SOAP SingleSignOnService; "" = the one in the IdP
	// metadata. It must be https, or http to a loopback address.
	URL      string
	Username string
	Password string
	// HTTPClient sends the request; nil = a plain client. Redirects are
	// never followed (an ECP endpoint answers directly).
	HTTPClient *http.Client
}

// String describes the endpoint and user, never the password.
func (e ECPConfig) String() string {
	return fmt.Sprintf("ecp %s as %q (password redacted)", e.URL, e.Username)
}

// GoString is String, so %#v does not print the password either.
func (e ECPConfig) GoString() string { return e.String() }

// LogValue keeps the password out of slog records.
func (e ECPConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", e.URL), slog.String("username", e.Username))
}

// ErrECPCredentials is returned (wrapped, one line) when the IdP says the
// service account's user name or password is wrong: HTTP 401/403, a SOAP
// fault about authentication, or a SAML status of failed authentication.
// Nothing is cached or recorded in the replay cache.
var ErrECPCredentials = errors.New("wrong user name or password")

// CodeECPResponse is the RejectedError.Code of an ECP answer whose
// ecp:Response header is missing or names another AssertionConsumerServiceURL.
const CodeECPResponse = "ecp-response"

// LoginECP runs the SAML ECP profile (SAML profiles 4.2) with the IdP
// directly, without a browser: it POSTs a SOAP envelope carrying an
// AuthnRequest (ProtocolBinding PAOS, AssertionConsumerServiceURL =
// cfg.ACSURL, which the IdP must have registered with the PAOS binding) to
// the IdP's SOAP endpoint with HTTP basic auth, and validates the answer:
// the ecp:Response header must name cfg.ACSURL (else a phishing IdP could
// have the assertion meant for another SP), no foreign ecp:RelayState may
// come back (this login sends none), and the samlp:Response in the body
// goes through Validate (InResponseTo = the request's ID, Destination and
// Recipient in cfg.Recipients, signature, replay). Audits as Login does:
// "login.start", "assertion.rejected", "assertion.accepted". Wrong
// credentials give an error wrapping ErrECPCredentials; cfg.Timeout bounds
// the whole exchange.
func LoginECP(ctx context.Context, cfg Config, ecp ECPConfig, d Deps) (*Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	cfg.AllowIdPInitiated = false // an ECP answer always answers our request
	if ecp.URL == "" {
		ecp.URL = newServiceProvider(cfg, d.clock()).GetSSOBindingLocation(saml.SOAPBinding)
	}
	endpoint, err := checkECPConfig(cfg, ecp)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	req, err := newECPRequest(cfg, endpoint.String(), d.clock())
	if err != nil {
		return nil, fmt.Errorf("ecp: %w", err)
	}
	d.audit("login.start", map[string]any{"idp": cfg.IDP.EntityID, "sp_entity_id": cfg.SPEntityID,
		"acs_url": cfg.ACSURL, "auth": "ecp", "ecp_url": endpoint.Redacted(), "username": ecp.Username})
	d.log().Debug("saml ecp login started", "ecp", ecp, "acs", cfg.ACSURL)
	_, _ = fmt.Fprintf(d.status(), "Signing in at %s as %s (SAML ECP)…\n", endpoint.Host, ecp.Username)

	ans, err := postECP(ctx, endpoint, ecp, cfg.SPEntityID, req.Envelope)
	if err != nil {
		if errors.Is(err, ErrECPCredentials) {
			d.audit("assertion.rejected", map[string]any{"reason": err.Error(), "code": "credentials", "auth": "ecp"})
		}
		if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("ecp: %w (%s) without an answer from %s", ErrTimeout, cfg.Timeout, endpoint.Host)
		}
		return nil, fmt.Errorf("ecp: %w", err)
	}
	if err := ans.credentialsOrStatus(ecp, endpoint.Host); err != nil {
		reason := err.Error()
		code := CodeStatus
		if errors.Is(err, ErrECPCredentials) {
			code = "credentials"
		}
		d.audit("assertion.rejected", map[string]any{"reason": reason, "code": code, "auth": "ecp"})
		return nil, fmt.Errorf("ecp: %w", err)
	}
	res, err := judgeECP(ctx, ans, cfg, req, d)
	if err != nil {
		var rej *RejectedError
		if errors.As(err, &rej) {
			recordRejection(d, rej)
		}
		return nil, fmt.Errorf("ecp: %w", err)
	}
	d.audit("assertion.accepted", res.auditFields("ecp"))
	d.log().Info("saml ecp response accepted", "issuer", res.Issuer, "assertion_id", res.AssertionID, "roles", len(res.Roles))
	return res, nil
}

// judgeECP applies the ECP header rules, then Validate to the Response.
func judgeECP(ctx context.Context, ans *ecpAnswer, cfg Config, req *ecpRequest, d Deps) (*Result, error) {
	switch {
	case ans.acsCount == 0:
		return nil, reject(CodeECPResponse, hintAdmin, "the IdP's SOAP answer has no ecp:Response header")
	case ans.acsCount > 1:
		return nil, reject(CodeECPResponse, hintAdmin, "the IdP's SOAP answer has %d ecp:Response headers", ans.acsCount)
	case ans.acsURL != cfg.ACSURL:
		return nil, reject(CodeECPResponse, "check ecp_url: this IdP addressed its answer to another service provider",
			"refused: the IdP's ecp:Response is for AssertionConsumerServiceURL %s, not this profile's %s",
			quote(ans.acsURL), quote(cfg.ACSURL))
	case ans.relayState != "":
		// This login sends no RelayState, so any that comes back belongs to
		// another exchange.
		return nil, reject(CodeRelayState, hintAdmin, "refused: the IdP's answer carries an ecp:RelayState this login never sent")
	}
	return Validate(ctx, base64.StdEncoding.EncodeToString(ans.response), cfg, ValidateOptions{
		RequestID: req.ID, RequestedAt: req.IssuedAt, Clock: d.clock(), Replay: d.Replay,
	})
}

// recordRejection audits and logs a refused answer as Login does.
func recordRejection(d Deps, rej *RejectedError) {
	fields := map[string]any{"reason": rej.Reason, "code": rej.Code, "auth": "ecp"}
	if rej.Issuer != "" {
		fields["claimed_issuer"] = rej.Issuer
	}
	if rej.AssertionID != "" {
		fields["claimed_assertion_id"] = rej.AssertionID
	}
	d.audit("assertion.rejected", fields)
	d.log().Info("saml ecp response rejected", "code", rej.Code, "reason", rej.Reason)
}
