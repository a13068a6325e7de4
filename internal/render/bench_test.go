package render

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/dnssync/dnssync/internal/plan"
)

// bigPlan is fullPlan with n more record creates, the size of a large
// migration.
func bigPlan(n int) *plan.Plan {
	p := fullPlan()
	base := p.Changes[5]
	for i := range n {
		c := base
		c.ID = fmt.Sprintf("example.com#%d", 100+i)
		r := *c.After
		r.Name = fmt.Sprintf("host%04d", i)
		c.After = &r
		p.Changes = append(p.Changes, c)
	}
	return p
}

func BenchmarkWritePlanFile1000(b *testing.B) {
	p := bigPlan(1000)
	for b.Loop() {
		if err := WritePlanFile(io.Discard, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadPlanFile1000(b *testing.B) {
	var buf bytes.Buffer
	if err := WritePlanFile(&buf, bigPlan(1000)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ReadPlanFile(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkText1000(b *testing.B) {
	p := bigPlan(1000)
	for b.Loop() {
		if err := Text(io.Discard, p, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarkdown1000(b *testing.B) {
	p := bigPlan(1000)
	for b.Loop() {
		if err := Markdown(io.Discard, p, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
