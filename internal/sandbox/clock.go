package sandbox

import (
	"time"

	"github.com/jonboulle/clockwork"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ptsaml/ptsaml/internal/clock"
)

// clockworkAdapter lets crewjam/saml and goxmldsig, which take a
// clockwork.Clock, read the time from the sandbox's injected Clock. Only Now
// is redirected; timers and sleeps stay real (neither library uses them for
// the checks that matter here).
type clockworkAdapter struct {
	clockwork.Clock
	c clock.Clock
}

func (a clockworkAdapter) Now() time.Time                  { return a.c.Now() }
func (a clockworkAdapter) Since(t time.Time) time.Duration { return a.c.Now().Sub(t) }
func (a clockworkAdapter) Until(t time.Time) time.Duration { return t.Sub(a.c.Now()) }

// dsigClock returns a goxmldsig clock that follows c.
func dsigClock(c clock.Clock) *dsig.Clock {
	return dsig.NewFakeClock(clockworkAdapter{Clock: clockwork.NewRealClock(), c: c})
}
