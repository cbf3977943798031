package peeruid

import (
	"context"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/testing/otheruser"
)

const (
	otherUID   = otheruser.UID
	helperAddr = "PEERUID_TEST_DIAL"
)

// TestOtherUsersSocket has a process running as another user (uid 65534)
// hold a loopback connection open, and looks its owner up every way. It
// needs root; elsewhere the lookups are covered on our own sockets and the
// Check with an injected lookup.
func TestOtherUsersSocket(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
	bin := otheruser.Binary(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	cmd := otheruser.Command(t, bin, "TestHelperOtherUserDial", helperAddr+"="+ln.Addr().String())
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := cmd.Wait(); err != nil {
			t.Errorf("client as uid %d: %v\n%s", otherUID, err, out)
		}
	}()
	_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	conn, err := ln.Accept()
	if err != nil {
		t.Fatalf("accept: %v\n%s", err, out)
	}
	defer func() { _ = conn.Close() }() // lets the client go
	client := conn.RemoteAddr().(*net.TCPAddr).AddrPort()
	server := conn.LocalAddr().(*net.TCPAddr).AddrPort()

	t.Run("sock_diag", func(t *testing.T) {
		uid, err := diagPeerUID(client, server)
		if err != nil {
			t.Skipf("sock_diag unavailable here (the /proc fallback covers it): %v", err)
		}
		if uid != otherUID {
			t.Errorf("uid = %d, want %d", uid, otherUID)
		}
	})
	t.Run("proc", func(t *testing.T) {
		if uid, err := procPeerUID("/proc/net", client, server); err != nil || uid != otherUID {
			t.Errorf("procPeerUID = %d, %v; want %d", uid, err, otherUID)
		}
	})
	t.Run("check", func(t *testing.T) {
		c := New("test listener", nil, nil)
		ctx := c.ConnContext(context.Background(), conn)
		if c.Allowed(ctx) {
			t.Error("another user's connection allowed")
		}
		if uid, ok := c.Owner(ctx); !ok || uid != otherUID {
			t.Errorf("Owner = %d, %v; want %d", uid, ok, otherUID)
		}
	})
}

// TestHelperOtherUserDial is the client half of TestOtherUsersSocket: it
// connects and waits for the server to hang up.
func TestHelperOtherUserDial(t *testing.T) {
	addr := os.Getenv(helperAddr)
	if addr == "" {
		t.Skip("helper process only")
	}
	conn, err := net.DialTimeout("tcp4", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.Copy(io.Discard, conn)
}
