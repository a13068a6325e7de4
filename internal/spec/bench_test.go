package spec

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dnssync/dnssync/internal/providers/all"
)

// BenchmarkValidateExamples: the whole examples repository, config included
// (schema compilation is part of every run, as in the CLI).
func BenchmarkValidateExamples(b *testing.B) {
	for b.Loop() {
		if r, _ := Validate(context.Background(), all.Registry(), "../../examples/dnssync.yaml"); !r.OK {
			b.Fatal(r.Diagnostics)
		}
	}
}

// BenchmarkParseZone5000: one large zone, to keep the per-record checks
// (normalisation, duplicates, CNAME conflicts) linear.
func BenchmarkParseZone5000(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("domain: big.example\ndns:\n  provider: dnspod\n  records:\n")
	for i := range 5000 {
		fmt.Fprintf(&sb, "    - {name: host%d, type: A, value: 10.%d.%d.%d}\n", i, i/65536%256, i/256%256, i%256)
	}
	data := []byte(sb.String())
	cfg := testCfg(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		dom, ds := ParseZone(context.Background(), cfg, "big.yaml", data)
		if len(ds) != 0 || len(dom.DNS.Records) != 5000 {
			b.Fatalf("%d records, %v", len(dom.DNS.Records), ds)
		}
	}
}
