package submit

import (
	"runtime"
	"syscall"
)

// procAttr puts the job in a process group of its own and has the kernel
// SIGKILL it when the thread that started it ends (ptsaml killed or gone).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// lockThread keeps the calling goroutine on its OS thread until unlock:
// Pdeathsig fires when the starting thread exits, and the Go runtime may end
// an unlocked thread that other goroutines no longer need.
func lockThread() (unlock func()) {
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}
