// Package benchzone builds the large zones the planning benchmarks use:
// one zone of n records, 40% A, 25% CNAME, 20% TXT and 15% MX, of which
// 10% differ between the zone file and the provider — a third value
// changes, a third creates, a third deletes, spread over all four types.
// For n = 20,000 that is 667 updates, 667 creates and 666 deletes, the
// counts octoDNS and DNSControl report for the same pair of states.
//
// It is used by benchmarks and tests only, and by cmd/benchzone, which
// writes the same zone as files for measuring the real binary against the
// sandbox (docs/BENCHMARKS.md).
package benchzone

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/dnssync/dnssync/internal/model"
)

// Domain is the benchmark zone's name.
const Domain = "big.example"

// mix are the record types of a block of ten records, by block number
// modulo 20: 8 blocks of A, 5 of CNAME, 4 of TXT and 3 of MX.
var mix = [20]string{
	model.TypeA, model.TypeCNAME, model.TypeA, model.TypeTXT, model.TypeA,
	model.TypeMX, model.TypeA, model.TypeCNAME, model.TypeTXT, model.TypeA,
	model.TypeCNAME, model.TypeA, model.TypeMX, model.TypeTXT, model.TypeA,
	model.TypeCNAME, model.TypeA, model.TypeTXT, model.TypeCNAME, model.TypeMX,
}

// Change is what happens to a record of the zone.
type Change int

// Changes.
const (
	Same   Change = iota
	Update        // the value differs
	Create        // only in the zone file
	Delete        // only at the provider
)

// Of says what happens to record i: the first record of every block of
// ten differs, in turn an update, a create and a delete.
func Of(i int) Change {
	if i%10 != 0 {
		return Same
	}
	return Change(1 + i/10%3)
}

// record is record i as the zone file wants it (new = false: as the
// provider holds it before).
func record(i int, new bool) model.Record {
	r := model.Record{Name: "h" + strconv.Itoa(1_000_000 + i)[1:], Type: mix[i/10%20], Line: model.DefaultLine, TTL: 600, Enabled: true}
	old := !new && Of(i) == Update
	switch r.Type {
	case model.TypeA:
		r.Value = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		if old {
			r.Value = fmt.Sprintf("172.16.%d.%d", i>>8&255, i&255)
		}
	case model.TypeCNAME:
		r.Value = fmt.Sprintf("t%d.example.net.", i%500)
		if old {
			r.Value = fmt.Sprintf("old%d.example.net.", i%500)
		}
	case model.TypeTXT:
		r.Value = fmt.Sprintf("v=spf1 include:%d.example.net ~all", i)
		if old {
			r.Value = fmt.Sprintf("v=spf1 include:old%d.example.net ~all", i)
		}
	case model.TypeMX:
		r.Value, r.MX = fmt.Sprintf("mx%d.example.net.", i%50), 10
		if old {
			r.Value = fmt.Sprintf("mx-old%d.example.net.", i%50)
		}
	}
	return r
}

// Records returns the zone file's records and the provider's, each in
// canonical order; live records carry ids.
func Records(n int) (desired, live []model.Record) {
	desired = make([]model.Record, 0, n)
	live = make([]model.Record, 0, n)
	for i := range n {
		switch Of(i) {
		case Create:
			desired = append(desired, record(i, true))
			continue
		case Delete:
			r := record(i, false)
			r.ID = strconv.Itoa(i + 1)
			live = append(live, r)
			continue
		}
		desired = append(desired, record(i, true))
		r := record(i, false)
		r.ID = strconv.Itoa(i + 1)
		live = append(live, r)
	}
	return desired, live
}

// Counts returns the updates, creates and deletes a plan of the n-record
// zone must report.
func Counts(n int) (updates, creates, deletes int) {
	for i := 0; i < n; i += 10 {
		switch Of(i) {
		case Update:
			updates++
		case Create:
			creates++
		case Delete:
			deletes++
		}
	}
	return updates, creates, deletes
}

// flow writes r as a flow mapping of a records list.
func flow(b *bytes.Buffer, r model.Record) {
	fmt.Fprintf(b, "    - {name: %s, type: %s, value: %q", r.Name, r.Type, r.Value)
	if r.Type == model.TypeMX {
		fmt.Fprintf(b, ", mx: %d", r.MX)
	}
	b.WriteString("}\n")
}

// ZoneFile is the zone file of the desired records.
func ZoneFile(desired []model.Record) []byte {
	var b bytes.Buffer
	b.WriteString("domain: " + Domain + "\ndns:\n  provider: dnspod\n  ttl: 600\n  records:\n")
	for _, r := range desired {
		flow(&b, r)
	}
	return b.Bytes()
}

// Seed is a sandbox seed (docs/SANDBOX.md) holding the live records.
func Seed(live []model.Record) []byte {
	var b bytes.Buffer
	b.WriteString("dnspod:\n  domains:\n    - name: " + Domain + "\n      grade: DP_Extra\n      ttl: 600\n      records:\n")
	for _, r := range live {
		b.WriteString("    ")
		flow(&b, r)
	}
	return b.Bytes()
}

// Config is a dnssync.yaml for the benchmark zone's directory: zones in
// zones/, DNSPod at endpoint with the sandbox's CA and credentials in
// stateDir (relative to the configuration).
func Config(endpoint, stateDir string) []byte {
	return []byte("providers:\n  dnspod:\n    type: dnspod\n    endpoint: " + endpoint +
		"\n    ca_file: " + stateDir + "/sandbox-ca.pem\n    credentials: {file: " + stateDir + "/sandbox-credentials.yaml}\n" +
		"    rate_limit: 1000\n    burst: 100\n    min_ttl: 60\nzones: zones\nstate_dir: " + stateDir + "\n")
}

// WriteFiles writes, under dir, the n-record zone as zones/<Domain>.yaml,
// the provider's state as seed.yaml and a dnssync.yaml for a sandbox
// serving DNSPod at endpoint with its state in dir/.dnssync.
func WriteFiles(dir string, n int, endpoint string) error {
	desired, live := Records(n)
	if err := os.MkdirAll(filepath.Join(dir, "zones"), 0o755); err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		filepath.Join("zones", Domain+".yaml"): ZoneFile(desired),
		"seed.yaml":                            Seed(live),
		"dnssync.yaml":                         Config(endpoint, ".dnssync"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
