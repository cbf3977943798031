package login

import (
	"fmt"
	"strings"
	"time"
)

// RejectedError is a SAML response that was refused. Reason is one line a
// person can act on; Hint, when set, says what to do about it; Code names
// the cause (one of the Code* constants) for tests and the audit log.
type RejectedError struct {
	Reason string
	Hint   string
	Code   string
	// AssertionID and Issuer are filled when known (for the audit log).
	AssertionID, Issuer string
	// Final marks a refusal of the IdP's genuine answer (signed, answering
	// this login's request) whose content cannot be used, such as a user
	// without an AWS role: waiting for another answer would be pointless.
	Final bool
}

// Error returns Reason.
func (e *RejectedError) Error() string { return e.Reason }

// Rejection causes (RejectedError.Code).
const (
	CodeMalformed           = "malformed"
	CodeDoctype             = "doctype"
	CodeComment             = "xml-comment"
	CodeAssertionCount      = "assertion-count"
	CodeEncrypted           = "encrypted-assertion"
	CodeSHA1                = "sha1"
	CodeSignature           = "signature"
	CodeIssuer              = "issuer"
	CodeStatus              = "status"
	CodeUnsolicited         = "unsolicited"
	CodeInResponseTo        = "in-response-to"
	CodeRelayState          = "relay-state"
	CodeDestination         = "destination"
	CodeRecipient           = "recipient"
	CodeSubjectConfirmation = "subject-confirmation"
	CodeFutureIssueInstant  = "future-issue-instant"
	CodeStale               = "stale"
	CodeExpired             = "expired"
	CodeNotYetValid         = "not-yet-valid"
	CodeAudienceMissing     = "audience-missing"
	CodeAudienceMismatch    = "audience-mismatch"
	CodeReplayed            = "replayed"
	CodeRoles               = "roles"
	CodeRoleSessionName     = "role-session-name"
	CodeSessionDuration     = "session-duration"
	CodeArtifact            = "artifact"
	CodeRequest             = "bad-request" // not a usable POST (content type, missing field, too large)
	CodeOtherUser           = "other-user"  // POSTed over another local user's connection (Linux)
	CodeInvalid             = "invalid"     // any other crewjam refusal
)

func reject(code, hint, format string, args ...any) *RejectedError {
	return &RejectedError{Code: code, Reason: fmt.Sprintf(format, args...), Hint: hint}
}

// quote prints an untrusted value from a response: quoted, control
// characters escaped, at most 80 bytes.
func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// human prints a duration to the second: 7m12s, 2h0m0s.
func human(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	return d.Round(time.Second).String()
}

// oneLine keeps the first line of s.
func oneLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}
