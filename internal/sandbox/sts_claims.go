package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crewjam/saml"
)

const (
	redeemWindow = 5 * time.Minute // "Token must be redeemed within 5 minutes of issuance"
	clockSkew    = 5 * time.Minute // tolerated for times in the future
)

// sessionNamePattern is what AWS requires of RoleSessionName and
// SourceIdentity.
var sessionNamePattern = regexp.MustCompile(`^[a-zA-Z_0-9+=,.@-]{2,64}$`)

// claims are the facts of a verified assertion that the decision uses.
type claims struct {
	Issuer, NameID, NameIDFormat, Recipient string
	RoleSessionName, SourceIdentity         string
	SessionDuration                         time.Duration // 0 when absent
	SessionNotOnOrAfter                     time.Time     // zero when absent
	rolePairs                               [][2]string
}

// offers reports whether the Role attribute holds the pair, in either order
// within the value.
func (c claims) offers(roleARN, principalARN string) bool {
	for _, p := range c.rolePairs {
		if (p[0] == roleARN && p[1] == principalARN) || (p[0] == principalARN && p[1] == roleARN) {
			return true
		}
	}
	return false
}

// checkClaims applies AWS's rules to a verified assertion of the sandbox
// IdP: issuer, times, audience, a single bearer confirmation with an
// accepted Recipient, and the AWS attributes.
func (s *stsService) checkClaims(a *saml.Assertion, now time.Time) (*claims, *stsError) {
	return s.checkProviderClaims(a, s.srv.MetadataURL(), now)
}

// checkProviderClaims is checkClaims for the provider whose entity ID is
// issuer ("" = any: an extra provider registered by certificate only).
func (s *stsService) checkProviderClaims(a *saml.Assertion, issuer string, now time.Time) (*claims, *stsError) {
	if issuer != "" && a.Issuer.Value != issuer {
		return nil, invalidToken("Issuer not present in specified provider")
	}
	if now.Sub(a.IssueInstant) > redeemWindow {
		return nil, expiredToken("Token must be redeemed within 5 minutes of issuance")
	}
	if a.IssueInstant.Sub(now) > clockSkew {
		return nil, invalidToken("Assertion IssueInstant is in the future")
	}
	if a.Conditions == nil || !hasAudience(a.Conditions, AWSAudience) {
		return nil, invalidToken("Response does not contain the required audience.")
	}
	if !a.Conditions.NotOnOrAfter.IsZero() && !now.Before(a.Conditions.NotOnOrAfter) {
		return nil, expiredToken("Assertion has expired (Conditions NotOnOrAfter)")
	}
	if a.Conditions.NotBefore.Sub(now) > clockSkew {
		return nil, invalidToken("Assertion is not yet valid (Conditions NotBefore)")
	}
	if a.Subject == nil || a.Subject.NameID == nil || len(a.Subject.SubjectConfirmations) != 1 {
		return nil, invalidToken("Assertion must have a NameID and exactly one SubjectConfirmation")
	}
	sc := a.Subject.SubjectConfirmations[0]
	d := sc.SubjectConfirmationData
	if sc.Method != "urn:oasis:names:tc:SAML:2.0:cm:bearer" || d == nil || d.Recipient == "" || d.NotOnOrAfter.IsZero() {
		return nil, invalidToken("SubjectConfirmation must be bearer with Recipient and NotOnOrAfter")
	}
	if !now.Before(d.NotOnOrAfter) {
		return nil, expiredToken("Assertion has expired (SubjectConfirmationData NotOnOrAfter)")
	}
	if !s.recipientAccepted(d.Recipient) {
		return nil, &stsError{Status: http.StatusBadRequest, Code: "IDPRejectedClaim",
			Message: fmt.Sprintf("Recipient %q is neither an AWS sign-in URL nor allowed by the role trust policy (SAML:aud)", d.Recipient)}
	}

	c := &claims{Issuer: a.Issuer.Value, NameID: a.Subject.NameID.Value, NameIDFormat: a.Subject.NameID.Format, Recipient: d.Recipient}
	attrs := attributesByName(a)
	names := attrs[attrRoleSessionName]
	if len(names) == 0 {
		return nil, invalidToken("RoleSessionName is required in AuthnResponse")
	}
	if c.RoleSessionName = names[0]; !sessionNamePattern.MatchString(c.RoleSessionName) {
		return nil, invalidToken("RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")
	}
	if si := attrs[attrSourceIdentity]; len(si) > 0 {
		if c.SourceIdentity = si[0]; !sessionNamePattern.MatchString(si[0]) || strings.HasPrefix(si[0], "aws:") {
			return nil, invalidToken(`Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"`)
		}
	}
	if sd := attrs[attrSessionDuration]; len(sd) > 0 {
		n, err := strconv.Atoi(strings.TrimSpace(sd[0]))
		if err != nil || n < minDurationSeconds || n > maxDurationSeconds {
			return nil, invalidToken("SessionDuration in AuthnResponse must be an integer from 900 to 43200")
		}
		c.SessionDuration = time.Duration(n) * time.Second
	}
	for _, st := range a.AuthnStatements {
		if st.SessionNotOnOrAfter != nil && (c.SessionNotOnOrAfter.IsZero() || st.SessionNotOnOrAfter.Before(c.SessionNotOnOrAfter)) {
			c.SessionNotOnOrAfter = *st.SessionNotOnOrAfter
		}
	}
	for _, v := range attrs[attrRole] {
		if a, b, ok := strings.Cut(v, ","); ok {
			c.rolePairs = append(c.rolePairs, [2]string{strings.TrimSpace(a), strings.TrimSpace(b)})
		}
	}
	return c, nil
}

func expiredToken(msg string) *stsError {
	return &stsError{Status: http.StatusBadRequest, Code: "ExpiredTokenException", Message: msg}
}

func hasAudience(c *saml.Conditions, want string) bool {
	for _, r := range c.AudienceRestrictions {
		for _, a := range r.AllAudiences() {
			if a.Value == want {
				return true
			}
		}
	}
	return false
}

// attributesByName collects attribute values by exact Name (never by
// FriendlyName), across every AttributeStatement.
func attributesByName(a *saml.Assertion) map[string][]string {
	out := map[string][]string{}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			for _, v := range at.Values {
				out[at.Name] = append(out[at.Name], v.Value)
			}
		}
	}
	return out
}

// awsSignInURLs are the Recipients AWS documents for SAML sign-in.
var awsSignInURLs = regexp.MustCompile(`^https://([a-z0-9-]+\.)?signin\.aws\.amazon\.com/saml$|^https://signin\.amazonaws-us-gov\.com/saml$|^https://signin\.amazonaws\.cn/saml$`)

// recipientAccepted stands for the role trust policy: AWS sign-in URLs,
// plus the configured ACS URLs, or (with none configured) StringLike
// SAML:aud "http://127.0.0.1:*/saml/acs".
func (s *stsService) recipientAccepted(recipient string) bool {
	if awsSignInURLs.MatchString(recipient) {
		return true
	}
	if acs := s.srv.opts.ACSURLs; len(acs) > 0 {
		return slices.Contains(acs, recipient)
	}
	u, err := url.Parse(recipient)
	if err != nil || !isLoopbackACS(recipient) || u.RawQuery != "" {
		return false
	}
	return path.Clean(u.Path) == u.Path && u.Path == "/saml/acs"
}
