package sandbox

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ptsaml/ptsaml/internal/clock"
)

// faults are failures a test switches on in a running sandbox: STS answers
// like those of an overloaded or failing AWS, and an IdP whose clock is off.
type faults struct {
	mu        sync.Mutex
	stsLeft   int // requests still to fail; < 0: every one
	stsStatus int
	stsCode   string
	stsFailed atomic.Int64

	idpOffset atomic.Int64 // nanoseconds added to the IdP's clock
}

// stsFaultMessages are AWS's messages for the codes tests inject most.
var stsFaultMessages = map[string]string{
	"Throttling":          "Rate exceeded",
	"ThrottlingException": "Rate exceeded",
	"InternalFailure":     "The request processing has failed because of an unknown error, exception or failure.",
	"ServiceUnavailable":  "Service is unavailable. Please try again later.",
}

// FailSTS makes the next n AssumeRoleWithSAML and AssumeRoleWithWebIdentity
// requests fail with HTTP status and the AWS error code (for example 500
// "InternalFailure", 400 "Throttling", 503 "ServiceUnavailable") instead of
// being served; n < 0 fails every one until the next FailSTS, n == 0 stops
// failing. Failed requests are counted by STSFaults, not by STSCalls or
// WebIdentityCalls. GetCallerIdentity is never failed.
func (s *Server) FailSTS(n, status int, code string) {
	f := &s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stsLeft, f.stsStatus, f.stsCode = n, status, code
}

// STSFaults returns how many STS requests FailSTS has failed.
func (s *Server) STSFaults() int64 { return s.faults.stsFailed.Load() }

// stsFault returns the injected answer for a request of action, or nil when
// the request is to be served.
func (f *faults) stsFault(action string) *stsError {
	if action != "AssumeRoleWithSAML" && action != "AssumeRoleWithWebIdentity" {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stsLeft == 0 {
		return nil
	}
	if f.stsLeft > 0 {
		f.stsLeft--
	}
	f.stsFailed.Add(1)
	msg := stsFaultMessages[f.stsCode]
	if msg == "" {
		msg = "Failure injected by the sandbox (" + http.StatusText(f.stsStatus) + ")"
	}
	return &stsError{Status: f.stsStatus, Code: f.stsCode, Message: msg}
}

// SetIdPClockOffset makes the IdP's clock d ahead of the sandbox clock (d < 0:
// behind), as on an IdP host whose clock is wrong: every time it writes into
// a response and its assertion (IssueInstant, NotBefore, NotOnOrAfter,
// AuthnInstant) is shifted by d. Its check of an AuthnRequest's
// IssueInstant keeps the sandbox clock, as with IdPs that accept a request
// whatever time it claims, so the assertion reaches the service provider.
// The STS keeps the sandbox clock.
func (s *Server) SetIdPClockOffset(d time.Duration) { s.faults.idpOffset.Store(int64(d)) }

// idpClock is the sandbox clock shifted by the IdP clock offset.
func (s *Server) idpClock() clock.Clock {
	return offsetClock{base: s.clock, offset: &s.faults.idpOffset}
}

type offsetClock struct {
	base   clock.Clock
	offset *atomic.Int64
}

func (c offsetClock) Now() time.Time { return c.base.Now().Add(time.Duration(c.offset.Load())) }
