package render

import (
	"bytes"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
)

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    Format
		wantErr bool
	}{
		{"", FormatText, false},
		{"text", FormatText, false},
		{"JSON", FormatJSON, false},
		{"md", FormatMarkdown, false},
		{"markdown", FormatMarkdown, false},
		{"yaml", "", true},
	}
	for _, tc := range tests {
		got, err := ParseFormat(tc.in)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestColorEnabled(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	tests := []struct {
		name    string
		noColor string
		w       any
	}{
		{"buffer", "", &bytes.Buffer{}},
		{"pipe", "", w},
		{"NO_COLOR", "1", w},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("NO_COLOR", tc.noColor)
			if ColorEnabled(tc.w.(interface{ Write([]byte) (int, error) })) {
				t.Error("colour enabled for something that is not a terminal")
			}
		})
	}
}

func TestTextColourOnlyWhenAsked(t *testing.T) {
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Text(&buf, fullPlan(), Options{Color: color}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(buf.String(), "\x1b["); got != color {
			t.Errorf("Color=%v: output has ANSI sequences = %v", color, got)
		}
	}
}

func TestDisplayName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"www", "www"},
		{"@", "@"},
		{"xn--bcher-kva", "bücher (xn--bcher-kva)"},
		{"_dmarc.xn--mnchen-3ya.de", "_dmarc.münchen.de (_dmarc.xn--mnchen-3ya.de)"},
		{"xn--80ak6aa92e.com", "аррӏе.com (xn--80ak6aa92e.com)"}, // Cyrillic look-alike of apple.com
		{"xn--zz", "xn--zz"}, // not valid punycode: shown as is
	}
	for _, tc := range tests {
		if got := displayName(tc.in); got != tc.want {
			t.Errorf("displayName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPrintable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain 默认", "plain 默认"},
		{"\x1b[2Jgone", `\x1b[2Jgone`},
		{"a\u202eb", `a\u202eb`},
		{"tab\tnl\n", `tab\tnl\n`},
		{"bad\xffbyte", `bad\ufffdbyte`},
	}
	for _, tc := range tests {
		if got := printable(tc.in); got != tc.want {
			t.Errorf("printable(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMdCode(t *testing.T) {
	tests := []struct {
		in      string
		inTable bool
		want    string
	}{
		{"www", true, "`www`"},
		{"a|b", true, "`a\\|b`"},
		{"a|b", false, "`a|b`"},
		{"a`b", false, "``a`b``"},
		{"`x`", false, "`` `x` ``"},
		{" x ", false, "`  x  `"},
		{"<script>", false, "`<script>`"},
		{`a\|b`, true, "<code>a&#92;&#124;b</code>"},
		{"", true, ""},
	}
	for _, tc := range tests {
		if got := mdCode(tc.in, tc.inTable); got != tc.want {
			t.Errorf("mdCode(%q, %v) = %q, want %q", tc.in, tc.inTable, got, tc.want)
		}
	}
}

func TestMdText(t *testing.T) {
	got := mdText("a|b *c* <i>&amp; [x](y) `z` ~d~")
	want := `a\|b \*c\* \<i\>\&amp; \[x\](y) \` + "`z\\` \\~d\\~"
	if got != want {
		t.Errorf("mdText = %q, want %q", got, want)
	}
}

// gfmCells splits a GFM table row the way the table extension does: a
// backslash escapes the next character, an unescaped pipe ends a cell.
func gfmCells(row string) int {
	n, esc := 0, false
	for _, r := range strings.TrimSpace(row) {
		switch {
		case esc:
			esc = false
		case r == '\\':
			esc = true
		case r == '|':
			n++
		}
	}
	return n - 1 // leading and trailing pipes enclose n-1 cells
}

// TestMarkdownTablesSurviveHostileValues: whatever a record holds, every
// row of every table keeps its column count, and nothing but the
// renderer's own <details>, <summary> and <code> tags appears unescaped.
func TestMarkdownTablesSurviveHostileValues(t *testing.T) {
	nasty := []string{"a|b", `a\|b`, `a\\|b`, "`|`", "<img src=x onerror=alert(1)>", "</details>", "x\n| y |",
		"*bold* _it_", "[l](javascript:x)", `\`, "|", "&lt;", "\u202e|"}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		v := nasty[r.IntN(len(nasty))] + nasty[r.IntN(len(nasty))]
		p := fullPlan()
		p.Changes[6].After.Value = v                    // TXT create
		p.Changes[12].After.Value = v                   // TXT update
		p.Changes[11].Before.Value = v                  // CNAME delete (value not validated here)
		p.Changes[5].After.Line = v                     // line attribute
		p.Stages[2].Batches[7].Detail = "value=" + v    // batch outline
		p.Refusals[0].Reason = v                        // refusal text
		p.Changes[13].Pos = model.Pos{File: v, Line: 1} // source cell
		var buf bytes.Buffer
		if err := Markdown(&buf, p, Options{}); err != nil {
			t.Fatal(err)
		}
		cols := 0
		for _, line := range strings.Split(buf.String(), "\n") {
			if !strings.HasPrefix(line, "|") {
				cols = 0
				continue
			}
			if cols == 0 {
				cols = gfmCells(line) // header row
				continue
			}
			if got := gfmCells(line); got != cols {
				t.Fatalf("case %d (%q): row has %d cells, header %d:\n%s", i, v, got, cols, line)
			}
		}
		if tag := rawHTML(buf.String()); tag != "" {
			t.Fatalf("case %d (%q): output has raw HTML outside code: %q", i, v, tag)
		}
	}
}

// rawHTML returns the first "<" outside code spans and <code> elements
// that is neither backslash-escaped nor one of the renderer's own tags.
func rawHTML(md string) string {
	own := []string{"<details>", "</details>", "<summary>", "</summary>", "<code>"}
	for i := 0; i < len(md); i++ {
		switch {
		case md[i] == '\\':
			i++ // escaped character
		case md[i] == '`':
			n := 1
			for i+n < len(md) && md[i+n] == '`' {
				n++
			}
			fence := md[i : i+n]
			end := strings.Index(md[i+n:], fence)
			if end < 0 {
				return md[i:] // unclosed code span
			}
			i += n + end + n - 1
		case strings.HasPrefix(md[i:], "<code>"):
			end := strings.Index(md[i:], "</code>")
			if end < 0 {
				return md[i:]
			}
			i += end + len("</code>") - 1
		case md[i] == '<':
			ok := false
			for _, tag := range own {
				ok = ok || strings.HasPrefix(md[i:], tag)
			}
			if !ok {
				return md[i:min(len(md), i+20)]
			}
		}
	}
	return ""
}

func TestSummarize(t *testing.T) {
	got := Summarize(fullPlan())
	want := Summary{
		Domains: []DomainSummary{
			{Domain: "example.com", Unicode: "example.com", Refusals: 1, Counts: Counts{
				Creates: 2, Updates: 5, Deletes: 1, Nameservers: 1, HostCreates: 1, HostModifies: 1, HostDeletes: 1, HostSyncs: 1}},
			{Domain: "example.org", Unicode: "example.org", Refusals: 1},
			{Domain: idnDomain, Unicode: "münchen.de", Counts: Counts{Creates: 2, Updates: 1, Deletes: 1}},
		},
		Total: Counts{Creates: 4, Updates: 6, Deletes: 2, Nameservers: 1, HostCreates: 1, HostModifies: 1,
			HostDeletes: 1, HostSyncs: 1},
		Refusals: 2,
		Cost:     fullPlan().Cost,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Summarize (-want +got):\n%s", diff)
	}
	if got.Total.Total() != len(fullPlan().Changes) {
		t.Errorf("Total() = %d, want %d", got.Total.Total(), len(fullPlan().Changes))
	}
	if s := got.String(); s != "2 domains: 4 to create, 6 to update, 2 to delete, 1 nameserver change, 4 glue changes; 2 refusals" {
		t.Errorf("String() = %q", s)
	}
	empty := Summarize(emptyPlan())
	if !empty.Empty() || empty.String() != "no changes" || len(empty.Domains) != 0 {
		t.Errorf("empty plan: %+v %q", empty, empty.String())
	}
}

func TestChangedFieldsDerivedWhenMissing(t *testing.T) {
	before := rec("www", model.TypeMX, "mx.example.com.", 600)
	after := with(before, func(r *model.Record) { r.MX, r.TTL, r.Enabled = 5, 60, false })
	c := plan.Change{Kind: plan.RecordUpdate, Before: before, After: after}
	want := []string{"mx 0 → 5", "ttl 600 → 60", "status enabled → disabled"}
	if diff := cmp.Diff(want, fieldChanges(c)); diff != "" {
		t.Errorf("fieldChanges (-want +got):\n%s", diff)
	}
	c.Fields = []string{"ttl", "mx"} // the planner's list wins, shown in canonical order
	if diff := cmp.Diff(want[:2], fieldChanges(c)); diff != "" {
		t.Errorf("fieldChanges with Fields (-want +got):\n%s", diff)
	}
}

// TestUnknownKindStillRenders: a plan from a newer planner must not crash
// or silently drop a change in the human renderings.
func TestUnknownKindStillRenders(t *testing.T) {
	p := emptyPlan()
	p.Changes = []plan.Change{{ID: "example.com#1", Domain: "example.com", Kind: "record-rename"}}
	for _, f := range []Format{FormatText, FormatMarkdown} {
		var buf bytes.Buffer
		if err := Render(&buf, p, f, Options{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "record-rename") {
			t.Errorf("%s output hides the unknown change:\n%s", f, buf.String())
		}
	}
}
