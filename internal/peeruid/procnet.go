package peeruid

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
)

// stateTimeWait is the st column of a TIME_WAIT socket, whose uid column
// always reads 0 and so says nothing about the owner.
const stateTimeWait = 0x06

// procLine is one parsed row of /proc/net/tcp or /proc/net/tcp6.
type procLine struct {
	local, remote netip.AddrPort
	state         uint8
	uid           uint32
}

// findUID scans a /proc/net/tcp{,6} table for the live socket whose local
// address is client and remote address is server (IPv4-mapped addresses
// compare equal to IPv4 ones) and returns its uid column.
func findUID(r io.Reader, order binary.ByteOrder, client, server netip.AddrPort) (uint32, error) {
	client = unmap(client)
	server = unmap(server)
	br := bufio.NewReaderSize(r, 32<<10)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			if pl, ok := parseProcLine(line, order); ok && pl.state != stateTimeWait &&
				unmap(pl.local) == client && unmap(pl.remote) == server {
				return pl.uid, nil
			}
		}
		switch {
		case err == io.EOF:
			return 0, ErrNotFound
		case errors.Is(err, bufio.ErrBufferFull):
			// A row longer than the buffer is not a socket row: skip its rest.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err == io.EOF {
				return 0, ErrNotFound
			}
		case err != nil:
			return 0, fmt.Errorf("read socket table: %w", err)
		}
	}
}

// parseProcLine parses "sl local rem st tx:rx tr:when retrnsmt uid …";
// ok is false for the header and malformed rows. Addresses are printed
// word by word in the kernel's byte order, hence order.
func parseProcLine(line []byte, order binary.ByteOrder) (procLine, bool) {
	var f [8][]byte
	rest := line
	for i := range f {
		f[i], rest = nextField(rest)
		if f[i] == nil {
			return procLine{}, false
		}
	}
	if !bytes.HasSuffix(f[0], []byte(":")) {
		return procLine{}, false
	}
	local, ok1 := parseProcAddr(f[1], order)
	remote, ok2 := parseProcAddr(f[2], order)
	st, ok3 := parseUint(f[3], 16, 8)
	uid, ok4 := parseUint(f[7], 10, 32)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return procLine{}, false
	}
	return procLine{local: local, remote: remote, state: uint8(st), uid: uint32(uid)}, true
}

// parseProcAddr parses "0100007F:1F90" (IPv4) or 32 hex digits and a port
// (IPv6).
func parseProcAddr(b []byte, order binary.ByteOrder) (netip.AddrPort, bool) {
	i := bytes.IndexByte(b, ':')
	if i < 0 {
		return netip.AddrPort{}, false
	}
	hexIP, hexPort := b[:i], b[i+1:]
	port, ok := parseUint(hexPort, 16, 16)
	if !ok || len(hexIP)%8 != 0 {
		return netip.AddrPort{}, false
	}
	var raw [16]byte
	words := len(hexIP) / 8
	if words != 1 && words != 4 {
		return netip.AddrPort{}, false
	}
	for w := range words {
		v, ok := parseUint(hexIP[w*8:w*8+8], 16, 32)
		if !ok {
			return netip.AddrPort{}, false
		}
		order.PutUint32(raw[w*4:], uint32(v))
	}
	var ip netip.Addr
	if words == 1 {
		ip = netip.AddrFrom4([4]byte(raw[:4]))
	} else {
		ip = netip.AddrFrom16(raw)
	}
	return netip.AddrPortFrom(ip, uint16(port)), true
}

// nextField returns the first space-separated field of b and what follows;
// field is nil when b holds no more fields.
func nextField(b []byte) (field, rest []byte) {
	start := 0
	for start < len(b) && isSpace(b[start]) {
		start++
	}
	end := start
	for end < len(b) && !isSpace(b[end]) {
		end++
	}
	if start == end {
		return nil, nil
	}
	return b[start:end], b[end:]
}

// parseUint parses b in base 10 or 16 into at most bits bits, without the
// allocation strconv would make for each of the many rows scanned.
func parseUint(b []byte, base uint64, bits int) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		var d uint64
		switch {
		case '0' <= c && c <= '9':
			d = uint64(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = uint64(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, false
		}
		v = v*base + d
		if v>>bits != 0 {
			return 0, false
		}
	}
	return v, true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
