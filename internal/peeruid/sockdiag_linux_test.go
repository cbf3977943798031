package peeruid

import (
	"encoding/binary"
	"errors"
	"syscall"
	"testing"
)

func diagAnswer(typ uint16, payload []byte) []byte {
	b := make([]byte, nlmsgHdrLen+len(payload))
	binary.LittleEndian.PutUint32(b[0:], uint32(len(b)))
	binary.LittleEndian.PutUint16(b[4:], typ)
	copy(b[nlmsgHdrLen:], payload)
	return b
}

func diagMsg(state byte, uid uint32) []byte {
	m := make([]byte, inetDiagMsgLen)
	m[0], m[1] = syscall.AF_INET, state
	binary.LittleEndian.PutUint32(m[inetDiagMsgUIDOff:], uid)
	binary.LittleEndian.PutUint32(m[inetDiagMsgUIDOff+4:], 123456) // inode
	return m
}

func diagErr(errno syscall.Errno) []byte {
	p := make([]byte, 4+nlmsgHdrLen)
	binary.LittleEndian.PutUint32(p, uint32(-int32(errno)))
	return p
}

func TestParseDiagReply(t *testing.T) {
	cases := []struct {
		name     string
		answer   []byte
		uid      uint32
		notFound bool
		fails    bool
	}{
		{"established", diagAnswer(sockDiagByFamily, diagMsg(0x01, 1000)), 1000, false, false},
		{"close wait", diagAnswer(sockDiagByFamily, diagMsg(0x08, 1001)), 1001, false, false},
		{"time wait", diagAnswer(sockDiagByFamily, diagMsg(stateTimeWait, 0)), 0, true, true},
		{"no such socket", diagAnswer(syscall.NLMSG_ERROR, diagErr(syscall.ENOENT)), 0, true, true},
		{"not permitted", diagAnswer(syscall.NLMSG_ERROR, diagErr(syscall.EPERM)), 0, false, true},
		{"short message", diagAnswer(sockDiagByFamily, diagMsg(0x01, 1000)[:40]), 0, false, true},
		{"short header", []byte{1, 2, 3}, 0, false, true},
		{"other type", diagAnswer(3, nil), 0, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			uid, err := parseDiagReply(tc.answer, binary.LittleEndian)
			if uid != tc.uid || (err != nil) != tc.fails || errors.Is(err, ErrNotFound) != tc.notFound {
				t.Errorf("parseDiagReply = %d, %v; want uid %d, fails %v, not found %v", uid, err, tc.uid, tc.fails, tc.notFound)
			}
		})
	}
}
