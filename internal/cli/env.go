package cli

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ptsaml/ptsaml/pkg/broker"
)

func newCmdEnv(f *Factory) *cobra.Command {
	var shell, storeKind string
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Print shell lines that export the cached credentials",
		Long: `Print lines that export the profile's cached credentials, for
  eval "$(ptsaml env)"                      # sh, bash, zsh
  ptsaml env --shell fish | source          # fish
  ptsaml env --shell powershell | Invoke-Expression
The variables do not refresh themselves; prefer credential_process or
"ptsaml run" for anything that runs longer than the session.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := f.Profile()
			if err != nil {
				return err
			}
			if shell == "" {
				shell = defaultShell(f.Getenv("SHELL"))
			}
			format, ok := shellFormats[shell]
			if !ok {
				return withHint(fmt.Errorf("--shell %q is not supported", shell), "use --shell sh, fish or powershell")
			}
			sess, err := f.cachedSession(cmd, p, storeKind)
			if err != nil && !errors.Is(err, broker.ErrNoSession) {
				return err
			}
			if !sess.Valid(f.Clock.Now()) {
				return withHint(fmt.Errorf("%w: no valid credentials cached for profile %s", ErrLoginRequired, p.Name),
					"run `ptsaml login --profile %s`", p.Name)
			}
			writeEnv(f.Streams.Out, format, envVars(sess, p.Region))
			return nil
		},
	}
	cmd.Flags().StringVar(&shell, "shell", "", "sh, fish or powershell (default: from $SHELL)")
	cmd.Flags().StringVar(&storeKind, "store", "", "credential store: keyring, file or memory (default: the profile's)")
	return cmd
}

var shellFormats = map[string]string{
	"sh":         "export %s=%s\n",
	"fish":       "set -gx %s %s;\n",
	"powershell": "$Env:%s = %s\n",
}

func defaultShell(shellPath string) string {
	if filepath.Base(shellPath) == "fish" {
		return "fish"
	}
	return "sh"
}

func envVars(s *broker.Session, region string) [][2]string {
	return [][2]string{
		{"AWS_ACCESS_KEY_ID", s.AccessKeyID},
		{"AWS_SECRET_ACCESS_KEY", s.SecretAccessKey},
		{"AWS_SESSION_TOKEN", s.SessionToken},
		{"AWS_CREDENTIAL_EXPIRATION", s.Expiration.UTC().Format(time.RFC3339)},
		{"AWS_REGION", region},
	}
}

func writeEnv(w io.Writer, format string, vars [][2]string) {
	for _, kv := range vars {
		quote := shQuote
		if strings.HasPrefix(format, "$Env") {
			quote = psQuote
		}
		fmt.Fprintf(w, format, kv[0], quote(kv[1]))
	}
}

// shQuote quotes for sh and fish: single quotes, embedded ones escaped.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// psQuote quotes for PowerShell: single quotes doubled.
func psQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
