package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set at release time with -ldflags "-X github.com/ptsaml/ptsaml/internal/cli.version=…".
var (
	version = "dev"
	commit  = ""
	date    = ""
)

func newCmdVersion(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of ptsaml",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			v := map[string]string{"version": version, "commit": commit, "date": date, "go": runtime.Version()}
			if info, ok := debug.ReadBuildInfo(); ok && v["commit"] == "" {
				for _, s := range info.Settings {
					if s.Key == "vcs.revision" {
						v["commit"] = s.Value
					}
				}
			}
			if f.global.output == "json" {
				return writeJSON(f.Streams.Out, v)
			}
			_, err := fmt.Fprintf(f.Streams.Out, "ptsaml %s (commit %s, %s)\n", v["version"], v["commit"], v["go"])
			return err
		},
	}
}
