package credserver

// The credential endpoint's protections, each tried against the real server
// on 127.0.0.1. They run as a set with -run TestProtection; the other-user
// test (otheruser_linux_test.go) belongs to it.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/testing/rawhttp"
)

// wantRefused checks an answer that must carry no credentials and no token.
func wantRefused(t *testing.T, s *Server, code int, body []byte, want int) {
	t.Helper()
	if code != want {
		t.Errorf("status = %d, want %d (body %s)", code, want, body)
	}
	cur, _ := s.Current()
	for _, secret := range []string{cur.AccessKeyID, cur.SecretAccessKey, cur.SessionToken, s.Token()} {
		if secret != "" && strings.Contains(string(body), secret) {
			t.Errorf("refusal %d carries a secret: %s", code, body)
		}
	}
}

func TestProtectionToken(t *testing.T) {
	s, _, _ := start(t, Options{})
	s.Update(testCreds(0, t0.Add(time.Hour)))
	c := newClient(t)
	generic := fetch(t, c, s, func(r *http.Request) { r.Header.Del("Authorization") })

	cases := []struct {
		name string
		edit func(*http.Request)
	}{
		{"no token", func(r *http.Request) { r.Header.Del("Authorization") }},
		{"empty token", func(r *http.Request) { r.Header.Set("Authorization", "") }},
		{"wrong token", func(r *http.Request) { r.Header.Set("Authorization", "x"+s.Token()[1:]) }},
		{"token prefix", func(r *http.Request) { r.Header.Set("Authorization", s.Token()[:20]) }},
		{"token and more", func(r *http.Request) { r.Header.Set("Authorization", s.Token()+"x") }},
		{"token in other case", func(r *http.Request) { r.Header.Set("Authorization", strings.ToUpper(s.Token())) }},
		{"bearer token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+s.Token()) }},
		{"two tokens", func(r *http.Request) { r.Header.Add("Authorization", s.Token()) }},
		{"token in the query only", func(r *http.Request) {
			r.Header.Del("Authorization")
			r.URL.RawQuery = "token=" + s.Token()
		}},
		{"token in another header", func(r *http.Request) {
			r.Header.Del("Authorization")
			r.Header.Set("X-Aws-Ec2-Metadata-Token", s.Token())
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := s.Stats().Refused[ReasonToken]
			a := fetch(t, c, s, tc.edit)
			wantRefused(t, s, a.code, a.body, http.StatusUnauthorized)
			if string(a.body) != string(generic.body) {
				t.Errorf("body %q differs from the missing-token body %q", a.body, generic.body)
			}
			if after := s.Stats().Refused[ReasonToken]; after != before+1 {
				t.Errorf("Refused[token] = %d, want %d", after, before+1)
			}
		})
	}
	if st := s.Stats(); st.Served != 0 {
		t.Errorf("Served = %d after refusals only", st.Served)
	}
	if a := fetch(t, c, s, nil); a.code != http.StatusOK {
		t.Errorf("the right token then: status %d", a.code)
	}
}

// Two jobs at once, with credentials of different roles: each endpoint
// takes only its own token and serves only its own credentials.
func TestProtectionOtherJob(t *testing.T) {
	a, _, _ := start(t, Options{})
	b, _, _ := start(t, Options{})
	credsA, credsB := testCreds(0, t0.Add(time.Hour)), testCreds(1, t0.Add(2*time.Hour))
	credsA.AccessKeyID, credsB.AccessKeyID = "ASIAROLEATRAINING", "ASIAROLEBEVALUATE"
	a.Update(credsA)
	b.Update(credsB)
	c := newClient(t) // one client for both, as on a shared host
	cases := []struct {
		name      string
		server    *Server
		token     string
		wantCode  int
		wantCreds Credentials
	}{
		{"A's token on A", a, a.Token(), http.StatusOK, credsA},
		{"B's token on B", b, b.Token(), http.StatusOK, credsB},
		{"A's token on B", b, a.Token(), http.StatusUnauthorized, Credentials{}},
		{"B's token on A", a, b.Token(), http.StatusUnauthorized, Credentials{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for range 3 { // keep-alive connections are reused between servers' requests
				got := fetch(t, c, tc.server, func(r *http.Request) { r.Header.Set("Authorization", tc.token) })
				if tc.wantCode != http.StatusOK {
					wantRefused(t, tc.server, got.code, got.body, tc.wantCode)
					other := credsA
					if tc.server == a {
						other = credsB
					}
					if strings.Contains(string(got.body), other.SecretAccessKey) {
						t.Errorf("the other job's secret leaked: %s", got.body)
					}
					continue
				}
				var body containerCredentials
				if err := json.Unmarshal(got.body, &body); err != nil || got.code != http.StatusOK {
					t.Fatalf("status %d body %s (%v)", got.code, got.body, err)
				}
				if body.AccessKeyID != tc.wantCreds.AccessKeyID || body.SecretAccessKey != tc.wantCreds.SecretAccessKey ||
					body.Token != tc.wantCreds.SessionToken {
					t.Errorf("served %+v, want the credentials of %s", body, tc.wantCreds.AccessKeyID)
				}
			}
		})
	}
	for name, s := range map[string]*Server{"A": a, "B": b} {
		if st := s.Stats(); st.Served != 3 || st.Refused[ReasonToken] != 3 {
			t.Errorf("%s: Stats = %+v, want 3 served and 3 refused for the token", name, st)
		}
	}
}

// The Host must be exactly 127.0.0.1:PORT. A DNS-rebinding page sends its
// own name; net/http itself answers 400 to a Host that is not ASCII.
func TestProtectionHost(t *testing.T) {
	s, _, _ := start(t, Options{})
	s.Update(testCreds(0, t0.Add(time.Hour)))
	port := s.Addr().Port()
	addr := s.Addr().String()
	get := func(host string) string {
		return fmt.Sprintf("GET /credentials HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nConnection: close\r\n\r\n", host, s.Token())
	}
	cases := []struct {
		name, request string
		want          int
	}{
		{"exact 127.0.0.1:PORT", get(addr), http.StatusOK},
		{"localhost:PORT", get(fmt.Sprintf("localhost:%d", port)), http.StatusMisdirectedRequest},
		{"LOCALHOST:PORT", get(fmt.Sprintf("LOCALHOST:%d", port)), http.StatusMisdirectedRequest},
		{"rebinding name", get(fmt.Sprintf("evil.example:%d", port)), http.StatusMisdirectedRequest},
		{"rebinding name in capitals", get(fmt.Sprintf("EVIL.EXAMPLE:%d", port)), http.StatusMisdirectedRequest},
		{"other port", get(fmt.Sprintf("127.0.0.1:%d", port+1)), http.StatusMisdirectedRequest},
		{"no port", get("127.0.0.1"), http.StatusMisdirectedRequest},
		{"empty Host", get(""), http.StatusMisdirectedRequest},
		{"trailing dot", get(fmt.Sprintf("127.0.0.1.:%d", port)), http.StatusMisdirectedRequest},
		{"short form 127.1", get(fmt.Sprintf("127.1:%d", port)), http.StatusMisdirectedRequest},
		{"port with a leading zero", get(fmt.Sprintf("127.0.0.1:0%d", port)), http.StatusMisdirectedRequest},
		{"other loopback address", get(fmt.Sprintf("127.0.0.2:%d", port)), http.StatusMisdirectedRequest},
		{"IPv6 loopback", get(fmt.Sprintf("[::1]:%d", port)), http.StatusMisdirectedRequest},
		{"IPv4-mapped IPv6", get(fmt.Sprintf("[::ffff:127.0.0.1]:%d", port)), http.StatusMisdirectedRequest},
		{"Unicode lookalike localhoſt", get(fmt.Sprintf("localhoſt:%d", port)), http.StatusBadRequest},
		{"fullwidth digits", get(fmt.Sprintf("１２７.０.０.１:%d", port)), http.StatusBadRequest},
		{"userinfo trick", get(fmt.Sprintf("127.0.0.1:%d@evil.example", port)), http.StatusBadRequest},
		{"no Host header (HTTP/1.1)", "GET /credentials HTTP/1.1\r\nAuthorization: " + s.Token() + "\r\n\r\n", http.StatusBadRequest},
		{"no Host header (HTTP/1.0)", "GET /credentials HTTP/1.0\r\nAuthorization: " + s.Token() + "\r\n\r\n", http.StatusMisdirectedRequest},
		{"absolute URI of another host", fmt.Sprintf("GET http://evil.example:%d/credentials HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nConnection: close\r\n\r\n",
			port, addr, s.Token()), http.StatusMisdirectedRequest},
		{"two Host headers", fmt.Sprintf("GET /credentials HTTP/1.1\r\nHost: %s\r\nHost: evil.example\r\nAuthorization: %s\r\n\r\n", addr, s.Token()),
			http.StatusBadRequest},
	}
	misdirected := uint64(0)
	for _, tc := range cases {
		if tc.want == http.StatusMisdirectedRequest {
			misdirected++
		}
		t.Run(tc.name, func(t *testing.T) {
			served := s.Stats().Served
			a := rawhttp.Exchange(t, addr, tc.request)
			if tc.want == http.StatusOK {
				if a.Code != http.StatusOK || !strings.Contains(string(a.Body), `"AccessKeyId"`) {
					t.Errorf("got %d %s, want the credentials", a.Code, a.Body)
				}
				return
			}
			wantRefused(t, s, a.Code, a.Body, tc.want)
			if s.Stats().Served != served {
				t.Error("credentials were served")
			}
		})
	}
	if got := s.Stats().Refused[ReasonHost]; got != misdirected {
		t.Errorf("Refused[host] = %d, want %d (net/http refuses the rest itself)", got, misdirected)
	}
}

func TestProtectionPath(t *testing.T) {
	s, _, _ := start(t, Options{})
	s.Update(testCreds(0, t0.Add(time.Hour)))
	c := newClient(t)
	for _, path := range []string{"/", "/credentials/", "/credentials/x", "/CREDENTIALS", "/v2/credentials", "//credentials", "/latest/meta-data/iam/security-credentials/"} {
		t.Run(path, func(t *testing.T) {
			a := fetch(t, c, s, func(r *http.Request) { r.URL.Path = path })
			wantRefused(t, s, a.code, a.body, http.StatusNotFound)
		})
	}
	if st := s.Stats(); st.Served != 0 || st.Refused[ReasonPath] != 7 {
		t.Errorf("Stats = %+v", st)
	}
}
