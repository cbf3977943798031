package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ptsaml/ptsaml/internal/audit"
	"github.com/ptsaml/ptsaml/internal/config"
)

func newCmdAudit(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show and verify the tamper-evident audit log",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newCmdAuditShow(f), newCmdAuditVerify(f))
	return cmd
}

type auditShowOptions struct {
	since, until string
	events       []string
}

func newCmdAuditShow(f *Factory) *cobra.Command {
	var o auditShowOptions
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Print audit records, oldest first",
		Long: `Print the records of the audit log and its rotated files, oldest first.
--since and --until take an RFC 3339 time or a duration back from now (2h);
--profile shows only that profile's records. Text goes to stderr as a table;
--output json prints one JSON record per line on stdout.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filter, err := o.filter(f.Clock.Now())
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("profile") {
				filter.Profile = f.global.profile
			}
			return f.auditShow(filter)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.since, "since", "", "only records at or after this time (RFC 3339, or a duration such as 2h)")
	fl.StringVar(&o.until, "until", "", "only records at or before this time (RFC 3339, or a duration such as 30m)")
	fl.StringSliceVar(&o.events, "event", nil, "only these events (repeat or separate with commas)")
	return cmd
}

func (o auditShowOptions) filter(now time.Time) (audit.Filter, error) {
	var fl audit.Filter
	var err error
	if fl.Since, err = parseAuditTime("--since", o.since, now); err != nil {
		return fl, err
	}
	if fl.Until, err = parseAuditTime("--until", o.until, now); err != nil {
		return fl, err
	}
	fl.Events = o.events
	return fl, nil
}

// parseAuditTime reads an RFC 3339 time or a duration before now; "" is no bound.
func parseAuditTime(flag, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := config.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, withHint(fmt.Errorf("%s %q is neither an RFC 3339 time nor a duration", flag, s),
			"use a time such as 2026-11-29T18:00:00Z or a duration such as 2h")
	}
	return now.Add(-d), nil
}

func (f *Factory) auditPath() (string, error) {
	state, err := f.StateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(state, "audit.log"), nil
}

func (f *Factory) auditShow(filter audit.Filter) error {
	path, err := f.auditPath()
	if err != nil {
		return err
	}
	var entries []audit.Entry
	err = audit.Read(path, filter, func(e audit.Entry) error {
		if f.global.output == "json" {
			_, werr := fmt.Fprintf(f.Streams.Out, "%s\n", e.Raw)
			return werr
		}
		entries = append(entries, e)
		return nil
	})
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(f.Streams.Err, "no audit records yet (%s)\n", path)
		return nil
	}
	if err != nil {
		return err
	}
	if f.global.output != "json" {
		return writeAuditTable(f.Streams.Out, entries)
	}
	return nil
}

func writeAuditTable(w io.Writer, entries []audit.Entry) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tEVENT\tPROFILE\tDETAILS")
	for _, e := range entries {
		profile, _ := e.Fields["profile"].(string)
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			if k != "profile" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		details := make([]string, 0, len(keys))
		for _, k := range keys {
			details = append(details, fmt.Sprintf("%s=%v", k, e.Fields[k]))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Time.Local().Format(time.DateTime), e.Event,
			orDash(profile), strings.Join(details, " "))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newCmdAuditVerify(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Check that no audit record was edited, removed, inserted or cut short",
		Long: `Follow the hash chain through the audit log and its rotated files. Exit 0 when
it is intact; exit 1 naming the file and line of the first damaged record.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			path, err := f.auditPath()
			if err != nil {
				return err
			}
			sum, err := audit.Verify(path)
			if err != nil {
				var te *audit.TamperError
				if errors.As(err, &te) {
					return withHint(err, "the log was changed after it was written: compare %s with a copy kept elsewhere", te.File)
				}
				return err
			}
			if f.global.output == "json" {
				return writeJSON(f.Streams.Out, map[string]any{"records": sum.Records, "files": sum.Files, "intact": true})
			}
			fmt.Fprintf(f.Streams.Err, "%d records, chain intact (%d file(s))\n", sum.Records, len(sum.Files))
			return nil
		},
	}
}
