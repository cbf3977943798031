//go:build !unix

package submit

import (
	"os"
	"syscall"
)

// Without process groups the job is started plainly and only the child
// itself gets signals; everything but SIGKILL is best effort.

func procAttr() *syscall.SysProcAttr { return nil }

func lockThread() (unlock func()) { return func() {} }

func signalGroup(p *os.Process, s syscall.Signal) error {
	if s == syscall.SIGKILL {
		return p.Kill()
	}
	return p.Signal(s)
}

func groupAlive(*os.Process) bool { return false }

func exitCode(ps *os.ProcessState) int { return ps.ExitCode() }
