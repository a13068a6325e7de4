package sandbox

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/aliyun/aliyuntest"
	"github.com/dnssync/dnssync/internal/providers/all"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest"
)

func TestSeedErrors(t *testing.T) {
	tests := []struct {
		name, data string
		want       []string // problems, in order
	}{
		{"empty", "", []string{"s.yaml:1: seed file is empty (write {} for emulators without domains)"}},
		{"syntax", "aliyun:\n  domains: [\n", []string{"s.yaml:2: YAML syntax: did not find expected node content"}},
		{"top level list", "- a\n", []string{"s.yaml:1:1: the seed file must be a mapping, not a list"}},
		{"unknown key", "aliyun: {}\ndnspdo: {}\n", []string{`s.yaml:2:1: unknown key "dnspdo" in the seed file (allowed: version, aliyun, dnspod, tencentcloud)`}},
		{"version", "version: 2\n", []string{"s.yaml:1:10: version must be between 1 and 1, not 2"}},
		{"two documents", "{}\n---\n{}\n", []string{"s.yaml:2:1: a seed file holds one YAML document; found another one here"}},
		{"registrar problems", `aliyun:
  domains:
    - name: example.com
      nameservers: [ns1.example.com, "bad name"]
      dns_hosts:
        - {host: ns1, ips: [192.0.2.1, 300.1.1.1]}
        - {host: ns2.example.org, ips: [192.0.2.2]}
        - {host: ns3, ips: [192.0.2.3], registry: [192.0.2.3]}
        - {host: ns4}
        - {host: ns1, ips: [192.0.2.9]}
    - name: example.net
      instance_id: "bad id"
    - {name: example.com, aliyun_dns: yes please}
`, []string{
			`s.yaml:4:38: name server "bad name" is not a host name`,
			`s.yaml:6:40: ips: "300.1.1.1" is not an IP address`,
			`s.yaml:7:18: DNS host "ns2.example.org" must be a label or a name under example.com`,
			`s.yaml:8:11: DNS host ns3.example.com: give ips (both layers agree) or registry/registrar (they differ), not both`,
			`s.yaml:9:11: DNS host ns4.example.com needs ips, or registry and/or registrar addresses`,
			`s.yaml:10:11: DNS host ns1.example.com is listed twice`,
			`s.yaml:11:7: aliyun domain example.net needs nameservers (or aliyun_dns: true)`,
			`s.yaml:12:20: instance_id "bad id": use letters, digits, '-' and '_'`,
			`s.yaml:13:7: aliyun domain example.com is listed twice`,
			`s.yaml:13:39: aliyun_dns must be true or false, not "yes please"`,
		}},
		{"dnspod structure", `dnspod:
  domains:
    - name: example.com
      grade: Gold
      records:
        - {name: www, value: 192.0.2.1}
        - {name: www, type: A, value: 192.0.2.1, values: [192.0.2.2]}
        - {name: www, type: A, ttl: ten, value: 192.0.2.1, colour: red}
    - {records: []}
`, []string{
			`s.yaml:4:14: grade "Gold" is not a DNSPod grade (DP_Free, DP_Plus, DP_Extra, DP_Expert, DP_Ultra or the D_ forms)`,
			`s.yaml:6:11: record needs a type`,
			`s.yaml:7:11: record: give value or values, not both`,
			`s.yaml:8:37: ttl must be a whole number, not "ten"`,
			`s.yaml:8:60: unknown key "colour" in a record (allowed: name, type, value, values, line, ttl, mx, enabled)`,
			`s.yaml:9:7: dnspod domain needs a name`,
		}},
		// The emulator's own rules, reported at the record.
		{"dnspod rules", `dnspod:
  domains:
    - name: example.com
      records:
        - {name: www, type: CNAME, value: example.net.}
        - {name: www, type: A, value: 192.0.2.1}
        - {name: low, type: A, value: 192.0.2.2, ttl: 60}
        - {name: mobile, type: A, value: 192.0.2.3, line: 移动}
        - {name: ok, type: A, values: [192.0.2.4, not-an-ip]}
`, []string{
			"s.yaml:6:11: example.com: record www A \"192.0.2.1\":",
			"s.yaml:7:11: example.com: record low A \"192.0.2.2\":",
			"s.yaml:8:11: example.com: record mobile A \"192.0.2.3\" line 移动:",
			"s.yaml:9:51: example.com: record ok A \"not-an-ip\":",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSeed(all.Emulators(), "s.yaml", []byte(tt.data))
			var se *SeedError
			if !errors.As(err, &se) {
				t.Fatalf("CheckSeed: %v, want a *SeedError", err)
			}
			var got []string
			for i, p := range se.Problems {
				s := p.String()
				// Rule-engine messages are the emulator's; compare the
				// position and subject only.
				if i < len(tt.want) && strings.HasSuffix(tt.want[i], ":") && strings.HasPrefix(s, tt.want[i]) {
					s = tt.want[i]
				}
				got = append(got, s)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSeedApply(t *testing.T) {
	emus, _, err := newEmulators(Options{Kinds: all.Emulators()})
	if err != nil {
		t.Fatal(err)
	}
	err = seed("s.yaml", []byte(`
aliyun:
  domains:
    - name: Bücher.Example.
      nameservers: [NS1.Example.COM.]
      dns_hosts:
        - {host: ns1, registry: [2001:db8::1, 192.0.2.1], registrar: [192.0.2.1]}
        - {host: ns2.xn--bcher-kva.example, registrar: [192.0.2.2]}
    - {name: example.net, aliyun_dns: true, instance_id: S1}
dnspod:
  domains:
    - name: example.com
      grade: DP_Plus
      ttl: 300
      records:
        - {name: "*.Dev", type: cname, value: ingress.example.net}
        - {name: straße, type: A, values: [192.0.2.1, 192.0.2.2], enabled: false}
        - {type: MX, value: mx.example.net., mx: 10, ttl: 600}
`), emus)
	if err != nil {
		t.Fatal(err)
	}
	a, d := emus[0].emu.(*aliyuntest.Emulator).Server(), emus[1].emu.(*dnspodtest.Emulator).Server()
	got, ok := a.Domain("xn--bcher-kva.example")
	if !ok {
		t.Fatal("IDN domain not seeded under its A-label name")
	}
	want := aliyuntest.DomainState{
		Name: "xn--bcher-kva.example", InstanceID: "S201800000000001", Nameservers: []string{"ns1.example.com"},
		Registered:    time.Date(2019, 5, 20, 0, 0, 0, 0, time.UTC),
		RegistryHosts: []aliyuntest.HostState{{Name: "ns1.xn--bcher-kva.example", IPs: []string{"192.0.2.1", "2001:db8::1"}}},
		RegistrarHosts: []aliyuntest.HostState{
			{Name: "ns1.xn--bcher-kva.example", IPs: []string{"192.0.2.1"}},
			{Name: "ns2.xn--bcher-kva.example", IPs: []string{"192.0.2.2"}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("registrar domain (-want +got):\n%s", diff)
	}
	if n, _ := a.Domain("example.net"); n.InstanceID != "S1" || !n.AliyunDNS || len(n.Nameservers) != 2 {
		t.Errorf("aliyun_dns domain: %+v", n)
	}
	var recs []string
	for _, r := range d.Records("example.com") {
		if !r.System {
			recs = append(recs, r.String())
		}
	}
	wantRecs := []string{
		"@ MX 10 mx.example.net. (ttl 600)",
		"*.dev CNAME ingress.example.net. (ttl 300)",
		"xn--strae-oqa A 192.0.2.1 (ttl 300, disabled)",
		"xn--strae-oqa A 192.0.2.2 (ttl 300, disabled)",
	}
	if diff := cmp.Diff(wantRecs, recs); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	var system int
	for _, r := range d.Records("example.com") {
		if r.System && r.Type == model.TypeNS && r.Name == "@" {
			system++
		}
	}
	if system != 2 {
		t.Errorf("%d system apex NS rows, want the emulator's 2", system)
	}
}
