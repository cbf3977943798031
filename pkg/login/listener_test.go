package login

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/ptsaml/ptsaml/internal/peeruid"
)

func TestACSHandlerRefusesBadPosts(t *testing.T) {
	var mu sync.Mutex
	var codes []string
	h := &acsHandler{
		path:     "/saml/acs",
		accepted: make(chan *Result, 1),
		validate: func(*http.Request, string, string) (*Result, error) {
			return nil, reject(CodeSignature, "", "test rejection")
		},
		onReject: func(r *RejectedError) { mu.Lock(); codes = append(codes, r.Code); mu.Unlock() },
		onError:  func(error) {},
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	h.host = strings.TrimPrefix(srv.URL, "http://")
	acs := srv.URL + "/saml/acs"

	cases := []struct {
		name     string
		target   string
		form     url.Values
		body     string
		wantCode int
		wantRej  string
	}{
		{name: "wrong path", target: srv.URL + "/other", form: url.Values{"SAMLResponse": {"x"}}, wantCode: http.StatusNotFound},
		{name: "artifact", target: acs, form: url.Values{"SAMLart": {"AAQAA"}}, wantCode: http.StatusBadRequest, wantRej: CodeArtifact},
		{name: "no SAMLResponse", target: acs, form: url.Values{"RelayState": {"r"}}, wantCode: http.StatusBadRequest, wantRej: CodeRequest},
		{name: "too large", target: acs, body: "SAMLResponse=" + strings.Repeat("A", maxBody+10), wantCode: http.StatusRequestEntityTooLarge, wantRej: CodeRequest},
		{name: "rejected response", target: acs, form: url.Values{"SAMLResponse": {"x"}}, wantCode: http.StatusForbidden, wantRej: CodeSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mu.Lock()
			codes = nil
			mu.Unlock()
			body := c.body
			if body == "" {
				body = c.form.Encode()
			}
			resp, err := http.Post(c.target, "application/x-www-form-urlencoded", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != c.wantCode {
				t.Errorf("status = %d, want %d", resp.StatusCode, c.wantCode)
			}
			mu.Lock()
			defer mu.Unlock()
			if c.wantRej == "" && len(codes) != 0 || c.wantRej != "" && (len(codes) != 1 || codes[0] != c.wantRej) {
				t.Errorf("rejections = %v, want [%s]", codes, c.wantRej)
			}
		})
	}
}

func TestACSHandlerRefusesOtherUsers(t *testing.T) {
	other := uint32(os.Getuid()) + 1000
	cases := []struct {
		name     string
		uid      uint32
		err      error
		method   string
		path     string
		wantCode int
		wantRej  string
		wantBody string
	}{
		{name: "start link, our user", uid: uint32(os.Getuid()), method: http.MethodGet, path: "/start/abc", wantCode: http.StatusFound},
		{name: "start link, other user", uid: other, method: http.MethodGet, path: "/start/abc", wantCode: http.StatusForbidden,
			wantBody: "This login link belongs to another user of this computer"},
		{name: "POST, other user", uid: other, method: http.MethodPost, path: "/saml/acs", wantCode: http.StatusForbidden, wantRej: CodeOtherUser,
			wantBody: fmt.Sprintf("the POST came from another local user&#39;s connection (uid %d)", other)},
		{name: "POST, socket not found", err: fmt.Errorf("%w: gone", peeruid.ErrNotFound), method: http.MethodPost, path: "/saml/acs",
			wantCode: http.StatusForbidden, wantRej: CodeOtherUser, wantBody: "the POST came from a connection whose owner could not be found"},
		{name: "POST, socket tables unreadable: checked as usual", err: fmt.Errorf("%w: denied", peeruid.ErrUnavailable), method: http.MethodPost,
			path: "/saml/acs", wantCode: http.StatusForbidden, wantRej: CodeSignature, wantBody: "test rejection"},
		{name: "GET ACS, other user", uid: other, method: http.MethodGet, path: "/saml/acs", wantCode: http.StatusForbidden},
		{name: "other path, other user", uid: other, method: http.MethodGet, path: "/favicon.ico", wantCode: http.StatusForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			var codes []string
			h := &acsHandler{
				path: "/saml/acs", start: "/start/abc", target: "https://idp.example.org/sso?SAMLRequest=x",
				peer: peeruid.New("login listener", nil, func(netip.AddrPort, netip.AddrPort) (uint32, error) {
					return c.uid, c.err
				}),
				accepted: make(chan *Result, 1),
				validate: func(*http.Request, string, string) (*Result, error) {
					return nil, reject(CodeSignature, "", "test rejection")
				},
				onReject: func(r *RejectedError) { mu.Lock(); codes = append(codes, r.Code); mu.Unlock() },
				onError:  func(error) {},
			}
			srv := httptest.NewUnstartedServer(h)
			srv.Config.ConnContext = h.peer.ConnContext
			srv.Start()
			defer srv.Close()
			h.host = strings.TrimPrefix(srv.URL, "http://")

			req, err := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(url.Values{"SAMLResponse": {"x"}}.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != c.wantCode || !strings.Contains(string(body), c.wantBody) {
				t.Errorf("answer = %d %q, want %d containing %q", resp.StatusCode, body, c.wantCode, c.wantBody)
			}
			mu.Lock()
			if c.wantRej == "" && len(codes) != 0 || c.wantRej != "" && (len(codes) != 1 || codes[0] != c.wantRej) {
				t.Errorf("rejections = %v, want [%s]", codes, c.wantRej)
			}
			mu.Unlock()
			h.mu.Lock()
			defer h.mu.Unlock()
			if want := c.wantCode == http.StatusFound; h.started != want {
				t.Errorf("start link used = %v, want %v", h.started, want)
			}
		})
	}
}
