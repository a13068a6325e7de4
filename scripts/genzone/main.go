// Command genzone writes a large, valid zone file for benchmarks, and
// optionally a sandbox seed holding the same records:
//
//	go run ./scripts/genzone -n 600000 -o zones/big.example.yaml -seed seed.yaml
//
// docs/BENCHMARKS.md uses it for the memory figures of a 50 MB zone.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/dnssync/dnssync/internal/zonegen"
)

func main() {
	var (
		o    zonegen.Options
		out  string
		seed string
	)
	flag.IntVar(&o.Records, "n", 600_000, "number of records")
	flag.StringVar(&o.Domain, "domain", "big.example", "domain name")
	flag.StringVar(&o.Provider, "provider", "dnspod", "dns.provider of the zone")
	flag.StringVar(&out, "o", "-", "zone file to write (- for stdout)")
	flag.StringVar(&seed, "seed", "", "also write a sandbox seed with the same records to this file")
	flag.Parse()
	if err := run(o, out, seed); err != nil {
		fmt.Fprintln(os.Stderr, "genzone:", err)
		os.Exit(1)
	}
}

func run(o zonegen.Options, out, seed string) error {
	if err := write(out, func(w io.Writer) error { return zonegen.WriteZone(w, o) }); err != nil {
		return err
	}
	if seed == "" {
		return nil
	}
	return write(seed, func(w io.Writer) error { return zonegen.WriteSeed(w, o) })
}

func write(path string, f func(io.Writer) error) error {
	if path == "-" {
		return f(os.Stdout)
	}
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := f(file); err != nil {
		file.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return file.Close()
}
