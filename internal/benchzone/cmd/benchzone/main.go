// Command benchzone writes the benchmark zone of internal/benchzone as a
// configuration directory — zones/big.example.yaml, seed.yaml and
// dnssync.yaml — for timing `dnssync plan` against `dnssync sandbox`
// (scripts/bench-plan-e2e.sh, docs/BENCHMARKS.md).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/dnssync/dnssync/internal/benchzone"
)

func main() {
	n := flag.Int("n", 100_000, "records in the zone")
	dir := flag.String("dir", "", "directory to write into (required)")
	endpoint := flag.String("endpoint", "https://127.0.0.1:18544", "DNSPod endpoint of the sandbox")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "benchzone: -dir is required")
		os.Exit(2)
	}
	if err := benchzone.WriteFiles(*dir, *n, *endpoint); err != nil {
		fmt.Fprintln(os.Stderr, "benchzone:", err)
		os.Exit(1)
	}
}
