package atomicfile

import (
	"fmt"
	"hash/fnv"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Writer names a process on a host. Temporary files and records of unfinished
// writes carry it, so that a later writer can tell the leftovers of a process
// that died (killed, power cut) from the work of one that is still writing.
type Writer struct {
	Host string // 8 hex digits derived from the host name
	PID  int
}

var hostTag = sync.OnceValue(func() string {
	name, _ := os.Hostname()
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	return fmt.Sprintf("%08x", h.Sum32())
})

// Self is the calling process.
func Self() Writer { return Writer{Host: hostTag(), PID: os.Getpid()} }

// String is "HOST-PID", the form ParseWriter reads.
func (w Writer) String() string { return w.Host + "-" + strconv.Itoa(w.PID) }

// ParseWriter reads the form String writes.
func ParseWriter(s string) (Writer, bool) {
	host, pid, ok := strings.Cut(s, "-")
	n, err := strconv.Atoi(pid)
	if !ok || len(host) != 8 || err != nil || n <= 0 {
		return Writer{}, false
	}
	return Writer{Host: host, PID: n}, true
}

// Gone reports whether w certainly no longer runs: it is on this host, it is
// not the calling process, and no process has its PID. A writer on another
// host (a shared home directory) is never taken for gone; a reused PID makes
// a gone writer look alive, which only delays a clean-up.
func (w Writer) Gone() bool {
	return w.Host == hostTag() && w.PID > 0 && w.PID != os.Getpid() && !processExists(w.PID)
}
