package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ptsaml/ptsaml/pkg/broker"
)

func newCmdLogout(f *Factory) *cobra.Command {
	var all bool
	var storeKind string
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Remove cached credentials (of one profile, or --all)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			file, _, err := f.Config()
			if err != nil {
				return err
			}
			names := []string{f.global.profile}
			if all {
				names = file.Names()
			}
			aud, err := f.Audit()
			if err != nil {
				return err
			}
			defer aud.Close()
			var errs []error
			for _, name := range names {
				// No Validate: a profile whose settings broke must still be
				// able to drop its credentials.
				p, err := file.Profile(name)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				cache, err := f.cache(p, storeKind)
				var removed *broker.Session
				if err == nil {
					removed, err = f.deleteLocked(cmd.Context(), cache, p.Name)
				}
				if err != nil {
					errs = append(errs, fmt.Errorf("profile %s: %w", p.Name, err))
					continue
				}
				fields := map[string]any{"profile": p.Name}
				if removed != nil {
					// The credentials stay valid at AWS until they expire:
					// the record names them so CloudTrail can be checked.
					fields = removed.AuditFields()
				}
				fields["store"] = cache.Store.Name()
				_ = aud.Record("logout", fields)
				fmt.Fprintf(f.Streams.Err, "Removed cached credentials of profile %s (%s store).\n", p.Name, cache.Store.Name())
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "log out of every configured profile")
	cmd.Flags().StringVar(&storeKind, "store", "", "credential store: keyring, file or memory (default: the profile's)")
	return cmd
}

// deleteLocked removes the profile's session under the profile's lock, so a
// login writing the same entry at the same moment cannot leave parts behind.
// It returns the session it removed, nil when there was none or it could
// not be read (a damaged entry is removed all the same).
func (f *Factory) deleteLocked(ctx context.Context, cache broker.Cache, profile string) (*broker.Session, error) {
	locks, err := f.lockDir()
	if err != nil {
		return nil, err
	}
	unlock, err := broker.Lock(ctx, locks, profile)
	if err != nil {
		return nil, err
	}
	defer unlock()
	removed, err := cache.Load(ctx, profile)
	if err != nil {
		removed = nil
	}
	return removed, cache.Delete(ctx, profile)
}
