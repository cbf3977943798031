package broker

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ptsaml/ptsaml/pkg/login"
)

// Session is one set of STS credentials plus the facts about the login that
// produced it. It is what the cache stores (as JSON); it never holds the SAML
// assertion.
type Session struct {
	AccessKeyID     string    `json:"AccessKeyId"`
	SecretAccessKey string    `json:"SecretAccessKey"`
	SessionToken    string    `json:"SessionToken"`
	Expiration      time.Time `json:"Expiration"`

	Profile         string `json:"Profile"`
	RoleARN         string `json:"RoleArn"`
	PrincipalARN    string `json:"PrincipalArn"`
	AssumedRoleARN  string `json:"AssumedRoleArn"`
	Account         string `json:"Account"`
	RoleSessionName string `json:"RoleSessionName,omitempty"`
	NameID          string `json:"NameId,omitempty"`
	Issuer          string `json:"Issuer,omitempty"`
	SourceIdentity  string `json:"SourceIdentity,omitempty"`
	AssertionID     string `json:"AssertionId,omitempty"`

	// Roles are the role/provider pairs the IdP offered at this login, so
	// `ptsaml roles` can list them without a new login.
	Roles []login.RolePair `json:"Roles,omitempty"`
	// CI are the CI job's facts from a web identity token's claims
	// (repository, run_id, workflow, ref, pipeline_id, …), for status and audit.
	CI map[string]string `json:",omitempty"`

	// IssuedAt is when STS answered, by the injected clock.
	IssuedAt time.Time `json:"IssuedAt"`
	// Store names the backend the session was saved in ("keyring", "file", "memory").
	Store string `json:"Store,omitempty"`
}

// Remaining is how long the credentials stay valid after now; zero once expired.
func (s *Session) Remaining(now time.Time) time.Duration {
	if s == nil {
		return 0
	}
	if d := s.Expiration.Sub(now); d > 0 {
		return d
	}
	return 0
}

// Renewal policy. SDKs refresh 15 minutes before expiry (advisory) and must
// at 10 minutes (mandatory); short test sessions scale both down.
const (
	sdkAdvisory = 15 * time.Minute
	minUsable   = time.Minute
)

// Fresh reports whether the session is complete and has more life left than
// the SDKs' advisory refresh window: 15 minutes, or half the lifetime of
// sessions shorter than 30 minutes. A fresh session is handed out without
// trying to renew it.
func (s *Session) Fresh(now time.Time) bool {
	return s.complete() && s.Remaining(now) > s.scaled(sdkAdvisory, 2)
}

// Usable reports whether the session is complete and still worth handing to
// an SDK: a minute left, or a quarter of the lifetime of sessions shorter
// than four minutes.
func (s *Session) Usable(now time.Time) bool {
	return s.complete() && s.Remaining(now) > s.scaled(minUsable, 4)
}

// Valid reports whether the session is complete and not yet expired.
func (s *Session) Valid(now time.Time) bool {
	return s.complete() && s.Remaining(now) > 0
}

// scaled returns d, or the session's lifetime divided by div when smaller.
func (s *Session) scaled(d time.Duration, div time.Duration) time.Duration {
	if life := s.Expiration.Sub(s.IssuedAt); life > 0 && life/div < d {
		return life / div
	}
	return d
}

func (s *Session) complete() bool {
	return s != nil && s.AccessKeyID != "" && s.SecretAccessKey != "" && s.SessionToken != ""
}

// AuditFields are the session's facts an audit record carries so it can be
// joined with CloudTrail: the AssumeRoleWithSAML/WebIdentity event records the
// role, session name, SourceIdentity, issuer and subject (NameID), and every
// call made with the credentials records the access key ID and the
// assumed-role ARN. None of them is a secret.
func (s *Session) AuditFields() map[string]any {
	f := map[string]any{
		"profile": s.Profile, "role_arn": s.RoleARN, "assumed_role_arn": s.AssumedRoleARN,
		"role_session_name": s.RoleSessionName, "access_key_id": s.AccessKeyID,
		"expiration": s.Expiration.UTC().Format(time.RFC3339),
	}
	for k, v := range map[string]string{
		"source_identity": s.SourceIdentity, "assertion_id": s.AssertionID,
		"issuer": s.Issuer, "name_id": s.NameID,
	} {
		if v != "" {
			f[k] = v
		}
	}
	if len(s.CI) > 0 {
		f["ci"] = maps.Clone(s.CI) // the CI job that signed in (web identity)
	}
	return f
}

// newSession builds the Session from STS's answer and the login's facts.
func newSession(in ExchangeInput, out *sts.AssumeRoleWithSAMLOutput, issuedAt time.Time) (*Session, error) {
	c := out.Credentials
	if c == nil || aws.ToString(c.AccessKeyId) == "" || aws.ToString(c.SecretAccessKey) == "" ||
		aws.ToString(c.SessionToken) == "" || c.Expiration == nil {
		return nil, errors.New("STS answered without complete credentials")
	}
	s := &Session{
		AccessKeyID:     aws.ToString(c.AccessKeyId),
		SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken:    aws.ToString(c.SessionToken),
		Expiration:      c.Expiration.UTC(),
		Profile:         in.Profile,
		RoleARN:         in.Role.RoleARN,
		PrincipalARN:    in.Role.PrincipalARN,
		RoleSessionName: in.Login.RoleSessionName,
		NameID:          in.Login.NameID,
		Issuer:          in.Login.Issuer,
		SourceIdentity:  in.Login.SourceIdentity,
		AssertionID:     in.Login.AssertionID,
		Roles:           slices.Clone(in.Login.Roles),
		IssuedAt:        issuedAt,
	}
	if u := out.AssumedRoleUser; u != nil {
		s.AssumedRoleARN = aws.ToString(u.Arn)
	}
	if s.Account = arnAccount(s.AssumedRoleARN); s.Account == "" {
		s.Account = arnAccount(s.RoleARN)
	}
	if s.RoleSessionName == "" {
		// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
		if i := strings.LastIndexByte(s.AssumedRoleARN, '/'); i >= 0 {
			s.RoleSessionName = s.AssumedRoleARN[i+1:]
		}
	}
	if s.SourceIdentity == "" {
		s.SourceIdentity = aws.ToString(out.SourceIdentity)
	}
	if s.Issuer == "" {
		s.Issuer = aws.ToString(out.Issuer)
	}
	return s, nil
}

// arnAccount returns the account field of an ARN
// (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE), "" when there is none.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// credentialProcessOutput is the AWS credential_process format, version 1.
type credentialProcessOutput struct {
	Version         int    `json:"Version"`
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	SessionToken    string `json:"SessionToken"`
	Expiration      string `json:"Expiration"`
}

// CredentialProcessJSON renders s in the AWS CLI / SDK credential_process
// format: {"Version":1,"AccessKeyId","SecretAccessKey","SessionToken",
// "Expiration"} with Expiration in RFC 3339 UTC.
func CredentialProcessJSON(s *Session) ([]byte, error) {
	if s == nil || s.AccessKeyID == "" || s.SecretAccessKey == "" || s.SessionToken == "" {
		return nil, errors.New("credential process output: session has no credentials")
	}
	if s.Expiration.IsZero() {
		return nil, errors.New("credential process output: session has no expiration")
	}
	return json.Marshal(credentialProcessOutput{
		Version:         1,
		AccessKeyID:     s.AccessKeyID,
		SecretAccessKey: s.SecretAccessKey,
		SessionToken:    s.SessionToken,
		Expiration:      s.Expiration.UTC().Format(time.RFC3339),
	})
}
