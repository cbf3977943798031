package login

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/ptsaml/ptsaml/internal/peeruid"
)

// Limits of the ACS listener. A browser posts the IdP's answer in one go;
// these cut slow, stuck or oversized requests, and each connection costs
// one goroutine until then.
const (
	// maxBody bounds a POST to the ACS: a SAMLResponse is at most 100,000
	// characters, plus RelayState and form encoding. A larger one gets 413.
	maxBody = 256 << 10
	// acsMaxHeaderBytes caps a request's headers; net/http allows 4 KiB of
	// slack over it and answers larger ones with 431 and closes.
	acsMaxHeaderBytes = 16 << 10
	// acsReadHeaderTimeout cuts a client that has not sent its headers in
	// time (slowloris).
	acsReadHeaderTimeout = 10 * time.Second
	// acsReadTimeout cuts a client that has not sent a whole request, body
	// included, in time; it also closes an idle keep-alive connection.
	acsReadTimeout = 30 * time.Second
	// acsWriteTimeout cuts a client that does not read its answer.
	acsWriteTimeout = 30 * time.Second
)

// serverLimits are the ACS server's timeouts. Tests shorten them through
// Deps.limits; Login uses the acs… constants otherwise.
type serverLimits struct {
	ReadHeaderTimeout, ReadTimeout, WriteTimeout time.Duration
}

// newACSServer is the ACS listener's HTTP server: h behind the limits
// above, with the peer check's per-connection record and net/http's own
// errors logged at debug level.
func newACSServer(limits *serverLimits, h *acsHandler, log *slog.Logger) *http.Server {
	lim := serverLimits{acsReadHeaderTimeout, acsReadTimeout, acsWriteTimeout}
	if limits != nil {
		lim = *limits
	}
	return &http.Server{
		Handler:           h,
		ConnContext:       h.peer.ConnContext,
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		ReadTimeout:       lim.ReadTimeout,
		WriteTimeout:      lim.WriteTimeout,
		MaxHeaderBytes:    acsMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

// listen binds the ACS host:port (127.0.0.1 only).
func listen(ctx context.Context, acs *url.URL) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", acs.Host)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("listen on %s: port %s is busy: another ptsaml login may be running (or another program uses the port): %w",
			acs.Host, acs.Port(), err)
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", acs.Host, err)
	}
	return ln, nil
}

// acsHandler receives the IdP's POST. Responses are validated one at a
// time; invalid ones are answered and reported, and the handler keeps
// waiting; the first valid one is sent on accepted.
type acsHandler struct {
	host, path string
	// start is the one-time path that redirects the browser to target.
	start, target string
	// peer refuses connections of other local users (nil: no check).
	peer     *peeruid.Check
	validate func(r *http.Request, samlResponse, relayState string) (*Result, error)
	onReject func(*RejectedError)
	onError  func(error)
	accepted chan *Result // buffered 1

	mu      sync.Mutex
	done    bool
	started bool
}

func (h *acsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Host != h.host {
		http.Error(w, "misdirected request", http.StatusMisdirectedRequest)
		return
	}
	if !h.peer.Allowed(r.Context()) {
		h.refuseOtherUser(w, r)
		return
	}
	if h.start != "" && r.URL.Path == h.start {
		h.redirectOnce(w, r)
		return
	}
	if r.URL.Path != h.path {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	code, rej := h.readForm(w, r)
	if rej != nil {
		h.onReject(rej)
		failurePage(w, code, rej)
		return
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		failurePage(w, http.StatusGone, reject(CodeRequest, "", "this login has already completed"))
		return
	}
	res, err := h.validate(r, r.PostForm.Get("SAMLResponse"), r.PostForm.Get("RelayState"))
	if err != nil {
		if errors.As(err, &rej) {
			h.onReject(rej)
			failurePage(w, http.StatusForbidden, rej)
			return
		}
		h.onError(err)
		failurePage(w, http.StatusInternalServerError, reject(CodeInvalid, "", "ptsaml could not check the response; see the terminal"))
		return
	}
	h.done = true
	successPage(w)
	h.accepted <- res
}

// redirectOnce sends the browser on to the IdP the first time the start
// link is opened, and refuses it afterwards.
func (h *acsHandler) redirectOnce(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet { // a HEAD (a link checker) must not spend the link
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.mu.Lock()
	used := h.started
	h.started = true
	h.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if used {
		failurePage(w, http.StatusGone, reject(CodeRequest, "run ptsaml login again", "this login link was already used"))
		return
	}
	http.Redirect(w, r, h.target, http.StatusFound)
}

// refuseOtherUser answers a caller whose socket belongs to another local
// user (or could not be matched to one) with 403. The start link stays
// unused and the POST unread, so the person's own browser can still use
// them and the login goes on waiting; a POST is reported like any refused
// response (audit, terminal).
func (h *acsHandler) refuseOtherUser(w http.ResponseWriter, r *http.Request) {
	switch {
	case h.start != "" && r.URL.Path == h.start:
		writePage(w, http.StatusForbidden, pageData{
			Title: "Sign-in refused",
			Line:  "This login link belongs to another user of this computer: ptsaml opens it only for a browser run by the user who started the login.",
		})
	case r.URL.Path == h.path && r.Method == http.MethodPost:
		who := "a connection whose owner could not be found"
		if uid, ok := h.peer.Owner(r.Context()); ok {
			who = fmt.Sprintf("another local user's connection (uid %d)", uid)
		}
		rej := reject(CodeOtherUser, "", "the POST came from %s; only the user who started the login may answer it", who)
		h.onReject(rej)
		failurePage(w, http.StatusForbidden, rej)
	default:
		http.Error(w, "forbidden", http.StatusForbidden)
	}
}

// readForm checks the content type and parses a bounded form body.
func (h *acsHandler) readForm(w http.ResponseWriter, r *http.Request) (int, *RejectedError) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return http.StatusUnsupportedMediaType, reject(CodeRequest, "",
			"the POST is not a form (Content-Type %s)", quote(r.Header.Get("Content-Type")))
	}
	if r.ContentLength > maxBody { // refused unread
		return http.StatusRequestEntityTooLarge, tooLarge()
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return http.StatusRequestEntityTooLarge, tooLarge()
		case errors.Is(err, os.ErrDeadlineExceeded):
			return http.StatusRequestTimeout, reject(CodeRequest, "", "the POST's body did not arrive in time")
		}
		return http.StatusBadRequest, reject(CodeRequest, "", "the POST is not a valid form")
	}
	if r.PostForm.Get("SAMLart") != "" || r.URL.Query().Get("SAMLart") != "" {
		return http.StatusBadRequest, reject(CodeArtifact, "configure the IdP to answer with the HTTP-POST binding",
			"the IdP sent a SAML artifact; ptsaml accepts only the HTTP-POST binding")
	}
	if r.PostForm.Get("SAMLResponse") == "" {
		return http.StatusBadRequest, reject(CodeRequest, "", "the POST carries no SAMLResponse")
	}
	return 0, nil
}

func tooLarge() *RejectedError {
	return reject(CodeRequest, "", "the POST is larger than %d bytes", maxBody)
}
