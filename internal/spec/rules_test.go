package spec

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dnssync/dnssync/internal/providers/all"
)

const testConfig = `
providers:
  aliyun: {type: aliyun}
  dnspod: {type: dnspod}
  pro: {type: dnspod, min_ttl: 60, lines: [广东电信]}
  own: {type: rfc2136, server: 192.0.2.53, tsig_key: dnssync-key, tsig_secret_env: DNSSYNC_TSIG_SECRET}
`

func testCfg(t testing.TB) *Config {
	t.Helper()
	cfg, ds := ParseConfig("dnssync.yaml", []byte(testConfig), all.Registry())
	if ds.HasErrors() || cfg == nil {
		t.Fatalf("test config: %v", ds)
	}
	return cfg
}

// zoneWith builds a zone file for example.com whose dns section has the
// given record lines (flow mappings).
func zoneWith(records ...string) string {
	var b strings.Builder
	b.WriteString("domain: example.com\ndns:\n  provider: dnspod\n  records:\n")
	for _, r := range records {
		b.WriteString("    - " + r + "\n")
	}
	return b.String()
}

// ownZoneWith is zoneWith for the rfc2136 provider "own".
func ownZoneWith(records ...string) string {
	return strings.Replace(zoneWith(records...), "provider: dnspod", "provider: own", 1)
}

func registrarWith(body string) string {
	return "domain: example.com\nregistrar:\n  provider: aliyun\n" + body
}

// TestRules holds a good and a bad case for every semantic rule. The bad
// case must raise the rule; the good case must raise no error at all.
func TestRules(t *testing.T) {
	tests := []struct {
		rule      string
		good, bad string
	}{
		{RuleYAMLSyntax, zoneWith(`{name: www, type: A, value: 192.0.2.1}`), "domain: [example.com\n"},
		{RuleEmptyFile, zoneWith(`{name: www, type: A, value: 192.0.2.1}`), "# nothing\n"},
		{RuleDuplicateKey, zoneWith(`{name: www, type: A, value: 192.0.2.1}`), zoneWith(`{name: www, name: w, type: A, value: 192.0.2.1}`)},
		{RuleUnknownKey, zoneWith(`{name: www, type: A, value: 192.0.2.1}`), zoneWith(`{name: www, type: A, vaule: 192.0.2.1}`)},
		{RuleSchemaType, zoneWith(`{name: www, type: A, value: 192.0.2.1, ttl: 600}`), zoneWith(`{name: www, type: A, value: 192.0.2.1, ttl: ten}`)},
		{RuleMissingKey, zoneWith(`{name: www, type: A, value: 192.0.2.1}`), zoneWith(`{name: www, value: 192.0.2.1}`)},
		{RuleSchema, zoneWith(`{name: www, type: A, value: 192.0.2.1}`), "domain: example.com\ndns: {provider: dnspod, policy: never}\n"},
		{RuleDomainName, "domain: exämple.com\n" + "dns: {provider: dnspod, records: [{name: www, type: A, value: 192.0.2.1}]}\n", "domain: com\ndns: {provider: dnspod, records: [{name: www, type: A, value: 192.0.2.1}]}\n"},
		{RuleNameSyntax, zoneWith(`{name: _dmarc, type: TXT, value: "v=DMARC1; p=none"}`), zoneWith(`{name: "a b", type: A, value: 192.0.2.1}`)},
		{RuleLabelLength, zoneWith(`{name: ` + strings.Repeat("a", 63) + `, type: A, value: 192.0.2.1}`), zoneWith(`{name: ` + strings.Repeat("a", 64) + `, type: A, value: 192.0.2.1}`)},
		{RuleNameLength, zoneWith(`{name: ` + longName(253) + `, type: A, value: 192.0.2.1}`), zoneWith(`{name: ` + longName(254) + `, type: A, value: 192.0.2.1}`)},
		{RuleWildcard, zoneWith(`{name: "*.dev", type: A, value: 192.0.2.1}`), zoneWith(`{name: "dev*", type: A, value: 192.0.2.1}`)},
		{RuleIDNA, zoneWith(`{name: bücher, type: A, value: 192.0.2.1}`), zoneWith(`{name: "\u0301a", type: A, value: 192.0.2.1}`)},
		{RuleNameOutside, zoneWith(`{name: www.example.com., type: A, value: 192.0.2.1}`), zoneWith(`{name: www.example.net., type: A, value: 192.0.2.1}`)},
		{RuleNameRepeats, zoneWith(`{name: www.example.com., type: A, value: 192.0.2.1}`), zoneWith(`{name: www.example.com, type: A, value: 192.0.2.1}`)},
		{RuleProvider, zoneWith(`{name: www, type: A, value: 192.0.2.1}`), "domain: example.com\ndns: {provider: route53, records: [{name: www, type: A, value: 192.0.2.1}]}\n"},
		{RuleProviderKind, zoneWith(`{name: www, type: A, value: 192.0.2.1}`), "domain: example.com\ndns: {provider: aliyun, records: [{name: www, type: A, value: 192.0.2.1}]}\n"},
		{RuleRecordType, zoneWith(`{name: www, type: aaaa, value: "2001:db8::1"}`), zoneWith(`{name: www, type: PTR, value: host.example.net.}`)},
		{RuleRecordValue, zoneWith(`{name: www, type: A, values: [192.0.2.1, 192.0.2.2]}`), zoneWith(`{name: www, type: A}`)},
		{RuleValueA, zoneWith(`{name: www, type: A, value: 192.0.2.1}`), zoneWith(`{name: www, type: A, value: 192.0.2}`)},
		{RuleValueAAAA, zoneWith(`{name: www, type: AAAA, value: "2001:DB8:0::1"}`), zoneWith(`{name: www, type: AAAA, value: "2001:db8::g"}`)},
		{RuleValueCNAME, zoneWith(`{name: sel._domainkey, type: CNAME, value: sel._domainkey.example.net}`), zoneWith(`{name: www, type: CNAME, value: "web..example.net."}`)},
		{RuleValueMX, zoneWith(`{name: "@", type: MX, value: mx.example.net, mx: 10}`), zoneWith(`{name: "@", type: MX, value: "mx", mx: 10}`)},
		{RuleValueTXT, zoneWith(`{name: "@", type: TXT, value: '"v=spf1" " -all"'}`), zoneWith(`{name: "@", type: TXT, value: '""'}`)},
		{RuleTXTLength, zoneWith(`{name: "@", type: TXT, value: ` + strings.Repeat("x", 255) + `}`), zoneWith(`{name: "@", type: TXT, value: ` + strings.Repeat("x", 256) + `}`)},
		{RuleValueLength, zoneWith(`{name: "@", type: TXT, value: ` + strings.Repeat("x", 65279) + `}`), zoneWith(`{name: "@", type: TXT, value: ` + strings.Repeat("x", 65280) + `}`)},
		{RuleValueNS, zoneWith(`{name: lab, type: NS, value: ns1.example.net.}`), zoneWith(`{name: lab, type: NS, value: 192.0.2.1}`)},
		{RuleValueSRV, zoneWith(`{name: _sip._tcp, type: SRV, value: "10 60 5060 sip.example.com."}`), zoneWith(`{name: _sip._tcp, type: SRV, value: "10 60 70000 sip.example.com."}`)},
		{RuleSRVName, zoneWith(`{name: _sip._tcp, type: SRV, value: "0 0 0 ."}`), zoneWith(`{name: sip, type: SRV, value: "0 0 0 ."}`)},
		{RuleValueCAA, zoneWith(`{name: "@", type: CAA, value: 0 issue "ca.example.net; account=1"}`), zoneWith(`{name: "@", type: CAA, value: '0 is-sue "ca.example.net"'}`)},
		{RuleValuePTR, ownZoneWith(`{name: host, type: PTR, value: www.example.com.}`), ownZoneWith(`{name: host, type: PTR, value: 192.0.2.1}`)},
		{RuleLine, zoneWith(`{name: www, type: A, value: 192.0.2.1, line: 联通}`), zoneWith(`{name: www, type: A, value: 192.0.2.1, line: 广东电信}`)},
		{RuleTTLRange, zoneWith(`{name: www, type: A, value: 192.0.2.1, ttl: 604800}`), zoneWith(`{name: www, type: A, value: 192.0.2.1, ttl: 599}`)},
		{RuleMXRange, zoneWith(`{name: "@", type: MX, value: mx.example.net., mx: 20}`), zoneWith(`{name: "@", type: MX, value: mx.example.net., mx: 21}`)},
		{RuleNSApexLine, zoneWith(`{name: "@", type: NS, value: ns1.example.net.}`), zoneWith(`{name: "@", type: NS, value: ns1.example.net., line: 电信}`)},
		{RuleCNAMEConflict, zoneWith(`{name: www, type: CNAME, value: web.example.net.}`, `{name: www, type: A, value: 192.0.2.1, line: 电信}`),
			zoneWith(`{name: www, type: CNAME, value: web.example.net.}`, `{name: www, type: TXT, value: hello}`)},
		{RuleCNAMEApex, zoneWith(`{name: www, type: CNAME, value: web.example.net.}`), zoneWith(`{name: "@", type: CNAME, value: web.example.net.}`)},
		{RuleDuplicate, zoneWith(`{name: www, type: A, value: 192.0.2.1}`, `{name: www, type: A, value: 192.0.2.1, line: 电信}`),
			zoneWith(`{name: www, type: A, value: 192.0.2.1}`, `{name: WWW, type: A, value: 192.0.2.1, ttl: 900}`)},
		{RuleIgnorePattern, "domain: example.com\ndns: {provider: dnspod, ignore: [{name: 'x[ab]*'}], records: [{name: www, type: A, value: 192.0.2.1}]}\n",
			"domain: example.com\ndns: {provider: dnspod, ignore: [{name: 'x[ab'}], records: [{name: www, type: A, value: 192.0.2.1}]}\n"},
		{RuleIgnored, "domain: example.com\ndns: {provider: dnspod, ignore: [{name: 'legacy-*'}], records: [{name: www, type: A, value: 192.0.2.1}]}\n",
			"domain: example.com\ndns: {provider: dnspod, ignore: [{name: 'legacy-*'}], records: [{name: legacy-www, type: A, value: 192.0.2.1}]}\n"},
		{RuleNoRecords, "domain: example.com\ndns: {provider: dnspod, policy: upsert-only, records: []}\n", "domain: example.com\ndns: {provider: dnspod}\n"},
		{RuleDelegation, registrarWith("  aliyun_dns: true\n"), registrarWith("  aliyun_dns: false\n")},
		{RuleNSName, registrarWith("  nameservers: [ns1.example.net, ns2.example.net.]\n"), registrarWith("  nameservers: [ns1.example.net, ns-.example.net]\n")},
		{RuleNSCount, registrarWith("  nameservers: [" + nsList(13) + "]\n"), registrarWith("  nameservers: [" + nsList(14) + "]\n")},
		{RuleNSDuplicate, registrarWith("  nameservers: [ns1.example.net, ns2.example.net]\n"), registrarWith("  nameservers: [ns1.example.net, NS1.example.net.]\n")},
		{RuleGlueMissing, registrarWith("  nameservers: [ns1.example.com, ns2.example.net]\n  dns_hosts: [{host: ns1.example.com, ips: [192.0.2.53]}]\n"),
			registrarWith("  nameservers: [ns1.example.com, ns2.example.net]\n")},
		{RuleGlueOutside, registrarWith("  aliyun_dns: true\n  dns_hosts: [{host: ns1.example.com, ips: [192.0.2.53]}]\n"),
			registrarWith("  aliyun_dns: true\n  dns_hosts: [{host: ns1.example.net, ips: [192.0.2.53]}]\n")},
		{RuleGlueHost, registrarWith("  aliyun_dns: true\n  dns_hosts: [{host: " + longHost(80) + ", ips: [192.0.2.53]}]\n"),
			registrarWith("  aliyun_dns: true\n  dns_hosts: [{host: " + longHost(81) + ", ips: [192.0.2.53]}]\n")},
		{RuleGlueIPs, registrarWith("  aliyun_dns: true\n  dns_hosts: [{host: ns1.example.com, ips: [" + ipList(13) + "]}]\n"),
			registrarWith("  aliyun_dns: true\n  dns_hosts: [{host: ns1.example.com, ips: [" + ipList(14) + "]}]\n")},
		{RuleGlueIPDup, registrarWith("  aliyun_dns: true\n  dns_hosts: [{host: ns1.example.com, ips: [192.0.2.1, '2001:db8::1']}]\n"),
			registrarWith("  aliyun_dns: true\n  dns_hosts: [{host: ns1.example.com, ips: ['2001:db8::1', '2001:DB8:0::1']}]\n")},
		{RuleGlueDuplicate, registrarWith("  aliyun_dns: true\n  dns_hosts: [{host: ns1.example.com, ips: [192.0.2.1]}, {host: ns2.example.com, ips: [192.0.2.1]}]\n"),
			registrarWith("  aliyun_dns: true\n  dns_hosts: [{host: ns1.example.com, ips: [192.0.2.1]}, {host: NS1.example.com., ips: [192.0.2.2]}]\n")},
	}
	cfg := testCfg(t)
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.rule] = true
		t.Run(tt.rule, func(t *testing.T) {
			_, good := ParseZone(context.Background(), cfg, "zone.yaml", []byte(tt.good))
			if slices.ContainsFunc(good, func(d Diagnostic) bool { return d.Rule == tt.rule || d.Severity == SeverityError }) {
				t.Errorf("good case raised problems:\n%v", good)
			}
			_, bad := ParseZone(context.Background(), cfg, "zone.yaml", []byte(tt.bad))
			if !slices.ContainsFunc(bad, func(d Diagnostic) bool { return d.Rule == tt.rule }) {
				t.Errorf("bad case did not raise %s; got:\n%v", tt.rule, bad)
			}
			for _, d := range bad {
				if d.Pos.File != "zone.yaml" || d.Pos.Line < 1 {
					t.Errorf("diagnostic without position: %+v", d)
				}
			}
		})
	}
	// Rules checked elsewhere: config rules (TestConfigRules), files and
	// directories (TestLoadErrors), cross-file duplicates (TestDomainTwice).
	elsewhere := []string{RuleReadFile, RuleProvName, RuleEndpoint, RuleCredentials, RuleProvOption, RuleDuration, RuleZonesDir, RuleSize, RuleDomainTwice}
	for _, r := range allRules() {
		if !seen[r] && !slices.Contains(elsewhere, r) {
			t.Errorf("rule %s has no table case", r)
		}
	}
}

// TestPTRValue: PTR targets are host names, canonical like NS targets.
func TestPTRValue(t *testing.T) {
	for _, tt := range []struct{ raw, want, rule string }{
		{"Host.Example.NET", "host.example.net.", ""},
		{"host.example.net.", "host.example.net.", ""},
		{"192.0.2.1", "", RuleValuePTR},
		{"host", "", RuleValuePTR},
		{"web..example.net.", "", RuleValuePTR},
	} {
		got, p, _ := normValue("PTR", tt.raw)
		switch {
		case tt.rule == "" && (p != nil || got != tt.want):
			t.Errorf("normValue(PTR, %q) = %q, %v; want %q", tt.raw, got, p, tt.want)
		case tt.rule != "" && (p == nil || p.rule != tt.rule):
			t.Errorf("normValue(PTR, %q) = %q, %v; want rule %s", tt.raw, got, p, tt.rule)
		}
	}
}

func longName(total int) string {
	// A relative name whose FQDN under example.com (12 octets incl. dot) is total octets.
	n := total - len(".example.com")
	var labels []string
	for n > 0 {
		l := min(n, 63)
		if n-l == 1 { // avoid leaving a single dot with an empty label
			l--
		}
		labels = append(labels, strings.Repeat("a", l))
		n -= l + 1
	}
	return strings.Join(labels, ".")
}

func longHost(total int) string {
	n := total - len(".example.com")
	return strings.Repeat("a", n-40) + "." + strings.Repeat("b", 39) + ".example.com"
}

func nsList(n int) string {
	var s []string
	for i := range n {
		s = append(s, fmt.Sprintf("ns%d.example.net", i))
	}
	return strings.Join(s, ", ")
}

func ipList(n int) string {
	var s []string
	for i := range n {
		s = append(s, fmt.Sprintf("192.0.2.%d", i+1))
	}
	return strings.Join(s, ", ")
}

// allRules lists every rule id constant; keep in sync with rules.go (the
// docs test checks that docs/CONFIGURATION.md names each of them).
func allRules() []string {
	return []string{
		RuleReadFile, RuleEmptyFile, RuleYAMLSyntax, RuleDuplicateKey, RuleUnknownKey, RuleSchemaType, RuleMissingKey, RuleSchema,
		RuleProvName, RuleEndpoint, RuleCredentials, RuleProvOption, RuleDuration, RuleZonesDir, RuleSize,
		RuleDomainName, RuleNameSyntax, RuleLabelLength, RuleNameLength, RuleWildcard, RuleIDNA, RuleNameOutside, RuleNameRepeats,
		RuleDomainTwice, RuleProvider, RuleProviderKind,
		RuleRecordType, RuleRecordValue, RuleValueA, RuleValueAAAA, RuleValueCNAME, RuleValueMX, RuleValueTXT, RuleTXTLength, RuleValueLength,
		RuleValueNS, RuleValueSRV, RuleSRVName, RuleValueCAA, RuleValuePTR, RuleLine, RuleTTLRange, RuleMXRange, RuleNSApexLine,
		RuleCNAMEConflict, RuleCNAMEApex, RuleDuplicate, RuleIgnorePattern, RuleIgnored, RuleNoRecords,
		RuleDelegation, RuleNSName, RuleNSCount, RuleNSDuplicate, RuleGlueMissing, RuleGlueOutside, RuleGlueHost, RuleGlueIPs,
		RuleGlueIPDup, RuleGlueDuplicate,
	}
}

// TestCNAMESiblings: several CNAMEs on one name and line validate where the
// provider balances across them (DNSPod, spec §5.4) and conflict where a
// name holds one CNAME (RFC 2181 §10.1: rfc2136); a CNAME beside another
// type conflicts at every provider.
func TestCNAMESiblings(t *testing.T) {
	two := []string{`{name: cdn, type: CNAME, value: a.cdn.example.net.}`, `{name: cdn, type: CNAME, value: b.cdn.example.net.}`}
	mixed := append(slices.Clone(two), `{name: cdn, type: TXT, value: hello}`)
	otherLine := []string{`{name: cdn, type: CNAME, value: a.cdn.example.net.}`, `{name: cdn, type: A, value: 192.0.2.1, line: 电信}`}
	tests := []struct {
		name     string
		zone     string
		conflict bool
	}{
		{"dnspod: two CNAMEs", zoneWith(two...), false},
		{"dnspod: two CNAMEs and a TXT", zoneWith(mixed...), true},
		{"dnspod: CNAME and A on other lines", zoneWith(otherLine...), false},
		{"rfc2136: two CNAMEs", ownZoneWith(two...), true},
		{"rfc2136: one CNAME", ownZoneWith(two[0]), false},
	}
	cfg := testCfg(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ds := ParseZone(context.Background(), cfg, "zone.yaml", []byte(tt.zone))
			got := slices.ContainsFunc(ds, func(d Diagnostic) bool { return d.Rule == RuleCNAMEConflict })
			if got != tt.conflict || !tt.conflict && ds.HasErrors() {
				t.Errorf("cname-conflict raised: %t, want %t; diagnostics:\n%v", got, tt.conflict, ds)
			}
		})
	}
}
