package peeruid

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

const (
	otherUID   = 65534 // nobody
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
	bin := copyTestBinary(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	cmd := exec.CommandContext(t.Context(), bin, "-test.run=^TestHelperOtherUserDial$")
	cmd.Env = []string{helperAddr + "=" + ln.Addr().String()}
	cmd.Dir = filepath.Dir(bin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: otherUID, Gid: otherUID}}
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

// copyTestBinary copies the test binary, which lives in a 0700 directory,
// where uid 65534 can run it.
func copyTestBinary(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "peeruid-other-user-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "peeruid.test")
	in, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = in.Close() }()
	w, err := os.OpenFile(bin, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(w, in); err != nil {
		_ = w.Close()
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return bin
}
