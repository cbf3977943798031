package sandbox

import (
	"crypto/rsa"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-jose/go-jose/v4"

	"github.com/ptsaml/ptsaml/internal/clock"
)

const (
	oidcPrefix = "/oidc"
	// DefaultOIDCAudience is the audience the sandbox STS requires of web
	// identity tokens unless Options.OIDCAudience says otherwise (the
	// client ID registered for the sandbox OIDC provider, as for GitHub).
	DefaultOIDCAudience = "sts.amazonaws.com"
	// githubDefaultAudience is what GitHub puts in aud when the token
	// request names no audience: the repository owner's URL.
	githubDefaultAudience = "https://github.com/ptsaml"
)

// oidcIssuer is a GitHub-Actions-like OpenID Connect issuer: a discovery
// document, its JWKS, a token request endpoint guarded by a request token,
// and the RS256 signer behind MintToken.
type oidcIssuer struct {
	url          string // the issuer, http://127.0.0.1:PORT/oidc
	audience     string // what the STS requires in aud
	clock        clock.Clock
	log          *slog.Logger
	jwk          jose.JSONWebKey    // public signing key with its kid
	keys         jose.JSONWebKeySet // what /jwks publishes
	signer       jose.Signer
	requestToken string

	foreignOnce   sync.Once
	foreignSigner jose.Signer
	foreignErr    error

	tokenRequests, tokensRefused atomic.Int64
}

func newOIDCIssuer(s *Server, key *rsa.PrivateKey) (*oidcIssuer, error) {
	jwk, err := publicJWK(key)
	if err != nil {
		return nil, err
	}
	signer, err := newRS256Signer(key, jwk.KeyID)
	if err != nil {
		return nil, err
	}
	return &oidcIssuer{
		url:          s.url + oidcPrefix,
		audience:     s.opts.OIDCAudience,
		clock:        s.clock,
		log:          s.log,
		jwk:          jwk,
		keys:         jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk}},
		signer:       signer,
		requestToken: base64.RawURLEncoding.EncodeToString(randomBytes(32)),
	}, nil
}

func newRS256Signer(key *rsa.PrivateKey, kid string) (jose.Signer, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("rs256 signer: %w", err)
	}
	return signer, nil
}

// OIDCIssuer returns the sandbox OIDC issuer, http://127.0.0.1:PORT/oidc:
// the iss of its tokens, with /.well-known/openid-configuration and /jwks
// below it.
func (s *Server) OIDCIssuer() string { return s.oidc.url }

// OIDCRequestToken returns the bearer token the token request endpoint
// wants (ACTIONS_ID_TOKEN_REQUEST_TOKEN); random for each Start. It is a
// secret: never log it.
func (s *Server) OIDCRequestToken() string { return s.oidc.requestToken }

// OIDCRequestURL returns the token request URL as GitHub hands it to a job
// (ACTIONS_ID_TOKEN_REQUEST_URL): it already holds a query, so a client
// appends "&audience=…".
func (s *Server) OIDCRequestURL() string { return s.oidc.url + "/token?api-version=2.0" }

// register mounts the issuer's endpoints under /oidc.
func (o *oidcIssuer) register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+oidcPrefix+"/.well-known/openid-configuration", o.serveDiscovery)
	mux.HandleFunc("GET "+oidcPrefix+"/jwks", o.serveJWKS)
	mux.HandleFunc("GET "+oidcPrefix+"/token", o.serveToken)
}

type discoveryDocument struct {
	Issuer                  string   `json:"issuer"`
	JWKSURI                 string   `json:"jwks_uri"`
	SubjectTypes            []string `json:"subject_types_supported"`
	ResponseTypes           []string `json:"response_types_supported"`
	ClaimsSupported         []string `json:"claims_supported"`
	SigningAlgValues        []string `json:"id_token_signing_alg_values_supported"`
	ScopesSupported         []string `json:"scopes_supported"`
	SandboxNotForProduction string   `json:"x_ptsaml_sandbox"`
}

func (o *oidcIssuer) serveDiscovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, discoveryDocument{
		Issuer:        o.url,
		JWKSURI:       o.url + "/jwks",
		SubjectTypes:  []string{"public", "pairwise"},
		ResponseTypes: []string{"id_token"},
		ClaimsSupported: []string{"sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "ref_type",
			"repository", "repository_owner", "run_id", "run_attempt", "workflow", "actor", "event_name"},
		SigningAlgValues:        []string{string(jose.RS256)},
		ScopesSupported:         []string{"openid"},
		SandboxNotForProduction: Banner,
	})
}

func (o *oidcIssuer) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, o.keys)
}

// serveToken is GitHub's ID token request: GET ?audience=A with
// "Authorization: bearer <request token>" answers {"value": "<jwt>"}.
// Anything but the right request token gets 401, and never a token.
func (o *oidcIssuer) serveToken(w http.ResponseWriter, r *http.Request) {
	o.tokenRequests.Add(1)
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "bearer") ||
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(o.requestToken)) != 1 {
		o.tokensRefused.Add(1)
		o.log.Info("sandbox oidc: token request refused", "reason", "missing or wrong request token")
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
		return
	}
	aud := r.URL.Query().Get("audience")
	if aud == "" {
		aud = githubDefaultAudience
	}
	jwt, err := o.mint(TokenOptions{Audience: aud})
	if err != nil {
		o.log.Error("sandbox oidc: mint token", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "cannot sign a token"})
		return
	}
	o.log.Info("sandbox oidc: token issued", "audience", aud, "sub", DefaultTokenSubject)
	writeJSON(w, http.StatusOK, map[string]string{"value": jwt})
}

// foreign returns a signer with a key the issuer does not publish, under
// the issuer's own kid (a forgery), made once per server.
func (o *oidcIssuer) foreign() (jose.Signer, error) {
	o.foreignOnce.Do(func() {
		key, err := loadOrCreateOIDCKey("")
		if err != nil {
			o.foreignErr = err
			return
		}
		o.foreignSigner, o.foreignErr = newRS256Signer(key, o.jwk.KeyID)
	})
	return o.foreignSigner, o.foreignErr
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
