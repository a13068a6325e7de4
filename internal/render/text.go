package render

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/dnssync/dnssync/internal/plan"
)

// ANSI SGR sequences used by the text renderer.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiBoldRd = "\x1b[1;31m"
)

type textWriter struct {
	w     *bufio.Writer
	color bool
}

func (t *textWriter) paint(code, s string) string {
	if !t.color || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (t *textWriter) line(format string, args ...any) {
	fmt.Fprintf(t.w, format+"\n", args...)
}

func kindColor(k plan.ChangeKind) string {
	switch symbol(k) {
	case "+":
		return ansiGreen
	case "~":
		return ansiYellow
	case "-":
		return ansiRed
	}
	return ansiCyan
}

// Text writes the plan for a terminal: refusals first, then per domain its
// changes with their source, then the execution outline and the cost.
func Text(w io.Writer, p *plan.Plan, o Options) error {
	t := &textWriter{w: bufio.NewWriter(w), color: o.Color}
	domains := byDomain(p)

	if len(p.Refusals) > 0 {
		refusals := append([]plan.Refusal(nil), p.Refusals...)
		sortRefusals(refusals)
		t.line("%s", t.paint(ansiBoldRd, "REFUSED: this plan will not be applied as it stands"))
		for _, r := range refusals {
			t.line("  %s %s: %s — %s (%s)", t.paint(ansiBoldRd, "!"), displayName(r.Domain), printable(r.Rule), printable(r.Reason), Remedy(r.Rule))
		}
		t.line("")
	}
	if p.Empty() {
		t.line("No changes.")
		return t.w.Flush()
	}

	for _, d := range domains {
		if len(d.Changes) == 0 {
			continue // named only by a refusal, shown above
		}
		t.line("%s  %s", t.paint(ansiBold, displayName(d.Name)), t.paint(ansiDim, "("+d.Counts.String()+")"))
		for _, r := range d.Refusals {
			t.line("  %s", t.paint(ansiBoldRd, "! refused: "+printable(r.Rule)))
		}
		for _, c := range d.Changes {
			text := t.paint(kindColor(c.Kind), symbol(c.Kind)+" "+describeIn(d, c))
			if src := source(c); src != "" {
				text += "  " + t.paint(ansiDim, "# "+src)
			}
			t.line("  %s", text)
		}
		t.line("")
	}

	t.outline(p)
	t.line("Cost: %s", costLine(p.Cost))
	return t.w.Flush()
}

// outline lists stages and their batches, one batch a line, with the op and
// provider columns aligned.
func (t *textWriter) outline(p *plan.Plan) {
	if len(p.Stages) == 0 {
		return
	}
	opW, provW, idW := 0, 0, 0
	for _, s := range p.Stages {
		for _, b := range s.Batches {
			opW = max(opW, len(printable(string(b.Op))))
			provW = max(provW, len(printable(b.Provider)))
			idW = max(idW, len(printable(b.ID)))
		}
	}
	t.line("%s %s", t.paint(ansiBold, fmt.Sprintf("Execution: %s, %s",
		plural(len(p.Stages), "stage", "stages"), plural(batchCount(p), "batch", "batches"))),
		t.paint(ansiDim, "(stages in order; the batches of a stage concurrently)"))
	for i, s := range p.Stages {
		if s.Replan {
			t.line("  %d. %s  %s", i+1, printable(s.Name), t.paint(ansiDim, "(then live state is read again and the rest planned afresh)"))
		} else {
			t.line("  %d. %s", i+1, printable(s.Name))
		}
		for _, b := range s.Batches {
			_, what := batchItems(b)
			row := fmt.Sprintf("%-*s  %-*s  %-*s  %s", idW, printable(b.ID), opW, printable(string(b.Op)),
				provW, printable(b.Provider), what)
			t.line("     %s", strings.TrimRight(row, " "))
		}
	}
	t.line("")
}
