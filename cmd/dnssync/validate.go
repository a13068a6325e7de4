package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dnssync/dnssync/internal/spec"
)

func newValidateCmd(g *globalOptions) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "validate [DIR|FILE...]",
		Short: "Check the configuration and zone files; report every problem",
		Long: "validate checks dnssync.yaml and zone files against the schema and the providers' rules\n" +
			"without contacting any provider. With no arguments it checks --config and its zones directory.\n" +
			"Arguments may be zone files, directories of zone files, or config repositories (a directory\n" +
			"holding dnssync.yaml). Exit status: 0 valid (warnings allowed), 1 problems found.",
		Example: "  dnssync validate                          # ./dnssync.yaml and its zones\n" +
			"  dnssync validate -c path/to/dnssync.yaml zones/example.com.yaml\n" +
			"  dnssync validate --format json             # for machines",
		ValidArgsFunction: completeYAML,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return fmt.Errorf("--format must be text or json, not %q", format)
			}
			report, _ := spec.Validate(cmd.Context(), registry(), g.config, args...)
			if cmd.Context().Err() != nil {
				// Cut short: the report would blame the files.
				return interrupted(cmd.Context(), nil)
			}
			g.logger().Debug("validated", "files", report.Summary.Files, "errors", report.Summary.Errors, "warnings", report.Summary.Warnings)
			var err error
			switch {
			case format == "json":
				err = report.WriteJSON(g.stdout)
			case g.quiet && report.OK && report.Summary.Warnings == 0:
			default:
				err = report.WriteText(g.stdout)
			}
			if err != nil {
				return err
			}
			if !report.OK {
				return withExitCode(exitError, nil)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	register(cmd, map[string]cobra.CompletionFunc{"format": completeValues("text", "json")})
	return cmd
}
