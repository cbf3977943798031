package credserver

import (
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/peeruid"
)

func currentUID() uint32 { return uint32(os.Getuid()) }

func TestPeerCheck(t *testing.T) {
	cases := []struct {
		name      string
		allow     bool
		uid       uint32
		err       error
		code      int
		lookups   int32  // per two connections of two requests each
		wantLog   string // in the log
		warnCount int    // times wantLog appears
	}{
		{name: "same user", uid: currentUID(), code: http.StatusOK, lookups: 2},
		{name: "other user", uid: currentUID() + 1000, code: http.StatusForbidden, lookups: 2, wantLog: "owned by another user", warnCount: 2},
		{name: "socket not listed", err: fmt.Errorf("%w: x", peeruid.ErrNotFound), code: http.StatusForbidden, lookups: 2, wantLog: "could not be found", warnCount: 2},
		{name: "proc unreadable fails open", err: fmt.Errorf("%w: permission denied", peeruid.ErrUnavailable), code: http.StatusOK, lookups: 2, wantLog: "relying on the token alone", warnCount: 1},
		{name: "check off", allow: true, uid: currentUID() + 1000, code: http.StatusOK, lookups: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var lookups atomic.Int32
			var sawClient, sawServer atomic.Pointer[netip.AddrPort]
			s, _, logs := start(t, Options{AllowOtherUsers: tc.allow, peerUID: func(client, server netip.AddrPort) (uint32, error) {
				lookups.Add(1)
				sawClient.Store(&client)
				sawServer.Store(&server)
				return tc.uid, tc.err
			}})
			s.Update(testCreds(0, t0.Add(time.Hour)))
			for range 2 {
				c := newClient(t) // one keep-alive connection each
				for range 2 {
					if a := fetch(t, c, s, nil); a.code != tc.code {
						t.Errorf("status = %d, want %d (%s)", a.code, tc.code, a.body)
					}
				}
			}
			if got := lookups.Load(); got != tc.lookups {
				t.Errorf("lookups = %d, want %d (one per connection)", got, tc.lookups)
			}
			if tc.lookups > 0 {
				if srv := *sawServer.Load(); srv != s.Addr() {
					t.Errorf("lookup server address = %v, want %v", srv, s.Addr())
				}
				if cl := *sawClient.Load(); !cl.Addr().IsLoopback() || cl.Port() == s.Addr().Port() {
					t.Errorf("lookup client address = %v", cl)
				}
			}
			if tc.wantLog != "" {
				if n := strings.Count(logs.String(), tc.wantLog); n != tc.warnCount {
					t.Errorf("%q logged %d times, want %d:\n%s", tc.wantLog, n, tc.warnCount, logs)
				}
			}
			wantRefused := uint64(0)
			if tc.code == http.StatusForbidden {
				wantRefused = 4
			}
			if got := s.Stats().Refused[ReasonPeer]; got != wantRefused {
				t.Errorf("Refused[peer] = %d, want %d", got, wantRefused)
			}
		})
	}
}

// With the system's lookup, our own client is served.
func TestServeWithLivePeerCheck(t *testing.T) {
	s, _, logs := start(t, Options{})
	s.Update(testCreds(0, t0.Add(time.Hour)))
	if a := fetch(t, newClient(t), s, nil); a.code != http.StatusOK {
		t.Fatalf("status = %d (%s); log:\n%s", a.code, a.body, logs)
	}
	if s.Stats().Refused[ReasonPeer] != 0 {
		t.Error("our own connection was refused")
	}
}
