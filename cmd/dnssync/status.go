package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dnssync/dnssync/internal/apply"
	"github.com/dnssync/dnssync/internal/journal"
)

func newStatusCmd(g *globalOptions) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:     "status",
		Short:   "Show journaled in-flight tasks and the last apply's results",
		Example: "  dnssync status\n  dnssync status --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd.Context(), g)
			if err != nil {
				return err
			}
			st, err := apply.Status(cfg.StateDir, journal.WithReadOptions(cfg.ReadOptions()))
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			w := g.stdout
			switch {
			case st.Locked:
				fmt.Fprintf(w, "State directory %s: in use by pid %d\n", st.Dir, st.PID)
			default:
				fmt.Fprintf(w, "State directory %s: idle\n", st.Dir)
			}
			if st.Current != nil {
				fmt.Fprintf(w, "Run %s started %s: %s\n", st.Current.Run, st.Current.Started.Format("2006-01-02 15:04:05Z07:00"), st.Current.State)
			}
			fmt.Fprintf(w, "In-flight tasks: %d\n", len(st.InFlight))
			for _, t := range st.InFlight {
				fmt.Fprintf(w, "  %s %s %s task %s on %s, accepted %s (run %s)\n", t.Batch, t.Op, strings.Join(t.Domains, ","),
					t.Task.ID, t.Provider, t.Accepted.Format(time.RFC3339), t.Run)
			}
			if len(st.Unknown) > 0 {
				fmt.Fprintf(w, "Unknown outcomes (the next apply re-reads live state first): %d\n", len(st.Unknown))
				for _, u := range st.Unknown {
					fmt.Fprintf(w, "  %s %s %s on %s (run %s): %s\n", u.Batch, u.Op, strings.Join(u.Domains, ","), u.Provider, u.Run, u.Reason)
				}
			}
			if st.Last != nil {
				printSummary(w, st.Last)
			} else {
				fmt.Fprintln(w, "No finished apply yet.")
			}
			for _, warn := range st.Warnings {
				fmt.Fprintf(w, "warning: %s\n", warn)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output: text or json")
	register(cmd, map[string]cobra.CompletionFunc{"format": completeValues("text", "json")})
	return cmd
}
