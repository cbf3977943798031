package peeruid

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/testing/syncbuf"
)

func currentUID() uint32 { return uint32(os.Getuid()) }

func TestCheck(t *testing.T) {
	cases := []struct {
		name      string
		uid       uint32
		err       error
		code      int
		owner     string // X-Owner header: the uid, or "" when unknown
		wantLog   string
		warnCount int // times wantLog appears over two connections (a refused caller is warned about once)
	}{
		{name: "same user", uid: currentUID(), code: http.StatusOK, owner: fmt.Sprint(currentUID())},
		{name: "other user", uid: currentUID() + 1000, code: http.StatusForbidden, owner: fmt.Sprint(currentUID() + 1000),
			wantLog: "test listener: refused a caller owned by another user", warnCount: 1},
		{name: "socket not listed", err: fmt.Errorf("%w: x", ErrNotFound), code: http.StatusForbidden,
			wantLog: "test listener: refused a caller whose socket could not be found", warnCount: 1},
		{name: "tables unreadable fails open", err: fmt.Errorf("%w: permission denied", ErrUnavailable), code: http.StatusOK,
			wantLog: "test listener: cannot tell which user owns a caller's socket; relying on the token alone", warnCount: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var lookups atomic.Int32
			var sawClient, sawServer atomic.Pointer[netip.AddrPort]
			logs := &syncBuffer{}
			c := New("test listener", slog.New(slog.NewTextHandler(logs, nil)), func(client, server netip.AddrPort) (uint32, error) {
				lookups.Add(1)
				sawClient.Store(&client)
				sawServer.Store(&server)
				return tc.uid, tc.err
			})
			srv := serve(t, c)
			for range 2 {
				client := newClient(t) // one keep-alive connection each
				for range 2 {
					code, owner := get(t, client, srv.URL)
					if code != tc.code || owner != tc.owner {
						t.Errorf("answer = %d, owner %q; want %d, owner %q", code, owner, tc.code, tc.owner)
					}
				}
			}
			if got := lookups.Load(); got != 2 {
				t.Errorf("lookups = %d, want 2 (one per connection)", got)
			}
			server := srv.Listener.Addr().(*net.TCPAddr).AddrPort()
			if got := *sawServer.Load(); got != server {
				t.Errorf("lookup server address = %v, want %v", got, server)
			}
			if cl := *sawClient.Load(); !cl.Addr().IsLoopback() || cl.Port() == server.Port() {
				t.Errorf("lookup client address = %v", cl)
			}
			if n := strings.Count(logs.String(), tc.wantLog); tc.wantLog != "" && n != tc.warnCount {
				t.Errorf("%q logged %d times, want %d:\n%s", tc.wantLog, n, tc.warnCount, logs)
			}
		})
	}
}

// A connection's requests may be served at once (HTTP/2): the lookup still
// runs once and every request sees its verdict.
func TestCheckConcurrentRequestsOneLookup(t *testing.T) {
	var lookups atomic.Int32
	c := New("test listener", nil, func(netip.AddrPort, netip.AddrPort) (uint32, error) {
		lookups.Add(1)
		time.Sleep(10 * time.Millisecond) // let the others pile up behind it
		return currentUID() + 1, nil
	})
	a, b := net.Pipe()
	defer func() { _ = a.Close(); _ = b.Close() }()
	ctx := c.ConnContext(context.Background(), a)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if c.Allowed(ctx) {
				t.Error("another user's connection allowed")
			}
			if uid, ok := c.Owner(ctx); !ok || uid != currentUID()+1 {
				t.Errorf("Owner = %d, %v", uid, ok)
			}
		})
	}
	wg.Wait()
	if n := lookups.Load(); n != 1 {
		t.Errorf("lookups = %d, want 1", n)
	}
}

func TestCheckEdges(t *testing.T) {
	t.Run("nil check allows everyone", func(t *testing.T) {
		var c *Check
		ctx := context.Background()
		if got := c.ConnContext(ctx, nil); got != ctx {
			t.Error("ConnContext changed the context")
		}
		if !c.Allowed(ctx) {
			t.Error("Allowed = false")
		}
		if _, ok := c.Owner(ctx); ok {
			t.Error("Owner known")
		}
	})
	t.Run("a context without ConnContext is refused", func(t *testing.T) {
		c := New("test listener", nil, func(netip.AddrPort, netip.AddrPort) (uint32, error) { return currentUID(), nil })
		if c.Allowed(context.Background()) {
			t.Error("Allowed = true")
		}
		if _, ok := c.Owner(context.Background()); ok {
			t.Error("Owner known")
		}
	})
	t.Run("system lookup serves our own client", func(t *testing.T) {
		if SystemLookup() == nil {
			t.Skip("this platform cannot tell socket owners")
		}
		logs := &syncBuffer{}
		srv := serve(t, New("test listener", slog.New(slog.NewTextHandler(logs, nil)), nil))
		if code, owner := get(t, newClient(t), srv.URL); code != http.StatusOK {
			t.Errorf("status = %d (owner %q); log:\n%s", code, owner, logs)
		}
	})
}

// serve runs a test server that answers 200 to callers c allows and 403 to
// the others, with the owner's uid in X-Owner when known.
func serve(t *testing.T, c *Check) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		allowed := c.Allowed(r.Context())
		if uid, ok := c.Owner(r.Context()); ok {
			w.Header().Set("X-Owner", fmt.Sprint(uid))
		}
		if !allowed {
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	srv.Config.ConnContext = c.ConnContext
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// newClient is a keep-alive client of its own, never proxied.
func newClient(t *testing.T) *http.Client {
	tr := &http.Transport{Proxy: nil}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

func get(t *testing.T, c *http.Client, url string) (code int, owner string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Owner")
}

// syncBuffer is shared with the goroutines of the code under test.
type syncBuffer = syncbuf.Buffer
