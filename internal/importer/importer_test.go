package importer

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/diff"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/aliyun"
	"github.com/dnssync/dnssync/internal/providers/all"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
	"github.com/dnssync/dnssync/internal/spec"
)

func testConfig(t *testing.T) *spec.Config {
	t.Helper()
	cfg := spec.DefaultConfig(t.TempDir(), all.Registry())
	cfg.Providers["aliyun"] = spec.DefaultProvider("aliyun", aliyun.Type{})
	p := spec.DefaultProvider("dnspod", dnspod.Type{})
	p.Options = map[string]providers.Option{"min_ttl": {Value: 1}}
	cfg.Providers["dnspod"] = p
	return cfg
}

func randomLive(r *rand.Rand, name string) *model.LiveDomain {
	ld := &model.LiveDomain{Name: name,
		Registrar: &model.LiveRegistrar{Nameservers: []string{"ns1." + name, "ns2." + name},
			DNSHosts: []model.DNSHost{{Host: "ns1." + name, IPs: []string{"192.0.2.53"}}, {Host: "ns2." + name, IPs: []string{"2001:db8::53", "198.51.100.53"}}}},
		DNS: &model.LiveDNS{DomainID: "1"},
	}
	ld.DNS.Records = append(ld.DNS.Records, model.Record{ID: "9", Name: "@", Type: "NS", Line: model.DefaultLine, Value: "f1g1ns1.dnspod.net.", TTL: 86400, Enabled: true, System: true})
	names := []string{"@", "www", "api", "*.dev", "_sip._tcp", "mail", "true", "123", "null"}
	lines := []string{model.DefaultLine, model.DefaultLine, "电信", "联通"}
	ttls := []int{600, 600, 600, 60, 3600}
	seen := map[model.Key]bool{}
	for i := 0; i < 40; i++ {
		n := names[r.IntN(len(names))]
		rec := model.Record{ID: fmt.Sprint(100 + i), Name: n, Line: lines[r.IntN(len(lines))], TTL: ttls[r.IntN(len(ttls))], Enabled: r.IntN(5) > 0}
		switch r.IntN(7) {
		case 0:
			rec.Type, rec.Value = "A", fmt.Sprintf("192.0.2.%d", r.IntN(5))
		case 1:
			rec.Type, rec.Value = "AAAA", []string{"2001:db8::", "2001:db8::1", "2001:db8::3"}[r.IntN(3)]
		case 2:
			rec.Type, rec.Value = "TXT", []string{"v=spf1 -all", `say "hi"`, "a: b # not a comment", "yes"}[r.IntN(4)]
		case 3:
			rec.Type, rec.Value, rec.MX = "MX", fmt.Sprintf("mx%d.example.net.", r.IntN(3)), 1+r.IntN(20)
		case 5, 6:
			// DNSPod serves several CNAMEs on a name (load balancing)
			// and has let a CNAME stand at the apex or beside MX and TXT.
			rec.Type, rec.Value = "CNAME", fmt.Sprintf("t%d.example.net.", r.IntN(3))
		case 4:
			if n == "_sip._tcp" {
				rec.Type, rec.Value = "SRV", "10 60 5060 sip.example.com."
			} else {
				continue
			}
		}
		if seen[rec.Key()] {
			continue
		}
		seen[rec.Key()] = true
		ld.DNS.Records = append(ld.DNS.Records, rec)
	}
	model.SortRecords(ld.DNS.Records)
	return ld
}

// Importing live state and planning the file against that same state gives
// no changes, whatever the records look like (quoting, lines, TTLs, IDNs).
func TestImportRoundTrip(t *testing.T) {
	cfg := testConfig(t)
	r := rand.New(rand.NewPCG(7, 7))
	planned, ignored, siblings := 0, 0, 0
	for i := 0; i < 200; i++ {
		ld := randomLive(r, "example.com")
		if i%3 == 0 {
			ld.Registrar.AliyunDNS, ld.Registrar.Nameservers, ld.Registrar.DNSHosts = true, []string{"ns1.alidns.com", "ns2.alidns.com"}, nil
		}
		data, left, err := ZoneChecked(ld, Options{RegistrarProvider: "aliyun", DNSProvider: "dnspod", SchemaPath: "../schema.json", Config: cfg})
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		ignored += len(left)
		d, diags := spec.ParseZone(context.Background(), cfg, filepath.Join(cfg.ZonesDir, "example.com.yaml"), data)
		if diags.HasErrors() {
			t.Fatalf("case %d: the imported file does not validate:\n%s\n%s", i, diags, data)
		}
		for _, r := range d.DNS.Records {
			if r.Type == model.TypeCNAME && slices.ContainsFunc(d.DNS.Records, func(o model.Record) bool {
				return o.Type == model.TypeCNAME && o.Name == r.Name && o.Line == r.Line && o.Value != r.Value
			}) {
				siblings++
			}
		}
		desired := &model.Desired{Domains: []model.Domain{*d}}
		live := &model.Live{Domains: []model.LiveDomain{*ld}}
		cfg := testConfig(t)
		planners := map[string]providers.Planner{}
		for _, n := range cfg.ProviderNames() {
			t, _ := cfg.Registry.Lookup(cfg.Providers[n].Type)
			planners[n] = t.Planner(cfg.Providers[n])
		}
		changes := diff.Plan(desired, live, diff.Options{AllowDelegation: true, Planners: planners}).Changes
		if len(changes) != 0 {
			t.Fatalf("case %d: import then plan is not empty: %+v\n%s", i, changes[0], data)
		}
		planned++
	}
	if planned != 200 || ignored == 0 || siblings == 0 {
		t.Fatalf("%d of 200 random zones planned, %d records left to ignore entries, %d CNAMEs beside another on their name: the generator no longer exercises the round trip",
			planned, ignored, siblings)
	}
}

func TestImportGolden(t *testing.T) {
	ld := &model.LiveDomain{Name: "example.org",
		Registrar: &model.LiveRegistrar{AliyunDNS: true, Nameservers: []string{"ns1.alidns.com", "ns2.alidns.com"}},
		DNS: &model.LiveDNS{Records: []model.Record{
			{ID: "1", Name: "@", Type: "A", Line: model.DefaultLine, Value: "192.0.2.1", TTL: 600, Enabled: true},
			{ID: "2", Name: "@", Type: "MX", Line: model.DefaultLine, Value: "mx.example.net.", MX: 10, TTL: 600, Enabled: true},
			{ID: "3", Name: "cdn", Type: "A", Line: "电信", Value: "192.0.2.2", TTL: 60, Enabled: false},
			{ID: "4", Name: "@", Type: "NS", Line: model.DefaultLine, Value: "f1g1ns1.dnspod.net.", TTL: 86400, Enabled: true, System: true},
		}},
	}
	got, err := Zone(ld, Options{RegistrarProvider: "aliyun", DNSProvider: "dnspod", SchemaPath: "../schema.json"})
	if err != nil {
		t.Fatal(err)
	}
	want := `# yaml-language-server: $schema=../schema.json
#
# Imported from live state by ` + "`dnssync import`" + `. Review before committing:
# from now on this file is the truth for example.org.
domain: example.org
registrar:
  provider: aliyun
  aliyun_dns: true
  dns_hosts: []
dns:
  provider: dnspod
  ttl: 600
  records:
    - {name: '@', type: A, value: 192.0.2.1}
    - {name: '@', type: MX, value: mx.example.net., mx: 10}
    - {name: cdn, type: A, value: 192.0.2.2, line: 电信, ttl: 60, enabled: false}
`
	if string(got) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestImportTXTStartingWithQuote: text that starts with a double quote is
// written quoted, so that loading it does not take it for quoted strings.
func TestImportTXTStartingWithQuote(t *testing.T) {
	cfg := testConfig(t)
	for _, v := range []string{`"quoted" and not`, ` "x`, `say "hi"`, `back\slash "q"`} {
		ld := &model.LiveDomain{Name: "example.com", DNS: &model.LiveDNS{DomainID: "1", Records: []model.Record{
			{ID: "1", Name: "@", Type: "TXT", Line: model.DefaultLine, Value: v, TTL: 600, Enabled: true}}}}
		data, err := Zone(ld, Options{DNSProvider: "dnspod"})
		if err != nil {
			t.Fatal(err)
		}
		d, diags := spec.ParseZone(context.Background(), cfg, "example.com.yaml", data)
		if diags.HasErrors() || len(d.DNS.Records) != 1 || d.DNS.Records[0].Value != v {
			t.Errorf("TXT %q imported as:\n%s\nloads as %+v (%v)", v, data, d.DNS.Records, diags)
		}
	}
}

// A live record the loader would reject (DNSPod has let a CNAME stand at
// the apex) becomes an ignore entry matching exactly it, so that the file
// validates and the record is left alone; CNAMEs sharing a name are
// DNSPod's load balancing and stay records.
func TestImportLeavesInvalidRecordsToIgnore(t *testing.T) {
	cfg := testConfig(t)
	ld := &model.LiveDomain{Name: "example.org", DNS: &model.LiveDNS{DomainID: "1", Records: []model.Record{
		{ID: "1", Name: "@", Type: "CNAME", Line: model.DefaultLine, Value: "edge*.example.net.", TTL: 600, Enabled: true},
		{ID: "2", Name: "@", Type: "MX", Line: model.DefaultLine, Value: "mx.example.net.", MX: 10, TTL: 600, Enabled: true},
		{ID: "3", Name: "cdn", Type: "CNAME", Line: model.DefaultLine, Value: "a.cdn.example.net.", TTL: 600, Enabled: true},
		{ID: "4", Name: "cdn", Type: "CNAME", Line: model.DefaultLine, Value: "b.cdn.example.net.", TTL: 600, Enabled: true},
	}}}
	got, left, err := ZoneChecked(ld, Options{DNSProvider: "dnspod", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	want := `#
# Imported from live state by ` + "`dnssync import`" + `. Review before committing:
# from now on this file is the truth for example.org.
domain: example.org
dns:
  provider: dnspod
  ttl: 600
  # Live records that break a rule ` + "`dnssync validate`" + ` checks: left as they are.
  ignore:
    - {name: '@', type: CNAME, value: edge\*.example.net.}
  records:
    - {name: '@', type: MX, value: mx.example.net., mx: 10}
    - {name: cdn, type: CNAME, value: a.cdn.example.net.}
    - {name: cdn, type: CNAME, value: b.cdn.example.net.}
`
	if d := cmp.Diff(want, string(got)); d != "" {
		t.Errorf("file (-want +got):\n%s", d)
	}
	if len(left) != 1 || left[0].ID != "1" {
		t.Errorf("left to ignore: %v", left)
	}
	d, ds := spec.ParseZone(context.Background(), cfg, "example.org.yaml", got)
	if ds.HasErrors() || !diff.Ignored(d.DNS.Ignore, ld.DNS.Records[0]) || diff.Ignored(d.DNS.Ignore, ld.DNS.Records[1]) {
		t.Errorf("loaded: ignore %v, diagnostics %v", d.DNS.Ignore, ds)
	}
}
