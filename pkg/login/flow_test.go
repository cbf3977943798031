package login

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/testing/samltest"
)

// freeACS returns an ACS URL on a loopback port that was free a moment ago.
func freeACS(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr + "/saml/acs"
}

type reply struct {
	code int
	body string
}

// post sends a form to the ACS as a browser would (or with a twist).
func post(t *testing.T, acs string, form url.Values, twist func(*http.Request)) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, acs, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if twist != nil {
		twist(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, string(b)}
}

// browser plays the person's browser: it reads the AuthnRequest from the
// login URL, then runs its script against the ACS.
type browser struct {
	t      *testing.T
	script func(req *samltest.AuthnRequest) error
	done   chan struct{} // closed when the script has run
}

func newBrowser(t *testing.T, script func(req *samltest.AuthnRequest) error) *browser {
	return &browser{t: t, script: script, done: make(chan struct{})}
}

func (b *browser) Open(_ context.Context, loginURL string) error {
	defer close(b.done)
	idpURL, err := samltest.ResolveStart(loginURL)
	if err != nil {
		return err
	}
	req, err := samltest.ParseRedirect(idpURL)
	if err != nil {
		return err
	}
	return b.script(req)
}

func TestLoginKeepsWaitingAfterABadResponse(t *testing.T) {
	acs := freeACS(t)
	f := newFixture(t, acs)
	audit := &recorder{}
	status := &syncBuffer{}
	var bad, good, wrongHost, get, wrongType reply
	var goodRaw string
	b := newBrowser(t, func(req *samltest.AuthnRequest) error {
		if req.ID == "" || req.ACSURL != acs || req.Issuer != testAudience ||
			req.ProtocolBinding != "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" || len(req.RelayState) != 43 {
			return fmt.Errorf("unexpected AuthnRequest %+v", req)
		}
		o := f.good(req.ID)
		o.Audience = "urn:someone:else"
		form := url.Values{"SAMLResponse": {f.build(t, o)}, "RelayState": {req.RelayState}}
		bad = post(t, acs, form, nil)
		wrongHost = post(t, acs, form, func(r *http.Request) { r.Host = "localhost" + r.URL.Host[len("127.0.0.1"):] })
		get = getURL(t, acs)
		wrongType = post(t, acs, form, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") })
		goodRaw = f.build(t, f.good(req.ID))
		good = post(t, acs, url.Values{"SAMLResponse": {goodRaw}, "RelayState": {req.RelayState}}, nil)
		return nil
	})
	res, err := Login(context.Background(), f.cfg, Deps{
		Opener: b, Clock: f.clk, Replay: &MemoryReplayCache{Clock: f.clk}, Audit: audit, Status: status,
	})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	<-b.done
	if res.SAMLResponse != goodRaw || len(res.Roles) != 1 {
		t.Errorf("result = %+v", res)
	}
	if bad.code != http.StatusForbidden || !strings.Contains(bad.body, "Sign-in refused") ||
		!strings.Contains(bad.body, "Audience") || strings.Contains(bad.body, "<saml") {
		t.Errorf("bad response got %d %q", bad.code, bad.body)
	}
	if good.code != http.StatusOK || !strings.Contains(good.body, "Signed in — you can close this tab and return to the terminal") {
		t.Errorf("good response got %d %q", good.code, good.body)
	}
	for name, r := range map[string]struct {
		got  reply
		want int
	}{"wrong host": {wrongHost, http.StatusMisdirectedRequest}, "GET": {get, http.StatusMethodNotAllowed},
		"wrong content type": {wrongType, http.StatusUnsupportedMediaType}} {
		if r.got.code != r.want {
			t.Errorf("%s: status %d, want %d", name, r.got.code, r.want)
		}
	}
	rejected := audit.find("assertion.rejected")
	if len(rejected) != 2 || rejected[0].fields["code"] != CodeAudienceMismatch || rejected[0].fields["reason"] == "" ||
		rejected[0].fields["claimed_issuer"] != f.idp.EntityID || rejected[0].fields["claimed_assertion_id"] == "" {
		t.Errorf("assertion.rejected events = %+v", rejected)
	}
	accepted := audit.find("assertion.accepted")
	if len(accepted) != 1 || accepted[0].fields["assertion_id"] != res.AssertionID || accepted[0].fields["roles"] != 1 ||
		accepted[0].fields["name_id"] != "alice@example.org" {
		t.Errorf("assertion.accepted events = %+v", accepted)
	}
	out := status.String()
	for _, want := range []string{
		"Waiting for the IdP's answer on " + acs + " (time limit 5m0s)…",
		"Refused a SAML response: assertion Audience is",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status %q lacks %q", out, want)
		}
	}
	if conn, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(acs, "/saml/acs"), "http://")); err == nil {
		_ = conn.Close()
		t.Error("listener still open after Login returned")
	}
}

func getURL(t *testing.T, u string) reply {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, string(b)}
}

func TestLoginNoBrowserTimeout(t *testing.T) {
	acs := freeACS(t)
	f := newFixture(t, acs)
	f.cfg.Timeout = 300 * time.Millisecond
	status := &syncBuffer{}
	_, err := Login(context.Background(), f.cfg, Deps{NoBrowser: true, Clock: f.clk, Status: status})
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "300ms") {
		t.Fatalf("err = %v, want ErrTimeout naming the limit", err)
	}
	port := strings.Split(strings.TrimPrefix(acs, "http://127.0.0.1:"), "/")[0]
	for _, want := range []string{"http://127.0.0.1:" + port + "/start/", "ssh -L " + port + ":127.0.0.1:" + port + " <login-node>"} {
		if !strings.Contains(status.String(), want) {
			t.Errorf("status %q lacks %q", status.String(), want)
		}
	}
	// The request ID and RelayState stay off the terminal (and its logs).
	for _, secret := range []string{"SAMLRequest=", "RelayState="} {
		if strings.Contains(status.String(), secret) {
			t.Errorf("status shows %q: %s", secret, status.String())
		}
	}
}

func TestStartLinkRedirectsOnce(t *testing.T) {
	f := newFixture(t, freeACS(t))
	f.cfg.Timeout = 2 * time.Second
	got := make(chan [2]int, 1)
	opener := openerFunc(func(loginURL string) {
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		var codes [2]int
		for i := range codes {
			resp, err := c.Get(loginURL)
			if err != nil {
				t.Errorf("GET start link: %v", err)
				break
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
			if i == 0 && !strings.Contains(resp.Header.Get("Location"), "SAMLRequest=") {
				t.Errorf("first GET redirects to %q, want the IdP with a SAMLRequest", resp.Header.Get("Location"))
			}
		}
		got <- codes
	})
	_, _ = Login(context.Background(), f.cfg, Deps{Opener: opener, Clock: f.clk, Status: &syncBuffer{}})
	if codes := <-got; codes != [2]int{http.StatusFound, http.StatusGone} {
		t.Fatalf("start link answered %v, want [302 410]", codes)
	}
}

// openerFunc runs fn with the login URL in the background.
type openerFunc func(loginURL string)

func (o openerFunc) Open(_ context.Context, loginURL string) error {
	go o(loginURL)
	return nil
}

func TestLoginTimeoutNamesLastRejection(t *testing.T) {
	acs := freeACS(t)
	f := newFixture(t, acs)
	f.cfg.Timeout = time.Second
	b := newBrowser(t, func(req *samltest.AuthnRequest) error {
		form := url.Values{"SAMLResponse": {f.build(t, f.good("id-other"))}, "RelayState": {req.RelayState}}
		post(t, acs, form, nil)
		return nil
	})
	_, err := Login(context.Background(), f.cfg, Deps{Opener: b, Clock: f.clk})
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "another login request") {
		t.Fatalf("err = %v, want ErrTimeout with the last rejection", err)
	}
}

func TestLoginCancelled(t *testing.T) {
	f := newFixture(t, freeACS(t))
	ctx, cancel := context.WithCancel(context.Background())
	b := newBrowser(t, func(*samltest.AuthnRequest) error { cancel(); return nil })
	_, err := Login(ctx, f.cfg, Deps{Opener: b, Clock: f.clk})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestLoginPortBusy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	f := newFixture(t, "http://"+ln.Addr().String()+"/saml/acs")
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	b := newBrowser(t, func(*samltest.AuthnRequest) error { return nil })
	_, err = Login(context.Background(), f.cfg, Deps{Opener: b, Clock: f.clk})
	if err == nil || !strings.Contains(err.Error(), "port "+port+" is busy") || !strings.Contains(err.Error(), "another ptsaml login may be running") {
		t.Fatalf("err = %v, want a busy-port error", err)
	}
	select {
	case <-b.done:
		t.Error("browser opened although the listener could not be bound")
	default:
	}
}

type failingOpener struct{}

func (failingOpener) Open(context.Context, string) error { return errors.New("no display") }

func TestLoginPrintsURLWhenTheBrowserFails(t *testing.T) {
	f := newFixture(t, freeACS(t))
	f.cfg.Timeout = 300 * time.Millisecond
	status := &syncBuffer{}
	_, err := Login(context.Background(), f.cfg, Deps{Opener: failingOpener{}, Clock: f.clk, Status: status})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	for _, want := range []string{"Could not open a browser (no display)", "/start/", "ssh -L "} {
		if !strings.Contains(status.String(), want) {
			t.Errorf("status %q lacks %q", status.String(), want)
		}
	}
}
