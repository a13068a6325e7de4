package render

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/plan"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func TestGolden(t *testing.T) {
	tests := []struct {
		file   string
		plan   *plan.Plan
		format Format
		opts   Options
	}{
		{"full.txt.golden", fullPlan(), FormatText, Options{}},
		{"full.color.golden", fullPlan(), FormatText, Options{Color: true}},
		{"full.md.golden", fullPlan(), FormatMarkdown, Options{}},
		{"full.collapsed.md.golden", fullPlan(), FormatMarkdown, Options{CollapseOver: 3}},
		{"full.json.golden", fullPlan(), FormatJSON, Options{}},
		{"empty.txt.golden", emptyPlan(), FormatText, Options{}},
		{"empty.md.golden", emptyPlan(), FormatMarkdown, Options{}},
		{"empty.json.golden", emptyPlan(), FormatJSON, Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, tc.plan, tc.format, tc.opts); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, buf.Bytes())
		})
	}
}

// TestOrderIndependent: the human renderings sort what they show, so the
// order in which the planner lists changes and refusals does not matter.
func TestOrderIndependent(t *testing.T) {
	for _, f := range []Format{FormatText, FormatMarkdown} {
		var want bytes.Buffer
		if err := Render(&want, fullPlan(), f, Options{}); err != nil {
			t.Fatal(err)
		}
		for seed := range uint64(20) {
			p := fullPlan()
			r := rand.New(rand.NewPCG(seed, 1))
			r.Shuffle(len(p.Changes), func(i, j int) { p.Changes[i], p.Changes[j] = p.Changes[j], p.Changes[i] })
			r.Shuffle(len(p.Refusals), func(i, j int) { p.Refusals[i], p.Refusals[j] = p.Refusals[j], p.Refusals[i] })
			var got bytes.Buffer
			if err := Render(&got, p, f, Options{}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Fatalf("%s, seed %d: output depends on change order (-sorted +shuffled):\n%s", f, seed, diff)
			}
		}
	}
}

// TestRenderDoesNotModifyPlan: rendering sorts copies, never the plan.
func TestRenderDoesNotModifyPlan(t *testing.T) {
	for _, f := range []Format{FormatText, FormatMarkdown, FormatJSON} {
		p := fullPlan()
		p.Changes[0], p.Changes[len(p.Changes)-1] = p.Changes[len(p.Changes)-1], p.Changes[0]
		before := *p
		before.Changes = append([]plan.Change(nil), p.Changes...)
		before.Refusals = append([]plan.Refusal(nil), p.Refusals...)
		var buf bytes.Buffer
		if err := Render(&buf, p, f, Options{}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(&before, p); diff != "" {
			t.Errorf("%s changed the plan (-before +after):\n%s", f, diff)
		}
	}
}

// TestDocExamplesAreCurrent: the examples in docs/PLAN-FORMAT.md ("Reading
// a plan") are the golden outputs, so the document shows what dnssync prints.
func TestDocExamplesAreCurrent(t *testing.T) {
	doc, err := os.ReadFile("../../docs/PLAN-FORMAT.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"full.txt.golden", "full.md.golden"} {
		want, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(doc, want) {
			t.Errorf("docs/PLAN-FORMAT.md does not contain testdata/%s verbatim; copy it into the example", name)
		}
	}
}
