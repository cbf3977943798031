//go:build unix

package submit

import (
	"os"
	"syscall"
)

// signalGroup sends s to every process in the job's group (pgid = job's pid).
func signalGroup(p *os.Process, s syscall.Signal) error {
	return syscall.Kill(-p.Pid, s)
}

// groupAlive reports whether the job's process group still has a member
// that ptsaml may signal. The pgid cannot name another group while one of
// the job's processes still has it: the kernel does not reuse it as a pid.
func groupAlive(p *os.Process) bool {
	return syscall.Kill(-p.Pid, 0) == nil
}

// exitCode is the process's exit status, or 128+N when signal N killed it.
func exitCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
