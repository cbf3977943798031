package broker

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// AdviceError is an STS refusal (or a local check) explained: what went wrong
// and what to do about it.
type AdviceError struct {
	Cause string // what happened, with STS's own code and message
	Fix   string // what the person or an admin should do
	err   error
}

// Error is one line: "<cause>: <fix>".
func (e *AdviceError) Error() string { return oneLine(e.Cause + ": " + e.Fix) }

// Unwrap returns the error that was explained, if any.
func (e *AdviceError) Unwrap() error { return e.err }

// Explain turns an STS error into an *AdviceError saying what to do. It
// knows IDPRejectedClaim, InvalidIdentityToken, ExpiredTokenException,
// ValidationError, AccessDenied, RegionDisabledException, throttling, STS
// failing (InternalFailure, ServiceUnavailable or any 5xx answer) and an
// unreachable endpoint; for ExchangeWebIdentity's errors InvalidIdentityToken
// (which claim), ExpiredTokenException, IDPCommunicationError, AccessDenied
// and ValidationError get web identity advice. When the SDK gave up after
// retrying, the advice says after how many attempts. STS's message is kept
// (minus anything that looks like an assertion or token); other errors, nil
// and context cancellation come back as they are.
func Explain(err error) error {
	var adv *AdviceError
	if err == nil || errors.As(err, &adv) || errors.Is(err, context.Canceled) {
		return err
	}
	a := explainAnswer(err)
	if a == nil {
		a = explainUnreachable(err)
	}
	if a == nil {
		return err
	}
	var tries *retry.MaxAttemptsError
	if errors.As(err, &tries) && tries.Attempt > 1 {
		a.Cause += fmt.Sprintf(" after %d attempts", tries.Attempt)
	}
	a.err = err
	return a
}

// explainAnswer explains an answer STS gave: by its error code, or by its
// HTTP status when STS failed (5xx) without a code ptsaml knows.
func explainAnswer(err error) *AdviceError {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() != "" {
		code, msg := apiErr.ErrorCode(), scrub(apiErr.ErrorMessage())
		if a := explainWebIdentity(err, code, msg); a != nil {
			return a
		}
		if a := explainCode(code, msg); a != nil {
			return a
		}
	}
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() >= 500 {
		said := fmt.Sprintf("HTTP %d", respErr.HTTPStatusCode())
		if apiErr != nil && apiErr.ErrorCode() != "" {
			said += " " + apiErr.ErrorCode()
			if msg := scrub(apiErr.ErrorMessage()); msg != "" {
				said += ": " + msg
			}
		}
		return unavailable(said)
	}
	return nil
}

// explainUnreachable explains a request that never got an answer.
func explainUnreachable(err error) *AdviceError {
	var sendErr *smithyhttp.RequestSendError
	var urlErr *url.Error
	if !errors.As(err, &sendErr) && !errors.As(err, &urlErr) {
		return nil
	}
	endpoint, reason := "(unknown)", scrub(err.Error())
	if errors.As(err, &urlErr) {
		endpoint, reason = redactURL(urlErr.URL), scrub(urlErr.Err.Error())
	}
	return &AdviceError{
		Cause: fmt.Sprintf("cannot reach the STS endpoint %s (%s)", endpoint, reason),
		Fix:   "check the network and proxy settings, the profile's region and sts_endpoint, or use another --region",
	}
}

// unavailable is the advice for STS failing on its side (5xx).
func unavailable(said string) *AdviceError {
	return &AdviceError{
		Cause: "STS is unavailable (" + said + ")",
		Fix:   "the failure is on AWS's side; wait a few minutes and run `ptsaml login` again, and if it persists check https://health.aws.amazon.com or use another --region",
	}
}

// explainCode maps an STS error code to advice; nil when the code is unknown.
func explainCode(code, msg string) *AdviceError {
	said := code
	if msg != "" {
		said = code + ": " + msg
	}
	switch code {
	case "IDPRejectedClaim":
		return &AdviceError{
			Cause: "STS rejected the SAML assertion (" + said + ")",
			Fix: "most likely the assertion's Recipient is the loopback ACS and the role trust policy does not allow it: " +
				`add "StringLike": {"SAML:aud": "http://127.0.0.1:*/saml/acs"} to the role trust policy, ` +
				"or configure the IdP to send Recipient https://signin.aws.amazon.com/saml; " +
				"otherwise the role/provider pair the IdP sent is not trusted: check the trust policy names this SAML provider",
		}
	case "InvalidIdentityToken":
		return &AdviceError{
			Cause: "STS could not verify the SAML assertion (" + said + ")",
			Fix: "the IdP metadata or signing certificate held by the AWS SAML provider is outdated: " +
				"update it with `aws iam update-saml-provider --saml-provider-arn ARN --saml-metadata-document file://metadata.xml`",
		}
	case "ExpiredTokenException":
		return &AdviceError{
			Cause: "STS says the SAML assertion has expired (" + said + ")",
			Fix:   "STS takes an assertion only within 5 minutes of issue: log in again with `ptsaml login`, and check this machine's clock for skew",
		}
	case "ValidationError":
		if mentionsDuration(msg) {
			return &AdviceError{
				Cause: "STS refused the session duration (" + said + ")",
				Fix:   "ask for a shorter --duration (15m up to the role's MaxSessionDuration) or have an admin raise the role's MaxSessionDuration (at most 12h)",
			}
		}
		return &AdviceError{
			Cause: "STS refused the request (" + said + ")",
			Fix:   "check the role and provider ARNs the IdP sends in " + RoleAttribute + " and that RoleSessionName is 2-64 characters",
		}
	case "AccessDenied", "AccessDeniedException":
		return &AdviceError{
			Cause: "STS denied the role (" + said + ")",
			Fix:   "the role trust policy does not allow this SAML provider or user: it must allow sts:AssumeRoleWithSAML for the provider ARN, with conditions this user meets",
		}
	case "RegionDisabledException":
		return &AdviceError{
			Cause: "STS is not activated in this region (" + said + ")",
			Fix:   "activate STS for the region in the IAM account settings, or use another --region",
		}
	case "Throttling", "ThrottlingException", "RequestLimitExceeded":
		return &AdviceError{
			Cause: "STS is throttling requests (" + said + ")",
			Fix:   "wait a minute and run `ptsaml login` again; parallel jobs should share one login per profile instead of each logging in",
		}
	case "InternalFailure", "InternalError", "ServiceUnavailable", "ServiceUnavailableException":
		return unavailable(said)
	}
	return nil
}

// mentionsDuration tells a ValidationError about DurationSeconds or the
// role's MaxSessionDuration from one about another parameter.
func mentionsDuration(msg string) bool {
	return strings.Contains(strings.ToLower(msg), "duration")
}

// longToken matches runs that could be (part of) a base64 SAML assertion or a
// session token: no STS message needs 100 unbroken base64 characters.
var longToken = regexp.MustCompile(`[A-Za-z0-9+/=_-]{100,}`)

// scrub makes an error message safe to show: one line, no long base64 runs,
// at most 400 characters.
func scrub(msg string) string {
	msg = longToken.ReplaceAllString(oneLine(msg), "[redacted]")
	if len(msg) > 400 {
		msg = msg[:400] + "…"
	}
	return msg
}

// oneLine collapses all whitespace, newlines included, into single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// redactURL drops user info and query from an endpoint URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
