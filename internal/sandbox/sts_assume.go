package sandbox

import (
	"crypto/sha1" //nolint:gosec // AWS defines NameQualifier as base64(SHA1(...))
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

const (
	defaultDurationSeconds = 3600
	minDurationSeconds     = 900
	maxDurationSeconds     = 43200
)

type assumeRoleWithSAMLResponse struct {
	XMLName   xml.Name     `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleWithSAMLResponse"`
	Result    assumeResult `xml:"AssumeRoleWithSAMLResult"`
	RequestID string       `xml:"ResponseMetadata>RequestId"`
}

type assumeResult struct {
	Audience        string `xml:"Audience"`
	AssumedRoleUser struct {
		AssumedRoleID string `xml:"AssumedRoleId"`
		Arn           string `xml:"Arn"`
	} `xml:"AssumedRoleUser"`
	Credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	} `xml:"Credentials"`
	Issuer         string `xml:"Issuer"`
	NameQualifier  string `xml:"NameQualifier"`
	SourceIdentity string `xml:"SourceIdentity,omitempty"`
	Subject        string `xml:"Subject"`
	SubjectType    string `xml:"SubjectType,omitempty"`
}

// serveAssumeRoleWithSAML answers one AssumeRoleWithSAML call, counts it and
// logs one line (key ID at most, never the assertion or a secret).
func (s *stsService) serveAssumeRoleWithSAML(w http.ResponseWriter, reqID string, form url.Values) {
	s.assumeCalls.Add(1)
	res, e := s.assume(form)
	if e != nil {
		s.assumeRejected.Add(1)
		s.log.Info("sandbox sts: AssumeRoleWithSAML rejected", "code", e.Code, "reason", e.Message,
			"role", form.Get("RoleArn"), "request_id", reqID)
		writeSTSError(w, reqID, e)
		return
	}
	s.assumeAccepted.Add(1)
	s.log.Info("sandbox sts: AssumeRoleWithSAML accepted", "role", form.Get("RoleArn"),
		"session", res.AssumedRoleUser.Arn, "access_key_id", res.Credentials.AccessKeyID,
		"expires", res.Credentials.Expiration, "request_id", reqID)
	writeXML(w, reqID, http.StatusOK, assumeRoleWithSAMLResponse{Result: *res, RequestID: reqID})
}

// assume decides one call like AWS: parameters, provider, signature,
// claims, role pair, then duration; the first failure is the answer.
func (s *stsService) assume(form url.Values) (*assumeResult, *stsError) {
	if v := form.Get("Version"); v != stsVersion {
		return nil, unknownAction(form.Get("Action"), v)
	}
	duration, e := validateAssumeParams(form)
	if e != nil {
		return nil, e
	}
	roleARN, principalARN := form.Get("RoleArn"), form.Get("PrincipalArn")
	provider, ok := s.providers[principalARN]
	if !ok {
		return nil, invalidToken("Specified provider doesn't exist")
	}
	a, e := provider.verifier.verify(form.Get("SAMLAssertion"))
	if e != nil {
		return nil, e
	}
	now := s.clock.Now()
	c, e := s.checkProviderClaims(a, provider.issuer, now)
	if e != nil {
		return nil, e
	}
	if !roles[roleARN] || !c.offers(roleARN, principalARN) {
		return nil, &stsError{Status: http.StatusForbidden, Code: "AccessDenied",
			Message: "Not authorized to perform sts:AssumeRoleWithSAML"}
	}

	expires := now.Add(duration)
	if c.SessionDuration > 0 && now.Add(c.SessionDuration).Before(expires) {
		expires = now.Add(c.SessionDuration)
	}
	if !c.SessionNotOnOrAfter.IsZero() && c.SessionNotOnOrAfter.Before(expires) {
		expires = c.SessionNotOnOrAfter
	}
	if ttl := s.srv.opts.CredentialTTL; ttl > 0 && now.Add(ttl).Before(expires) {
		expires = now.Add(ttl)
	}
	expires = expires.UTC().Truncate(time.Second)

	roleName := roleARN[strings.LastIndex(roleARN, "/")+1:]
	cred := issued{
		Expiration: expires,
		Arn:        "arn:aws:sts::" + Account + ":assumed-role/" + roleName + "/" + c.RoleSessionName,
		UserID:     roleID(roleARN) + ":" + c.RoleSessionName,
	}
	cred.AccessKeyID, cred.SecretAccessKey, cred.SessionToken = newCredentials()
	s.creds.add(cred, now)

	res := &assumeResult{
		Audience:       c.Recipient,
		Issuer:         c.Issuer,
		NameQualifier:  nameQualifier(c.Issuer, principalARN),
		SourceIdentity: c.SourceIdentity,
		Subject:        c.NameID,
		SubjectType:    strings.TrimPrefix(c.NameIDFormat, "urn:oasis:names:tc:SAML:2.0:nameid-format:"),
	}
	res.AssumedRoleUser.AssumedRoleID, res.AssumedRoleUser.Arn = cred.UserID, cred.Arn
	res.Credentials.AccessKeyID = cred.AccessKeyID
	res.Credentials.SecretAccessKey = cred.SecretAccessKey
	res.Credentials.SessionToken = cred.SessionToken
	res.Credentials.Expiration = expires.Format(time.RFC3339)
	return res, nil
}

// nameQualifier is AWS's BASE64(SHA1(Issuer + AccountID + "/" + provider name)).
func nameQualifier(issuer, providerARN string) string {
	sum := sha1.Sum([]byte(issuer + Account + "/" + providerARN[strings.LastIndex(providerARN, "/")+1:])) //nolint:gosec // AWS's definition
	return base64.StdEncoding.EncodeToString(sum[:])
}

// assumeParams are AssumeRoleWithSAML's model constraints.
var assumeParams = []paramRule{
	{field: "RoleArn", member: "roleArn", lo: 20, hi: 2048, echo: true},
	{field: "PrincipalArn", member: "principalArn", lo: 20, hi: 2048, echo: true},
	{field: "SAMLAssertion", member: "sAMLAssertion", lo: 4, hi: 100000}, // never echo an assertion
}

// validateAssumeParams checks the request parameters as AWS's model
// validation does, and returns the requested duration.
func validateAssumeParams(form url.Values) (time.Duration, *stsError) {
	return validateParams(form, assumeParams)
}

// paramRule is a required string parameter's model constraint: its length
// and, when pattern is set, a regular expression (shown as patternText).
type paramRule struct {
	field, member string
	lo, hi        int
	echo          bool // quote the value in the message
	pattern       *regexp.Regexp
	patternText   string
}

// validateParams checks form against rules and DurationSeconds as AWS's
// model validation does, and returns the requested duration.
func validateParams(form url.Values, rules []paramRule) (time.Duration, *stsError) {
	var problems []string
	for _, r := range rules {
		v, present := form[r.field]
		shown := "Value"
		if present && r.echo {
			shown = fmt.Sprintf("Value '%s'", v[0])
		}
		switch {
		case !present:
			problems = append(problems, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", r.member))
		case len(v[0]) < r.lo || len(v[0]) > r.hi:
			problems = append(problems, fmt.Sprintf("%s at '%s' failed to satisfy constraint: Member must have length between %d and %d", shown, r.member, r.lo, r.hi))
		}
		if present && r.pattern != nil && !r.pattern.MatchString(v[0]) {
			problems = append(problems, fmt.Sprintf("%s at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", shown, r.member, r.patternText))
		}
	}

	seconds := defaultDurationSeconds
	if form.Has("DurationSeconds") {
		raw := form.Get("DurationSeconds")
		n, err := strconv.Atoi(raw)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must be an integer", raw))
		case n < minDurationSeconds:
			problems = append(problems, fmt.Sprintf("Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to %d", n, minDurationSeconds))
		case n > maxDurationSeconds:
			problems = append(problems, fmt.Sprintf("Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to %d", n, maxDurationSeconds))
		default:
			seconds = n
		}
	}
	if len(problems) > 0 {
		noun := "error"
		if len(problems) > 1 {
			noun = "errors"
		}
		return 0, &stsError{Status: http.StatusBadRequest, Code: "ValidationError",
			Message: fmt.Sprintf("%d validation %s detected: %s", len(problems), noun, strings.Join(problems, "; "))}
	}
	return time.Duration(seconds) * time.Second, nil
}
