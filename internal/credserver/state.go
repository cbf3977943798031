package credserver

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
)

// state is one immutable set of credentials with its answers marshalled in
// advance, so serving is a pointer load and a write.
type state struct {
	creds     Credentials
	ok        reply // 200
	expired   reply // 503 once creds.Expiration has passed
	warnedOld atomic.Bool
}

// reply is a pre-built JSON answer.
type reply struct {
	body   []byte
	length []string // Content-Length header value
}

func newReply(v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		// Only strings and a formatted time are marshalled: this cannot fail.
		panic(fmt.Sprintf("credential endpoint: marshal reply: %v", err))
	}
	return reply{body: b, length: []string{strconv.Itoa(len(b))}}
}

// containerCredentials is the container-credentials answer botocore and
// aws-sdk-go-v2 read.
type containerCredentials struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	Expiration      string `json:"Expiration"`
}

// errorBody is the answer to a refused request; botocore shows it verbatim.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Update offers new credentials. They replace the current ones only when
// they expire later, so a stale re-read never replaces fresher credentials;
// it reports whether the served credentials changed. Credentials without an
// access key ID, a secret or an expiration are ignored.
func (s *Server) Update(c Credentials) bool {
	if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.Expiration.IsZero() {
		s.log.Warn("credential endpoint: ignored incomplete credentials",
			"has_access_key", c.AccessKeyID != "", "has_secret", c.SecretAccessKey != "", "expiration", c.Expiration)
		return false
	}
	var next *state
	for {
		old := s.state.Load()
		if old != nil && !c.Expiration.After(old.creds.Expiration) {
			return false
		}
		if next == nil {
			next = s.newState(c)
		}
		if s.state.CompareAndSwap(old, next) {
			s.log.Info("credential endpoint: serving new credentials", "expiration", c.Expiration.UTC().Format(time.RFC3339))
			return true
		}
	}
}

// Current returns the credentials being served (even when expired) and
// false before the first successful Update.
func (s *Server) Current() (Credentials, bool) {
	st := s.state.Load()
	if st == nil {
		return Credentials{}, false
	}
	return st.creds, true
}

func (s *Server) newState(c Credentials) *state {
	return &state{
		creds: c,
		ok: newReply(containerCredentials{
			AccessKeyID:     c.AccessKeyID,
			SecretAccessKey: c.SecretAccessKey,
			Token:           c.SessionToken,
			Expiration:      c.Expiration.UTC().Format(time.RFC3339),
		}),
		expired: newReply(errorBody{Code: "ExpiredCredentials", Message: s.expired(c)}),
	}
}

func defaultExpired(last Credentials) string {
	return fmt.Sprintf("ptsaml: the AWS credentials served to this job expired at %s; run `ptsaml login` and the job continues",
		last.Expiration.UTC().Format("15:04 MST"))
}
