package spec

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestZoneReady: LoadWith names each zone file's domain and DNS provider
// once, before the file's records are decoded, when both are valid and
// nothing read before the records is in error; the load itself is the
// same as without the hook.
func TestZoneReady(t *testing.T) {
	cfg := testCfg(t)
	big := zoneWith(`{name: www, type: A, value: 192.0.2.1}`, `{name: mail, type: A, value: 192.0.2.2}`)
	tests := []struct {
		name, zone string
		want       []string // "domain provider" told
	}{
		{"valid", big, []string{"example.com dnspod"}},
		{"unicode domain", strings.Replace(big, "example.com", "Bücher.Example", 1), []string{"xn--bcher-kva.example dnspod"}},
		{"records before provider", "domain: example.com\ndns:\n  records:\n    - {name: www, type: A, value: 192.0.2.1}\n  provider: pro\n", []string{"example.com pro"}},
		{"whole document (anchors)", "domain: example.com\ndns:\n  provider: dnspod\n  records: &r\n    - {name: www, type: A, value: 192.0.2.1}\n", []string{"example.com dnspod"}},
		{"error in a record", zoneWith(`{name: www, type: A, value: 192.0.2.1}`, `{name: w, type: A, value: nope}`), []string{"example.com dnspod"}},
		{"invalid domain", strings.Replace(big, "example.com", "-bad-.example", 1), nil},
		{"unknown provider", strings.Replace(big, "provider: dnspod", "provider: nobody", 1), nil},
		{"registrar-only provider", strings.Replace(big, "provider: dnspod", "provider: aliyun", 1), nil},
		{"error before the records", strings.Replace(big, "  records:", "  ttl: nope\n  records:", 1), nil},
		{"no dns", "domain: example.com\nregistrar:\n  provider: aliyun\n  nameservers: [ns1.example.net, ns2.example.net]\n", nil},
		{"syntax error", big + "  x: [\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "z.yaml"), []byte(tt.zone), 0o644); err != nil {
				t.Fatal(err)
			}
			var told []string
			got, gds := LoadWith(context.Background(), cfg, func(domain, provider string) {
				told = append(told, domain+" "+provider)
			}, dir)
			if !slices.Equal(told, tt.want) {
				t.Errorf("told %q, want %q", told, tt.want)
			}
			want, wds := Load(context.Background(), cfg, dir)
			if !slices.Equal(gds, wds) || len(got.Domains) != len(want.Domains) {
				t.Fatalf("LoadWith gave %v and %d domains, Load %v and %d", gds, len(got.Domains), wds, len(want.Domains))
			}
			for i := range got.Domains {
				if g, w := got.Domains[i], want.Domains[i]; g.Name != w.Name || g.DNS != nil && !slices.Equal(g.DNS.Records, w.DNS.Records) {
					t.Errorf("domain %d: LoadWith %+v, Load %+v", i, g, w)
				}
			}
		})
	}
}
