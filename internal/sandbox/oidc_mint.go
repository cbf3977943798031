package sandbox

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// Facts of the CI job the sandbox issuer's tokens stand for (GitHub
// Actions claims, values as strings as GitHub sends them).
const (
	DefaultTokenSubject    = "repo:ptsaml/ptsaml:ref:refs/heads/main"
	DefaultTokenRepository = "ptsaml/ptsaml"
	DefaultTokenRunID      = "4242424242"
	DefaultTokenRunAttempt = "1"
	DefaultTokenWorkflow   = "train"
	DefaultTokenRef        = "refs/heads/main"
	DefaultTokenActor      = "alice"
	// DefaultTokenLifetime is exp - iat of a token when TokenOptions.Lifetime
	// is 0.
	DefaultTokenLifetime = time.Hour
)

// TokenOptions shape a token from MintToken. The zero value is a good
// GitHub-Actions-like token that the sandbox STS accepts, issued now by
// the sandbox clock and valid for DefaultTokenLifetime.
type TokenOptions struct {
	// Audience is the aud claim; "" = Options.OIDCAudience.
	Audience string
	// Lifetime is exp - iat; 0 = DefaultTokenLifetime.
	Lifetime time.Duration
	// Expired backdates the token: issued Lifetime+1m ago, so it expired a
	// minute ago.
	Expired bool
	// ForeignKey signs with a key the issuer does not publish, under the
	// issuer's own kid (a forged token).
	ForeignKey bool
	// Issuer is the iss claim; "" = OIDCIssuer().
	Issuer string
	// Subject is the sub claim; "" = DefaultTokenSubject.
	Subject string
	// Claims are added last and override any claim above (for example
	// "run_id", or "exp" as a number).
	Claims map[string]any
}

// ciClaims are the GitHub Actions claims beyond the registered ones.
type ciClaims struct {
	Repository      string `json:"repository"`
	RepositoryOwner string `json:"repository_owner"`
	RunID           string `json:"run_id"`
	RunAttempt      string `json:"run_attempt"`
	Workflow        string `json:"workflow"`
	Ref             string `json:"ref"`
	RefType         string `json:"ref_type"`
	Actor           string `json:"actor"`
	EventName       string `json:"event_name"`
}

// MintToken returns a signed ID token from the sandbox issuer, as the
// token request endpoint would hand a CI job, shaped by o (for tests).
func (s *Server) MintToken(o TokenOptions) (string, error) {
	jwt, err := s.oidc.mint(o)
	if err != nil {
		return "", fmt.Errorf("mint token: %w", err)
	}
	return jwt, nil
}

func (o *oidcIssuer) mint(opt TokenOptions) (string, error) {
	signer := o.signer
	if opt.ForeignKey {
		var err error
		if signer, err = o.foreign(); err != nil {
			return "", err
		}
	}
	lifetime := opt.Lifetime
	if lifetime <= 0 {
		lifetime = DefaultTokenLifetime
	}
	issued := o.clock.Now()
	if opt.Expired {
		issued = issued.Add(-lifetime - time.Minute)
	}
	std := jwt.Claims{
		Issuer:    orDefault(opt.Issuer, o.url),
		Subject:   orDefault(opt.Subject, DefaultTokenSubject),
		Audience:  jwt.Audience{orDefault(opt.Audience, o.audience)},
		Expiry:    jwt.NewNumericDate(issued.Add(lifetime)),
		NotBefore: jwt.NewNumericDate(issued),
		IssuedAt:  jwt.NewNumericDate(issued),
		ID:        hex.EncodeToString(randomBytes(16)),
	}
	ci := ciClaims{
		Repository: DefaultTokenRepository, RepositoryOwner: "ptsaml", RunID: DefaultTokenRunID,
		RunAttempt: DefaultTokenRunAttempt, Workflow: DefaultTokenWorkflow, Ref: DefaultTokenRef,
		RefType: "branch", Actor: DefaultTokenActor, EventName: "push",
	}
	b := jwt.Signed(signer).Claims(std).Claims(ci)
	if len(opt.Claims) > 0 {
		b = b.Claims(opt.Claims)
	}
	out, err := b.Serialize()
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return out, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
