// Package login signs a person in with SAML 2.0 single sign-on: it sends an
// SP-initiated AuthnRequest (HTTP-Redirect binding) through the browser,
// receives the IdP's answer on a loopback assertion consumer service
// (HTTP-POST binding), and validates it strictly — crewjam/saml plus the
// checks AWS STS relies on that crewjam leaves out (replay, a single
// assertion and SubjectConfirmation, audience, SHA-1, clock skew). The
// result carries the raw SAMLResponse for AssumeRoleWithSAML and the facts
// parsed from it. Nothing here logs or returns the assertion itself.
package login

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/crewjam/saml"

	"github.com/ptsaml/ptsaml/internal/peeruid"
)

// RolePair is one role the assertion offers, with the SAML provider that
// vouches for it (both are IAM ARNs).
type RolePair struct {
	RoleARN, PrincipalARN string
}

// Result is an accepted SAML response.
type Result struct {
	SAMLResponse string // base64, exactly as POSTed; never logged

	Issuer, NameID, AssertionID, RoleSessionName, SourceIdentity string

	IssueInstant, NotOnOrAfter, SessionNotOnOrAfter time.Time // zero when absent

	SessionDuration time.Duration // 0 when the attribute is absent
	Roles           []RolePair
	Attributes      map[string][]string // by exact Name
}

// Config describes one login: the IdP, this SP, and what is accepted.
type Config struct {
	IDP        *saml.EntityDescriptor
	SPEntityID string // the required Audience, also the AuthnRequest Issuer
	ACSURL     string // http://127.0.0.1:PORT/PATH
	// Recipients are the exact accepted SubjectConfirmationData Recipient and
	// Response Destination values.
	Recipients []string
	// AllowIdPInitiated accepts an unsolicited response (no InResponseTo).
	AllowIdPInitiated bool
	Timeout           time.Duration // whole login; 0 = DefaultTimeout
}

// DefaultTimeout is the login time limit when Config.Timeout is 0.
const DefaultTimeout = 5 * time.Minute

// Clock tells the current time.
type Clock interface{ Now() time.Time }

// Opener shows a URL to the person: the system browser, a configured
// browser command, or a test browser.
type Opener interface {
	Open(ctx context.Context, url string) error
}

// ReplayCache remembers assertion IDs. Seen records id until the given time
// and reports whether it was already recorded.
type ReplayCache interface {
	Seen(ctx context.Context, assertionID string, until time.Time) (bool, error)
}

// Auditor records security events (assertion.accepted, assertion.rejected).
type Auditor interface {
	Record(event string, fields map[string]any) error
}

// Deps are the outside world Login talks to. Opener may be nil with
// NoBrowser; Replay, Audit and Log may be nil (no replay check, no audit, no
// log); Status nil discards people's messages; Clock nil is the wall clock.
type Deps struct {
	Opener    Opener
	Clock     Clock
	Replay    ReplayCache
	Audit     Auditor
	Log       *slog.Logger
	Status    io.Writer // people's messages: wait message, URL with NoBrowser
	NoBrowser bool

	// peerUID replaces the system's socket-owner lookup in tests.
	peerUID peeruid.Lookup
	// limits, when set, replaces the ACS server's timeouts (tests).
	limits *serverLimits
}

// ErrTimeout is returned (wrapped) when the login time limit is reached; the
// message names the limit and the last rejection, if any.
var ErrTimeout = errors.New("login time limit reached")

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func (d Deps) clock() Clock {
	if d.Clock == nil {
		return wallClock{}
	}
	return d.Clock
}

func (d Deps) status() io.Writer {
	if d.Status == nil {
		return io.Discard
	}
	return d.Status
}

func (d Deps) log() *slog.Logger {
	if d.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Log
}

func (d Deps) audit(event string, fields map[string]any) {
	if d.Audit == nil {
		return
	}
	if err := d.Audit.Record(event, fields); err != nil {
		d.log().Warn("audit record failed", "event", event, "err", err)
	}
}

// auditFields are the accepted assertion's facts that CloudTrail's
// AssumeRoleWithSAML event can be joined on (issuer, NameID, assertion ID,
// SourceIdentity, RoleSessionName), never the assertion itself.
func (r *Result) auditFields(auth string) map[string]any {
	f := map[string]any{
		"auth": auth, "issuer": r.Issuer, "name_id": r.NameID, "assertion_id": r.AssertionID,
		"roles": len(r.Roles),
	}
	if r.RoleSessionName != "" {
		f["role_session_name"] = r.RoleSessionName
	}
	if r.SourceIdentity != "" {
		f["source_identity"] = r.SourceIdentity
	}
	return f
}
