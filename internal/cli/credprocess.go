package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/ptsaml/ptsaml/internal/config"
	"github.com/ptsaml/ptsaml/pkg/broker"
)

// minUsable is the least lifetime worth handing to an SDK.
const minUsable = time.Minute

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
	now := f.Clock.Now()
	sess, err := cache.Load(ctx, p.Name)
	if err != nil && !errors.Is(err, broker.ErrNoSession) {
		return nil, err
	}
	if sess != nil && fresh(sess, now) {
		return sess, nil
	}
	if !f.canSignIn(p, o) {
		if sess != nil && sess.Expiration.Sub(now) > minUsable {
			fmt.Fprintf(f.Streams.Err, "warning: credentials of profile %s expire in %s; run `ptsaml login --profile %s`\n",
				p.Name, sess.Expiration.Sub(now).Truncate(time.Second), p.Name)
			return sess, nil
		}
		// One line: the SDK that called us shows stderr as it is.
		return nil, fmt.Errorf("%w: no valid credentials cached for profile %s; run `ptsaml login --profile %s`",
			ErrLoginRequired, p.Name, p.Name)
	}
	state, err := f.StateDir()
	if err != nil {
		return nil, err
	}
	unlock, err := broker.Lock(ctx, filepath.Join(state, "locks"), p.Name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Another caller may have signed in while this one waited for the lock.
	if sess, err := cache.Load(ctx, p.Name); err == nil && fresh(sess, f.Clock.Now()) {
		return sess, nil
	}
	return f.signIn(ctx, p, o)
}

// canSignIn reports whether a login may start without asking anyone to type:
// a terminal, or an explicit browser command.
func (f *Factory) canSignIn(p *config.Profile, o signInOptions) bool {
	return f.Streams.IsTerminal || f.Opener != nil || o.browserCommand != "" || p.BrowserCommand != ""
}

// fresh reports whether s has comfortably more life left than SDKs refresh
// ahead of expiry: 15 minutes, or half the lifetime of short sessions.
func fresh(s *broker.Session, now time.Time) bool {
	margin := 15 * time.Minute
	if life := s.Expiration.Sub(s.IssuedAt); life > 0 && life/2 < margin {
		margin = life / 2
	}
	return s.Expiration.Sub(now) > margin
}
