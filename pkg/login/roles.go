package login

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/crewjam/saml"
)

// AWS attribute names, matched by exact Name (never FriendlyName).
const (
	AttrRole            = "https://aws.amazon.com/SAML/Attributes/Role"
	AttrRoleSessionName = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	AttrSessionDuration = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	AttrSourceIdentity  = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
)

var (
	roleARN         = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$`) // name length checked apart
	providerARN     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:saml-provider/[\w.-]+$`)
	roleSessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// ParseRole reads one Role attribute value: "roleArn,providerArn" in either
// order, both shape-checked.
func ParseRole(v string) (RolePair, bool) {
	parts := strings.Split(v, ",")
	if len(parts) != 2 {
		return RolePair{}, false
	}
	a, b := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
	switch {
	case isRoleARN(a) && isProviderARN(b):
		return RolePair{RoleARN: a, PrincipalARN: b}, true
	case isRoleARN(b) && isProviderARN(a):
		return RolePair{RoleARN: b, PrincipalARN: a}, true
	}
	return RolePair{}, false
}

// IAM limits role names (with path) to 512 and provider names to 128 characters.
func isRoleARN(s string) bool {
	_, name, _ := strings.Cut(s, ":role/")
	return len(name) <= 512 && roleARN.MatchString(s)
}

func isProviderARN(s string) bool {
	_, name, _ := strings.Cut(s, ":saml-provider/")
	return len(name) <= 128 && providerARN.MatchString(s)
}

// extract reads the Result from a verified assertion.
func extract(a *saml.Assertion) (*Result, *RejectedError) {
	res := &Result{
		Issuer:       a.Issuer.Value,
		AssertionID:  a.ID,
		IssueInstant: a.IssueInstant,
		Attributes:   map[string][]string{},
	}
	if a.Subject != nil && a.Subject.NameID != nil {
		res.NameID = a.Subject.NameID.Value
	}
	if f := verifiedFacts(a); len(f.scdNotOnOrAfter) == 1 {
		res.NotOnOrAfter = f.scdNotOnOrAfter[0]
	}
	for _, st := range a.AuthnStatements {
		if st.SessionNotOnOrAfter != nil && (res.SessionNotOnOrAfter.IsZero() || st.SessionNotOnOrAfter.Before(res.SessionNotOnOrAfter)) {
			res.SessionNotOnOrAfter = *st.SessionNotOnOrAfter
		}
	}
	for _, st := range a.AttributeStatements {
		for _, attr := range st.Attributes {
			for _, v := range attr.Values {
				res.Attributes[attr.Name] = append(res.Attributes[attr.Name], strings.TrimSpace(v.Value))
			}
		}
	}
	if rej := res.readAWS(); rej != nil {
		// Only a verified answer to this login's request gets this far.
		rej.Final = true
		return nil, rej
	}
	return res, nil
}

func (res *Result) readAWS() *RejectedError {
	const hintRoles = "ask your IdP administrator to give you an AWS role in the IdP's AWS application"
	values := res.Attributes[AttrRole]
	if len(values) == 0 {
		return reject(CodeRoles, hintRoles, "assertion offers no AWS role (attribute %s)", AttrRole)
	}
	seen := map[RolePair]bool{}
	for _, v := range values {
		pair, ok := ParseRole(v)
		if !ok {
			return reject(CodeRoles, hintAdmin,
				"assertion Role value %s is not \"roleArn,providerArn\"", quote(v))
		}
		if !seen[pair] {
			seen[pair] = true
			res.Roles = append(res.Roles, pair)
		}
	}
	name := single(res.Attributes[AttrRoleSessionName])
	if !roleSessionName.MatchString(name) {
		return reject(CodeRoleSessionName, hintAdmin,
			"assertion RoleSessionName %s must be 2–64 characters of letters, digits and +=,.@_-", quote(name))
	}
	res.RoleSessionName = name
	if d := res.Attributes[AttrSessionDuration]; len(d) > 0 {
		secs, err := strconv.Atoi(single(d))
		if err != nil || len(d) != 1 || secs < 900 || secs > 43200 {
			return reject(CodeSessionDuration, hintAdmin,
				"assertion SessionDuration %s must be one whole number of seconds from 900 to 43200", quote(strings.Join(d, ",")))
		}
		res.SessionDuration = time.Duration(secs) * time.Second
	}
	res.SourceIdentity = single(res.Attributes[AttrSourceIdentity])
	return nil
}

func single(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
