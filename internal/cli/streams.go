package cli

import (
	"io"
	"os"

	"golang.org/x/term"
)

// Streams are the process's standard streams; tests pass buffers.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// IsTerminal reports whether the user can be asked something on In/Err.
	IsTerminal bool
}

// SystemStreams returns the process's own stdin, stdout and stderr.
func SystemStreams() Streams {
	return Streams{
		In:         os.Stdin,
		Out:        os.Stdout,
		Err:        os.Stderr,
		IsTerminal: term.IsTerminal(int(os.Stdin.Fd())) && term.IsTerminal(int(os.Stderr.Fd())),
	}
}
