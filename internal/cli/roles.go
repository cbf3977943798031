package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ptsaml/ptsaml/pkg/broker"
)

func newCmdRoles(f *Factory) *cobra.Command {
	var storeKind string
	cmd := &cobra.Command{
		Use:   "roles",
		Short: "List the roles the IdP offered at the last login",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := f.Profile()
			if err != nil {
				return err
			}
			sess, err := f.cachedSession(cmd, p, storeKind)
			if errors.Is(err, broker.ErrNoSession) {
				return withHint(fmt.Errorf("%w: %w", ErrLoginRequired, err), "run `ptsaml login --profile %s` first", p.Name)
			}
			if err != nil {
				return err
			}
			type role struct {
				RoleARN      string `json:"role_arn"`
				PrincipalARN string `json:"principal_arn"`
				Current      bool   `json:"current"`
			}
			roles := make([]role, 0, len(sess.Roles))
			for _, r := range sess.Roles {
				roles = append(roles, role{r.RoleARN, r.PrincipalARN, r.RoleARN == sess.RoleARN})
			}
			if f.global.output == "json" {
				return writeJSON(f.Streams.Out, roles)
			}
			for _, r := range roles {
				mark := " "
				if r.Current {
					mark = "*"
				}
				fmt.Fprintf(f.Streams.Out, "%s %s\n", mark, r.RoleARN)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&storeKind, "store", "", "credential store: keyring, file or memory (default: the profile's)")
	return cmd
}
