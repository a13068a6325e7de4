// Package render shows a plan to people and machines. It sits at the end of
// the `plan` half of a pass: internal/diff builds a plan.Plan, and render turns
// it into human text (a terminal, optionally coloured), Markdown (a
// pull-request comment) or the versioned JSON plan file that `plan -out FILE`
// writes and `apply FILE` reads back (WritePlanFile, ReadPlanFile).
//
// Every rendering is deterministic: domains, changes and hosts are sorted, so
// the same plan always prints the same bytes and golden tests and PR comments
// do not churn. Text and Markdown never change the plan; they only read it.
package render

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dnssync/dnssync/internal/display"

	"golang.org/x/term"

	"github.com/dnssync/dnssync/internal/plan"
)

// Format names an output format of `dnssync plan`.
type Format string

// Output formats.
const (
	FormatText     Format = "text"
	FormatJSON     Format = "json"
	FormatMarkdown Format = "markdown"
)

// ParseFormat accepts the format names the CLI offers ("md" is an alias of
// "markdown").
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "text", "":
		return FormatText, nil
	case "json":
		return FormatJSON, nil
	case "markdown", "md":
		return FormatMarkdown, nil
	}
	return "", fmt.Errorf("render: unknown output format %q (want text, json or markdown)", s)
}

// Options tune the human renderings; the JSON form has no options because it
// is a file format.
type Options struct {
	// Color adds ANSI colour to text output. The caller decides, usually
	// with ColorEnabled.
	Color bool
	// CollapseOver puts a Markdown domain's record table into a collapsed
	// <details> block when it has more rows than this; 0 means 10.
	CollapseOver int
}

// Render writes p to w in format f.
func Render(w io.Writer, p *plan.Plan, f Format, o Options) error {
	switch f {
	case FormatText:
		return Text(w, p, o)
	case FormatJSON:
		return WritePlanFile(w, p)
	case FormatMarkdown:
		return Markdown(w, p, o)
	}
	return fmt.Errorf("render: unknown output format %q", f)
}

// ColorEnabled reports whether text written to w should be coloured: only
// when w is a terminal, NO_COLOR (https://no-color.org) is unset or empty,
// and TERM is not "dumb".
func ColorEnabled(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

func unicodeName(s string) string { return display.Unicode(s) }
func displayName(s string) string { return display.Name(s) }
func printable(s string) string   { return display.Printable(s) }
func plural(n int, one, many string) string {
	return display.Plural(n, one, many)
}

// Remedy says how a refusal of the given rule is lifted: each safety rule
// has its own way out, and only the thresholds yield to --force.
func Remedy(rule string) string {
	switch rule {
	case "update-threshold", "delete-threshold":
		return "review, then override with --force"
	case "delegation":
		return "consent with --allow-delegation"
	case "empty-zone":
		return "list the records, or remove the file to stop managing the zone"
	case "provider-rules":
		return "change the records so the provider accepts them"
	case "unknown-domain":
		return "add the domain at the provider first"
	}
	return "fix the cause"
}
