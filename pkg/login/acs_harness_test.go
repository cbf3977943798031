package login

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/peeruid"
	"github.com/ptsaml/ptsaml/internal/testing/samltest"
)

// acsRun is a Login waiting on its real loopback ACS, driven request by
// request by a test.
type acsRun struct {
	f      *fixture
	acs    string // http://127.0.0.1:PORT/saml/acs
	addr   string // 127.0.0.1:PORT
	start  string // the one-time start link the browser was given
	audit  *recorder
	status *syncBuffer

	done   chan struct{} // closed when Login has returned
	res    *Result
	err    error
	req    *samltest.AuthnRequest // once the start link was used
	reqErr error
	once   sync.Once
}

// startLogin runs Login until the test ends. lim, when set, replaces the
// listener's timeouts; lookup, when set, the socket-owner lookup.
func startLogin(t *testing.T, lim *serverLimits, lookup peeruid.Lookup) *acsRun {
	t.Helper()
	return startLoginDeps(t, func(d *Deps) { d.limits, d.peerUID = lim, lookup })
}

// startLoginDeps runs Login until the test ends, with Deps changed by edit.
func startLoginDeps(t *testing.T, edit func(*Deps)) *acsRun {
	t.Helper()
	acs := freeACS(t)
	r := &acsRun{
		f: newFixture(t, acs), acs: acs, addr: strings.TrimSuffix(strings.TrimPrefix(acs, "http://"), "/saml/acs"),
		audit: &recorder{}, status: &syncBuffer{}, done: make(chan struct{}),
	}
	r.f.cfg.Timeout = time.Minute // a broken test fails on its own checks first
	ctx, cancel := context.WithCancel(context.Background())
	links := make(chan string, 1)
	go func() {
		defer close(r.done)
		d := Deps{
			Opener: linkOpener(links), Clock: r.f.clk, Replay: &MemoryReplayCache{Clock: r.f.clk},
			Audit: r.audit, Status: r.status,
		}
		edit(&d)
		r.res, r.err = Login(ctx, r.f.cfg, d)
	}()
	t.Cleanup(func() { cancel(); <-r.done })
	select {
	case r.start = <-links:
	case <-r.done:
		t.Fatalf("Login returned before opening the browser: %v", r.err)
	}
	return r
}

// linkOpener hands the start link to the test instead of a browser.
type linkOpener chan<- string

func (o linkOpener) Open(_ context.Context, link string) error {
	o <- link
	return nil
}

// startPath is the start link's path, /start/<random>.
func (r *acsRun) startPath() string { return strings.TrimPrefix(r.start, "http://"+r.addr) }

// authnRequest opens the start link once, as the person's browser does, and
// returns the request it leads the IdP to.
func (r *acsRun) authnRequest(t *testing.T) *samltest.AuthnRequest {
	t.Helper()
	r.once.Do(func() {
		idpURL, err := samltest.ResolveStart(r.start)
		if err == nil {
			r.req, err = samltest.ParseRedirect(idpURL)
		}
		r.reqErr = err
	})
	if r.reqErr != nil {
		t.Fatalf("start link: %v", r.reqErr)
	}
	return r.req
}

// waiting fails the test if Login has returned.
func (r *acsRun) waiting(t *testing.T) {
	t.Helper()
	select {
	case <-r.done:
		t.Fatalf("Login returned (%v) while it should still wait", r.err)
	default:
	}
}

// rejected is the number of assertion.rejected audit events so far.
func (r *acsRun) rejected() int { return len(r.audit.find("assertion.rejected")) }

// genuine is the IdP's answer to this login (opening the start link if
// that has not happened yet), and the form that posts it.
func (r *acsRun) genuine(t *testing.T) (raw string, form url.Values) {
	t.Helper()
	req := r.authnRequest(t)
	raw = r.f.build(t, r.f.good(req.ID))
	return raw, url.Values{"SAMLResponse": {raw}, "RelayState": {req.RelayState}}
}

// finish signs in as the person would (start link, then the IdP's genuine
// answer) and checks that the login accepts exactly that answer.
func (r *acsRun) finish(t *testing.T) *Result {
	t.Helper()
	r.waiting(t)
	raw, form := r.genuine(t)
	if got := post(t, r.acs, form, nil); got.code != http.StatusOK {
		t.Fatalf("the genuine answer got %d %q", got.code, got.body)
	}
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		t.Fatal("Login did not return after accepting the genuine answer")
	}
	if r.err != nil || r.res == nil || r.res.SAMLResponse != raw {
		t.Fatalf("Login = %v, %v; want the genuine answer", r.res, r.err)
	}
	return r.res
}

// junk is a form that reaches validation and fails it.
func junk() url.Values { return url.Values{"SAMLResponse": {"PGp1bmsvPg=="}, "RelayState": {"x"}} }
