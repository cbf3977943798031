package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ptsaml/ptsaml/internal/credstore"
	"github.com/ptsaml/ptsaml/pkg/broker"
)

func newCmdLogin(f *Factory) *cobra.Command {
	var o signInOptions
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in at the IdP in your browser and cache AWS role credentials",
		Long: `Sign in at the profile's SAML IdP in your browser. ptsaml listens on the
profile's loopback ACS URL for the IdP's answer, validates the assertion,
exchanges it with AWS STS (AssumeRoleWithSAML) and caches the role credentials
(never the assertion) in the chosen store.

On a remote host, use --no-browser: ptsaml prints the URL and an ssh -L
command that forwards the ACS port to your workstation.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := f.Profile()
			if err != nil {
				return err
			}
			if !o.noBrowser && f.nobodyToSignIn(p, o) {
				return f.needsPerson(p, nil)
			}
			// One login per profile at a time, also against credential-process
			// and jobs renewing the same profile.
			locks, err := f.lockDir()
			if err != nil {
				return err
			}
			unlock, err := broker.Lock(cmd.Context(), locks, p.Name)
			if err != nil {
				return err
			}
			defer unlock()
			sess, err := f.signIn(cmd.Context(), p, o)
			if err != nil {
				return err
			}
			if sess.Store == credstore.KindMemory {
				fmt.Fprintln(f.Streams.Err, "note: the memory store keeps these credentials only while this ptsaml process runs")
			}
			return f.printStatus(newStatusView(p.Name, sess, f.Clock.Now()))
		},
	}
	addSignInFlags(cmd, &o)
	return cmd
}

func addSignInFlags(cmd *cobra.Command, o *signInOptions) {
	fl := cmd.Flags()
	fl.StringVar(&o.role, "role", "", "role to assume: ARN or alias (default: the profile's role, or a choice)")
	fl.StringVar(&o.project, "project", "", "pick the role mapped to this project in the profile")
	fl.StringVar(&o.browserCommand, "browser-command", "", "command that opens the login URL (the URL is its last argument)")
	fl.BoolVar(&o.noBrowser, "no-browser", false, "print the login URL instead of opening a browser")
	fl.StringVar(&o.store, "store", "", "credential store: keyring, file or memory (default: the profile's)")
	fl.DurationVar(&o.duration, "duration", 0, "session length to request, 15m to 12h (default: the profile's, 1h)")
	fl.DurationVar(&o.timeout, "timeout", 0, "time limit for the browser login (default: the profile's, 5m)")
}
