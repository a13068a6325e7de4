package render

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/dnssync/dnssync/internal/plan"
)

// Markdown writes the plan as a GitHub-flavoured pull-request comment:
// refusals as a warning block, a summary table, per-domain details (long
// record tables collapsed), the execution outline (collapsed) and the cost.
// Record data is always inside escaped code spans so that pipes, backticks
// and HTML in values cannot break the table or inject markup.
func Markdown(w io.Writer, p *plan.Plan, o Options) error {
	bw := bufio.NewWriter(w)
	line := func(format string, args ...any) { fmt.Fprintf(bw, format+"\n", args...) }
	collapse := o.CollapseOver
	if collapse <= 0 {
		collapse = 10
	}

	line("### dnssync plan")
	line("")
	if len(p.Refusals) > 0 {
		refusals := append([]plan.Refusal(nil), p.Refusals...)
		sortRefusals(refusals)
		line("> [!WARNING]")
		line("> **Refused:** this plan will not be applied as it stands.")
		line(">")
		for _, r := range refusals {
			line("> - **%s** %s: %s (%s)", mdText(displayName(r.Domain)), mdCode(r.Rule, false), mdText(printable(r.Reason)), mdText(Remedy(r.Rule)))
		}
		line("")
	}
	if p.Empty() {
		line("No changes.")
		return bw.Flush()
	}

	s := Summarize(p)
	line("| domain | creates | updates | deletes | registrar | glue |")
	line("|:--|--:|--:|--:|:--|:--|")
	for _, d := range s.Domains {
		if d.Counts.Total() == 0 {
			continue
		}
		line("| %s | %d | %d | %d | %s | %s |", mdText(displayName(d.Domain)), d.Counts.Creates, d.Counts.Updates,
			d.Counts.Deletes, registrarCell(d.Counts), glueCell(d.Counts))
	}
	registrarTotal := "—"
	if s.Total.Nameservers > 0 {
		registrarTotal = "**" + plural(s.Total.Nameservers, "domain", "domains") + "**"
	}
	line("| **total** | **%d** | **%d** | **%d** | %s | %s |", s.Total.Creates, s.Total.Updates, s.Total.Deletes,
		registrarTotal, glueCell(s.Total))
	line("")

	for _, d := range byDomain(p) {
		if len(d.Changes) == 0 {
			continue
		}
		line("#### %s", mdText(displayName(d.Name)))
		line("")
		for _, r := range d.Refusals {
			line("**Refused:** %s", mdCode(r.Rule, false))
			line("")
		}
		var records []plan.Change
		for _, c := range d.Changes {
			if isRecordKind(c.Kind) {
				records = append(records, c)
				continue
			}
			item := mdCode(symbol(c.Kind), false) + " " + mdText(describe(c))
			if src := source(c); src != "" {
				item += " — " + mdCode(src, false)
			}
			line("- %s", item)
		}
		if len(records) < len(d.Changes) {
			line("")
		}
		if len(records) == 0 {
			continue
		}
		folded := len(records) > collapse
		if folded {
			line("<details><summary>%s</summary>", plural(len(records), "record change", "record changes"))
			line("")
		}
		line("| | name | type | value | change | source |")
		line("|:-:|:--|:--|:--|:--|:--|")
		for _, c := range records {
			line("| %s |", strings.Join(recordCells(c, d.Replaces[c.ID]), " | "))
		}
		line("")
		if folded {
			line("</details>")
			line("")
		}
	}

	if len(p.Stages) > 0 {
		line("<details><summary>Execution: %s, %s</summary>", plural(len(p.Stages), "stage", "stages"),
			plural(batchCount(p), "batch", "batches"))
		line("")
		line("| stage | batch | op | provider | items | what |")
		line("|:--|:--|:--|:--|--:|:--|")
		for i, st := range p.Stages {
			stage := strconv.Itoa(i+1) + ". " + mdText(printable(st.Name))
			if st.Replan {
				stage += " (then re-plan)"
			}
			for _, b := range st.Batches {
				n, what := batchItems(b)
				line("| %s | %s | %s | %s | %d | %s |", stage, mdCode(b.ID, true),
					mdCode(string(b.Op), true), mdText(printable(b.Provider)), n, mdText(what))
			}
		}
		line("")
		line("</details>")
		line("")
	}
	line("**Cost:** %s", mdText(costLine(p.Cost)))
	return bw.Flush()
}

// recordCells are the table cells of one record change; note says what a
// create replaces or what replaces a delete.
func recordCells(c plan.Change, note string) []string {
	cells := []string{mdCode(symbol(c.Kind), true), "", "", "", "", mdCode(source(c), true)}
	r := subject(c)
	if r == nil {
		cells[4] = mdText(describe(c))
		return cells
	}
	v := viewRecord(*r)
	cells[1], cells[2], cells[3] = mdCode(v.Name, true), mdCode(v.Type, true), mdCode(v.Value, true)
	var change []string
	switch c.Kind {
	case plan.RecordCreate:
		change = append([]string{"create"}, v.Attrs...)
	case plan.RecordDelete:
		change = append([]string{"delete"}, v.Attrs...)
	}
	if note != "" {
		change = append(change, note)
	}
	switch c.Kind {
	case plan.RecordUpdate:
		change = fieldChanges(c)
		for i := range change {
			change[i] = mdCode(change[i], true)
		}
		cells[4] = strings.Join(change, ", ")
		return cells
	}
	cells[4] = mdText(strings.Join(change, ", "))
	return cells
}

func registrarCell(c Counts) string {
	if c.Nameservers == 0 {
		return "—"
	}
	return "nameservers"
}

func glueCell(c Counts) string {
	var parts []string
	add := func(n int, mark string) {
		if n > 0 {
			parts = append(parts, mark+strconv.Itoa(n))
		}
	}
	add(c.HostSyncs, "sync ")
	add(c.HostCreates, "+")
	add(c.HostModifies, "~")
	add(c.HostDeletes, "-")
	if len(parts) == 0 {
		return "—"
	}
	return mdText(strings.Join(parts, " "))
}

// mdText escapes s for Markdown inline text: characters that start
// emphasis, code, links, HTML or table cells are backslash-escaped, and
// line breaks (already made visible by printable) cannot occur.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '~', '&', '#', '!':
			b.WriteByte('\\')
		case '\n', '\r':
			b.WriteByte(' ')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdCode makes a code span that shows s literally. The fence is one
// backtick longer than the longest backtick run in s; padding keeps edge
// backticks and spaces intact. In a table cell, pipes are escaped as GFM
// requires (the escape is removed before the span is formed); outside a
// table a backslash would show, so pipes stay as they are. A backslash right
// before a pipe cannot be expressed that way (GFM would read "\\|" as an
// escaped backslash and a cell border), so such text becomes an HTML code
// element with every ASCII punctuation character written as an entity.
func mdCode(s string, inTable bool) string {
	s = printable(s)
	if s == "" {
		return ""
	}
	if inTable && strings.Contains(s, `\|`) {
		return htmlCode(s)
	}
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	if inTable {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") ||
		(strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ") && strings.Trim(s, " ") != "") {
		s = " " + s + " "
	}
	fence := strings.Repeat("`", longest+1)
	return fence + s + fence
}

// htmlCode is <code>s</code> with ASCII punctuation as numeric entities, so
// that neither Markdown, nor the GFM table splitter, nor HTML sees markup.
func htmlCode(s string) string {
	var b strings.Builder
	b.WriteString("<code>")
	for _, r := range s {
		if r < 0x80 && (unicode.IsPunct(r) || unicode.IsSymbol(r)) {
			fmt.Fprintf(&b, "&#%d;", r)
			continue
		}
		b.WriteRune(r)
	}
	b.WriteString("</code>")
	return b.String()
}
