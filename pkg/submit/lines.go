package submit

import (
	"fmt"
	"strings"
	"time"

	"github.com/ptsaml/ptsaml/pkg/broker"
)

// StartLine is the line printed when a job starts: who runs it as which
// role, until when the credentials last, and how they are renewed, e.g.
//
//	ptsaml: alice as TrainRole (123456789012), credentials until 14:05 UTC; re-login needed before 14:05 UTC (ptsaml login --profile dev)
//	ptsaml: alice as TrainRole (123456789012), credentials until 14:05 UTC; refresh: automatic
//
// Times carry the date as well when it is not now's (UTC). It returns "" for
// a nil session.
func StartLine(s *broker.Session, reauth bool, now time.Time) string {
	if s == nil {
		return ""
	}
	who := s.RoleSessionName
	if who == "" {
		who = s.NameID
	}
	role := s.RoleARN
	if i := strings.LastIndexByte(role, '/'); i >= 0 {
		role = role[i+1:]
	}
	account := s.Account
	if account == "" {
		if parts := strings.SplitN(s.RoleARN, ":", 6); len(parts) == 6 {
			account = parts[4]
		}
	}
	var b strings.Builder
	b.WriteString("ptsaml: ")
	if who != "" {
		b.WriteString(who + " as ")
	}
	b.WriteString(role)
	if account != "" {
		b.WriteString(" (" + account + ")")
	}
	until := clockTime(s.Expiration, now)
	fmt.Fprintf(&b, ", credentials until %s; ", until)
	if reauth {
		b.WriteString("refresh: automatic")
	} else {
		fmt.Fprintf(&b, "re-login needed before %s (%s)", until, loginCommand(s.Profile))
	}
	return b.String()
}

// ExpiredMessage is what the credentials endpoint answers once the
// credentials of profile ran out at exp with nothing newer, e.g.
// "ptsaml: the AWS session of profile dev ended at 14:05 UTC; run `ptsaml login --profile dev` and the job continues".
func ExpiredMessage(profile string, exp time.Time) string {
	return fmt.Sprintf("ptsaml: the AWS session of profile %s ended at %s; run `%s` and the job continues",
		profile, exp.UTC().Format("15:04 UTC"), loginCommand(profile))
}

// clockTime formats t as "15:04 UTC", with "Jan 2 " in front when t falls on
// another UTC day than now.
func clockTime(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if y, m, d := t.Date(); y != now.Year() || m != now.Month() || d != now.Day() {
		return t.Format("Jan 2 15:04 UTC")
	}
	return t.Format("15:04 UTC")
}

// loginCommand is the command that renews the profile's credentials.
func loginCommand(profile string) string {
	if profile == "" {
		return "ptsaml login"
	}
	return "ptsaml login --profile " + profile
}
