package credserver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"time"
)

// Fixed answers to refused requests. None says more than a person needs to
// fix their call: a wrong token and a missing one read the same.
var (
	replyHost     = newReply(errorBody{Code: "MisdirectedRequest", Message: "ptsaml: this endpoint answers only to the Host of AWS_CONTAINER_CREDENTIALS_FULL_URI (127.0.0.1:PORT)"})
	replyPeer     = newReply(errorBody{Code: "Forbidden", Message: "ptsaml: this endpoint serves only the user who started it"})
	replyPath     = newReply(errorBody{Code: "NotFound", Message: "ptsaml: the only path is " + Path})
	replyMethod   = newReply(errorBody{Code: "MethodNotAllowed", Message: "ptsaml: only GET is allowed"})
	replyBody     = newReply(errorBody{Code: "RequestEntityTooLarge", Message: "ptsaml: a request to this endpoint takes no body"})
	replyToken    = newReply(errorBody{Code: "Unauthorized", Message: "ptsaml: missing or wrong authorization token"})
	replyNotReady = newReply(errorBody{Code: "CredentialsNotReady", Message: "ptsaml: no AWS credentials to serve yet; try again shortly"})
)

var (
	headerJSON    = []string{"application/json"}
	headerNoStore = []string{"no-store"}
	headerAllow   = []string{http.MethodGet}
	headerClose   = []string{"close"}
)

// ServeHTTP answers one request. The order of the checks puts the cheap,
// unauthenticated ones first; only a request that passes all of them sees
// credentials.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 {
		// No request here has a body and none is read: net/http discards
		// at most 256 KiB of one (within ReadTimeout, never kept), and the
		// connection closes after the answer.
		w.Header()["Connection"] = headerClose
	}
	// Exactly the Host of the URL the job was given: a DNS-rebinding page
	// sends its own name, and no SDK rewrites 127.0.0.1 to another name.
	if r.Host != s.hostIP {
		s.refuse(w, reasonHost, http.StatusMisdirectedRequest, replyHost)
		return
	}
	if !s.peer.Allowed(r.Context()) {
		s.refuse(w, reasonPeer, http.StatusForbidden, replyPeer)
		return
	}
	if r.URL.Path != Path {
		s.refuse(w, reasonPath, http.StatusNotFound, replyPath)
		return
	}
	if r.Method != http.MethodGet {
		w.Header()["Allow"] = headerAllow
		s.refuse(w, reasonMethod, http.StatusMethodNotAllowed, replyMethod)
		return
	}
	if r.ContentLength != 0 { // -1: chunked
		s.refuse(w, reasonBody, http.StatusRequestEntityTooLarge, replyBody)
		return
	}
	if !s.authorized(r.Header["Authorization"]) {
		s.refuse(w, reasonToken, http.StatusUnauthorized, replyToken)
		return
	}
	st := s.state.Load()
	if st == nil {
		s.refuse(w, reasonNotReady, http.StatusServiceUnavailable, replyNotReady)
		return
	}
	now := s.clock.Now()
	if !now.Before(st.creds.Expiration) {
		if st.warnedOld.CompareAndSwap(false, true) {
			s.log.Warn("credential endpoint: credentials expired; answering 503 until new ones arrive",
				"expired_at", st.creds.Expiration.UTC().Format(time.RFC3339))
		}
		s.refuse(w, reasonExpired, http.StatusServiceUnavailable, st.expired)
		return
	}
	s.stats.served.Add(1)
	s.stats.lastServed.Store(now.UnixNano())
	write(w, http.StatusOK, st.ok)
}

// authorized compares the one Authorization value with the token in
// constant time. Both sides are hashed first, so the comparison is always
// between equal-length inputs and the token's length does not leak either.
func (s *Server) authorized(values []string) bool {
	if len(values) != 1 {
		return false
	}
	var buf [64]byte // a token fits: no allocation per request
	got := sha256.Sum256(append(buf[:0], values[0]...))
	return subtle.ConstantTimeCompare(got[:], s.digest[:]) == 1
}

func (s *Server) refuse(w http.ResponseWriter, why reason, code int, rep reply) {
	s.stats.refused[why].Add(1)
	if why != reasonExpired && s.log.Enabled(context.Background(), slog.LevelDebug) {
		// Guarded: the arguments would be boxed for every refusal otherwise.
		s.log.Debug("credential endpoint: refused a request", "reason", why.String(), "status", code)
	}
	write(w, code, rep)
}

func write(w http.ResponseWriter, code int, rep reply) {
	h := w.Header()
	h["Content-Type"] = headerJSON
	h["Content-Length"] = rep.length
	h["Cache-Control"] = headerNoStore
	w.WriteHeader(code)
	_, _ = w.Write(rep.body)
}
