package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/ptsaml/ptsaml/pkg/broker"
)

// statusView is what `status` (and a finished `login`) reports.
type statusView struct {
	Profile          string     `json:"profile"`
	LoggedIn         bool       `json:"logged_in"`
	Store            string     `json:"store,omitempty"`
	NameID           string     `json:"name_id,omitempty"`
	Issuer           string     `json:"issuer,omitempty"`
	RoleARN          string     `json:"role_arn,omitempty"`
	AssumedRoleARN   string     `json:"assumed_role_arn,omitempty"`
	Account          string     `json:"account,omitempty"`
	Expiration       *time.Time `json:"expiration,omitempty"`
	ExpiresInSeconds int64      `json:"expires_in_seconds"`
	Expired          bool       `json:"expired"`
}

func newStatusView(profile string, s *broker.Session, now time.Time) statusView {
	v := statusView{Profile: profile}
	if s == nil {
		return v
	}
	exp := s.Expiration.UTC()
	left := exp.Sub(now).Truncate(time.Second)
	v.LoggedIn = left > 0
	v.Store = s.Store
	v.NameID, v.Issuer = s.NameID, s.Issuer
	v.RoleARN, v.AssumedRoleARN, v.Account = s.RoleARN, s.AssumedRoleARN, s.Account
	v.Expiration = &exp
	v.ExpiresInSeconds = max(int64(left/time.Second), 0)
	v.Expired = left <= 0
	return v
}

func (v statusView) writeText(w io.Writer) {
	if v.Expiration == nil {
		fmt.Fprintf(w, "profile %s: not logged in\n", v.Profile)
		return
	}
	fmt.Fprintf(w, "profile:  %s\n", v.Profile)
	fmt.Fprintf(w, "user:     %s (%s)\n", v.NameID, v.Issuer)
	fmt.Fprintf(w, "role:     %s\n", v.RoleARN)
	fmt.Fprintf(w, "account:  %s\n", v.Account)
	local := v.Expiration.Local().Format("2006-01-02 15:04:05 MST")
	if v.Expired {
		fmt.Fprintf(w, "expires:  %s (expired)\n", local)
	} else {
		fmt.Fprintf(w, "expires:  %s (in %s)\n", local, time.Duration(v.ExpiresInSeconds)*time.Second)
	}
	fmt.Fprintf(w, "store:    %s\n", v.Store)
}

// printStatus writes JSON to stdout with --output json, else text to stderr.
func (f *Factory) printStatus(v statusView) error {
	if f.global.output == "json" {
		return writeJSON(f.Streams.Out, v)
	}
	v.writeText(f.Streams.Err)
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newCmdStatus(f *Factory) *cobra.Command {
	var storeKind string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show who you are signed in as, the role, and how long the credentials last",
		Long:  "Show the cached session of a profile. Exits with code 4 when no valid credentials are cached.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := f.Profile()
			if err != nil {
				return err
			}
			sess, err := f.cachedSession(cmd, p, storeKind)
			if err != nil && !errors.Is(err, broker.ErrNoSession) {
				return err
			}
			v := newStatusView(p.Name, sess, f.Clock.Now())
			if f.global.output == "json" {
				if err := writeJSON(f.Streams.Out, v); err != nil {
					return err
				}
			} else {
				v.writeText(f.Streams.Out)
			}
			if !v.LoggedIn {
				return withHint(ErrLoginRequired, "run `ptsaml login --profile %s`", p.Name)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&storeKind, "store", "", "credential store: keyring, file or memory (default: the profile's)")
	return cmd
}
