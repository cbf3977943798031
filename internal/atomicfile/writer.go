package atomicfile

import (
	"fmt"
	"hash/fnv"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Grace is how long the temporary file or unfinished-write record of a writer
// that looks gone is kept when that look may deceive (see Writer.Abandoned).
// A write takes milliseconds, so a live writer never gets near it.
const Grace = 10 * time.Minute

// MaxAge is the age past which a temporary file or unfinished-write record
// is removed whatever its writer: no write lasts a day, and the writers of
// other hosts cannot be checked at all.
const MaxAge = 24 * time.Hour

// Writer names a process on a host. Temporary files and records of unfinished
// writes carry it, so that a later writer can tell the leftovers of a process
// that died (killed, power cut) from the work of one that is still writing.
type Writer struct {
	// Host is 16 hex digits: a 64-bit hash of the host name and, where they can
	// be read, what tells this boot and this PID namespace apart (on Linux the
	// kernel's boot_id and the PID namespace; on macOS the boot time). Two
	// containers that share a host name but not their PIDs thus get different
	// tags, and one never takes the other's writers for gone.
	Host string
	PID  int
}

type identity struct {
	tag string
	// exact: tag names this boot and PID namespace, so a PID with the same tag
	// that no process has is certainly gone. Without it the tag is the host
	// name's alone and Grace guards against a PID of another namespace.
	exact bool
}

var self = sync.OnceValue(func() identity {
	name, _ := os.Hostname()
	machine, exact := machineID()
	return identity{tag: hostTag(name, machine), exact: exact}
})

// hostTag hashes a host name and a machine identity into a Writer's Host.
func hostTag(hostname, machine string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(hostname))
	if machine != "" {
		_, _ = h.Write([]byte{0})
		_, _ = h.Write([]byte(machine))
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// Self is the calling process.
func Self() Writer { return Writer{Host: self().tag, PID: os.Getpid()} }

// String is "HOST-PID", the form ParseWriter reads.
func (w Writer) String() string { return w.Host + "-" + strconv.Itoa(w.PID) }

// ParseWriter reads the form String writes. It also reads the 8-digit host tags
// of earlier versions, which match no host now, so that what they left is
// removed once a day old.
func ParseWriter(s string) (Writer, bool) {
	host, pid, ok := strings.Cut(s, "-")
	n, err := strconv.Atoi(pid)
	if !ok || (len(host) != 16 && len(host) != 8) || err != nil || n <= 0 {
		return Writer{}, false
	}
	if _, err := strconv.ParseUint(host, 16, 64); err != nil {
		return Writer{}, false
	}
	return Writer{Host: host, PID: n}, true
}

// Abandoned reports whether work w began at began (a temporary file, a record
// of a write in progress) is a leftover that may be removed at now:
//   - anything older than MaxAge (or dated that far in the future) is;
//   - work of the calling process is once it is older than Grace;
//   - work of another host, or of a process that runs (or may run, where
//     processes cannot be checked) is not;
//   - work of a process of this host that no longer runs is, at once when
//     the host tag names this boot and PID namespace, else after Grace.
//
// A reused PID makes a gone writer look alive, which only delays a clean-up.
// The zero Writer (an unreadable name) is judged by age alone.
func (w Writer) Abandoned(began, now time.Time) bool {
	age := now.Sub(began)
	id := self()
	switch {
	case age >= MaxAge || age <= -MaxAge:
		return true
	case w.Host == id.tag && w.PID == os.Getpid():
		return age >= Grace
	case w.Host != id.tag || w.PID <= 0 || processExists(w.PID):
		return false
	}
	return id.exact || age >= Grace
}
