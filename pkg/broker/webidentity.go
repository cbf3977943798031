package broker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// STSWebIdentity is the part of the STS API that ExchangeWebIdentity calls.
// *sts.Client (from NewSTS: unsigned, like AWS expects) satisfies it.
type STSWebIdentity interface {
	AssumeRoleWithWebIdentity(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, opts ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error)
}

// WebIdentityInput is one AssumeRoleWithWebIdentity request.
type WebIdentityInput struct {
	Token    string        // the CI job's OpenID Connect JWT, sent as is; never logged
	RoleARN  string        // role to assume; its trust policy names the OIDC provider
	Duration time.Duration // requested session length; 0 means 1h
	Profile  string
}

// ExchangeWebIdentity trades a CI job's OpenID Connect token for STS
// credentials of in.RoleARN. The token's claims are read without verifying
// the signature (STS verifies it): they only name the session
// (RoleSessionName "gh-<repo>-<run_id>-<attempt>" for GitHub Actions,
// "gl-<project_path>-<pipeline_id>" for GitLab, "oidc-<sub>" otherwise) and
// fill Session.Issuer (iss), Session.NameID (sub) and Session.CI (which
// repository, run, workflow, pipeline). A token that is not a signed JWT is
// refused before STS is called. The duration must be 15m..12h; when STS
// refuses a duration above 1h because of the role's MaxSessionDuration, the
// call is retried once with 1h and d.Status says so. Errors from STS are
// returned wrapped (pass them to Explain, which then gives web identity
// advice) and never contain the token. Audit: "role.assumed" or "sts.error".
func ExchangeWebIdentity(ctx context.Context, client STSWebIdentity, in WebIdentityInput, d Deps) (*Session, error) {
	d = d.withDefaults()
	switch {
	case strings.TrimSpace(in.Token) == "":
		return nil, errors.New("assume role with web identity: no web identity token")
	case in.RoleARN == "":
		return nil, errors.New("assume role with web identity: no role configured; set role: in the profile")
	}
	step := "assume role " + in.RoleARN + " with web identity"
	claims, err := parseWebClaims(in.Token)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", step, err)
	}
	dur, notes, err := sessionLength(in.Duration, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", step, err)
	}
	for _, n := range notes {
		fmt.Fprintln(d.Status, n)
	}
	d.Log.Debug("web identity token", "issuer", claims.Issuer, "subject", claims.Subject,
		"audience", claims.Audience, "expiry", claims.Expiry, "role_session_name", claims.SessionName)
	out, err := assumeWeb(ctx, client, in, claims.SessionName, dur)
	if err != nil && dur > time.Hour && isDurationRefusal(err) {
		d.Log.Info("STS refused the session duration, retrying with 1h", "role", in.RoleARN, "duration", fmtDuration(dur))
		fmt.Fprintf(d.Status, "role %s does not allow %s sessions (its MaxSessionDuration is shorter); retried with 1h; raise MaxSessionDuration to use longer sessions\n",
			in.RoleARN, fmtDuration(dur))
		out, err = assumeWeb(ctx, client, in, claims.SessionName, time.Hour)
	}
	if err != nil {
		err = redactToken(err, in.Token)
		code, reason := describe(err)
		d.audit("sts.error", map[string]any{"profile": in.Profile, "role_arn": in.RoleARN, "code": code, "reason": reason,
			"issuer": claims.Issuer, "role_session_name": claims.SessionName})
		return nil, fmt.Errorf("%s: %w", step, &webIdentityError{err: err, claims: claims})
	}
	s, err := newWebSession(in, claims, out, d.Clock.Now())
	if err != nil {
		d.audit("sts.error", map[string]any{"profile": in.Profile, "role_arn": in.RoleARN, "code": "InvalidResponse", "reason": err.Error()})
		return nil, fmt.Errorf("%s: %w", step, err)
	}
	if !s.Expiration.After(s.IssuedAt) {
		d.Log.Warn("STS credentials are already expired by this machine's clock; check the clock", "expiration", s.Expiration, "now", s.IssuedAt)
	}
	d.Log.Info("assumed role with web identity", "profile", s.Profile, "role", s.RoleARN, "assumed_role", s.AssumedRoleARN,
		"issuer", s.Issuer, "subject", s.NameID, "expiration", s.Expiration)
	d.audit("role.assumed", s.AuditFields())
	return s, nil
}

func assumeWeb(ctx context.Context, client STSWebIdentity, in WebIdentityInput, name string, dur time.Duration) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	return client.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(in.RoleARN),
		RoleSessionName:  aws.String(name),
		WebIdentityToken: aws.String(in.Token),
		DurationSeconds:  aws.Int32(int32(dur / time.Second)),
	})
}

// newWebSession builds the Session from STS's answer and the token's claims.
func newWebSession(in WebIdentityInput, c *webClaims, out *sts.AssumeRoleWithWebIdentityOutput, issuedAt time.Time) (*Session, error) {
	cr := out.Credentials
	if cr == nil || aws.ToString(cr.AccessKeyId) == "" || aws.ToString(cr.SecretAccessKey) == "" ||
		aws.ToString(cr.SessionToken) == "" || cr.Expiration == nil {
		return nil, errors.New("STS answered without complete credentials")
	}
	s := &Session{
		AccessKeyID:     aws.ToString(cr.AccessKeyId),
		SecretAccessKey: aws.ToString(cr.SecretAccessKey),
		SessionToken:    aws.ToString(cr.SessionToken),
		Expiration:      cr.Expiration.UTC(),
		Profile:         in.Profile,
		RoleARN:         in.RoleARN,
		RoleSessionName: c.SessionName,
		NameID:          c.Subject,
		Issuer:          c.Issuer,
		SourceIdentity:  aws.ToString(out.SourceIdentity),
		CI:              maps.Clone(c.CI),
		IssuedAt:        issuedAt,
	}
	if u := out.AssumedRoleUser; u != nil {
		s.AssumedRoleARN = aws.ToString(u.Arn)
	}
	if s.Account = arnAccount(s.AssumedRoleARN); s.Account == "" {
		s.Account = arnAccount(s.RoleARN)
	}
	if s.NameID == "" {
		s.NameID = aws.ToString(out.SubjectFromWebIdentityToken)
	}
	if s.Issuer == "" {
		s.Issuer = aws.ToString(out.Provider)
	}
	return s, nil
}

// redactToken guarantees the token (or any long base64 run, such as one of
// its parts) is not in err's text.
func redactToken(err error, token string) error {
	msg := err.Error()
	if token != "" {
		msg = strings.ReplaceAll(msg, token, "[token]")
	}
	return &redactedError{err: err, msg: scrub(msg)}
}
