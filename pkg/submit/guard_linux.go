package submit

import (
	"context"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// Guard is the watchdog that ends a job's whole process group when ptsaml
// dies without cleaning up (SIGKILL, OOM killer). The kernel's parent-death
// signal reaches only ptsaml's direct child; torchrun's workers and
// DataLoader processes are grandchildren, so the guard — a small process of
// its own, told by the kernel with SIGTERM when ptsaml goes — sends the
// group SIGTERM, and SIGKILL after grace. ptsaml stops the guard itself when
// the job ends normally.
//
// Guard runs in the guard process: pgid is the job's group, parent ptsaml's
// pid (if ptsaml is already gone at start, the guard acts at once).
func Guard(ctx context.Context, pgid, parent int, grace time.Duration) error {
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT)
	defer signal.Stop(term)
	if os.Getppid() == parent {
		// A signal may arrive as the signal itself or, through the CLI, as
		// a cancelled ctx: either means ptsaml is gone. (ptsaml ends a guard
		// it no longer needs with SIGKILL, which runs none of this.)
		select {
		case <-ctx.Done():
		case <-term:
		}
	}
	if syscall.Kill(-pgid, syscall.SIGTERM) != nil {
		return nil // the group is gone already
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		if syscall.Kill(-pgid, 0) != nil {
			return nil
		}
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	return nil
}

// startGuard starts argv + [pgid, our pid] as the job's guard, in a group of
// its own so that signals to the job's group do not reach it, and with
// SIGTERM as its parent-death signal. It returns a stop function for a
// normal end; nil argv starts nothing.
func startGuard(argv []string, pgid int) (stop func(), err error) {
	if len(argv) == 0 {
		return func() {}, nil
	}
	args := append(append([]string{}, argv[1:]...), strconv.Itoa(pgid), strconv.Itoa(os.Getpid()))
	cmd := exec.Command(argv[0], args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}, nil
}
