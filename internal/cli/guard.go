package cli

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/ptsaml/ptsaml/pkg/submit"
)

// guardCommand is the hidden command `run` and `exec` start next to a job:
// it ends the job's whole process group if ptsaml dies without cleaning up.
const guardCommand = "__guard"

func newCmdGuard() *cobra.Command {
	return &cobra.Command{
		Use:    guardCommand + " PGID PARENT",
		Hidden: true,
		Args:   cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			pgid, err1 := strconv.Atoi(args[0])
			parent, err2 := strconv.Atoi(args[1])
			if err1 != nil || err2 != nil || pgid <= 1 {
				return fmt.Errorf("%s: want a process group and a parent pid, got %q", guardCommand, args)
			}
			return submit.Guard(cmd.Context(), pgid, parent, 10*time.Second)
		},
	}
}

// guardArgv is the command line of the job guard; empty when ptsaml does not
// know its own executable (in-process tests).
func (f *Factory) guardArgv() []string {
	if f.Executable == "" {
		return nil
	}
	return []string{f.Executable, guardCommand}
}
