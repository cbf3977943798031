package integration_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/sandbox"
	"github.com/ptsaml/ptsaml/internal/testing/samltest"
)

// forger posts hostile responses, signed with the sandbox IdP's own key
// unless a case says otherwise, to the ACS of a waiting login.
type forger struct {
	t   *testing.T
	e   *env
	idp *samltest.IdP

	mu       sync.Mutex
	statuses map[string]int // case -> HTTP status the ACS answered
}

func newForger(e *env) *forger {
	key, cert := e.sandbox.SigningKey()
	return &forger{t: e.t, e: e, statuses: map[string]int{},
		idp: &samltest.IdP{EntityID: e.sandbox.MetadataURL(), SSOURL: e.sandbox.URL() + "/saml/sso", Key: key, Cert: cert}}
}

// goodOptions is a response the login would accept for req.
func (f *forger) goodOptions(req *samltest.AuthnRequest) samltest.Options {
	return samltest.Options{
		Now:          f.e.clock.Now(),
		InResponseTo: req.ID,
		Destination:  f.e.acsURL,
		Recipient:    f.e.acsURL,
		NameID:       "mallory",
		Roles:        []string{trainRole + "," + sandbox.ProviderARN},
	}
}

func (f *forger) post(name, loginURL string, mod func(*samltest.Options, *samltest.AuthnRequest)) {
	req, err := samltest.ParseRedirect(loginURL)
	if err != nil {
		f.t.Errorf("%s: %v", name, err)
		return
	}
	o := f.goodOptions(req)
	relay := req.RelayState
	mod(&o, req)
	if o.InResponseTo == "wrong-relay-state" {
		o.InResponseTo, relay = req.ID, "not-the-relay-state"
	}
	body, err := f.idp.BuildBase64(o)
	if err != nil {
		f.t.Errorf("%s: build: %v", name, err)
		return
	}
	resp, err := http.PostForm(f.e.acsURL, url.Values{"SAMLResponse": {body}, "RelayState": {relay}})
	if err != nil {
		f.t.Errorf("%s: post: %v", name, err)
		return
	}
	resp.Body.Close()
	f.mu.Lock()
	f.statuses[name] = resp.StatusCode
	f.mu.Unlock()
}

func TestHostileResponsesAreRefusedAndTheGenuineOneStillWins(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	if r := e.run("login"); r.code != 0 {
		t.Fatalf("first login: exit %d\n%s", r.code, r.stderr)
	}

	fg := newForger(e)
	foreignKey, foreignCert, err := samltest.NewKeyPair("attacker", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// The replay case reuses the assertion ID of a response accepted earlier.
	replayID := "id-accepted-once"
	cases := []struct {
		name   string
		reason string // a word of the one-line reason on the terminal
		mod    func(*samltest.Options, *samltest.AuthnRequest)
	}{
		{"forged signature", "signature", func(o *samltest.Options, _ *samltest.AuthnRequest) {
			o.ForeignKey, o.ForeignCert = foreignKey, foreignCert
		}},
		{"replayed assertion", "already", func(o *samltest.Options, _ *samltest.AuthnRequest) { o.AssertionID = replayID }},
		{"unsolicited response", "unsolicited", func(o *samltest.Options, _ *samltest.AuthnRequest) { o.InResponseTo = "" }},
		{"expired assertion", "expired", func(o *samltest.Options, _ *samltest.AuthnRequest) {
			o.IssueInstant = o.Now.Add(-80 * time.Second)
			o.NotOnOrAfter = o.Now.Add(-10 * time.Second)
		}},
		{"wrong audience", "audience", func(o *samltest.Options, _ *samltest.AuthnRequest) { o.Audience = "urn:example:other-sp" }},
		{"wrong recipient", "recipient", func(o *samltest.Options, _ *samltest.AuthnRequest) {
			o.Recipient = "http://127.0.0.1:1/saml/acs"
			o.Destination = ""
		}},
		{"wrong relay state", "relaystate", func(o *samltest.Options, _ *samltest.AuthnRequest) { o.InResponseTo = "wrong-relay-state" }},
	}

	// Accept replayID once, through a login that takes the forged-but-valid
	// response: that is what an attacker would later replay.
	b := &scriptedBrowser{run: func(ctx context.Context, loginURL string) {
		fg.post("accepted once", loginURL, func(o *samltest.Options, _ *samltest.AuthnRequest) { o.AssertionID = replayID })
	}}
	e.useBrowser(b)
	if r := e.run("login"); r.code != 0 {
		t.Fatalf("login with a response to replay later: exit %d\n%s", r.code, r.stderr)
	}
	stsAfterSetup := e.sandbox.STSCalls()
	before := e.run("credential-process").stdout

	// Only hostile responses: the login times out, nothing is cached or exchanged.
	hostileOnly := &scriptedBrowser{run: func(ctx context.Context, loginURL string) {
		for _, c := range cases {
			fg.post(c.name, loginURL, c.mod)
		}
	}}
	e.useBrowser(hostileOnly)
	r := e.run("login", "--timeout", "3s")
	hostileOnly.wait()
	if r.code != 1 || !strings.Contains(r.stderr, "time limit") {
		t.Fatalf("login with only hostile responses: exit %d\n%s", r.code, r.stderr)
	}
	for _, c := range cases {
		if got := fg.status(c.name); got != http.StatusForbidden {
			t.Errorf("%s: ACS answered %d, want 403", c.name, got)
		}
	}
	// The terminal shows the first refusals and counts the rest; the audit
	// log has every reason, in order.
	if shown := refusals(r.stderr); len(shown) != terminalRefusals ||
		!strings.Contains(r.stderr, fmt.Sprintf("%d more responses were refused", len(cases)-terminalRefusals)) {
		t.Errorf("terminal shows %d refusals and no count of the rest:\n%s", len(shown), r.stderr)
	}
	var reasons []string
	for _, rej := range auditRejections(t, e) {
		reasons = append(reasons, rej.Reason)
	}
	t.Logf("refusals:\n%s", strings.Join(reasons, "\n"))
	if len(reasons) != len(cases) {
		t.Fatalf("%d refusals audited, want %d:\n%s", len(reasons), len(cases), r.stderr)
	}
	distinct := map[string]bool{}
	for i, c := range cases {
		if !strings.Contains(strings.ReplaceAll(strings.ToLower(reasons[i]), " ", ""), c.reason) {
			t.Errorf("%s: reason %q does not mention %q", c.name, reasons[i], c.reason)
		}
		distinct[reasons[i]] = true
	}
	if len(distinct) != len(cases) {
		t.Errorf("reasons are not distinct: %q", reasons)
	}
	if after := e.run("credential-process").stdout; after != before {
		t.Fatal("the cached credentials changed after hostile responses")
	}
	if e.sandbox.STSCalls() != stsAfterSetup {
		t.Fatal("a hostile response reached STS")
	}
	audit := auditEvents(t, e)
	if got := audit["assertion.rejected"]; got != len(cases) {
		t.Fatalf("audit has %d assertion.rejected lines, want %d", got, len(cases))
	}

	// Hostile responses first, then the genuine sign-in: the genuine one wins.
	e.useBrowser(&scriptedBrowser{run: func(ctx context.Context, loginURL string) {
		for _, c := range cases {
			fg.post(c.name, loginURL, c.mod)
		}
		_ = sandbox.SignIn(ctx, loginURL, "alice", "alice")
	}})
	r = e.run("login")
	if r.code != 0 {
		t.Fatalf("genuine login after hostile responses: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "user:     alice") {
		t.Fatalf("the accepted login is not alice's:\n%s", r.stderr)
	}
	if got := auditEvents(t, e)["assertion.rejected"]; got != 2*len(cases) {
		t.Fatalf("audit has %d assertion.rejected lines, want %d", got, 2*len(cases))
	}
}

// scriptedBrowser runs a script against the login URL in the background.
type scriptedBrowser struct {
	run func(ctx context.Context, loginURL string)
	wg  sync.WaitGroup
}

func (s *scriptedBrowser) Open(ctx context.Context, loginURL string) error {
	idpURL, err := samltest.ResolveStart(loginURL)
	if err != nil {
		return err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.run(context.WithoutCancel(ctx), idpURL)
	}()
	return nil
}

// wait returns when every script started by Open has finished.
func (s *scriptedBrowser) wait() { s.wg.Wait() }

func (f *forger) status(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.statuses[name]
}

func refusals(stderr string) []string {
	var out []string
	for _, line := range strings.Split(stderr, "\n") {
		if r, ok := strings.CutPrefix(line, "Refused a SAML response: "); ok {
			out = append(out, r)
		}
	}
	return out
}

func auditEvents(t *testing.T, e *env) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, e.statePath("audit.log"))), "\n") {
		var ev struct {
			Event string `json:"event"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		counts[ev.Event]++
	}
	return counts
}
