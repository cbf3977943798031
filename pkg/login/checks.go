package login

import (
	"crypto/subtle"
	"slices"
	"time"

	"github.com/crewjam/saml"
)

// MaxClockSkew is how far in the future an IssueInstant may be before the
// response is refused (the same allowance crewjam/saml makes).
const MaxClockSkew = 3 * time.Minute

// requestSlack is how much earlier than the AuthnRequest an assertion may
// say it was issued without that proving the clocks disagree: timestamps
// are often cut to the second.
const requestSlack = 5 * time.Second

const (
	hintClock      = "fix this machine's clock (timedatectl / chrony), then sign in again"
	hintMaybeClock = "sign in again; if it keeps happening, fix this machine's clock (timedatectl / chrony)"
)

const bearerMethod = "urn:oasis:names:tc:SAML:2.0:cm:bearer"

const hintAdmin = "ask your IdP administrator to check the AWS application's SAML settings"

// checkStructure applies the shape rules to the raw document.
func checkStructure(s *scan) *RejectedError {
	switch {
	case s.doctype:
		return reject(CodeDoctype, "", "response contains a DOCTYPE declaration, which SAML forbids")
	case !s.rootOK:
		return reject(CodeMalformed, "", "SAMLResponse is not a SAML 2.0 Response")
	case s.comment:
		return reject(CodeComment, "",
			"response contains an XML comment, which could make a signed value (NameID, Role) read differently")
	case s.encrypted > 0:
		return reject(CodeEncrypted, "configure the IdP not to encrypt assertions for this application",
			"response carries an encrypted assertion, which ptsaml cannot decrypt")
	case s.assertions != 1:
		return reject(CodeAssertionCount, hintAdmin,
			"response must carry exactly one Assertion, found %d", s.assertions)
	case s.sha1 != "":
		return reject(CodeSHA1, "configure the IdP to sign with RSA-SHA256",
			"response is signed with SHA-1 (%s), which is not accepted", quote(s.sha1))
	}
	return nil
}

// checkSolicitation decides whether the response answers our request, and
// reports whether it is an allowed unsolicited (IdP-initiated) one.
func checkSolicitation(s *scan, cfg Config, requestID string) (unsolicited bool, rej *RejectedError) {
	ids := append([]string{s.responseInResponseTo}, s.scdInResponseTo...)
	if slices.IndexFunc(ids, func(id string) bool { return id != "" }) < 0 {
		if !cfg.AllowIdPInitiated {
			return true, reject(CodeUnsolicited, "start the login with `ptsaml login`, not from the IdP's portal",
				"refused an unsolicited (IdP-initiated) response: it answers no login request of ours")
		}
		return true, nil
	}
	for _, id := range ids {
		if id != "" && (requestID == "" || id != requestID) {
			return false, reject(CodeInResponseTo, "sign in again from the browser window ptsaml opened",
				"response answers another login request (InResponseTo %s)", quote(id))
		}
	}
	return false, nil
}

func checkRelayState(got, want string) *RejectedError {
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return reject(CodeRelayState, "sign in again from the browser window ptsaml opened",
			"response carries the wrong RelayState: it was not started by this login")
	}
	return nil
}

func checkDestination(dest string, cfg Config) *RejectedError {
	if dest != "" && !slices.Contains(cfg.Recipients, dest) {
		return reject(CodeDestination, "add it to the profile's recipients if it is right",
			"response Destination %s is not an accepted recipient", quote(dest))
	}
	return nil
}

// checkFacts applies the SubjectConfirmation and time rules. requestedAt is
// when the AuthnRequest was made (zero: not known).
func checkFacts(f facts, cfg Config, now, requestedAt time.Time) *RejectedError {
	if f.confirmations != 1 || len(f.methods) != 1 {
		return reject(CodeSubjectConfirmation, hintAdmin,
			"assertion must have exactly one SubjectConfirmation, found %d", f.confirmations)
	}
	if f.methods[0] != bearerMethod {
		return reject(CodeSubjectConfirmation, hintAdmin,
			"assertion SubjectConfirmation method is %s, not bearer", quote(f.methods[0]))
	}
	if len(f.recipients) != 1 || len(f.scdNotOnOrAfter) != 1 {
		return reject(CodeSubjectConfirmation, hintAdmin, "assertion SubjectConfirmation has no SubjectConfirmationData")
	}
	if r := f.recipients[0]; !slices.Contains(cfg.Recipients, r) {
		if r == "" {
			return reject(CodeRecipient, hintAdmin, "assertion SubjectConfirmation has no Recipient")
		}
		return reject(CodeRecipient, "set the IdP's recipient to the ACS or AWS sign-in URL, or add it to the profile's recipients",
			"assertion Recipient %s is not an accepted recipient", quote(r))
	}
	if rej := checkIssueInstant(f, now, requestedAt); rej != nil {
		return rej
	}
	notAfter := f.scdNotOnOrAfter[0]
	if notAfter.IsZero() {
		return reject(CodeSubjectConfirmation, hintAdmin, "assertion SubjectConfirmation has no NotOnOrAfter")
	}
	if !f.condNotOnOrAfter.IsZero() && f.condNotOnOrAfter.Before(notAfter) {
		notAfter = f.condNotOnOrAfter
	}
	if !now.Before(notAfter) {
		return reject(CodeExpired, hintMaybeClock,
			"assertion expired at %s (%s ago)", notAfter.UTC().Format(time.RFC3339), human(now.Sub(notAfter)))
	}
	return nil
}

// checkIssueInstant refuses an assertion issued in the future or too long
// ago, and names the clock skew between this machine and the IdP: certainly
// when the assertion is dated after now (it cannot have been issued later
// than it arrived) or before the AuthnRequest it answers was made (it cannot
// have been issued earlier), as a possibility otherwise.
func checkIssueInstant(f facts, now, requestedAt time.Time) *RejectedError {
	for _, w := range []struct {
		what string
		t    time.Time
	}{{"assertion", f.issueInstant}, {"response", f.respIssueInstant}} {
		if d := w.t.Sub(now); !w.t.IsZero() && d > MaxClockSkew {
			return reject(CodeFutureIssueInstant, hintClock,
				"%s IssueInstant is %s in the future: this machine's clock is about %s behind the IdP's; check it (timedatectl)",
				w.what, human(d), human(d))
		}
	}
	if f.issueInstant.IsZero() {
		return reject(CodeMalformed, hintAdmin, "assertion has no IssueInstant")
	}
	age := now.Sub(f.issueInstant)
	if age <= saml.MaxIssueDelay {
		return nil
	}
	if early := requestedAt.Sub(f.issueInstant); !requestedAt.IsZero() && !requestedAt.After(now) && early > requestSlack {
		// The IdP issued it between the request and now, by this machine's
		// clock: the skew lies between early and age.
		skew := "about " + human(age)
		if age-early >= time.Minute {
			skew = "between " + human(early) + " and " + human(age)
		}
		return reject(CodeStale, hintClock,
			"assertion was issued %s before this login's request was sent: this machine's clock is %s ahead of the IdP's; fix the clock (timedatectl / chrony)",
			human(early), skew)
	}
	return reject(CodeStale, hintMaybeClock,
		"assertion was issued %s ago, longer than the %s allowed: the sign-in took that long, or this machine's clock is about %s ahead of the IdP's (check it with timedatectl)",
		human(age), human(saml.MaxIssueDelay), human(age))
}

// checkAudience is crewjam's ValidateAudienceRestriction: an
// AudienceRestriction must exist, and each must name the SP entity ID.
func checkAudience(a *saml.Assertion, spEntityID string) error {
	if a.Conditions == nil || len(a.Conditions.AudienceRestrictions) == 0 {
		return reject(CodeAudienceMissing, hintAdmin,
			"assertion has no Audience: it must be restricted to %s", quote(spEntityID))
	}
	for _, r := range a.Conditions.AudienceRestrictions {
		var got []string
		for _, v := range r.AllAudiences() {
			got = append(got, v.Value)
		}
		if !slices.Contains(got, spEntityID) {
			if len(got) == 0 || (len(got) == 1 && got[0] == "") {
				return reject(CodeAudienceMissing, hintAdmin,
					"assertion has an empty Audience: it must be %s", quote(spEntityID))
			}
			return reject(CodeAudienceMismatch, "set the IdP application's audience (entity ID) to "+spEntityID,
				"assertion Audience is %s, not %s", quote(got[0]), quote(spEntityID))
		}
	}
	return nil
}

// verifiedFacts reads facts from the assertion crewjam verified.
func verifiedFacts(a *saml.Assertion) facts {
	f := facts{issueInstant: a.IssueInstant}
	if a.Subject != nil {
		for _, c := range a.Subject.SubjectConfirmations {
			f.confirmations++
			f.methods = append(f.methods, c.Method)
			if c.SubjectConfirmationData != nil {
				f.recipients = append(f.recipients, c.SubjectConfirmationData.Recipient)
				f.scdNotOnOrAfter = append(f.scdNotOnOrAfter, c.SubjectConfirmationData.NotOnOrAfter)
			}
		}
	}
	if a.Conditions != nil {
		f.condNotOnOrAfter = a.Conditions.NotOnOrAfter
	}
	return f
}
