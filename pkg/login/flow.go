package login

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/ptsaml/ptsaml/internal/peeruid"
)

// Login runs one SP-initiated login: it binds the ACS listener (127.0.0.1
// only) before anything else, sends the person to the IdP (Opener, or the
// URL on Status with NoBrowser), and waits for a valid response. Invalid
// POSTs are refused, audited ("assertion.rejected") and reported on Status,
// and the wait goes on; the first valid one is audited
// ("assertion.accepted") and returned, and the listener is closed. On
// Linux a request over another local user's connection is refused (403):
// the start link stays unused for the person's own browser, and such a POST
// is refused, audited and reported like an invalid one. It gives up after
// cfg.Timeout (an error wrapping ErrTimeout) or when ctx ends (an
// error wrapping ctx.Err()).
//
// Opener.Open runs in its own goroutine, so a browser command that stays in
// the foreground does not hold the login up; if it fails, the URL is printed.
func Login(ctx context.Context, cfg Config, d Deps) (*Result, error) {
	cfg, acs, err := cfg.normalise()
	if err != nil {
		return nil, err
	}
	if d.Opener == nil && !d.NoBrowser {
		return nil, errors.New("login: no way to open a browser")
	}
	ln, err := listen(ctx, acs)
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	defer func() { _ = ln.Close() }()

	req, err := newAuthnRequest(cfg, d.clock())
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	out := &lockedWriter{w: d.status()}
	w := &waiter{cfg: cfg, d: d, req: req, out: out, final: make(chan *RejectedError, 1), broken: make(chan error, 1)}
	defer w.summary()
	h := &acsHandler{
		host: acs.Host, path: acs.Path, accepted: make(chan *Result, 1),
		start: req.StartPath, target: req.URL,
		peer:     peeruid.New("login listener", d.log(), d.peerUID),
		validate: w.validate, onReject: w.rejected, onError: w.failed,
	}
	srv := newACSServer(d.limits, h, d.log())
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	defer shutdown(context.WithoutCancel(ctx), srv)

	d.audit("login.start", map[string]any{"idp": cfg.IDP.EntityID, "sp_entity_id": cfg.SPEntityID, "acs_url": cfg.ACSURL})
	// The request ID stays out of logs: with the RelayState it is what the
	// one-time start link keeps from other users of the host.
	d.log().Debug("saml login started", "acs", cfg.ACSURL)
	_, _ = fmt.Fprintf(out, "Waiting for the IdP's answer on %s (time limit %s)…\n", cfg.ACSURL, cfg.Timeout)
	var opened chan error
	startURL := "http://" + acs.Host + req.StartPath
	if d.NoBrowser {
		printURL(out, startURL, acs.Port())
	} else {
		opened = make(chan error, 1)
		go func() { opened <- d.Opener.Open(ctx, startURL) }()
	}

	timer := time.NewTimer(cfg.Timeout)
	defer timer.Stop()
	for {
		select {
		case err := <-opened:
			opened = nil
			if err != nil {
				_, _ = fmt.Fprintf(out, "Could not open a browser (%v).\n", err)
				printURL(out, startURL, acs.Port())
			}
		case res := <-h.accepted:
			d.audit("assertion.accepted", res.auditFields("browser"))
			d.log().Info("saml response accepted", "issuer", res.Issuer, "assertion_id", res.AssertionID, "roles", len(res.Roles))
			return res, nil
		case rej := <-w.final:
			return nil, fmt.Errorf("login: %w", rej)
		case err := <-w.broken:
			return nil, fmt.Errorf("login: %w", err)
		case err := <-serveErr:
			return nil, fmt.Errorf("login: acs listener: %w", err)
		case <-ctx.Done():
			return nil, fmt.Errorf("login: %w", ctx.Err())
		case <-timer.C:
			if last := w.lastReason(); last != "" {
				return nil, fmt.Errorf("%w (%s); the last response was refused: %s", ErrTimeout, cfg.Timeout, last)
			}
			return nil, fmt.Errorf("%w (%s) without an answer from the IdP", ErrTimeout, cfg.Timeout)
		}
	}
}

// waiter holds what the ACS handler needs to judge and report a POST.
type waiter struct {
	cfg Config
	d   Deps
	req *authnRequest
	out io.Writer

	final chan *RejectedError // the IdP's genuine answer, refused
	// broken carries a failure to check a response that passed every check
	// (the replay cache could not be written): waiting longer cannot help.
	broken chan error

	mu      sync.Mutex
	last    string // reason of the last rejection
	refused int    // non-final rejections so far
}

// shownRefusals is how many refusals are printed one by one; the rest are
// counted (junk POSTed in a loop must not flood the terminal) and every one
// is still audited.
const shownRefusals = 5

func (w *waiter) validate(r *http.Request, samlResponse, relayState string) (*Result, error) {
	return Validate(r.Context(), samlResponse, w.cfg, ValidateOptions{
		RequestID: w.req.ID, RelayState: relayState, WantRelayState: w.req.RelayState,
		Clock: w.d.clock(), Replay: w.d.Replay, RequestedAt: w.req.IssuedAt,
	})
}

func (w *waiter) rejected(rej *RejectedError) {
	w.mu.Lock()
	w.last = rej.Reason
	w.mu.Unlock()
	fields := map[string]any{"reason": rej.Reason, "code": rej.Code}
	if rej.Issuer != "" {
		// Read from a response that failed its checks: what it claims, not
		// what the IdP said; named so that nobody joins on it by mistake.
		fields["claimed_issuer"] = rej.Issuer
	}
	if rej.AssertionID != "" {
		fields["claimed_assertion_id"] = rej.AssertionID
	}
	w.d.audit("assertion.rejected", fields)
	w.d.log().Info("saml response rejected", "code", rej.Code, "reason", rej.Reason)
	if rej.Final {
		select {
		case w.final <- rej:
		default:
		}
		return
	}
	w.mu.Lock()
	w.refused++
	n := w.refused
	w.mu.Unlock()
	switch {
	case n <= shownRefusals:
		_, _ = fmt.Fprintf(w.out, "Refused a SAML response: %s\nStill waiting for the IdP's answer…\n", rej.Reason)
	case n == shownRefusals+1:
		_, _ = fmt.Fprintln(w.out, "More responses are being refused; they are counted here and listed in the audit log (ptsaml audit show --event assertion.rejected).")
	}
}

// summary prints, once the login is over, how many refusals were not shown.
func (w *waiter) summary() {
	w.mu.Lock()
	n := w.refused - shownRefusals
	w.mu.Unlock()
	if n > 0 {
		_, _ = fmt.Fprintf(w.out, "%d more responses were refused; see the audit log (ptsaml audit show --event assertion.rejected).\n", n)
	}
}

func (w *waiter) failed(err error) {
	w.d.log().Debug("saml response check failed", "err", err) // Login returns it
	select {
	case w.broken <- err:
	default:
	}
}

func (w *waiter) lastReason() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}

func printURL(out io.Writer, u, port string) {
	_, _ = fmt.Fprintf(out, "Open this URL in a browser to sign in:\n\n  %s\n\n", u)
	_, _ = fmt.Fprintf(out, "On a remote machine, forward the port from your laptop first: ssh -L %s:127.0.0.1:%s <login-node>\n", port, port)
}

// lockedWriter serialises writes from the handler and Login goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// shutdown lets an in-flight answer (the success page) finish, then closes.
func shutdown(ctx context.Context, srv *http.Server) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
	}
}
