package broker

import (
	"fmt"
	"strings"
	"time"
)

// Session lengths STS accepts for AssumeRoleWithSAML, and the default.
const (
	DefaultDuration = time.Hour
	MinDuration     = 15 * time.Minute
	MaxDuration     = 12 * time.Hour
)

// sessionLength decides the DurationSeconds to ask for: requested (0 means
// DefaultDuration), capped by the assertion's SessionDuration attribute
// (attr, 0 when absent) and by MaxDuration. notes are lines for the person
// when the result differs from what was asked for. A result below
// MinDuration is an *AdviceError, reported before STS is called.
func sessionLength(requested, attr time.Duration) (d time.Duration, notes []string, err error) {
	d = requested.Truncate(time.Second)
	if d == 0 {
		d = DefaultDuration
	}
	if d < MinDuration {
		return 0, nil, &AdviceError{
			Cause: fmt.Sprintf("session duration %s is below the STS minimum of 15m", fmtDuration(d)),
			Fix:   "ask for --duration 15m or longer",
		}
	}
	if d > MaxDuration {
		notes = append(notes, fmt.Sprintf("session duration %s is above the STS maximum; using 12h", fmtDuration(d)))
		d = MaxDuration
	}
	if attr > 0 && attr < d {
		attr = attr.Truncate(time.Second)
		if attr < MinDuration {
			return 0, nil, &AdviceError{
				Cause: fmt.Sprintf("the IdP's SessionDuration attribute allows only %s, below the STS minimum of 15m", fmtDuration(attr)),
				Fix:   "ask the IdP admin to set https://aws.amazon.com/SAML/Attributes/SessionDuration to 900 seconds or more",
			}
		}
		notes = append(notes, fmt.Sprintf("the IdP limits sessions to %s (SessionDuration attribute); using %s instead of %s",
			fmtDuration(attr), fmtDuration(attr), fmtDuration(d)))
		d = attr
	}
	return d, notes, nil
}

// fmtDuration prints whole hours as "1h" and whole minutes as "90m".
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
