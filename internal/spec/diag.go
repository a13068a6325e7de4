package spec

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/dnssync/dnssync/internal/model"
)

// Severity says whether a diagnostic blocks (error) or only informs (warning).
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Diagnostic is one problem found in a file.
type Diagnostic struct {
	Pos      model.Pos `json:"pos"`
	Rule     string    `json:"rule"` // stable id, see rules.go
	Severity Severity  `json:"severity"`
	Message  string    `json:"message"`
}

// String renders "file:line:col: error[rule]: message".
func (d Diagnostic) String() string {
	return fmt.Sprintf("%s: %s[%s]: %s", d.Pos, d.Severity, d.Rule, d.Message)
}

// Diagnostics is a list of problems. A non-empty list is an error; use Err
// to get a nil error when only warnings (or nothing) were found.
type Diagnostics []Diagnostic

// Error joins all diagnostics, one per line.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Sort orders diagnostics by file, line, column, then rule and message, so
// that output is deterministic.
func (ds Diagnostics) Sort() {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// Count returns the number of errors and warnings.
func (ds Diagnostics) Count() (errs, warnings int) {
	for _, d := range ds {
		if d.Severity == SeverityWarning {
			warnings++
		} else {
			errs++
		}
	}
	return errs, warnings
}

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	errs, _ := ds.Count()
	return errs > 0
}

// Err returns ds as an error when it holds at least one error, else nil.
// (Returning ds directly would turn an empty list into a non-nil error.)
func (ds Diagnostics) Err() error {
	if ds.HasErrors() {
		return ds
	}
	return nil
}

// Summary describes what a validation run looked at.
type Summary struct {
	Files    int `json:"files"`
	Domains  int `json:"domains"`
	Records  int `json:"records"`
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
}

// ReportVersion is the version of the JSON validation report.
const ReportVersion = 1

// Report is the result of validating a config repository.
type Report struct {
	Version     int         `json:"version"`
	OK          bool        `json:"ok"`
	Summary     Summary     `json:"summary"`
	Diagnostics Diagnostics `json:"diagnostics"`
}

// NewReport sorts ds and counts it into a Report.
func NewReport(files int, desired *model.Desired, ds Diagnostics) Report {
	ds = slices.Clone(ds)
	ds.Sort()
	if ds == nil {
		ds = Diagnostics{}
	}
	s := Summary{Files: files}
	if desired != nil {
		s.Domains = len(desired.Domains)
		for _, d := range desired.Domains {
			if d.DNS != nil {
				s.Records += len(d.DNS.Records)
			}
		}
	}
	s.Errors, s.Warnings = ds.Count()
	return Report{Version: ReportVersion, OK: s.Errors == 0, Summary: s, Diagnostics: ds}
}

// WriteText writes one line per diagnostic and a summary line.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, d := range r.Diagnostics {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	s := r.Summary
	verdict := "ok"
	if !r.OK {
		verdict = "invalid"
	}
	fmt.Fprintf(&b, "%s: %s, %s, %s; %s, %s\n", verdict,
		plural(s.Files, "file"), plural(s.Domains, "domain"), plural(s.Records, "record"),
		plural(s.Errors, "error"), plural(s.Warnings, "warning"))
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
