package integration_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/idpmeta"
	"github.com/ptsaml/ptsaml/internal/sandbox"
)

// openerFunc is a login.Opener.
type openerFunc func(ctx context.Context, url string) error

func (f openerFunc) Open(ctx context.Context, url string) error { return f(ctx, url) }

// The IdP's clock is 10 minutes off this machine's: its genuine answer is
// refused with a line naming the skew, audited with the code, and nothing
// is cached. The login then waits for another answer, so the person's
// browser signs in, and once the refusal is in, Ctrl-C ends the login.
func TestLoginRefusesSkewedIdPClock(t *testing.T) {
	tests := []struct {
		name   string
		offset time.Duration // IdP clock minus this machine's
		code   string
		want   []string
	}{
		{"IdP 10m ahead", 10 * time.Minute, "future-issue-instant",
			[]string{"assertion IssueInstant is 10m0s in the future", "about 10m0s behind the IdP's"}},
		{"IdP 10m behind", -10 * time.Minute, "stale",
			[]string{"this machine's clock is about 10m0s ahead of the IdP's", "timedatectl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			if r := e.run("login"); r.code != 0 {
				t.Fatalf("first login: exit %d\n%s", r.code, r.stderr)
			}
			before := storeSnapshot(t, e)
			e.sandbox.SetIdPClockOffset(tt.offset)
			e.signals = make(chan os.Signal, 1)
			signedIn := make(chan error, 1)
			e.useBrowser(openerFunc(func(ctx context.Context, url string) error {
				go func() {
					signedIn <- sandbox.SignIn(ctx, url, "alice", "alice") // returns once the ACS has answered
					e.signals <- syscall.SIGINT
				}()
				return nil
			}))
			r := e.run("login")
			if err := <-signedIn; err == nil {
				t.Error("the ACS accepted the skewed answer")
			}
			if r.code != 2 {
				t.Fatalf("login: exit %d, want 2 (refused, then cancelled)\n%s", r.code, r.stderr)
			}
			var refused []string
			for _, l := range strings.Split(r.stderr, "\n") {
				if s, ok := strings.CutPrefix(l, "Refused a SAML response: "); ok {
					refused = append(refused, s)
				}
			}
			if len(refused) != 1 {
				t.Fatalf("refusal lines = %q, want 1\n%s", refused, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(refused[0], w) {
					t.Errorf("refusal %q does not say %q", refused[0], w)
				}
			}
			rej := auditOf(t, e, "assertion.rejected")
			if len(rej) != 1 || rej[0]["code"] != tt.code || rej[0]["reason"] != refused[0] {
				t.Errorf("assertion.rejected records = %v, want one with code %s and the printed reason", rej, tt.code)
			}
			if n := len(auditOf(t, e, "assertion.accepted")); n != 1 || e.sandbox.STSCalls() != 1 {
				t.Errorf("%d accepted assertions and %d STS calls, want only the first login's", n, e.sandbox.STSCalls())
			}
			assertStoreUnchanged(t, e, before)
		})
	}
}

// metadataProxy serves the sandbox IdP's metadata from a URL of its own,
// which tests can make fail (HTTP status) or stop.
type metadataProxy struct {
	*httptest.Server
	fail     atomic.Int32 // HTTP status to answer instead; 0 = serve
	requests atomic.Int64
}

func newMetadataProxy(t *testing.T, upstream string) *metadataProxy {
	p := &metadataProxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		if st := int(p.fail.Load()); st != 0 {
			http.Error(w, "metadata service down", st)
			return
		}
		resp, err := http.Get(upstream)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *metadataProxy) metadataURL() string { return p.URL + "/saml/metadata" }

// metadataEnv is a sandbox env whose default profile "meta" reads the IdP
// metadata from a proxy.
func metadataEnv(t *testing.T) (*env, *metadataProxy) {
	e := newEnv(t, sandbox.Options{})
	p := newMetadataProxy(t, e.sandbox.MetadataURL())
	r := e.run("configure", "--profile", "meta", "--idp-metadata-url", p.metadataURL(), "--acs-url", e.acsURL,
		"--sts-endpoint", e.sandbox.STSEndpoint(), "--role", trainRole, "--store", "file", "--default")
	if r.code != 0 {
		t.Fatalf("configure: exit %d\n%s", r.code, r.stderr)
	}
	return e, p
}

var breakMetadata = []struct {
	name string
	brk  func(*metadataProxy)
}{
	{"HTTP 500", func(p *metadataProxy) { p.fail.Store(http.StatusInternalServerError) }},
	{"server stopped", func(p *metadataProxy) { p.Close() }},
}

func TestLoginUsesCachedMetadataWhenURLFails(t *testing.T) {
	for _, b := range breakMetadata {
		t.Run(b.name, func(t *testing.T) {
			e, p := metadataEnv(t)
			if r := e.run("login"); r.code != 0 || strings.Contains(r.stderr, "warning:") {
				t.Fatalf("first login: exit %d\n%s", r.code, r.stderr)
			}
			cache := idpmeta.CachePath(filepath.Join(e.vars["XDG_CACHE_HOME"], "ptsaml", "metadata"), p.metadataURL())
			if !fileExists(cache) || p.requests.Load() != 1 {
				t.Fatalf("after the first login: cache file %v, %d metadata requests; want a cache and 1", fileExists(cache), p.requests.Load())
			}
			b.brk(p)
			// A copy younger than a day is used without asking the URL.
			if r := e.run("login"); r.code != 0 || strings.Contains(r.stderr, "warning:") || p.requests.Load() != 1 {
				t.Fatalf("login with a fresh cache: exit %d, %d requests\n%s", r.code, p.requests.Load(), r.stderr)
			}
			e.clock.Advance(25 * time.Hour)
			r := e.run("login")
			if r.code != 0 {
				t.Fatalf("login with the URL down and a cached copy: exit %d\n%s", r.code, r.stderr)
			}
			var warnings []string
			for _, l := range strings.Split(r.stderr, "\n") {
				if strings.HasPrefix(l, "warning: ") {
					warnings = append(warnings, l)
				}
			}
			want := "warning: IdP metadata URL is unreachable, using the cached copy fetched 25h0m0s ago ("
			if len(warnings) != 1 || !strings.HasPrefix(warnings[0], want) {
				t.Errorf("warnings = %q, want one starting %q", warnings, want)
			}
			if n := len(auditOf(t, e, "role.assumed")); n != 3 {
				t.Errorf("role.assumed records = %d, want 3 logins", n)
			}
		})
	}
}

func TestLoginWithoutMetadataOrCacheFails(t *testing.T) {
	for _, b := range breakMetadata {
		t.Run(b.name, func(t *testing.T) {
			e, p := metadataEnv(t)
			b.brk(p)
			r := e.run("login")
			if r.code != 1 {
				t.Fatalf("login: exit %d, want 1\n%s", r.code, r.stderr)
			}
			lines := errorLines(r.stderr)
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "error: idp metadata: the IdP metadata URL is unreachable and no copy is cached (") ||
				!strings.HasSuffix(lines[0], "check the network and the profile's idp_metadata_url, or save the metadata to a file and set idp_metadata_file") {
				t.Errorf("error lines = %q, want one saying the URL is unreachable and what to do", lines)
			}
			if e.browser.opened != 0 || e.sandbox.STSCalls() != 0 || len(storeSnapshot(t, e)) != 0 {
				t.Errorf("browser opened %d times, %d STS calls, store %d files; want none", e.browser.opened, e.sandbox.STSCalls(), len(storeSnapshot(t, e)))
			}
		})
	}
}
