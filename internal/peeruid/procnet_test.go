package peeruid

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// Rows as a little-endian Linux prints them.
const (
	rowHeader    = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	rowListen    = "   0: 0100007F:A1B2 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 48410 1 0000000000000000 100 0 0 10 0\n"
	rowClient    = "   1: 0100007F:D431 0100007F:A1B2 01 00000000:00000000 00:00000000 00000000  1001        0 48999 1 0000000000000000 20 4 30 10 -1\n"
	rowServer    = "   2: 0100007F:A1B2 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 48998 1 0000000000000000 20 4 30 10 -1\n"
	rowTimeWait  = "   3: 0100007F:D432 0100007F:A1B2 06 00000000:00000000 03:00000F3A 00000000     0        0 0 3 0000000000000000\n"
	rowOtherIP   = "   4: 0200007F:D433 0100007F:A1B2 01 00000000:00000000 00:00000000 00000000  1003        0 48997 1 0000000000000000 20 4 30 10 -1\n"
	rowV6Header  = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	rowV6Mapped  = "   0: 0000000000000000FFFF00000100007F:D434 0000000000000000FFFF00000100007F:A1B2 01 00000000:00000000 00:00000000 00000000  1004        0 203835 1 0000000023172492 20 4 13 16 -1\n"
	rowV6Loop    = "   1: 00000000000000000000000001000000:D435 00000000000000000000000001000000:A1B3 01 00000000:00000000 00:00000000 00000000  1005        0 203836 1 0000000023172493 20 4 13 16 -1\n"
	rowTruncated = "   5: 0100007F:D436 0100007F:A1B2 01 00000000:00000000 00:00000000\n"
)

func TestParseProcLine(t *testing.T) {
	ap := netip.MustParseAddrPort
	cases := []struct {
		name string
		line string
		want procLine
		ok   bool
	}{
		{"header", rowHeader, procLine{}, false},
		{"v6 header", rowV6Header, procLine{}, false},
		{"listening", rowListen, procLine{local: ap("127.0.0.1:41394"), remote: ap("0.0.0.0:0"), state: 0x0A, uid: 1000}, true},
		{"client side", rowClient, procLine{local: ap("127.0.0.1:54321"), remote: ap("127.0.0.1:41394"), state: 0x01, uid: 1001}, true},
		{"time wait", rowTimeWait, procLine{local: ap("127.0.0.1:54322"), remote: ap("127.0.0.1:41394"), state: 0x06, uid: 0}, true},
		{"other loopback ip", rowOtherIP, procLine{local: ap("127.0.0.2:54323"), remote: ap("127.0.0.1:41394"), state: 0x01, uid: 1003}, true},
		{"v4-mapped", rowV6Mapped, procLine{local: ap("[::ffff:127.0.0.1]:54324"), remote: ap("[::ffff:127.0.0.1]:41394"), state: 0x01, uid: 1004}, true},
		{"v6 loopback", rowV6Loop, procLine{local: ap("[::1]:54325"), remote: ap("[::1]:41395"), state: 0x01, uid: 1005}, true},
		{"truncated", rowTruncated, procLine{}, false},
		{"empty", "\n", procLine{}, false},
		{"bad address", "   0: 0100007G:A1B2 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 1\n", procLine{}, false},
		{"short address", "   0: 01007F:A1B2 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 1\n", procLine{}, false},
		{"port too big", "   0: 0100007F:1A1B2 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 1\n", procLine{}, false},
		{"uid not a number", "   0: 0100007F:A1B2 00000000:0000 0A 00000000:00000000 00:00000000 00000000  10x0 0 1\n", procLine{}, false},
		{"uid too big", "   0: 0100007F:A1B2 00000000:0000 0A 00000000:00000000 00:00000000 00000000  99999999999 0 1\n", procLine{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseProcLine([]byte(tc.line), binary.LittleEndian)
			if ok != tc.ok || got != tc.want {
				t.Errorf("parseProcLine = %+v %v, want %+v %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestFindUID(t *testing.T) {
	ap := netip.MustParseAddrPort
	server := ap("127.0.0.1:41394")
	tcp := rowHeader + rowListen + rowServer + rowTimeWait + rowClient + rowOtherIP + rowTruncated
	cases := []struct {
		name   string
		table  string
		client netip.AddrPort
		server netip.AddrPort
		uid    uint32
		err    error
	}{
		{"client row, not the server's", tcp, ap("127.0.0.1:54321"), server, 1001, nil},
		{"time wait says nothing", tcp, ap("127.0.0.1:54322"), server, 0, ErrNotFound},
		{"ip must match too", tcp, ap("127.0.0.1:54323"), server, 0, ErrNotFound},
		{"other loopback ip", tcp, ap("127.0.0.2:54323"), server, 1003, nil},
		{"unknown port", tcp, ap("127.0.0.1:60000"), server, 0, ErrNotFound},
		{"v4-mapped row, v4 caller", rowV6Header + rowV6Mapped, ap("127.0.0.1:54324"), server, 1004, nil},
		{"v4-mapped row, mapped caller", rowV6Header + rowV6Mapped, ap("[::ffff:127.0.0.1]:54324"), ap("[::ffff:127.0.0.1]:41394"), 1004, nil},
		{"v6", rowV6Header + rowV6Loop, ap("[::1]:54325"), ap("[::1]:41395"), 1005, nil},
		{"empty table", "", ap("127.0.0.1:54321"), server, 0, ErrNotFound},
		{"no final newline", rowHeader + strings.TrimSuffix(rowClient, "\n"), ap("127.0.0.1:54321"), server, 1001, nil},
		{"overlong row skipped", strings.Repeat("x", 100<<10) + "\n" + rowClient, ap("127.0.0.1:54321"), server, 1001, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			uid, err := findUID(strings.NewReader(tc.table), binary.LittleEndian, tc.client, tc.server)
			if uid != tc.uid || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Errorf("findUID = %d, %v; want %d, %v", uid, err, tc.uid, tc.err)
			}
		})
	}
}
