package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ptsaml/ptsaml/pkg/broker"
	"github.com/ptsaml/ptsaml/pkg/login"
)

// Exit codes shared by every command.
const (
	ExitOK            = 0
	ExitError         = 1
	ExitCancelled     = 2
	ExitLoginRequired = 4
)

// ErrLoginRequired means no usable credentials are cached and no login may be
// started here (no terminal and no browser command).
var ErrLoginRequired = broker.ErrLoginRequired

// jobExit carries a job's own exit code through the command layer; the job
// has said what it had to say, so nothing more is printed.
type jobExit struct{ code int }

func (e *jobExit) Error() string { return fmt.Sprintf("job exited with code %d", e.code) }

// hintError carries one line telling the user what to do next.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

func withHint(err error, format string, args ...any) error {
	return &hintError{err: err, hint: fmt.Sprintf(format, args...)}
}

// exitCode reports the code for err and prints it once as "error: …" plus a hint.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	var je *jobExit
	if errors.As(err, &je) {
		return je.code
	}
	code := ExitError
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "cancelled")
		return ExitCancelled
	case errors.Is(err, ErrLoginRequired):
		code = ExitLoginRequired
	}
	fmt.Fprintf(stderr, "error: %s\n", oneLine(err.Error()))
	if h := hintOf(err); h != "" {
		fmt.Fprintf(stderr, "hint: %s\n", h)
	}
	return code
}

func hintOf(err error) string {
	var he *hintError
	if errors.As(err, &he) {
		return he.hint
	}
	var rej *login.RejectedError
	if errors.As(err, &rej) && rej.Hint != "" {
		return rej.Hint
	}
	var hinter interface{ Hint() string }
	if errors.As(err, &hinter) {
		return hinter.Hint()
	}
	return ""
}

// oneLine keeps joined errors readable: one problem per indented line.
func oneLine(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n  ")
}
