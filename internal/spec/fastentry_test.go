package spec

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// entryPieces are keys and values the generated entries are made of:
// what zone files hold, and what YAML reads otherwise.
var (
	entryKeys   = []string{"name", "type", "value", "ttl", "mx", "line", "enabled", "values", "true", "null", "x1", "_k", "Name"}
	entryValues = []string{
		"www", "h000001", "_dmarc", "@", `"@"`, `'@'`, "*", `"*.x"`, "A", "CNAME", `"10.0.0.1"`, "10.0.0.1", "192.0.2.10", "600", "0", "010", "09",
		"0x1F", "1_000", "1.5", "1.", "1e3", "-1", "+1", ".5", ".inf", "~", "null", "Null", "NULL", "true", "False", "yes", "no", "on", "y", "n",
		"2001-12-14", "2001:db8::1", "mx1.example.net.", "www.example.c?om.", "a b", "a  b", "v=spf1 -all", `"v=spf1 include:x ~all"`,
		`"a\"b"`, `"a\\b"`, `'it''s'`, `"it's"`, `'say "hi"'`, "电信", "国内", `"默认"`, "é", "a#b", "a #b", "a:b", "a: b", "[a]", "{a: 1}",
		"&x a", "*x", "!!str a", "!t", "|", ">", "%", "`a`", "a,b", "", " ", `""`, `''`, "\u00a0", "a\u2028b", "a\u0085b", "\ufeffa", "😀", "\x7f",
		"\t", "a\tb", `"a\tb"`, "<<", "a}", "ab ",
	}
)

// genEntry is one generated entry line (possibly invalid YAML).
func genEntry(rng *rand.Rand, indent int) string {
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", indent) + "-" + strings.Repeat(" ", 1+rng.IntN(2)) + "{")
	for i := range 1 + rng.IntN(4) {
		if i > 0 {
			b.WriteString("," + strings.Repeat(" ", rng.IntN(3)))
		} else if rng.IntN(3) == 0 {
			b.WriteString(" ")
		}
		b.WriteString(entryKeys[rng.IntN(len(entryKeys))] + ":" + strings.Repeat(" ", 1+rng.IntN(2)) + entryValues[rng.IntN(len(entryValues))])
	}
	b.WriteString(strings.Repeat(" ", rng.IntN(2)) + "}")
	switch rng.IntN(8) {
	case 0:
		b.WriteString("  ")
	case 1:
		b.WriteString(" # c")
	case 2:
		b.WriteString("\r")
	}
	return b.String()
}

// TestFastEntriesLikeYAML: for generated runs of entries, the fast path
// gives exactly the nodes yaml.v3 gives, or leaves the run to it.
func TestFastEntriesLikeYAML(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	// One stream per indentation, so that runs reuse the node arena.
	streams := map[int]*recordStream{2: {indent: 2}, 4: {indent: 4}}
	n, taken := 20000, 0
	if testing.Short() {
		n = 2000
	}
	for i := range n {
		indent := 2 + 2*rng.IntN(2)
		k := 1 + rng.IntN(3)
		var lines []string
		for range k {
			lines = append(lines, genEntry(rng, indent))
			if rng.IntN(10) == 0 {
				lines = append(lines, strings.Repeat(" ", rng.IntN(4)))
			}
		}
		text := []byte(strings.Join(lines, "\n") + "\n")
		rs := streams[indent]
		r := runText{text: text, line: 10 + i}
		fast := rs.fastEntries(r, k)
		if fast == nil {
			continue
		}
		taken++
		slow, err := rs.parseRunYAML(context.Background(), r, k)
		if err != nil {
			t.Fatalf("run %d %q: fast path took what yaml.v3 rejects: %v", i, text, err)
		}
		if d := cmp.Diff(dump(slow), dump(fast)); d != "" {
			t.Fatalf("run %d %q: nodes differ (-yaml.v3 +fast):\n%s", i, text, d)
		}
	}
	if taken < n/20 {
		t.Fatalf("fast path took only %d of %d runs", taken, n)
	}
}

// dump renders nodes with every field that matters, recursively.
func dump(ns []*yaml.Node) []string {
	var out []string
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		out = append(out, fmt.Sprintf("%*s%d %d %q %q %q %v %q %q %q %d:%d", depth, "", n.Kind, n.Style, n.Tag, n.Value, n.Anchor, n.Alias != nil,
			n.HeadComment, n.LineComment, n.FootComment, n.Line, n.Column))
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	for _, n := range ns {
		walk(n, 0)
	}
	return out
}

func BenchmarkParseRun(b *testing.B) {
	var lines []string
	for i := range 512 {
		lines = append(lines, fmt.Sprintf(`    - {name: h%06d, type: A, value: "10.0.%d.%d"}`, i, i/256, i%256))
	}
	text := []byte(strings.Join(lines, "\n") + "\n")
	rs := &recordStream{indent: 4}
	r := runText{text: text, line: 5}
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if rs.fastEntries(r, 512) == nil {
				b.Fatal("not taken")
			}
		}
	})
	b.Run("yaml.v3", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rs.parseRunYAML(context.Background(), r, 512); err != nil {
				b.Fatal(err)
			}
		}
	})
}
