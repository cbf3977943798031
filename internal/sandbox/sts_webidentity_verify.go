package sandbox

import (
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// AWS's answers to a web identity token it cannot accept.
const (
	msgNotJWT        = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
	msgNoProvider    = "No OpenIDConnect provider found in your account for "
	msgNoKey         = "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements"
	msgBadSignature  = "Couldn't verify the signature"
	msgExpired       = "Token is expired"
	msgWrongAudience = "Incorrect token audience"
)

// parseAlgorithms are the JWS algorithms a token may name and still count
// as a JWT; only RS256 (what the issuer publishes) can verify.
var parseAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA, jose.HS256, jose.HS384, jose.HS512,
}

// webIdentity is what a verified token tells the STS.
type webIdentity struct {
	Issuer, Subject, Audience string
}

// oidcProvider stands for the IAM OIDC provider of the sandbox account:
// its issuer URL, its client ID (audience) and the issuer's JWKS.
type oidcProvider struct {
	issuer, audience string
	keys             jose.JSONWebKeySet
}

// verify decides a token like AWS, in this order: a JWT at all, a known
// issuer, the RS256 signature against the issuer's JWKS, exp, aud, then
// nbf, iat and sub. Only the signed claims decide past the issuer lookup.
func (p oidcProvider) verify(raw string, now time.Time) (*webIdentity, *stsError) {
	tok, err := jwt.ParseSigned(raw, parseAlgorithms)
	if err != nil || len(tok.Headers) != 1 {
		return nil, invalidToken(msgNotJWT)
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return nil, invalidToken(msgNotJWT)
	}
	if unverified.Issuer != p.issuer {
		return nil, invalidToken(msgNoProvider + unverified.Issuer)
	}
	h := tok.Headers[0]
	var key *jose.JSONWebKey
	switch {
	case h.KeyID != "":
		if ks := p.keys.Key(h.KeyID); len(ks) == 1 {
			key = &ks[0]
		}
	case len(p.keys.Keys) == 1:
		key = &p.keys.Keys[0]
	}
	if key == nil {
		return nil, invalidToken(msgNoKey)
	}
	if h.Algorithm != string(jose.RS256) || h.Algorithm != key.Algorithm {
		return nil, invalidToken(msgBadSignature)
	}
	var c jwt.Claims
	if err := tok.Claims(key.Key, &c); err != nil {
		return nil, invalidToken(msgBadSignature)
	}

	if c.Expiry == nil {
		return nil, invalidToken("The token is missing the exp claim")
	}
	if !now.Before(c.Expiry.Time()) {
		return nil, &stsError{Status: http.StatusBadRequest, Code: "ExpiredTokenException", Message: msgExpired}
	}
	if !c.Audience.Contains(p.audience) {
		return nil, invalidToken(msgWrongAudience)
	}
	if c.NotBefore != nil && c.NotBefore.Time().Sub(now) > clockSkew {
		return nil, invalidToken("Token is not yet valid (nbf is in the future)")
	}
	if c.IssuedAt != nil && c.IssuedAt.Time().Sub(now) > clockSkew {
		return nil, invalidToken("Token was issued in the future (iat)")
	}
	if c.Subject == "" {
		return nil, invalidToken("The token is missing the sub claim")
	}
	return &webIdentity{Issuer: c.Issuer, Subject: c.Subject, Audience: p.audience}, nil
}
