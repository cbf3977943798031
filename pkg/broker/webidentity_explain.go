package broker

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// webIdentityError marks an STS error as an answer to AssumeRoleWithWebIdentity
// and keeps the token's (non-secret) claims, so Explain can give advice about
// the OIDC provider and trust policy instead of the SAML ones.
type webIdentityError struct {
	err    error
	claims *webClaims
}

func (e *webIdentityError) Error() string { return e.err.Error() }
func (e *webIdentityError) Unwrap() error { return e.err }

// explainWebIdentity returns advice for an STS error code answered to
// ExchangeWebIdentity; nil when err did not come from it or when the code
// means the same as for SAML (explainCode handles those).
func explainWebIdentity(err error, code, msg string) *AdviceError {
	var we *webIdentityError
	if !errors.As(err, &we) {
		return nil
	}
	c := we.claims
	said := code
	if msg != "" {
		said = code + ": " + msg
	}
	iss, aud := orUnknown(c.Issuer), DefaultAudience
	if len(c.Audience) > 0 {
		aud = c.Audience[0]
	}
	lower := strings.ToLower(msg)
	switch code {
	case "InvalidIdentityToken":
		cause := "STS could not verify the web identity token (" + said + ")"
		switch {
		case strings.Contains(lower, "audience"):
			return &AdviceError{Cause: cause, Fix: fmt.Sprintf("the token's aud claim (%s) is not a client ID (audience) of the account's IAM OIDC provider for %s: "+
				"request the token for the audience the provider lists (profile setting oidc_audience, default %s; for GitLab the id_tokens aud:) "+
				"or add it with `aws iam add-client-id-to-open-id-connect-provider`", strings.Join(c.Audience, ","), iss, DefaultAudience)}
		case strings.Contains(lower, "signature") || strings.Contains(lower, "key"):
			return &AdviceError{Cause: cause, Fix: fmt.Sprintf("the token's signature does not verify against the keys the issuer %s publishes (its JWKS): "+
				"the token was not issued by that issuer or was altered; request a fresh token from the CI system, "+
				"and check the IAM OIDC provider's URL names the issuer that signed it", iss)}
		case strings.Contains(lower, "provider"):
			return &AdviceError{Cause: cause, Fix: fmt.Sprintf("the token's iss claim (%s) has no IAM OIDC provider in the role's account: "+
				"create one with `aws iam create-open-id-connect-provider --url %s --client-id-list %s` and name it as Federated principal in the role trust policy", iss, iss, aud)}
		}
		return &AdviceError{Cause: cause, Fix: fmt.Sprintf("check the token's iss (%s), aud (%s) and signature against the account's IAM OIDC provider", iss, strings.Join(c.Audience, ","))}
	case "ExpiredTokenException":
		return &AdviceError{
			Cause: "STS says the web identity token has expired (" + said + ")",
			Fix:   "CI job tokens live only minutes (the exp claim): request a fresh one (ptsaml requests or re-reads the token at every login; a token file must be refreshed by its writer), and check this machine's clock",
		}
	case "IDPCommunicationError":
		return &AdviceError{
			Cause: "STS could not reach the token's issuer " + iss + " to fetch its signing keys (" + said + ")",
			Fix:   "try again in a minute; the issuer's /.well-known/openid-configuration and JWKS must be reachable from AWS over public HTTPS",
		}
	case "AccessDenied", "AccessDeniedException":
		key := issuerKey(c.Issuer)
		return &AdviceError{
			Cause: "STS denied the role to this web identity (" + said + ")",
			Fix: fmt.Sprintf("the role trust policy must allow sts:AssumeRoleWithWebIdentity for the IAM OIDC provider of %s with conditions this token meets, "+
				`e.g. "StringEquals": {"%s:aud": "%s"}, "StringLike": {"%s:sub": "%s"} (this token's sub is %q)`,
				iss, key, aud, key, subPattern(c), c.Subject),
		}
	case "ValidationError":
		if !mentionsDuration(msg) {
			return &AdviceError{
				Cause: "STS refused the request (" + said + ")",
				Fix:   "check the profile's role ARN and that RoleSessionName is 2-64 characters of [\\w+=,.@-]",
			}
		}
	}
	return nil
}

// DefaultAudience is the audience AWS expects in CI job tokens by default.
const DefaultAudience = "sts.amazonaws.com"

// issuerKey is the prefix of an IAM OIDC condition key for issuer iss: the
// issuer URL without its scheme ("token.actions.githubusercontent.com").
func issuerKey(iss string) string {
	if u, err := url.Parse(iss); err == nil && u.Host != "" {
		return strings.TrimSuffix(u.Host+u.Path, "/")
	}
	return orUnknown(iss)
}

// subPattern suggests a sub condition covering the token's repository or
// project on any branch, or the exact sub of other issuers.
func subPattern(c *webClaims) string {
	switch c.kind {
	case "github":
		return "repo:" + c.CI["repository"] + ":*"
	case "gitlab":
		return "project_path:" + c.CI["project_path"] + ":*"
	}
	return orUnknown(c.Subject)
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
