package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dnssync/dnssync/internal/apply"
	"github.com/dnssync/dnssync/internal/engine"
	"github.com/dnssync/dnssync/internal/journal"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/progress"
	"github.com/dnssync/dnssync/internal/render"
	"github.com/dnssync/dnssync/internal/safefile"
)

func newApplyCmd(g *globalOptions) *cobra.Command {
	var (
		yes             bool
		force           bool
		allowDelegation bool
		timeout         time.Duration
		taskTimeout     time.Duration
		color           string
	)
	cmd := &cobra.Command{
		Use:   "apply [PLANFILE]",
		Short: "Apply the changes: submit batches, await provider tasks, verify",
		Long: "apply first resumes awaiting tasks an interrupted run left in flight, then reads live state,\n" +
			"plans, shows the plan and asks for confirmation (unless --yes), submits the batches stage by\n" +
			"stage, awaits every provider task and finally reads live state again to verify it matches.\n" +
			"With PLANFILE (from `plan --out`), it applies exactly that plan, and only while live state is\n" +
			"still the state the plan was made from; the plan was reviewed when it was saved, so it is\n" +
			"applied without asking.\n" +
			"Exit status: 0 converged (or nothing to do), 1 error or not converged, 3 refused by the\n" +
			"safety checks (nothing submitted).",
		Example: "  dnssync plan --out plan.json && dnssync apply plan.json   # review, then apply exactly that\n" +
			"  dnssync apply                                            # plan afresh, show it, ask\n" +
			"  dnssync apply --yes --allow-delegation                   # unattended, nameserver changes consented",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeJSON,
		RunE: func(cmd *cobra.Command, args []string) error {
			useColor, err := colorChoice(color, g.stdout)
			if err != nil {
				return err
			}
			cfg, err := loadConfigReport(cmd.Context(), g)
			if err != nil {
				return err
			}
			var saved *plan.Plan
			if len(args) == 1 {
				// Under the configuration's size limit, and only from a
				// regular file (safefile), like the zone files.
				data, err := safefile.ReadFile(cmd.Context(), args[0], cfg.ReadOptions())
				if err != nil {
					return interrupted(cmd.Context(), err)
				}
				saved, err = render.ReadPlanFile(bytes.NewReader(data))
				if err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
			}
			desired, err := loadZones(cmd.Context(), g, cfg)
			if err != nil {
				return err
			}
			eng, err := newEngine(g, cfg)
			if err != nil {
				return err
			}
			reporter, flush := progress.New(progress.Config{
				Out: g.stderr, Terminal: g.logFormat != "json" && progress.IsTerminal(g.stderr), Logger: g.logger(), Quiet: g.quiet,
			})
			ao := engine.ApplyOptions{
				PlanOptions: engine.PlanOptions{Force: force, AllowDelegation: allowDelegation},
				Saved:       saved,
				Apply:       apply.Options{Timeout: timeout, TaskTimeout: taskTimeout, Reporter: reporter, Logger: g.logger()},
				Confirm: func(p *plan.Plan) (bool, error) {
					if err := render.Text(g.stdout, p, render.Options{Color: useColor}); err != nil {
						return false, err
					}
					// A saved plan was reviewed when it was made; applying
					// it is the confirmation (as with Terraform's saved plans).
					if yes || saved != nil {
						return true, nil
					}
					return confirm(cmd.InOrStdin(), g.stdout)
				},
			}
			res, err := eng.Apply(cmd.Context(), desired, ao)
			flush()
			if res != nil && res.Summary != nil && (len(res.Summary.Results) > 0 || res.Summary.Error != "") {
				// Includes tasks an interrupted run left, resumed first.
				printSummary(g.stdout, res.Summary)
			}
			if res != nil && res.Plan != nil && res.Plan.Empty() && err == nil {
				fmt.Fprintln(g.stdout, "No changes. Live state matches the zone files.")
				return nil
			}
			if res != nil && res.Remaining != nil && !res.Remaining.Empty() && res.Plan != res.Remaining {
				fmt.Fprintln(g.stdout, "\nStill different after this apply:")
				_ = render.Text(g.stdout, res.Remaining, render.Options{Color: useColor})
			}
			switch {
			case err == nil:
				fmt.Fprintln(g.stdout, "Converged: live state matches the zone files.")
				return nil
			case errors.Is(err, engine.ErrRefused):
				if res != nil && res.Plan != nil {
					_ = render.Text(g.stdout, res.Plan, render.Options{Color: useColor})
				}
				return withExitCode(exitRefused, fmt.Errorf("%w\nnothing was submitted; fix the zone files, or rerun with --force (thresholds) or --allow-delegation (nameserver changes)", err))
			}
			return withExitCode(exitError, err)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	fl.BoolVar(&force, "force", false, "apply past the update/delete safety thresholds")
	fl.BoolVar(&allowDelegation, "allow-delegation", false, "consent to nameserver (delegation) changes")
	fl.DurationVar(&timeout, "timeout", 0, "overall time limit (default 30m)")
	fl.DurationVar(&taskTimeout, "task-timeout", 0, "time limit per provider task (default from config, else 10m)")
	fl.StringVar(&color, "color", "auto", "colour: auto, always or never")
	register(cmd, map[string]cobra.CompletionFunc{"color": completeValues("auto", "always", "never")})
	return cmd
}

// confirm asks on a terminal; without one it refuses, so that an
// unattended run never applies without --yes.
func confirm(in io.Reader, out io.Writer) (bool, error) {
	if f, ok := in.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
		return false, fmt.Errorf("%w: stdin is not a terminal; rerun with --yes to apply without asking", engine.ErrDeclined)
	}
	fmt.Fprint(out, "\nApply these changes? Only 'yes' is accepted: ")
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	return strings.TrimSpace(line) == "yes", nil
}

func printSummary(w io.Writer, s *journal.Summary) {
	retried := ""
	if s.Retries > 0 {
		retried = fmt.Sprintf(", %d retried in %d round(s)", s.Batches.Retried, s.Retries)
	}
	fmt.Fprintf(w, "\nApply %s: batches %d ok, %d failed, %d skipped, %d unknown%s; items %d ok, %d failed (%s)\n",
		s.Run, s.Batches.OK, s.Batches.Failed, s.Batches.Skipped, s.Batches.Unknown, retried, s.Items.OK, s.Items.Failed,
		s.Finished.Sub(s.Started).Round(time.Millisecond))
	for _, r := range s.Results {
		if r.Status == journal.StatusOK && r.Run == "" {
			continue
		}
		prefix := ""
		if r.Run != "" {
			prefix = "(from run " + r.Run + ") "
		}
		if r.Retried {
			prefix += "(retried) "
		}
		fmt.Fprintf(w, "  %s%s %s %s [%s]: %s\n", prefix, r.Batch, r.Op, strings.Join(r.Domains, ","), r.Status, r.Reason)
		for _, it := range r.Items {
			if it.State == "failed" {
				fmt.Fprintf(w, "    - %s %s %s: %s\n", it.Domain, it.What, it.RecordID, it.Message)
			}
		}
	}
	if s.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", s.Error)
	}
}
