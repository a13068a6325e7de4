// Package zonegen writes large, valid zone files (and a matching sandbox
// seed) for benchmarks and for tests that need a file big enough to take
// seconds to load. The output depends only on the options, so figures taken
// on two builds compare the same bytes.
package zonegen

import (
	"bufio"
	"fmt"
	"io"
)

// Options shape a generated zone.
type Options struct {
	Domain   string // default big.example
	Provider string // dns.provider; default dnspod
	Records  int    // number of records
}

func (o Options) withDefaults() Options {
	if o.Domain == "" {
		o.Domain = "big.example"
	}
	if o.Provider == "" {
		o.Provider = "dnspod"
	}
	return o
}

// WriteZone writes a zone file of o.Records records: 60% A, 10% each of
// AAAA, CNAME, TXT and MX, every one on a name of its own (so no CNAME
// conflicts), about 85 bytes a record.
func WriteZone(w io.Writer, o Options) error {
	o = o.withDefaults()
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintf(bw, "# yaml-language-server: $schema=../../schema.json\n# %d generated records\ndomain: %s\ndns:\n  provider: %s\n  ttl: 600\n  records:\n",
		o.Records, o.Domain, o.Provider)
	writeRecords(bw, o)
	return bw.Flush()
}

// WriteSeed writes a sandbox seed (docs/SANDBOX.md) in which DNSPod holds
// exactly the records WriteZone writes, so that a plan of that zone against
// the seeded sandbox reads every record and finds nothing to change.
func WriteSeed(w io.Writer, o Options) error {
	o = o.withDefaults()
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintf(bw, "version: 1\ndnspod:\n  domains:\n    - name: %s\n      grade: DP_Extra\n      ttl: 600\n      records:\n", o.Domain)
	writeRecords(bw, o)
	return bw.Flush()
}

// writeRecords writes the record lines; their indentation fits both a zone
// file's dns.records and a seed's domain records.
func writeRecords(w *bufio.Writer, o Options) {
	for i := range o.Records {
		a, b, c := i>>16&255, i>>8&255, i&255
		switch i % 10 {
		case 6:
			fmt.Fprintf(w, "        - {name: v6-%07d.pool-%02d.svc, type: AAAA, value: \"2001:db8:%x::%x\", ttl: 600}\n", i, i%97, i>>16, i&0xffff)
		case 7:
			fmt.Fprintf(w, "        - {name: alias-%07d.pool-%02d.svc, type: CNAME, value: web-%07d.edge.%s., ttl: 600}\n", i, i%97, i-7, o.Domain)
		case 8:
			fmt.Fprintf(w, "        - {name: txt-%07d.pool-%02d.svc, type: TXT, value: \"site-verification=%07d-%08x\"}\n", i, i%97, i, uint32(i)*2654435761)
		case 9:
			fmt.Fprintf(w, "        - {name: mail-%07d.pool-%02d.svc, type: MX, value: mx%d.mail.%s., mx: %d}\n", i, i%97, i%4+1, o.Domain, i%20+1)
		default:
			fmt.Fprintf(w, "        - {name: web-%07d.edge, type: A, value: 10.%d.%d.%d, ttl: 600}\n", i, a, b, c)
		}
	}
}
