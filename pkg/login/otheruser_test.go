package login

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/testing/samltest"
)

// otherUser plays another local user: the lookup injected into Deps reports
// the connections its client opens as owned by uid, and all others as ours.
type otherUser struct {
	uid   uint32
	ports sync.Map // client ports of its connections
}

func (o *otherUser) lookup(client, _ netip.AddrPort) (uint32, error) {
	if _, ok := o.ports.Load(client.Port()); ok {
		return o.uid, nil
	}
	return uint32(os.Getuid()), nil
}

// client does not follow redirects, so a start link's answer is seen as is.
func (o *otherUser) client(t *testing.T) *http.Client {
	var d net.Dialer
	tr := &http.Transport{Proxy: nil, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err == nil {
			o.ports.Store(c.LocalAddr().(*net.TCPAddr).AddrPort().Port(), true)
		}
		return c, err
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport:     tr,
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (o *otherUser) do(t *testing.T, method, target string, form url.Values) reply {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := o.client(t).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, string(b)}
}

// scriptOpener is an Opener that runs fn with the login URL and closes done.
type scriptOpener struct {
	fn   func(loginURL string) error
	done chan struct{}
}

func (o scriptOpener) Open(_ context.Context, loginURL string) error {
	defer close(o.done)
	return o.fn(loginURL)
}

// Another user who reads the start link (it is in the browser command's
// argv) and opens it first is refused, and so is their POST; the person's
// own browser then signs in with the very link and response they tried.
func TestLoginRefusesAnotherUsersConnections(t *testing.T) {
	acs := freeACS(t)
	f := newFixture(t, acs)
	f.cfg.Timeout = 10 * time.Second // a broken script fails in seconds
	other := &otherUser{uid: uint32(os.Getuid()) + 1000}
	audit, status, logs := &recorder{}, &syncBuffer{}, &syncBuffer{}
	var theirStart, theirPost, ownPost reply
	var raw string
	opener := scriptOpener{done: make(chan struct{}), fn: func(loginURL string) error {
		theirStart = other.do(t, http.MethodGet, loginURL, nil)
		idpURL, err := samltest.ResolveStart(loginURL)
		if err != nil {
			return err
		}
		req, err := samltest.ParseRedirect(idpURL)
		if err != nil {
			return err
		}
		raw = f.build(t, f.good(req.ID))
		form := url.Values{"SAMLResponse": {raw}, "RelayState": {req.RelayState}}
		theirPost = other.do(t, http.MethodPost, acs, form)
		ownPost = post(t, acs, form, nil)
		return nil
	}}
	res, err := Login(context.Background(), f.cfg, Deps{
		Opener: opener, Clock: f.clk, Replay: &MemoryReplayCache{Clock: f.clk}, Audit: audit, Status: status,
		Log: slog.New(slog.NewTextHandler(logs, nil)), peerUID: other.lookup,
	})
	if err != nil {
		t.Fatalf("Login: %v\nstatus:\n%s", err, status)
	}
	<-opener.done
	if res.SAMLResponse != raw {
		t.Error("the accepted response is not the one POSTed")
	}
	if theirStart.code != http.StatusForbidden || !strings.Contains(theirStart.body, "belongs to another user") ||
		strings.Contains(theirStart.body, "SAMLRequest") {
		t.Errorf("their start link got %d %q", theirStart.code, theirStart.body)
	}
	reason := fmt.Sprintf("the POST came from another local user's connection (uid %d)", other.uid)
	if theirPost.code != http.StatusForbidden || !strings.Contains(theirPost.body, strings.ReplaceAll(reason, "'", "&#39;")) {
		t.Errorf("their POST got %d %q", theirPost.code, theirPost.body)
	}
	if ownPost.code != http.StatusOK {
		t.Errorf("own POST got %d %q", ownPost.code, ownPost.body)
	}
	rejected := audit.find("assertion.rejected")
	if len(rejected) != 1 || rejected[0].fields["code"] != CodeOtherUser ||
		!strings.HasPrefix(fmt.Sprint(rejected[0].fields["reason"]), reason) {
		t.Errorf("assertion.rejected events = %+v", rejected)
	}
	if want := "Refused a SAML response: " + reason; !strings.Contains(status.String(), want) {
		t.Errorf("status %q lacks %q", status, want)
	}
	if want := "login listener: refused a caller owned by another user\" client=127.0.0.1:"; !strings.Contains(logs.String(), want) ||
		!strings.Contains(logs.String(), fmt.Sprintf("uid=%d", other.uid)) {
		t.Errorf("log lacks the refusal:\n%s", logs)
	}
}
