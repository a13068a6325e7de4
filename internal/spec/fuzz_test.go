package spec

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/dnssync/dnssync/internal/providers/all"
)

// FuzzParseZone: the loader never panics, every problem it reports
// carries a position in the file and a rule id, and the records fast path
// changes nothing.
func FuzzParseZone(f *testing.F) {
	files, _ := filepath.Glob("../../examples/zones/*.yaml")
	bad, _ := filepath.Glob("testdata/bad/*.yaml")
	for _, p := range append(files, bad...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, z := range trickyZones {
		f.Add([]byte(z))
	}
	f.Add([]byte("a: &a [*a, *a]\nb: *a\n"))
	f.Add(yamlRoundTrip(map[string]any{"domain": "x.example", "dns": map[string]any{"provider": "dnspod", "records": []any{map[string]any{"name": "@", "type": "TXT", "value": `"a\"b" "\065"`}}}}))
	cfg := testCfg(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		sameWithoutFastPath(t, cfg, "input", data)
		dom, ds := ParseZone(context.Background(), cfg, "z.yaml", data)
		for _, d := range ds {
			if d.Pos.File != "z.yaml" || d.Pos.Line < 1 || d.Rule == "" || d.Message == "" {
				t.Fatalf("diagnostic without position or rule: %+v", d)
			}
		}
		if dom != nil && !ds.HasErrors() && dom.DNS != nil {
			for _, r := range dom.DNS.Records {
				if r.Pos.Line < 1 {
					t.Fatalf("record without position: %+v", r)
				}
			}
		}
	})
}

// FuzzParseConfig: same guarantees for dnssync.yaml.
func FuzzParseConfig(f *testing.F) {
	for _, p := range []string{"../../examples/dnssync.yaml", "testdata/dnssync.yaml", "testdata/badconfig/config.yaml"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, ds := ParseConfig("dnssync.yaml", data, all.Registry())
		for _, d := range ds {
			if d.Pos.File != "dnssync.yaml" || d.Pos.Line < 1 || d.Rule == "" {
				t.Fatalf("diagnostic without position or rule: %+v", d)
			}
		}
	})
}

// FuzzNormValue: the value parsers never panic, and a canonical value is a
// fixed point (normalising it again changes nothing).
func FuzzNormValue(f *testing.F) {
	seeds := []struct{ typ, v string }{
		{"A", "192.0.2.1"}, {"AAAA", "2001:DB8::1"}, {"CNAME", "Bücher.example"}, {"MX", "mx.example.net."},
		{"TXT", `"v=spf1 " "-all"`}, {"TXT", `"\"quoted\" \\ \065"`}, {"TXT", "plain text"}, {"NS", "ns1.example.net"},
		{"SRV", "10 60 5060 sip.example.com"}, {"SRV", "0 0 0 ."}, {"CAA", `0 issue "letsencrypt.org"`}, {"CAA", "128 iodef mailto:a@b.c"},
	}
	for _, s := range seeds {
		f.Add(s.typ, s.v)
	}
	f.Fuzz(func(t *testing.T, typ, raw string) {
		v, p, _ := normValue(typ, raw)
		if p != nil {
			if p.rule == "" || p.msg == "" {
				t.Fatalf("problem without rule or message: %+v", p)
			}
			return
		}
		again := v
		if typ == "TXT" && len(v) > 0 && v[0] == '"' {
			return // text that starts with a quote is read as quoted on a second pass
		}
		v2, p2, _ := normValue(typ, again)
		if p2 != nil || v2 != v {
			t.Fatalf("not a fixed point: %q → %q → %q (%v)", raw, v, v2, p2)
		}
	})
}
