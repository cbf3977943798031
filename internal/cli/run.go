package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/shlex"
	"github.com/spf13/cobra"

	"github.com/ptsaml/ptsaml/pkg/submit"
)

// jobOptions are the flags `run` and `exec` share.
type jobOptions struct {
	signIn     signInOptions
	warnBefore []time.Duration
	notify     string
}

func newCmdRun(f *Factory) *cobra.Command {
	var o jobOptions
	var python string
	var tr submit.Torchrun
	cmd := &cobra.Command{
		Use:   "run [flags] SCRIPT.py [script args...]",
		Short: "Run a Python or torchrun training job with credentials that stay fresh",
		Long: `Run SCRIPT.py with Python, or with torchrun when --nproc-per-node, --nnodes
or another torchrun flag is given. Every process of the job gets its AWS
credentials from a loopback endpoint that ptsaml keeps fresh: a "ptsaml login"
in any terminal refreshes every running job of the profile, without a restart.
Everything after SCRIPT.py goes to the script untouched.`,
		Example: `  ptsaml run train.py --epochs 90
  ptsaml run --nproc-per-node 4 train.py --batch-size 256
  ptsaml run --profile prod --project vision train.py`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := f.Profile()
			if err != nil {
				return err
			}
			launch := submit.Launch{Python: python, Script: args[0], Args: args[1:]}
			if python == "" {
				launch.Python = p.Python
			}
			if tr.Used() {
				launch.Torchrun = &tr
			}
			return f.runJob(cmd.Context(), p, launch.Argv(), o)
		},
	}
	cmd.Flags().SetInterspersed(false)
	addJobFlags(cmd, &o)
	fl := cmd.Flags()
	fl.StringVar(&python, "python", "", "Python interpreter (default: the profile's python, else python3)")
	fl.StringVar(&tr.NProcPerNode, "nproc-per-node", "", "torchrun: processes per node")
	fl.StringVar(&tr.NNodes, "nnodes", "", "torchrun: number of nodes (or MIN:MAX)")
	fl.StringVar(&tr.NodeRank, "node-rank", "", "torchrun: rank of this node")
	fl.StringVar(&tr.MasterAddr, "master-addr", "", "torchrun: address of the rank-0 node")
	fl.StringVar(&tr.MasterPort, "master-port", "", "torchrun: port of the rank-0 node")
	fl.StringVar(&tr.RdzvBackend, "rdzv-backend", "", "torchrun: rendezvous backend")
	fl.StringVar(&tr.RdzvEndpoint, "rdzv-endpoint", "", "torchrun: rendezvous endpoint")
	fl.StringVar(&tr.RdzvID, "rdzv-id", "", "torchrun: rendezvous id")
	fl.BoolVar(&tr.Standalone, "standalone", false, "torchrun: single-node rendezvous on a free port")
	fl.StringVar(&tr.MaxRestarts, "max-restarts", "", "torchrun: worker group restarts before failing")
	fl.StringArrayVar(&tr.Extra, "launcher-arg", nil, "one more argument for torchrun (repeat the flag for several)")
	return cmd
}

func newCmdExec(f *Factory) *cobra.Command {
	var o jobOptions
	cmd := &cobra.Command{
		Use:   "exec [flags] -- CMD [ARGS...]",
		Short: "Run any command with credentials that stay fresh",
		Long: `Run CMD with its AWS credentials served by a loopback endpoint that ptsaml
keeps fresh, as "ptsaml run" does for Python jobs.`,
		Example: `  ptsaml exec -- aws s3 sync s3://bucket/data ./data
  ptsaml exec --role read -- ./prepare.sh`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := f.Profile()
			if err != nil {
				return err
			}
			return f.runJob(cmd.Context(), p, args, o)
		},
	}
	cmd.Flags().SetInterspersed(false)
	addJobFlags(cmd, &o)
	return cmd
}

func addJobFlags(cmd *cobra.Command, o *jobOptions) {
	fl := cmd.Flags()
	fl.StringVar(&o.signIn.role, "role", "", "role to assume: ARN or alias (default: the profile's)")
	fl.StringVar(&o.signIn.project, "project", "", "pick the role mapped to this project in the profile")
	fl.StringVar(&o.signIn.store, "store", "", "credential store: keyring, file or memory (default: the profile's)")
	fl.StringVar(&o.signIn.browserCommand, "browser-command", "", "command that opens the login URL if a login is needed first")
	fl.DurationSliceVar(&o.warnBefore, "warn-before", []time.Duration{time.Hour, 30 * time.Minute, 15 * time.Minute, 5 * time.Minute},
		"warn this long before the credentials run out")
	fl.StringVar(&o.notify, "notify-command", "", "command to run at each warning (gets PTSAML_PROFILE, PTSAML_EXPIRES_AT, PTSAML_EXPIRES_IN)")
}

// splitCommand splits a --notify-command value into argv like a shell
// would (quotes, no expansion); "" gives nil.
func splitCommand(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	argv, err := shlex.Split(s)
	if err != nil {
		return nil, withHint(fmt.Errorf("--notify-command %q cannot be parsed: %w", s, err), "give a program and its arguments")
	}
	return argv, nil
}
