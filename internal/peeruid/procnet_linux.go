package peeruid

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
)

// SystemLookup asks the kernel for the caller's socket over netlink
// sock_diag (a keyed lookup, microseconds) and, when that gives no answer,
// scans /proc/net/tcp and /proc/net/tcp6, the authoritative fallback. It
// is nil on platforms that cannot tell socket owners (all but Linux).
func SystemLookup() Lookup {
	return func(client, server netip.AddrPort) (uint32, error) {
		if uid, err := diagPeerUID(client, server); err == nil {
			return uid, nil
		}
		return procPeerUID("/proc/net", client, server)
	}
}

// procPeerUID returns the owner of the socket whose local address is client
// and remote address is server, from the tables under dir. An IPv4 caller
// is looked for in tcp, then in tcp6 (a dual-stack socket lists it as
// ::ffff:a.b.c.d); an IPv6 caller in tcp6. It returns an error wrapping
// ErrUnavailable when the first table cannot be read, and ErrNotFound when
// no table lists the socket.
func procPeerUID(dir string, client, server netip.AddrPort) (uint32, error) {
	tables := []string{"tcp6"}
	if client.Addr().Unmap().Is4() {
		tables = []string{"tcp", "tcp6"}
	}
	for i, name := range tables {
		uid, err := scanTable(filepath.Join(dir, name), client, server)
		if err == nil {
			return uid, nil
		}
		if !errors.Is(err, ErrNotFound) && i == 0 {
			return 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
	}
	return 0, fmt.Errorf("%w: %s → %s", ErrNotFound, client, server)
}

func scanTable(path string, client, server netip.AddrPort) (uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer func() { _ = f.Close() }()
	return findUID(f, binary.NativeEndian, client, server)
}
