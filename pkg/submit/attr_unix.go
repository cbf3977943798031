//go:build unix && !linux

package submit

import "syscall"

// procAttr puts the job in a process group of its own. There is no parent
// death signal outside Linux: a SIGKILL of ptsaml leaves the job running.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func lockThread() (unlock func()) { return func() {} }
