// Package credserver serves AWS credentials to a child process over the
// container-credentials protocol that the AWS SDKs (botocore, aws-sdk-go-v2,
// the AWS CLI…) speak when AWS_CONTAINER_CREDENTIALS_FULL_URI and
// AWS_CONTAINER_AUTHORIZATION_TOKEN are set.
//
// The server listens on a loopback address only, answers GET /credentials
// with the freshest credentials it was given (see Server.Update), and refuses
// anything else: a request without the random token (401), for any Host but
// 127.0.0.1:PORT (421, DNS rebinding), from a socket owned by another local
// user (403, Linux), with another method (405) or path (404), or with a body
// (413, never read). Headers are capped at MaxHeaderBytes and slow clients
// are cut by the Options' timeouts. Answers come from memory: the hot path
// takes no lock and does no I/O, so an SDK never waits on a login.
package credserver

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ptsaml/ptsaml/internal/peeruid"
)

// Path is the only path the server answers.
const Path = "/credentials"

// Credentials are one set of temporary AWS credentials.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expiration                                 time.Time
}

// Clock tells the current time; expiry is judged against it.
type Clock interface{ Now() time.Time }

// Limits of the endpoint's HTTP server. The timeouts are the defaults of the
// Options fields of the same names. An SDK sends its whole request at once
// (botocore gives up on a fetch after 2 s), so these only cut slow or stuck
// clients; each connection costs the server one goroutine until then.
const (
	// DefaultReadHeaderTimeout cuts a client that has not sent its headers
	// in time (slowloris).
	DefaultReadHeaderTimeout = 2 * time.Second
	// DefaultReadTimeout cuts a client that has not sent a whole request,
	// body included, in time.
	DefaultReadTimeout = 5 * time.Second
	// DefaultWriteTimeout cuts a client that does not read its answer.
	DefaultWriteTimeout = 5 * time.Second
	// DefaultIdleTimeout closes a keep-alive connection left idle.
	DefaultIdleTimeout = 60 * time.Second
	// MaxHeaderBytes caps a request's headers; net/http allows 4 KiB of
	// slack over it and answers larger ones with 431 and closes.
	MaxHeaderBytes = 8 << 10
)

// Options configure Start. The zero value works.
type Options struct {
	// Addr is the listen address, "127.0.0.1:0" (a random port) when empty.
	// Only a loopback IP or "localhost" (bound as 127.0.0.1) is accepted;
	// older botocore (Debian's 1.29) fetches only from 127.0.0.1 or
	// localhost, so [::1] suits other SDKs only.
	Addr string
	// Clock judges expiry; the wall clock when nil.
	Clock Clock
	// Log receives operational lines (never a secret); discarded when nil.
	Log *slog.Logger
	// Expired is the one-line message served (HTTP 503, JSON
	// {"code":"ExpiredCredentials","message":…}) once the freshest credentials
	// have run out; it is called by Update, not per request. A generic
	// message when nil.
	Expired func(last Credentials) string
	// AllowOtherUsers turns off the Linux check that the caller's socket
	// belongs to the user running the server.
	AllowOtherUsers bool
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout are the
	// server's timeouts (net/http meanings); the Default… constants when 0.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration

	// peerUID replaces the system's socket-owner lookup in tests.
	peerUID peeruid.Lookup
}

// Server is a running credentials endpoint. Its methods are safe for
// concurrent use.
type Server struct {
	srv     *http.Server
	ln      net.Listener
	url     string
	token   string
	digest  [sha256.Size]byte // SHA-256 of token
	hostIP  string            // "127.0.0.1:PORT", the only Host served
	clock   Clock
	log     *slog.Logger
	expired func(Credentials) string
	peer    *peeruid.Check // nil when the check is off

	state atomic.Pointer[state]
	stats counters

	closeOnce sync.Once
	closeErr  error
	stop      func() bool
}

// Start listens on o.Addr with a fresh random token and serves until Close
// or until ctx ends. Nothing is served (503) until the first Update.
func Start(ctx context.Context, o Options) (*Server, error) {
	addr, err := loopbackAddr(o.Addr)
	if err != nil {
		return nil, fmt.Errorf("credential endpoint: %w", err)
	}
	token, err := newToken()
	if err != nil {
		return nil, fmt.Errorf("credential endpoint: token: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("credential endpoint: listen on %s: %w", addr, err)
	}
	bound := ln.Addr().(*net.TCPAddr).AddrPort()
	s := &Server{
		ln:      ln,
		url:     "http://" + bound.String() + Path,
		token:   token,
		digest:  sha256.Sum256([]byte(token)),
		hostIP:  bound.String(),
		clock:   o.Clock,
		log:     o.Log,
		expired: o.Expired,
	}
	if s.clock == nil {
		s.clock = wallClock{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.expired == nil {
		s.expired = defaultExpired
	}
	if !o.AllowOtherUsers {
		s.peer = peeruid.New("credential endpoint", s.log, o.peerUID)
	}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: orDefault(o.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       orDefault(o.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:      orDefault(o.WriteTimeout, DefaultWriteTimeout),
		IdleTimeout:       orDefault(o.IdleTimeout, DefaultIdleTimeout),
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	if s.peer != nil {
		s.srv.ConnContext = s.peer.ConnContext
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("credential endpoint stopped", "addr", s.hostIP, "err", err)
		}
	}()
	// The callback may run at once (ctx already done), before s.stop is
	// set: it closes the HTTP server only, which Close may do again.
	s.stop = context.AfterFunc(ctx, func() { _ = s.srv.Close() })
	s.log.Debug("credential endpoint listening", "url", s.url, "peer_uid_check", s.peer != nil)
	return s, nil
}

// URL is the value for AWS_CONTAINER_CREDENTIALS_FULL_URI,
// http://127.0.0.1:PORT/credentials.
func (s *Server) URL() string { return s.url }

// Token is the value for AWS_CONTAINER_AUTHORIZATION_TOKEN: 32 random bytes,
// base64url without padding. It is a secret: never log it or put it in argv.
func (s *Server) Token() string { return s.token }

// Addr is the bound address, e.g. 127.0.0.1:41234.
func (s *Server) Addr() netip.AddrPort { return s.ln.Addr().(*net.TCPAddr).AddrPort() }

// Close stops the server at once, dropping open connections. Calling it
// again returns the first result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.stop()
		if err := s.srv.Close(); err != nil {
			s.closeErr = fmt.Errorf("credential endpoint: close: %w", err)
		}
	})
	return s.closeErr
}

func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// loopbackAddr checks that addr is a loopback IP (or localhost) and a port.
func loopbackAddr(addr string) (string, error) {
	if addr == "" {
		return "127.0.0.1:0", nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("address %q: %w", addr, err)
	}
	if host == "localhost" {
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() || ip.Zone() != "" {
		return "", fmt.Errorf("address %q: only a loopback address (127.0.0.1 or localhost) is allowed", addr)
	}
	return addr, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }
