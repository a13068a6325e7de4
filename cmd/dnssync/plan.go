package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/dnssync/dnssync/internal/engine"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/render"
	"github.com/dnssync/dnssync/internal/spec"
)

// Exit code of `plan --detailed-exitcode` when changes are pending.
const exitChanges = 2

// Exit code of `plan` and `apply` when the safety checks refuse the plan
// (thresholds, delegation without consent, an empty zone, provider rules):
// distinct from exitChanges, so that CI never takes a refused plan for one
// that may be applied.
const exitRefused = 3

func newPlanCmd(g *globalOptions) *cobra.Command {
	var (
		format          string
		out             string
		detailed        bool
		force           bool
		allowDelegation bool
		color           string
	)
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what apply would change (dry run; never writes to a provider)",
		Long: "plan reads live state at the providers, compares it with the zone files and prints the\n" +
			"changes and the batch operations that would make them. It never calls a write API.\n" +
			"A plan the safety checks refuse is shown with the reason and how to lift it, is never saved\n" +
			"by --out, and exits 3.\n" +
			"Exit status: 0 success; with --detailed-exitcode 0 no changes, 2 changes pending; 3 refused\n" +
			"by the safety checks; 1 error.",
		Example: "  dnssync plan\n" +
			"  dnssync plan --format markdown > plan.md     # a pull-request comment\n" +
			"  dnssync plan --out plan.json                 # save it for: dnssync apply plan.json\n" +
			"  dnssync plan --detailed-exitcode             # CI: 0 no changes, 2 changes, 3 refused",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := render.ParseFormat(format)
			if err != nil {
				return err
			}
			p, err := planAhead(cmd.Context(), g, engine.PlanOptions{Force: force, AllowDelegation: allowDelegation})
			if err != nil {
				return err
			}
			refused := len(p.Refusals) > 0
			if out != "" && !refused {
				var buf bytes.Buffer
				if err := render.WritePlanFile(&buf, p); err != nil {
					return err
				}
				if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
					return err
				}
			}
			useColor, err := colorChoice(color, g.stdout)
			if err != nil {
				return err
			}
			if err := render.Render(g.stdout, p, f, render.Options{Color: useColor}); err != nil {
				return err
			}
			if refused {
				msg := fmt.Sprintf("the safety checks refused this plan (%d refusal(s)); it cannot be applied as it is", len(p.Refusals))
				if out != "" {
					msg = fmt.Sprintf("the safety checks refused this plan (%d refusal(s)); it was not saved to %s", len(p.Refusals), out)
				}
				return withExitCode(exitRefused, errors.New(msg))
			}
			if out != "" && f != render.FormatJSON {
				g.note(fmt.Sprintf("Plan saved to %s; apply exactly it with: dnssync apply %s", out, out), "file", out)
			}
			if detailed && !p.Empty() {
				return withExitCode(exitChanges, nil)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&format, "format", "text", "output: text, json or markdown")
	fl.StringVarP(&out, "out", "o", "", "also save the plan to `FILE` (JSON, bound to the live state it was made from), to be applied with: dnssync apply FILE")
	fl.BoolVar(&detailed, "detailed-exitcode", false, "exit 0 when there are no changes, 2 when there are, 1 on error")
	fl.BoolVar(&force, "force", false, "plan past the update/delete safety thresholds")
	fl.BoolVar(&allowDelegation, "allow-delegation", false, "consent to nameserver (delegation) changes")
	fl.StringVar(&color, "color", "auto", "colour: auto, always or never")
	register(cmd, map[string]cobra.CompletionFunc{
		"format": completeValues("text", "json", "markdown"),
		"out":    completeJSON,
		"color":  completeValues("auto", "always", "never"),
	})
	return cmd
}

// planAhead loads the configuration and the zones and plans them, reading
// each zone's live records while the zone files are still being decoded
// (engine.Prefetch): only a valid configuration gets that far, and the
// zone files name what to read. When the zone files turn out invalid, the
// reads are stopped and forgotten and the files' diagnostics are reported
// as always; nothing is changed at any provider.
func planAhead(ctx context.Context, g *globalOptions, po engine.PlanOptions) (*plan.Plan, error) {
	cfg, err := loadConfigReport(ctx, g)
	if err != nil {
		return nil, err
	}
	// Zone file problems are reported before provider problems, as when
	// the two steps ran one after the other: a provider that cannot be
	// built waits for the zones to load.
	eng, engErr := newEngine(g, cfg)
	var pf *engine.Prefetch
	var ready spec.ZoneReady
	if engErr == nil {
		pf = eng.Prefetch(ctx)
		defer pf.Stop()
		ready = pf.Zone
	}
	desired, diags := spec.LoadWith(ctx, cfg, ready)
	if diags.HasErrors() {
		read := false
		if pf != nil {
			read = pf.Stop()
		}
		return nil, reportDiagnosticsAfter(ctx, g, diags, read)
	}
	if engErr != nil {
		return nil, engErr
	}
	p, _, err := eng.PlanWith(ctx, desired, po, pf)
	return p, err
}

func colorChoice(mode string, w io.Writer) (bool, error) {
	switch mode {
	case "auto":
		return render.ColorEnabled(w), nil
	case "always":
		return true, nil
	case "never":
		return false, nil
	}
	return false, fmt.Errorf("--color must be auto, always or never, not %q", mode)
}
