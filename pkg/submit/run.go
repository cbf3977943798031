package submit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jonboulle/clockwork"
)

// Job is one child process: its command line, environment (nil means
// ptsaml's own, unclean; pass JobEnv's result), working directory ("" means
// ptsaml's) and standard streams (nil means the null device). Streams that
// are *os.File, such as os.Stdout, are inherited as they are.
type Job struct {
	Argv           []string
	Env            []string
	Dir            string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// RunDeps are Run's collaborators and limits; the zero value works.
type RunDeps struct {
	Clock  clockwork.Clock // grace timers; nil means the wall clock
	Status io.Writer       // lines for people (stderr); nil means none
	Log    *slog.Logger    // nil means no logging
	// Grace is how long the job has to stop after ctx is done (it gets
	// SIGTERM first, then SIGKILL); 0 means 10s.
	Grace time.Duration
	// StrayGrace is how long processes left in the job's group after the job
	// itself exited get between SIGTERM and SIGKILL; 0 means 2s.
	StrayGrace time.Duration
	// Guard is the command line of a watchdog (Linux) that ends the whole
	// job when ptsaml dies without cleaning up; Run appends the job's pgid
	// and ptsaml's pid. The CLI passes its hidden command that calls Guard.
	// nil runs no guard.
	Guard []string
}

func (d RunDeps) withDefaults() RunDeps {
	if d.Clock == nil {
		d.Clock = clockwork.NewRealClock()
	}
	if d.Status == nil {
		d.Status = io.Discard
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Grace <= 0 {
		d.Grace = 10 * time.Second
	}
	if d.StrayGrace <= 0 {
		d.StrayGrace = 2 * time.Second
	}
	return d
}

// Run runs job to its end and returns its exit code: the child's own, or
// 128+N when a signal N killed it.
//
// The child leads a new process group. On Linux it also gets
// PR_SET_PDEATHSIG=SIGKILL, so a SIGKILL of ptsaml kills it (the calling
// goroutine stays locked to its OS thread while the job runs, because the
// kernel ties the death signal to the thread that started the child); the
// child's own workers get SIGTERM/SIGKILL from their parent's exit or from
// the clean-up below.
//
// Signals received on sig are sent to the whole group: SIGTERM and SIGHUP
// (and anything else) as they come. Being in its own group, the job is not
// in the terminal's foreground group, so a Ctrl-C at the terminal reaches
// only ptsaml: the first SIGINT is passed on to the group once, a second one
// kills the group with SIGKILL. (Consequence: a job that reads the terminal,
// e.g. a pdb prompt, is stopped by SIGTTIN; give it no terminal stdin.)
//
// When ctx is done the group gets SIGTERM and, if the job has not ended
// after d.Grace, SIGKILL; Run still waits for the job and returns its code.
//
// After the child has exited, processes still in its group (stray
// DataLoader workers, a background helper) get SIGTERM and, after
// d.StrayGrace, SIGKILL, so a job leaves nothing running. Output pipes still
// held by such strays are closed after d.StrayGrace as well.
//
// Errors are returned only when the job cannot be started; the error wraps
// exec.ErrNotFound when the command does not exist.
func Run(ctx context.Context, job Job, sig <-chan os.Signal, d RunDeps) (int, error) {
	d = d.withDefaults()
	if len(job.Argv) == 0 {
		return 0, errors.New("start job: empty command line")
	}
	path, err := lookPath(job.Argv[0])
	if err != nil {
		return 0, err
	}
	cmd := &exec.Cmd{
		Path: path, Args: job.Argv, Env: job.Env, Dir: job.Dir,
		Stdin: job.Stdin, Stdout: job.Stdout, Stderr: job.Stderr,
		SysProcAttr: procAttr(),
		WaitDelay:   d.StrayGrace,
	}
	unlock := lockThread()
	defer unlock()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", job.Argv[0], err)
	}
	pid := cmd.Process.Pid
	d.Log.Debug("job started", "pid", pid, "command", job.Argv[0])
	stopGuard, err := startGuard(d.Guard, pid)
	if err != nil {
		// The job runs all the same; only a crash of ptsaml could orphan workers.
		d.Log.Warn("could not start the job guard", "err", err)
		stopGuard = func() {}
	}
	defer stopGuard()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	send := func(s syscall.Signal) {
		if err := signalGroup(cmd.Process, s); err != nil {
			d.Log.Debug("signal job", "signal", s, "err", err)
		}
	}
	var (
		ctxDone    = ctx.Done()
		kill       clockwork.Timer
		killC      <-chan time.Time
		interrupts int
	)
	for {
		select {
		case err := <-exited:
			if kill != nil {
				kill.Stop()
			}
			endStrays(cmd.Process, d)
			if cmd.ProcessState == nil {
				return 1, fmt.Errorf("wait for job: %w", err)
			}
			code := exitCode(cmd.ProcessState)
			d.Log.Debug("job ended", "pid", pid, "code", code)
			return code, nil
		case s := <-sig:
			ss, ok := s.(syscall.Signal)
			if !ok {
				continue
			}
			if ss != syscall.SIGINT {
				send(ss)
				continue
			}
			if interrupts++; interrupts == 1 {
				send(syscall.SIGINT)
				fmt.Fprintln(d.Status, "ptsaml: interrupt passed to the job; press Ctrl-C again to kill it")
				continue
			}
			fmt.Fprintln(d.Status, "ptsaml: second interrupt: killing the job")
			send(syscall.SIGKILL)
		case <-ctxDone:
			ctxDone = nil
			send(syscall.SIGTERM)
			kill = d.Clock.NewTimer(d.Grace)
			killC = kill.Chan()
		case <-killC:
			killC = nil
			fmt.Fprintf(d.Status, "ptsaml: the job did not stop within %s: killing it\n", d.Grace)
			send(syscall.SIGKILL)
		}
	}
}

// endStrays ends what is left of the job's process group after the job
// exited: SIGTERM, a poll until the group is empty, SIGKILL after StrayGrace.
// A member that died but is not yet reaped by its new parent (init or a
// subreaper) still counts, so with a slow reaper the wait takes the whole
// grace; the SIGKILL then does no harm.
func endStrays(p *os.Process, d RunDeps) {
	if !groupAlive(p) {
		return
	}
	d.Log.Info("ending processes the job left behind", "pgid", p.Pid)
	if signalGroup(p, syscall.SIGTERM) != nil {
		return
	}
	deadline := d.Clock.Now().Add(d.StrayGrace)
	for d.Clock.Now().Before(deadline) {
		<-d.Clock.After(20 * time.Millisecond)
		if !groupAlive(p) {
			return
		}
	}
	_ = signalGroup(p, syscall.SIGKILL)
}

// lookPath resolves a command name as exec.Command would; a name with a
// path separator is used as it is (relative to Job.Dir).
func lookPath(name string) (string, error) {
	if strings.ContainsRune(name, '/') || strings.ContainsRune(name, filepath.Separator) {
		return name, nil
	}
	path, err := exec.LookPath(name)
	if err == nil {
		return path, nil
	}
	if !errors.Is(err, exec.ErrNotFound) {
		return "", fmt.Errorf("find %s: %w", name, err)
	}
	if strings.HasPrefix(strings.ToLower(name), "python") {
		return "", fmt.Errorf("%s: %w: install Python 3 or set python: in the profile or --python", name, exec.ErrNotFound)
	}
	return "", fmt.Errorf("%s: %w in PATH", name, exec.ErrNotFound)
}
