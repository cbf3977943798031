package login

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/testing/otheruser"
)

const (
	otherUID       = otheruser.UID
	helperStartEnv = "LOGIN_TEST_OTHER_USER_START"
	helperACSEnv   = "LOGIN_TEST_OTHER_USER_ACS"
	helperSAMLEnv  = "LOGIN_TEST_OTHER_USER_SAML"
	helperRelayEnv = "LOGIN_TEST_OTHER_USER_RELAY"
)

// TestACSProtectionOtherUser has a process really running as another user
// (uid 65534) open the start link and post the IdP's genuine answer, with
// the system's socket-owner lookup: both are refused (403), the POST is
// audited, and the person's own browser then signs in with that very link
// and answer. It needs root (CI runs as root); elsewhere
// TestLoginRefusesAnotherUsersConnections covers the listener with an
// injected lookup.
func TestACSProtectionOtherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
	bin := otheruser.Binary(t)
	r := startLogin(t, nil, nil)

	if out := runAsOtherUser(t, bin, helperStartEnv+"="+r.start); !strings.Contains(out, "start=403") {
		t.Errorf("the other user's start link: %q, want start=403", out)
	}
	req := r.authnRequest(t) // the link still works for the person's browser
	raw := r.f.build(t, r.f.good(req.ID))
	out := runAsOtherUser(t, bin, helperACSEnv+"="+r.acs, helperSAMLEnv+"="+raw, helperRelayEnv+"="+req.RelayState)
	if !strings.Contains(out, "post=403") {
		t.Errorf("the other user's POST of the genuine answer: %q, want post=403", out)
	}
	rejected := r.audit.find("assertion.rejected")
	if len(rejected) != 1 || rejected[0].fields["code"] != CodeOtherUser ||
		!strings.Contains(fmt.Sprint(rejected[0].fields["reason"]), fmt.Sprintf("uid %d", otherUID)) {
		t.Errorf("assertion.rejected events = %+v", rejected)
	}
	r.waiting(t)
	if got := post(t, r.acs, url.Values{"SAMLResponse": {raw}, "RelayState": {req.RelayState}}, nil); got.code != http.StatusOK {
		t.Fatalf("the person's POST of the same answer: %d %q", got.code, got.body)
	}
	<-r.done
	if r.err != nil || r.res.SAMLResponse != raw {
		t.Fatalf("Login = %v, %v; want the genuine answer", r.res, r.err)
	}
}

// runAsOtherUser runs TestHelperACSOtherUserClient as uid 65534 with env.
func runAsOtherUser(t *testing.T, bin string, env ...string) string {
	t.Helper()
	out, err := otheruser.Command(t, bin, "TestHelperACSOtherUserClient", env...).CombinedOutput()
	if err != nil {
		t.Fatalf("client as uid %d: %v\n%s", otherUID, err, out)
	}
	return string(out)
}

// TestHelperACSOtherUserClient is the client half of
// TestACSProtectionOtherUser: it opens the start link, or posts a response
// to the ACS, and prints the status.
func TestHelperACSOtherUserClient(t *testing.T) {
	start, acs := os.Getenv(helperStartEnv), os.Getenv(helperACSEnv)
	if start == "" && acs == "" {
		t.Skip("helper process only")
	}
	c := &http.Client{
		Transport:     &http.Transport{Proxy: nil},
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var resp *http.Response
	var err error
	what := "start"
	if start != "" {
		resp, err = c.Get(start)
	} else {
		what = "post"
		resp, err = c.PostForm(acs, url.Values{"SAMLResponse": {os.Getenv(helperSAMLEnv)}, "RelayState": {os.Getenv(helperRelayEnv)}})
	}
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	fmt.Printf("%s=%d\n", what, resp.StatusCode)
}
