package atomicfile

import (
	"os"
	"syscall"
	"time"
)

// machineID returns the boot time (macOS has no PID namespaces, so a host
// name and a boot time name one set of PIDs); exact is false when it cannot
// be read.
func machineID() (id string, exact bool) {
	boot, err := syscall.Sysctl("kern.boottime")
	return boot, err == nil && boot != ""
}

// changed returns the later of fi's modification and status-change times: a
// temporary file whose modification time was set back still has a fresh
// change time.
func changed(fi os.FileInfo) time.Time {
	t := fi.ModTime()
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if c := time.Unix(st.Ctimespec.Unix()); c.After(t) {
			t = c
		}
	}
	return t
}
