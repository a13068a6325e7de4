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
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
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

// unicodeName turns A-labels (xn--…) into Unicode for people. Names that do
// not decode are shown as they are: a plan must never fail to render.
func unicodeName(s string) string {
	if !strings.Contains(s, "xn--") {
		return s
	}
	u, err := idna.ToUnicode(s)
	if err != nil {
		return s
	}
	return u
}

// displayName is a name for people: its Unicode form, followed by the
// A-label form in parentheses when they differ, so that look-alike
// characters (Cyrillic "а" for Latin "a") cannot hide what will be written.
func displayName(s string) string {
	if u := unicodeName(s); u != s {
		return printable(u) + " (" + s + ")"
	}
	return printable(s)
}

// printable escapes runes a terminal or browser would act on instead of
// showing (control characters, bidi overrides, other format characters), so
// that record data cannot rewrite the screen or reorder what a reviewer sees.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsPrint(r) && r != utf8.RuneError {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRuneToASCII(r) // '\x1b', '\u202e'
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

// plural returns "1 record" / "2 records".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
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
