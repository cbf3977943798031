// Package cli is ptsaml's command layer: it parses flags and environment, wires
// the real implementations together and calls into pkg/login, pkg/broker and
// pkg/submit. It is the only package that imports cobra.
package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ptsaml/ptsaml/internal/config"
)

// globalOptions are the flags every command accepts.
type globalOptions struct {
	profile        string
	configPath     string
	verbose        int
	output         string
	nonInteractive bool
}

// Main runs ptsaml with args and returns the process exit code. The first
// signal from sigs cancels the command; `run` and `exec` pass them to the job.
func Main(ctx context.Context, args []string, streams Streams, sigs <-chan os.Signal) int {
	f := NewFactory(streams)
	f.Signals = sigs
	f.Abort = os.Exit
	return f.Run(ctx, args)
}

// Run executes one command line with this factory's dependencies.
func (f *Factory) Run(ctx context.Context, args []string) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f.jobSignals = make(chan os.Signal, 8)
	if f.Signals != nil {
		done := make(chan struct{})
		defer close(done)
		go f.relaySignals(done, cancel)
	}
	root := newRootCmd(f)
	root.SetArgs(args)
	root.SetIn(f.Streams.In)
	root.SetOut(f.Streams.Out)
	root.SetErr(f.Streams.Err)
	err := root.ExecuteContext(ctx)
	if err != nil && ctx.Err() != nil && !errors.Is(err, context.Canceled) {
		err = fmt.Errorf("%w: %w", context.Canceled, err)
	}
	return exitCode(err, f.Streams.Err)
}

func newRootCmd(f *Factory) *cobra.Command {
	g := &f.global
	root := &cobra.Command{
		Use:   "ptsaml",
		Short: "AWS credentials from SAML single sign-on, kept fresh for training jobs",
		Long: `ptsaml signs you in through your organisation's SAML identity provider in your
normal browser, exchanges the assertion with AWS STS for short-lived role
credentials, and keeps them in the OS keyring for the AWS CLI, SDKs and jobs.

Try it without an IdP or AWS account: run "ptsaml sandbox" in one terminal and
"ptsaml login --profile sandbox" in another.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd, f.Getenv); err != nil {
				return err
			}
			if g.output != "text" && g.output != "json" {
				return withHint(fmt.Errorf("--output %q is not supported", g.output), "use --output text or --output json")
			}
			f.Log = newLogger(f.Streams.Err, g.verbose)
			return nil
		},
	}
	root.PersistentFlags().StringVarP(&g.profile, "profile", "p", "", "profile to use (default: default_profile from the config, else \"default\")")
	root.PersistentFlags().StringVar(&g.configPath, "config", "", "config file (default: $XDG_CONFIG_HOME/ptsaml/config.yaml)")
	root.PersistentFlags().CountVarP(&g.verbose, "verbose", "v", "more detail on stderr (-v info, -vv debug)")
	root.PersistentFlags().StringVarP(&g.output, "output", "o", "text", "output format for data: text or json")
	root.PersistentFlags().BoolVar(&g.nonInteractive, "non-interactive", false,
		"never prompt and never open a browser (also when CI=true or without a terminal)")

	root.AddCommand(
		newCmdLogin(f),
		newCmdCredentialProcess(f),
		newCmdStatus(f),
		newCmdLogout(f),
		newCmdEnv(f),
		newCmdRoles(f),
		newCmdConfigure(f),
		newCmdRun(f),
		newCmdExec(f),
		newCmdSandbox(f),
		newCmdVersion(f),
		newCmdAudit(f),
		newCmdGuard(),
	)
	return root
}

// envFlags are the flags that PTSAML_<FLAG> environment variables may set.
// Switches that change what a command does to many profiles (logout --all),
// test-only switches (sandbox --short-credentials) and configure's own
// values are deliberately not among them.
var envFlags = map[string]bool{
	"profile": true, "config": true, "verbose": true, "output": true, "non-interactive": true,
	"store": true, "role": true, "project": true, "browser-command": true, "no-browser": true,
	"duration": true, "timeout": true, "python": true, "notify-command": true, "warn-before": true,
}

// bindEnv gives the flags in envFlags that the user did not set their
// PTSAML_<FLAG> environment value, so the precedence is flag > environment >
// config file > default. The flags stay "unchanged", so configure never
// writes an environment value into the config file.
func bindEnv(cmd *cobra.Command, getenv func(string) string) error {
	var errs []error
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		if fl.Changed || !envFlags[fl.Name] {
			return
		}
		// configure writes what it is given: only typed values, except for
		// the global choice of config file and profile.
		if cmd.Name() == "configure" && cmd.Flags().Lookup(fl.Name) != cmd.InheritedFlags().Lookup(fl.Name) {
			return
		}
		name := EnvName(fl.Name)
		v := getenv(name)
		if v == "" {
			return
		}
		if fl.Value.Type() == "duration" {
			d, err := config.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("environment %s=%q: %w", name, v, err))
				return
			}
			v = d.String()
		}
		if err := fl.Value.Set(v); err != nil {
			errs = append(errs, fmt.Errorf("environment %s=%q: %w", name, v, err))
		}
	})
	return errors.Join(errs...)
}

// EnvName is the environment variable that stands for a flag: --browser-command
// is PTSAML_BROWSER_COMMAND.
func EnvName(flag string) string {
	return "PTSAML_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

func newLogger(w interface{ Write([]byte) (int, error) }, verbose int) *slog.Logger {
	level := slog.LevelWarn
	switch {
	case verbose >= 2:
		level = slog.LevelDebug
	case verbose == 1:
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
