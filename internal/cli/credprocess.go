package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ptsaml/ptsaml/internal/config"
	"github.com/ptsaml/ptsaml/internal/credstore"
	"github.com/ptsaml/ptsaml/pkg/broker"
)

func newCmdCredentialProcess(f *Factory) *cobra.Command {
	var o signInOptions
	cmd := &cobra.Command{
		Use:   "credential-process",
		Short: "Print credentials for the AWS credential_process setting",
		Long: `Print the profile's cached credentials as AWS credential_process JSON
(Version 1). Use it from ~/.aws/config:

  [profile train]
  credential_process = ptsaml credential-process --profile train

A fresh cache answers at once. When the cache is stale, ptsaml signs in again
if it can (a terminal, or a browser_command in the profile); parallel callers
share one sign-in. Without a way to sign in it exits with code 4 and says to
run "ptsaml login".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := f.Profile()
			if err != nil {
				return err
			}
			sess, err := f.credentialProcess(cmd.Context(), p, o)
			if err != nil {
				return err
			}
			out, err := broker.CredentialProcessJSON(sess)
			if err != nil {
				return err
			}
			_, err = f.Streams.Out.Write(append(out, '\n'))
			return err
		},
	}
	addSignInFlags(cmd, &o)
	return cmd
}

// credentialProcess returns usable credentials: the cached ones while fresh,
// else one sign-in shared by every concurrent caller of the same profile.
func (f *Factory) credentialProcess(ctx context.Context, p *config.Profile, o signInOptions) (*broker.Session, error) {
	cache, err := f.cache(p, o.store)
	if err != nil {
		return nil, err
	}
	sess, err := cache.Ensure(ctx, f.ensureOptions(p, o, nil))
	if errors.Is(err, broker.ErrDamaged) {
		return nil, err // says what to do; no sign-in would get past it
	}
	if err != nil && f.nobodyToSignIn(p, o) {
		return nil, f.needsPerson(p, err)
	}
	if errors.Is(err, broker.ErrLoginRequired) {
		// One line: the SDK that called us shows stderr as it is.
		return nil, fmt.Errorf("%w; run `ptsaml login --profile %s`", err, p.Name)
	}
	if err != nil {
		return nil, err
	}
	if now := f.Clock.Now(); !sess.Fresh(now) {
		fmt.Fprintf(f.Streams.Err, "warning: credentials of profile %s expire in %s; run `ptsaml login --profile %s`\n",
			p.Name, sess.Remaining(now).Truncate(time.Second), p.Name)
	}
	return sess, nil
}

// ensureOptions describe how a command may renew the profile's session:
// sign in when a login can start here, and accept only sessions that accept
// allows (nil: any).
func (f *Factory) ensureOptions(p *config.Profile, o signInOptions, accept func(*broker.Session) bool) broker.EnsureOptions {
	eo := broker.EnsureOptions{Profile: p.Name, Accept: accept}
	if locks, err := f.lockDir(); err == nil {
		eo.LockDir = locks
	}
	if f.canSignIn(p, o) {
		eo.SignIn = func(ctx context.Context) (*broker.Session, error) { return f.signIn(ctx, p, o) }
		eo.Damaged = func(err error) {
			reason := err.Error()
			if d := (*broker.DamagedError)(nil); errors.As(err, &d) {
				reason = d.Reason
			}
			fmt.Fprintf(f.Streams.Err, "warning: the stored credentials of profile %s are damaged (%s); signing in again replaces them\n", p.Name, reason)
		}
	}
	return eo
}

// canSignIn reports whether a login may start here without asking anyone
// to type: a non-interactive method (ECP, OIDC), an explicit browser
// command, or a person at a terminal (never in non-interactive mode).
func (f *Factory) canSignIn(p *config.Profile, o signInOptions) bool {
	return p.NonInteractive() || f.Opener != nil || o.browserCommand != "" || p.BrowserCommand != "" || !f.nonInteractive()
}

// nobodyToSignIn reports whether this run can neither sign in by itself nor
// ask a person: a browser profile, without a browser command, in
// non-interactive mode (CI).
func (f *Factory) nobodyToSignIn(p *config.Profile, o signInOptions) bool {
	return f.nonInteractive() && !f.canSignIn(p, o)
}

// needsPerson is the one-line "login required" for a profile that only a
// person can sign in, seen where nobody can (CI): it says what to set up
// instead. A cached-credentials problem (none, expired, store unreachable)
// is the cause.
func (f *Factory) needsPerson(p *config.Profile, cause error) error {
	why := ""
	switch {
	case errors.Is(cause, credstore.ErrUnavailable):
		why = fmt.Sprintf(", and its store (%s) is not reachable here", p.Store)
	case cause != nil:
		why = ", and no valid credentials are cached"
	}
	return fmt.Errorf("%w: profile %s signs in through a browser and nobody can answer here (non-interactive)%s; "+
		"for CI set auth: oidc or auth: ecp in the profile (docs/ci.md), or run `ptsaml login --profile %s` at a terminal first",
		ErrLoginRequired, p.Name, why, p.Name)
}

// nonInteractive reports whether nobody can answer: --non-interactive,
// CI=true, or no terminal. Then ptsaml never prompts and never opens the
// system browser.
func (f *Factory) nonInteractive() bool {
	return f.global.nonInteractive || f.Getenv("CI") == "true" || !f.Streams.IsTerminal
}
