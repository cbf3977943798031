package login

// The login listener's protections, each tried against a real Login on its
// loopback ACS, which must go on waiting and then accept the IdP's genuine
// answer. They run as a set with -run TestACSProtection. The content of SAML
// responses is integration_test/attacks_test.go's business.

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/ptsaml/ptsaml/internal/testing/rawhttp"
)

// request is one raw HTTP/1.1 request to the listener.
func (r *acsRun) request(method, target, host, contentType, body string) string {
	if host == "{addr}" {
		host = r.addr
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, host)
	if contentType != "" {
		fmt.Fprintf(&b, "Content-Type: %s\r\n", contentType)
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	return b.String()
}

const form = "application/x-www-form-urlencoded"

// Only the one random start link redirects to the IdP, once, by GET; every
// other path under /start/ is unknown, and no wrong try uses the link up.
func TestACSProtectionStartLink(t *testing.T) {
	r := startLogin(t, nil, nil)
	link := r.startPath()
	cases := []struct {
		name, method, path string
		want               int
	}{
		{"no random part", http.MethodGet, "/start/", http.StatusNotFound},
		{"no start path at all", http.MethodGet, "/start", http.StatusNotFound},
		{"unknown random part", http.MethodGet, "/start/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", http.StatusNotFound},
		{"prefix of the link", http.MethodGet, link[:len(link)-1], http.StatusNotFound},
		{"link and more", http.MethodGet, link + "x", http.StatusNotFound},
		{"link with a slash", http.MethodGet, link + "/", http.StatusNotFound},
		{"link in capitals", http.MethodGet, "/start/" + strings.ToUpper(strings.TrimPrefix(link, "/start/")), http.StatusNotFound},
		{"root", http.MethodGet, "/", http.StatusNotFound},
		{"POST to the link", http.MethodPost, link, http.StatusMethodNotAllowed},
		{"PUT to the link", http.MethodPut, link, http.StatusMethodNotAllowed},
		{"DELETE of the link", http.MethodDelete, link, http.StatusMethodNotAllowed},
		{"OPTIONS of the link", http.MethodOptions, link, http.StatusMethodNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := rawhttp.Exchange(t, r.addr, r.request(tc.method, tc.path, "{addr}", "", ""))
			if a.Code != tc.want || strings.Contains(string(a.Body), "SAMLRequest") || a.Header.Get("Location") != "" {
				t.Errorf("got %d %q (Location %q), want %d", a.Code, a.Body, a.Header.Get("Location"), tc.want)
			}
			if tc.want == http.StatusMethodNotAllowed && a.Header.Get("Allow") != http.MethodGet {
				t.Errorf("Allow = %q, want GET", a.Header.Get("Allow"))
			}
		})
	}
	r.waiting(t)
	r.authnRequest(t) // the link still works, once
	if a := rawhttp.Exchange(t, r.addr, r.request(http.MethodGet, link, "{addr}", "", "")); a.Code != http.StatusGone {
		t.Errorf("second use of the link: %d, want 410", a.Code)
	}
	if n := r.rejected(); n != 0 {
		t.Errorf("%d rejections audited for requests that were not responses", n)
	}
	r.finish(t)
}

// A POST before the start link was used cannot answer this login (only the
// link leads to its request ID): it is refused and audited, and neither the
// link nor the login is spent.
func TestACSProtectionPostBeforeStartLink(t *testing.T) {
	r := startLogin(t, nil, nil)
	unsolicited := r.f.good("")
	unsolicited.InResponseTo = ""
	posts := map[string]url.Values{
		"junk":                  junk(),
		"IdP-initiated, signed": {"SAMLResponse": {r.f.build(t, unsolicited)}},
		"guessed request ID":    {"SAMLResponse": {r.f.build(t, r.f.good("id-guessed"))}, "RelayState": {"guessed"}},
	}
	for name, form := range posts {
		t.Run(name, func(t *testing.T) {
			if got := post(t, r.acs, form, nil); got.code != http.StatusForbidden {
				t.Errorf("got %d %q, want 403", got.code, got.body)
			}
		})
	}
	if n := r.rejected(); n != len(posts) {
		t.Errorf("%d rejections audited, want %d", n, len(posts))
	}
	r.finish(t)
}

// Two logins at once (two ACS ports): each start link is unknown to the
// other listener, and one login's genuine answer is refused by the other.
func TestACSProtectionOtherLogin(t *testing.T) {
	a, b := startLogin(t, nil, nil), startLogin(t, nil, nil)
	if got := rawhttp.Exchange(t, b.addr, b.request(http.MethodGet, a.startPath(), "{addr}", "", "")); got.Code != http.StatusNotFound {
		t.Errorf("A's start link on B: %d, want 404", got.Code)
	}
	reqA := a.authnRequest(t)
	answerA := url.Values{"SAMLResponse": {a.f.build(t, a.f.good(reqA.ID))}, "RelayState": {reqA.RelayState}}
	if got := post(t, b.acs, answerA, nil); got.code != http.StatusForbidden {
		t.Errorf("A's answer posted to B: %d %q, want 403", got.code, got.body)
	}
	b.finish(t)
	a.finish(t)
}

// The Host must be exactly 127.0.0.1:PORT, for the start link as for the
// ACS; a refused Host reaches neither validation nor the audit log.
func TestACSProtectionHost(t *testing.T) {
	r := startLogin(t, nil, nil)
	_, port, _ := strings.Cut(r.addr, ":")
	other, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, host string
		want       int
	}{
		{"localhost:PORT", "localhost:" + port, http.StatusMisdirectedRequest},
		{"LOCALHOST:PORT", "LOCALHOST:" + port, http.StatusMisdirectedRequest},
		{"rebinding name", "evil.example:" + port, http.StatusMisdirectedRequest},
		{"other port", fmt.Sprintf("127.0.0.1:%d", other+1), http.StatusMisdirectedRequest},
		{"no port", "127.0.0.1", http.StatusMisdirectedRequest},
		{"empty Host", "", http.StatusMisdirectedRequest},
		{"trailing dot", "127.0.0.1.:" + port, http.StatusMisdirectedRequest},
		{"IPv6 loopback", "[::1]:" + port, http.StatusMisdirectedRequest},
		{"port with a leading zero", "127.0.0.1:0" + port, http.StatusMisdirectedRequest},
		{"Unicode lookalike localhoſt", "localhoſt:" + port, http.StatusBadRequest},
		{"fullwidth digits", "１２７.０.０.１:" + port, http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := rawhttp.Exchange(t, r.addr, r.request(http.MethodGet, r.startPath(), tc.host, "", ""))
			acs := rawhttp.Exchange(t, r.addr, r.request(http.MethodPost, "/saml/acs", tc.host, form, junk().Encode()))
			if start.Code != tc.want || acs.Code != tc.want {
				t.Errorf("start link %d, ACS %d; want %d", start.Code, acs.Code, tc.want)
			}
		})
	}
	if n := r.rejected(); n != 0 {
		t.Errorf("%d rejections audited for misdirected requests", n)
	}
	exact := rawhttp.Exchange(t, r.addr, r.request(http.MethodPost, "/saml/acs", "{addr}", form, junk().Encode()))
	if exact.Code != http.StatusForbidden || r.rejected() != 1 {
		t.Errorf("exact Host: %d with %d rejections; want 403, validated and audited", exact.Code, r.rejected())
	}
	r.finish(t) // the start link was never used by a misdirected request
}

// The ACS takes POST only: every other method gets 405 with Allow: POST,
// is not audited and changes nothing.
func TestACSProtectionMethod(t *testing.T) {
	r := startLogin(t, nil, nil)
	for _, method := range []string{
		http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodPatch,
		http.MethodOptions, http.MethodTrace, http.MethodConnect, "post",
	} {
		t.Run(method, func(t *testing.T) {
			a := rawhttp.Exchange(t, r.addr, r.request(method, "/saml/acs", "{addr}", form, junk().Encode()))
			if a.Code != http.StatusMethodNotAllowed || a.Header.Get("Allow") != http.MethodPost {
				t.Errorf("got %d, Allow %q; want 405 with Allow: POST", a.Code, a.Header.Get("Allow"))
			}
		})
	}
	if n := r.rejected(); n != 0 {
		t.Errorf("%d rejections audited for other methods", n)
	}
	r.finish(t)
}

// The start link takes GET only: HEAD (a link checker or prefetcher) and
// every other method get 405 with Allow: GET and do not spend the link.
func TestACSProtectionStartLinkMethod(t *testing.T) {
	r := startLogin(t, nil, nil)
	for _, method := range []string{http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodOptions} {
		t.Run(method, func(t *testing.T) {
			a := rawhttp.Exchange(t, r.addr, r.request(method, r.startPath(), "{addr}", "", ""))
			if a.Code != http.StatusMethodNotAllowed || a.Header.Get("Allow") != http.MethodGet {
				t.Errorf("got %d, Allow %q; want 405 with Allow: GET", a.Code, a.Header.Get("Allow"))
			}
		})
	}
	r.finish(t) // opens the start link: it must still be unspent
}
