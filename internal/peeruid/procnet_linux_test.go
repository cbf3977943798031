package peeruid

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// dialPair makes a real loopback connection and returns the client's and
// the server's addresses as the server sees them.
func dialPair(t *testing.T, network, addr string) (client, server netip.AddrPort) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("no %s loopback here: %v", network, err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	conn, err := net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	peer, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = peer.Close() })
	return peer.RemoteAddr().(*net.TCPAddr).AddrPort(), peer.LocalAddr().(*net.TCPAddr).AddrPort()
}

func TestProcPeerUIDLive(t *testing.T) {
	cases := []struct{ name, network, addr string }{
		{"ipv4", "tcp4", "127.0.0.1:0"},
		{"ipv6", "tcp6", "[::1]:0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, server := dialPair(t, tc.network, tc.addr)
			uid, err := procPeerUID("/proc/net", client, server)
			if err != nil {
				t.Fatalf("procPeerUID(%v → %v): %v", client, server, err)
			}
			if uid != currentUID() {
				t.Errorf("uid = %d, want ours (%d)", uid, currentUID())
			}
			// A port nobody uses is not found (and not taken for the
			// listener's or the server side's row).
			if _, err := procPeerUID("/proc/net", netip.AddrPortFrom(client.Addr(), 1), server); !errors.Is(err, ErrNotFound) {
				t.Errorf("unknown port: err = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestProcPeerUIDUnreadable(t *testing.T) {
	client, server := dialPair(t, "tcp4", "127.0.0.1:0")
	empty := t.TempDir()
	if _, err := procPeerUID(empty, client, server); !errors.Is(err, ErrUnavailable) {
		t.Errorf("missing tables: err = %v, want ErrUnavailable", err)
	}
	onlyV4 := t.TempDir()
	if err := os.WriteFile(filepath.Join(onlyV4, "tcp"), []byte(rowHeader), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := procPeerUID(onlyV4, client, server); !errors.Is(err, ErrNotFound) {
		t.Errorf("socket not listed: err = %v, want ErrNotFound", err)
	}
}

func TestDiagPeerUIDLive(t *testing.T) {
	cases := []struct{ name, network, addr string }{
		{"ipv4", "tcp4", "127.0.0.1:0"},
		{"ipv6", "tcp6", "[::1]:0"},
		{"ipv4 on a dual-stack socket", "tcp", "[::ffff:127.0.0.1]:0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, server := dialPair(t, tc.network, tc.addr)
			uid, err := diagPeerUID(client, server)
			if err != nil {
				t.Skipf("sock_diag unavailable here (the /proc fallback covers it): %v", err)
			}
			if uid != currentUID() {
				t.Errorf("uid = %d, want ours (%d)", uid, currentUID())
			}
			if _, err := diagPeerUID(netip.AddrPortFrom(client.Addr(), 1), server); !errors.Is(err, ErrNotFound) {
				t.Errorf("unknown port: err = %v, want ErrNotFound", err)
			}
		})
	}
}

// BenchmarkPeerUID compares the two lookups of one live loopback socket;
// the /proc scan grows with the number of sockets on the host.
func BenchmarkPeerUID(b *testing.B) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	conn, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	client := conn.LocalAddr().(*net.TCPAddr).AddrPort()
	server := conn.RemoteAddr().(*net.TCPAddr).AddrPort()
	for _, bc := range []struct {
		name   string
		lookup Lookup
	}{
		{"sock_diag", diagPeerUID},
		{"proc", func(c, s netip.AddrPort) (uint32, error) { return procPeerUID("/proc/net", c, s) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := bc.lookup(client, server); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
