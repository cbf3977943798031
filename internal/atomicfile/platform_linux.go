package atomicfile

import (
	"os"
	"strings"
	"syscall"
	"time"
)

// machineID returns the kernel's boot ID and this process's PID namespace;
// exact is false when either cannot be read.
func machineID() (id string, exact bool) {
	boot, err1 := os.ReadFile("/proc/sys/kernel/random/boot_id")
	ns, err2 := os.Readlink("/proc/self/ns/pid")
	id = strings.TrimSpace(string(boot)) + "/" + ns
	return id, err1 == nil && err2 == nil && len(boot) > 1 && ns != ""
}

// changed returns the later of fi's modification and status-change times: a
// temporary file whose modification time was set back still has a fresh
// change time.
func changed(fi os.FileInfo) time.Time {
	t := fi.ModTime()
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if c := time.Unix(st.Ctim.Unix()); c.After(t) {
			t = c
		}
	}
	return t
}
