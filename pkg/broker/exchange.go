package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/ptsaml/ptsaml/pkg/login"
)

// Clock tells the current time; internal/clock satisfies it.
type Clock interface{ Now() time.Time }

// Auditor records one audit event; it must drop secret fields itself.
type Auditor interface {
	Record(event string, fields map[string]any) error
}

// Deps are Exchange's collaborators. Any of them may be nil: the wall clock,
// no audit, no status lines and no logging are used instead.
type Deps struct {
	Clock  Clock
	Audit  Auditor
	Status io.Writer // lines for people (stderr)
	Log    *slog.Logger
}

// ExchangeInput is one AssumeRoleWithSAML request.
type ExchangeInput struct {
	Login    *login.Result  // validated login; its SAMLResponse is sent as received
	Role     login.RolePair // from ChooseRole
	Duration time.Duration  // requested session length; 0 means 1h
	Profile  string
}

// Exchange trades the login's assertion for STS credentials of in.Role. The
// duration is the requested one capped by the assertion's SessionDuration
// attribute, and must be 15m..12h. When STS refuses the duration because the
// role's MaxSessionDuration is shorter, Exchange retries once with 1h and says
// so on d.Status. Errors from STS are returned wrapped (pass them to Explain)
// and never contain the assertion. Audit: "role.assumed" or "sts.error".
func Exchange(ctx context.Context, client STS, in ExchangeInput, d Deps) (*Session, error) {
	d = d.withDefaults()
	if err := checkInput(in); err != nil {
		return nil, err
	}
	dur, notes, err := sessionLength(in.Duration, in.Login.SessionDuration)
	if err != nil {
		return nil, fmt.Errorf("assume role %s: %w", in.Role.RoleARN, err)
	}
	for _, n := range notes {
		fmt.Fprintln(d.Status, n)
	}
	out, err := assume(ctx, client, in, dur)
	if err != nil && dur > time.Hour && isDurationRefusal(err) {
		d.Log.Info("STS refused the session duration, retrying with 1h", "role", in.Role.RoleARN, "duration", fmtDuration(dur))
		fmt.Fprintf(d.Status, "role %s does not allow %s sessions (its MaxSessionDuration is shorter); retried with 1h; raise MaxSessionDuration to use longer sessions\n",
			in.Role.RoleARN, fmtDuration(dur))
		out, err = assume(ctx, client, in, time.Hour)
	}
	if err != nil {
		err = redact(err, in.Login.SAMLResponse)
		code, reason := describe(err)
		d.audit("sts.error", map[string]any{"profile": in.Profile, "role_arn": in.Role.RoleARN, "code": code, "reason": reason})
		return nil, fmt.Errorf("assume role %s: %w", in.Role.RoleARN, err)
	}
	s, err := newSession(in, out, d.Clock.Now())
	if err != nil {
		d.audit("sts.error", map[string]any{"profile": in.Profile, "role_arn": in.Role.RoleARN, "code": "InvalidResponse", "reason": err.Error()})
		return nil, fmt.Errorf("assume role %s: %w", in.Role.RoleARN, err)
	}
	if !s.Expiration.After(s.IssuedAt) {
		d.Log.Warn("STS credentials are already expired by this machine's clock; check the clock", "expiration", s.Expiration, "now", s.IssuedAt)
	}
	if !in.Login.SessionNotOnOrAfter.IsZero() && s.Expiration.After(in.Login.SessionNotOnOrAfter) {
		d.Log.Warn("STS expiration is later than the assertion's SessionNotOnOrAfter",
			"expiration", s.Expiration, "session_not_on_or_after", in.Login.SessionNotOnOrAfter)
	}
	d.Log.Info("assumed role", "profile", s.Profile, "role", s.RoleARN, "assumed_role", s.AssumedRoleARN, "expiration", s.Expiration)
	d.audit("role.assumed", s.AuditFields())
	return s, nil
}

func checkInput(in ExchangeInput) error {
	switch {
	case in.Login == nil || in.Login.SAMLResponse == "":
		return errors.New("assume role: no SAML assertion; log in first")
	case in.Role.RoleARN == "" || in.Role.PrincipalARN == "":
		return errors.New("assume role: no role chosen")
	}
	if len(in.Login.Roles) > 0 {
		for _, r := range in.Login.Roles {
			if r == in.Role {
				return nil
			}
		}
		return fmt.Errorf("assume role %s: the assertion does not offer this role with provider %s", in.Role.RoleARN, in.Role.PrincipalARN)
	}
	return nil
}

func assume(ctx context.Context, client STS, in ExchangeInput, dur time.Duration) (*sts.AssumeRoleWithSAMLOutput, error) {
	return client.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{
		RoleArn:         aws.String(in.Role.RoleARN),
		PrincipalArn:    aws.String(in.Role.PrincipalARN),
		SAMLAssertion:   aws.String(in.Login.SAMLResponse),
		DurationSeconds: aws.Int32(int32(dur / time.Second)),
	})
}

// isDurationRefusal reports a ValidationError about DurationSeconds, which is
// how STS answers a duration above the role's MaxSessionDuration.
func isDurationRefusal(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" && mentionsDuration(apiErr.ErrorMessage())
}

// describe returns STS's error code and message for the audit log, or a
// local code and the (already scrubbed) error text when STS did not answer.
func describe(err error) (code, reason string) {
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.ErrorCode() != "":
		return apiErr.ErrorCode(), scrub(apiErr.ErrorMessage())
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return "Canceled", err.Error()
	}
	return "RequestFailed", err.Error()
}

// redactedError shows a scrubbed message but keeps the original for errors.As.
type redactedError struct {
	err error
	msg string
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact guarantees the assertion (or any long base64 run) is not in err's text.
func redact(err error, assertion string) error {
	msg := err.Error()
	if assertion != "" {
		msg = strings.ReplaceAll(msg, assertion, "[assertion]")
	}
	return &redactedError{err: err, msg: scrub(msg)}
}

func (d Deps) withDefaults() Deps {
	if d.Clock == nil {
		d.Clock = wallClock{}
	}
	if d.Status == nil {
		d.Status = io.Discard
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return d
}

func (d Deps) audit(event string, fields map[string]any) {
	if d.Audit == nil {
		return
	}
	if err := d.Audit.Record(event, fields); err != nil {
		d.Log.Warn("audit record failed", "event", event, "err", err)
	}
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func now(c Clock) time.Time {
	if c == nil {
		return time.Now()
	}
	return c.Now()
}
