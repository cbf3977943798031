package peeruid

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
)

// Netlink sock_diag constants (linux/sock_diag.h, linux/inet_diag.h).
const (
	netlinkSockDiag   = 4  // NETLINK_SOCK_DIAG
	sockDiagByFamily  = 20 // SOCK_DIAG_BY_FAMILY
	nlmsgHdrLen       = 16
	inetDiagReqLen    = 56 // struct inet_diag_req_v2
	inetDiagMsgUIDOff = 64 // offset of idiag_uid in struct inet_diag_msg
	inetDiagMsgLen    = 72
)

// diagPeerUID asks the kernel for the one socket whose local end is client
// and remote end is server (a keyed lookup, unlike a /proc/net/tcp scan,
// whose cost grows with every socket on the host). It returns
// ErrNotFound when the kernel answers ENOENT, which is also its answer
// when the tcp_diag module is missing, so callers fall back to /proc then.
func diagPeerUID(client, server netip.AddrPort) (uint32, error) {
	client, server = unmap(client), unmap(server)
	family := byte(syscall.AF_INET6)
	if client.Addr().Is4() && server.Addr().Is4() {
		family = syscall.AF_INET
	}
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, netlinkSockDiag)
	if err != nil {
		return 0, fmt.Errorf("sock_diag socket: %w", err)
	}
	defer func() { _ = syscall.Close(fd) }()
	tv := syscall.Timeval{Sec: 1}
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return 0, fmt.Errorf("sock_diag timeout: %w", err)
	}

	var req [nlmsgHdrLen + inetDiagReqLen]byte
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], sockDiagByFamily)
	ne.PutUint16(req[6:], syscall.NLM_F_REQUEST)
	ne.PutUint32(req[8:], 1) // sequence
	r := req[nlmsgHdrLen:]
	r[0] = family
	r[1] = syscall.IPPROTO_TCP
	ne.PutUint32(r[4:], 0xffffffff) // any state
	id := r[8:]                     // struct inet_diag_sockid
	binary.BigEndian.PutUint16(id[0:], client.Port())
	binary.BigEndian.PutUint16(id[2:], server.Port())
	putDiagAddr(id[4:20], client.Addr())
	putDiagAddr(id[20:36], server.Addr())
	ne.PutUint32(id[40:], 0xffffffff) // INET_DIAG_NOCOOKIE
	ne.PutUint32(id[44:], 0xffffffff)

	if err := syscall.Sendto(fd, req[:], 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return 0, fmt.Errorf("sock_diag send: %w", err)
	}
	var buf [1024]byte
	n, _, err := syscall.Recvfrom(fd, buf[:], 0)
	if err != nil {
		return 0, fmt.Errorf("sock_diag receive: %w", err)
	}
	return parseDiagReply(buf[:n], ne)
}

// putDiagAddr writes an address the way inet_diag_sockid holds it: IPv4 in
// the first four bytes, IPv6 in all sixteen, network order.
func putDiagAddr(dst []byte, a netip.Addr) {
	if a.Is4() {
		b := a.As4()
		copy(dst, b[:])
		return
	}
	b := a.As16()
	copy(dst, b[:])
}

// parseDiagReply reads the uid out of a single inet_diag_msg answer, or
// the error of an NLMSG_ERROR answer.
func parseDiagReply(b []byte, ne binary.ByteOrder) (uint32, error) {
	if len(b) < nlmsgHdrLen {
		return 0, errors.New("sock_diag: short answer")
	}
	switch typ := ne.Uint16(b[4:]); typ {
	case syscall.NLMSG_ERROR:
		if len(b) < nlmsgHdrLen+4 {
			return 0, errors.New("sock_diag: short error answer")
		}
		errno := syscall.Errno(-int32(ne.Uint32(b[nlmsgHdrLen:])))
		if errno == syscall.ENOENT {
			return 0, fmt.Errorf("%w: sock_diag: %w", ErrNotFound, errno)
		}
		return 0, fmt.Errorf("sock_diag: %w", errno)
	case sockDiagByFamily:
		msg := b[nlmsgHdrLen:]
		if len(msg) < inetDiagMsgLen {
			return 0, errors.New("sock_diag: short socket answer")
		}
		if msg[1] == stateTimeWait {
			return 0, fmt.Errorf("%w: socket in TIME_WAIT", ErrNotFound)
		}
		return ne.Uint32(msg[inetDiagMsgUIDOff:]), nil
	default:
		return 0, fmt.Errorf("sock_diag: unexpected answer type %d", typ)
	}
}
