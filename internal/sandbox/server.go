package sandbox

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/crewjam/saml"

	"github.com/ptsaml/ptsaml/internal/clock"
)

// Options configure a sandbox Server. The zero value serves on a random
// loopback port with the real clock and an ephemeral IdP key.
type Options struct {
	// Addr is the listen address; it must be a loopback IP. Default
	// "127.0.0.1:0" (a random port).
	Addr string
	// ACSURLs, when set, are the only SP ACS URLs the IdP answers and the
	// loopback Recipients the STS accepts (besides AWS sign-in URLs). When
	// empty the IdP answers any http://127.0.0.1:PORT/... ACS and the STS
	// accepts Recipients matching http://127.0.0.1:*/saml/acs, as a trust
	// policy with that StringLike SAML:aud condition would.
	ACSURLs []string
	// SPEntityID, when set, is the only SP entity ID the IdP answers.
	SPEntityID string
	// Clock stamps assertions and decides expiry. Default: the real clock.
	Clock clock.Clock
	// CredentialTTL, when > 0, caps the lifetime of issued credentials
	// (test-only: SDKs refuse DurationSeconds < 900, so short credentials
	// must be capped by the server). 0 honours DurationSeconds.
	CredentialTTL time.Duration
	// Log receives one line per STS call and IdP event. Default: discard.
	Log *slog.Logger
	// StateDir keeps the IdP key (0600) and certificate, and the OIDC
	// issuer's key (0600), across restarts; "" makes new ones for each Start.
	StateDir string
	// OIDCAudience is the client ID registered for the sandbox OIDC
	// provider: the aud AssumeRoleWithWebIdentity requires. Default
	// DefaultOIDCAudience (sts.amazonaws.com).
	OIDCAudience string
	// ExtraSAMLProviders registers more IAM SAML providers, as a second
	// provider in IAM would be: provider ARN (arn:aws:iam::Account:
	// saml-provider/NAME) → the IdP's signing certificate(s), PEM. Their
	// assertions (any Issuer) are exchanged like the sandbox IdP's, for a
	// Role pair naming that provider ARN; every sandbox role trusts them.
	ExtraSAMLProviders map[string][]byte
}

// Server is a running sandbox: IdP, STS and a landing page on one loopback
// listener. Close it when done.
type Server struct {
	opts  Options
	clock clock.Clock
	log   *slog.Logger
	url   string
	idp   *saml.IdentityProvider
	sts   *stsService
	oidc  *oidcIssuer
	s3    *s3Service
	key   *rsa.PrivateKey
	cert  *x509.Certificate
	http  *http.Server
	done  chan struct{}

	closeOnce sync.Once
	closeErr  error

	faults faults // switched on by tests: FailSTS, SetIdPClockOffset
}

// Start binds the listener, then serves until Close or until ctx is done.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.OIDCAudience == "" {
		o.OIDCAudience = DefaultOIDCAudience
	}
	if err := checkLoopbackAddr(o.Addr); err != nil {
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	s := &Server{opts: o, clock: o.Clock, log: o.Log, done: make(chan struct{})}
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	extra, err := parseExtraProviders(o.ExtraSAMLProviders)
	if err != nil {
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	key, cert, err := loadOrCreateKey(o.StateDir, s.clock.Now())
	if err != nil {
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	oidcKey, err := loadOrCreateOIDCKey(o.StateDir)
	if err != nil {
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("start sandbox: listen on %s: %w", o.Addr, err)
	}
	s.url = "http://" + ln.Addr().String()
	s.key, s.cert = key, cert
	s.idp = s.newIdentityProvider(key, cert)
	if s.oidc, err = newOIDCIssuer(s, oidcKey); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("start sandbox: oidc issuer: %w", err)
	}
	s.sts = newSTS(s, cert, extra)
	if s.s3, err = newS3(s); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("start sandbox: s3: %w", err)
	}
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	go func() {
		defer close(s.done)
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("sandbox: serve", "err", err)
		}
	}()
	context.AfterFunc(ctx, func() { _ = s.Close() })

	s.log.Warn(Banner+": sandbox IdP, STS and S3 started", "url", s.url, "metadata", s.MetadataURL(),
		"sts", s.STSEndpoint(), "s3", s.S3Endpoint(), "bucket", DataBucket, "users", "alice/alice bob/bob carol/carol", "provider", ProviderARN,
		"oidc_issuer", s.OIDCIssuer(), "oidc_audience", o.OIDCAudience)
	for arn := range extra {
		s.log.Warn(Banner+": extra SAML provider trusted", "provider", arn)
	}
	if o.CredentialTTL > 0 {
		s.log.Warn("SANDBOX TEST SWITCH: every issued credential expires after at most "+o.CredentialTTL.String(),
			"credential_ttl", o.CredentialTTL)
	}
	return s, nil
}

// SigningKey returns the IdP's signing key and certificate, so tests can
// forge responses the sandbox STS trusts (hostile-input tests).
func (s *Server) SigningKey() (*rsa.PrivateKey, *x509.Certificate) { return s.key, s.cert }

// URL returns the sandbox base URL, http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.url }

// MetadataURL returns the IdP metadata URL (also the IdP entity ID).
func (s *Server) MetadataURL() string { return s.url + metadataPath }

// STSEndpoint returns the STS endpoint for the SDK's BaseEndpoint.
func (s *Server) STSEndpoint() string { return s.url + stsPath }

// S3Endpoint returns the S3 endpoint, http://127.0.0.1:PORT/s3, for the
// SDK's BaseEndpoint (aws-sdk-go-v2, with UsePathStyle) or endpoint_url
// (boto3, path-style addressing). Requests must be SigV4-signed with
// credentials the sandbox STS issued; bucket DataBucket exists at start.
func (s *Server) S3Endpoint() string { return s.url + s3Prefix }

// STSCalls returns how many AssumeRoleWithSAML calls were served (accepted
// and rejected).
func (s *Server) STSCalls() int64 { return s.sts.assumeCalls.Load() }

// WebIdentityCalls returns how many AssumeRoleWithWebIdentity calls were
// served (accepted and rejected).
func (s *Server) WebIdentityCalls() int64 { return s.sts.webIdentityCalls.Load() }

// Close stops the server and waits for it to finish; it is safe to call
// more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.closeErr = s.http.Shutdown(ctx)
		<-s.done
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("close sandbox: %w", s.closeErr)
		}
	})
	return s.closeErr
}

func checkLoopbackAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("address %q: the sandbox listens on a loopback IP only (e.g. 127.0.0.1:0)", addr)
	}
	return nil
}

// stats is the /stats document.
type stats struct {
	STSCalls            int64 `json:"sts_calls"`
	STSAccepted         int64 `json:"sts_accepted"`
	STSRejected         int64 `json:"sts_rejected"`
	CallerIdentityCalls int64 `json:"caller_identity_calls"`
	S3Requests          int64 `json:"s3_requests"`
	S3OK                int64 `json:"s3_ok"`      // authenticated (whatever the store answered)
	S3Expired           int64 `json:"s3_expired"` // refused: ExpiredToken
	S3Denied            int64 `json:"s3_denied"`  // refused for any other reason

	WebIdentityCalls    int64 `json:"sts_web_identity_calls"`
	WebIdentityAccepted int64 `json:"sts_web_identity_accepted"`
	WebIdentityRejected int64 `json:"sts_web_identity_rejected"`
	OIDCTokenRequests   int64 `json:"oidc_token_requests"` // GitHub-style requests, refused ones included
	OIDCTokensRefused   int64 `json:"oidc_token_refused"`  // 401: missing or wrong request token
}

func (s *Server) serveStats(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(stats{
		STSCalls:            s.sts.assumeCalls.Load(),
		STSAccepted:         s.sts.assumeAccepted.Load(),
		STSRejected:         s.sts.assumeRejected.Load(),
		CallerIdentityCalls: s.sts.identityCalls.Load(),
		S3Requests:          s.s3.requests.Load(),
		S3OK:                s.s3.ok.Load(),
		S3Expired:           s.s3.expired.Load(),
		S3Denied:            s.s3.denied.Load(),
		WebIdentityCalls:    s.sts.webIdentityCalls.Load(),
		WebIdentityAccepted: s.sts.webIdentityAccepted.Load(),
		WebIdentityRejected: s.sts.webIdentityRejected.Load(),
		OIDCTokenRequests:   s.oidc.tokenRequests.Load(),
		OIDCTokensRefused:   s.oidc.tokensRefused.Load(),
	})
}
