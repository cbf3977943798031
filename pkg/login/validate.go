package login

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/crewjam/saml"
)

// MaxSAMLResponse is the longest SAMLResponse AWS STS accepts (characters
// of base64).
const MaxSAMLResponse = 100_000

// replayTimeout bounds recording an assertion ID in the replay cache (its
// file lock is shared with other logins of this user).
const replayTimeout = 10 * time.Second

// ValidateOptions are the per-login facts Validate checks a response against.
type ValidateOptions struct {
	// RequestID is the ID of the AuthnRequest the response must answer
	// (InResponseTo). "" accepts only an unsolicited response, and only with
	// Config.AllowIdPInitiated.
	RequestID string
	// WantRelayState, when set, must equal RelayState (as posted) for a
	// solicited response.
	RelayState, WantRelayState string
	Clock                      Clock       // nil = wall clock
	Replay                     ReplayCache // nil = no replay check
	// RequestedAt is when the AuthnRequest with RequestID was made, by
	// Clock; zero when not known. An assertion issued well before it proves
	// the IdP's clock is behind this machine's, and the refusal says so.
	RequestedAt time.Time
}

// Validate checks a base64 SAMLResponse as posted to the ACS and returns
// what it says. A refused response gives a *RejectedError (one line, with a
// Code per cause); a failure that is not the response's fault (the replay
// cache cannot be read) gives another error. Checks run cheapest first, and
// the assertion ID is recorded in the replay cache only once everything else
// has passed.
func Validate(ctx context.Context, raw string, cfg Config, v ValidateOptions) (*Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	clk := v.Clock
	if clk == nil {
		clk = wallClock{}
	}
	now := clk.Now()

	doc, rej := decode(raw)
	if rej != nil {
		return nil, rej
	}
	s, err := scanXML(doc)
	if s.doctype {
		return nil, checkStructure(s)
	}
	if err != nil {
		return nil, reject(CodeMalformed, hintAdmin, "response is not well-formed XML")
	}
	annotate := func(r *RejectedError) *RejectedError {
		r.Issuer, r.AssertionID = clip(s.issuer), clip(s.assertionID)
		return r
	}
	if rej := checkStructure(s); rej != nil {
		return nil, annotate(rej)
	}
	unsolicited, rej := checkSolicitation(s, cfg, v.RequestID)
	if rej != nil {
		return nil, annotate(rej)
	}
	if !unsolicited && v.WantRelayState != "" {
		if rej := checkRelayState(v.RelayState, v.WantRelayState); rej != nil {
			return nil, annotate(rej)
		}
	}
	if rej := checkDestination(s.destination, cfg); rej != nil {
		return nil, annotate(rej)
	}
	requestedAt := v.RequestedAt
	if unsolicited { // it answers no request of ours
		requestedAt = time.Time{}
	}
	if rej := checkFacts(s.facts, cfg, now, requestedAt); rej != nil {
		return nil, annotate(rej)
	}

	assertion, err := parseWithCrewjam(doc, s, cfg, v.RequestID, clk)
	if err != nil {
		return nil, annotate(mapCrewjamError(err, s))
	}
	if rej := checkFacts(verifiedFacts(assertion), cfg, now, requestedAt); rej != nil {
		return nil, annotate(rej)
	}
	res, rej := extract(assertion)
	if rej != nil {
		return nil, annotate(rej)
	}
	res.SAMLResponse = raw
	if v.Replay != nil {
		// A browser that drops the connection must not spoil a genuine
		// answer halfway through recording it.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replayTimeout)
		seen, err := v.Replay.Seen(rctx, assertion.ID, replayUntil(assertion, now))
		cancel()
		if err != nil {
			return nil, fmt.Errorf("record the assertion ID: %w", err) // err names the replay cache
		}
		if seen {
			return nil, annotate(reject(CodeReplayed, "sign in again; a response can be used only once",
				"assertion %s was already used (replayed response)", quote(assertion.ID)))
		}
	}
	return res, nil
}

// decode strips the whitespace some IdPs wrap base64 with and decodes it.
func decode(raw string) ([]byte, *RejectedError) {
	if len(raw) > MaxSAMLResponse {
		return nil, reject(CodeRequest, hintAdmin,
			"SAMLResponse is %d characters; AWS accepts at most %d", len(raw), MaxSAMLResponse)
	}
	clean := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, raw)
	if clean == "" {
		return nil, reject(CodeRequest, "", "the POST carries no SAMLResponse")
	}
	doc, err := base64.StdEncoding.DecodeString(clean)
	if err != nil {
		return nil, reject(CodeMalformed, "", "SAMLResponse is not valid base64")
	}
	return doc, nil
}

func parseWithCrewjam(doc []byte, s *scan, cfg Config, requestID string, clk Clock) (*saml.Assertion, error) {
	// crewjam compares Recipient with AcsURL and Destination with the URL
	// the response arrived at. Both raw values were checked against
	// cfg.Recipients above; crewjam now holds the signed ones to them.
	recipient, err := url.Parse(s.facts.recipients[0])
	if err != nil {
		return nil, reject(CodeRecipient, hintAdmin, "assertion Recipient is not a URL")
	}
	current := recipient
	if cfg.ACSURL != "" {
		if current, err = url.Parse(cfg.ACSURL); err != nil {
			return nil, fmt.Errorf("acs url: %w", err)
		}
	}
	if s.destination != "" {
		if current, err = url.Parse(s.destination); err != nil {
			return nil, reject(CodeDestination, hintAdmin, "response Destination is not a URL")
		}
	}
	sp := newServiceProvider(cfg, clk)
	sp.AcsURL = *recipient
	var ids []string
	if requestID != "" {
		ids = []string{requestID}
	}
	return sp.ParseXMLResponse(doc, ids, *current)
}

func replayUntil(a *saml.Assertion, now time.Time) time.Time {
	until := now.Add(saml.MaxIssueDelay)
	for _, t := range verifiedFacts(a).scdNotOnOrAfter {
		if t.After(until) {
			until = t
		}
	}
	return until.Add(MaxClockSkew)
}

// clip bounds an untrusted value before it goes to the audit log.
func clip(s string) string {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}

const errNoSignature = "signature element not present"

// mapCrewjamError turns a crewjam refusal into one line. The raw XML in
// InvalidResponseError.Response is never looked at.
func mapCrewjamError(err error, s *scan) *RejectedError {
	var rej *RejectedError
	if errors.As(err, &rej) {
		return rej
	}
	private := err
	var ire *saml.InvalidResponseError
	if errors.As(err, &ire) && ire.PrivateErr != nil {
		private = ire.PrivateErr
	}
	var status saml.ErrBadStatus
	switch {
	case errors.As(private, &status):
		return reject(CodeStatus, "see the IdP's page in the browser, or ask your IdP administrator",
			"the IdP refused the login (status %s)", quote(status.Status))
	case errors.Is(private, saml.ErrCertificateNotValidNow):
		return reject(CodeSignature, "refresh the IdP metadata (it may have rotated its certificate)",
			"the IdP signing certificate is expired or not yet valid")
	case strings.Contains(private.Error(), errNoSignature):
		return reject(CodeSignature, hintAdmin, "response is not signed: the IdP must sign the response or the assertion")
	case errors.Is(private, saml.ErrUntrustedCertificate), errors.Is(private, saml.ErrInvalidSignature):
		return reject(CodeSignature, "if the IdP rotated its certificate, refresh its metadata",
			"response signature does not verify against the IdP metadata's signing certificate")
	case errors.Is(private, saml.ErrIssuerMismatch):
		return reject(CodeIssuer, "check that the profile points at this IdP's metadata",
			"response was issued by %s, not the IdP in the metadata", quote(s.issuer))
	case errors.Is(private, saml.ErrRequestIDMismatch):
		return reject(CodeInResponseTo, "sign in again from the browser window ptsaml opened",
			"response answers another login request")
	case errors.Is(private, saml.ErrDestinationMismatch):
		if s.destination == "" {
			return reject(CodeDestination, hintAdmin, "signed response has no Destination")
		}
		return reject(CodeDestination, hintAdmin, "response Destination or Recipient does not match the signed content")
	case errors.Is(private, saml.ErrAudienceMismatch):
		return reject(CodeAudienceMismatch, hintAdmin, "assertion audience does not match this service provider")
	case errors.Is(private, saml.ErrExpired):
		return reject(CodeExpired, "sign in again", "response or assertion has expired")
	case errors.Is(private, saml.ErrNotYetValid):
		return reject(CodeNotYetValid, "check this machine's clock (timedatectl)", "assertion is not valid yet")
	case errors.Is(private, saml.ErrMalformedMessage):
		return reject(CodeMalformed, hintAdmin, "response is malformed")
	}
	msg := strings.NewReplacer("<", "", ">", "").Replace(oneLine(private.Error()))
	return reject(CodeInvalid, hintAdmin, "response refused: %s", quote(msg))
}
