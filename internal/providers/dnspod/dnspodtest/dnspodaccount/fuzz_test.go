package dnspodaccount_test

import (
	"errors"
	"testing"

	"github.com/dnssync/dnssync/internal/sandbox/emulator"
)

// FuzzSeed: the one seed section reader both APIs use never panics, every
// problem it reports has a line, and a seed it accepts leaves the account
// the same through both APIs: the same domains, record ids and values.
func FuzzSeed(f *testing.F) {
	f.Add("dnspod:\n  domains:\n    - name: example.com\n      records:\n        - {name: www, type: A, value: 192.0.2.1}\n")
	f.Add("tencentcloud:\n  domains:\n    - name: example.com\n      grade: dp_plus\n      records:\n        - {name: api, type: A, values: [192.0.2.1, 192.0.2.2], ttl: 60, line: 境外}\n")
	f.Add("dnspod:\n  domains:\n    - &d {name: example.com, records: [{type: MX, value: mx.example.net, mx: 10}]}\ntencentcloud:\n  domains: [*d]\n")
	f.Add("dnspod:\n  domains:\n    - {name: example.com, records: [{name: www, type: CNAME, value: a.example.}, {name: www, type: A, value: 192.0.2.1}]}\n")
	f.Add("dnspod: {domains: [{name: 例子.中国, grade: D_Free, ttl: 600, records: [{name: 邮件, type: TXT, value: x, enabled: false}]}]}\n")
	f.Add("tencentcloud:\n  domains: 3\n")
	f.Fuzz(func(t *testing.T, text string) {
		dp, tc, err := seedText(t, text)
		if err != nil {
			var se *emulator.SeedError
			if !errors.As(err, &se) {
				t.Fatalf("not a *SeedError: %v", err)
			}
			for _, p := range se.Problems {
				if p.Pos.Line < 1 {
					t.Fatalf("problem without a line: %+v", p)
				}
			}
			return
		}
		if dp == nil {
			return
		}
		ld, vd := dp.Export().Domains, tc.Export().Domains
		if len(ld) != len(vd) {
			t.Fatalf("legacy %d domains, API 3.0 %d", len(ld), len(vd))
		}
		for i := range ld {
			if ld[i].ID != vd[i].ID || len(ld[i].Records) != len(vd[i].Records) {
				t.Fatalf("domain %s differs between the APIs", ld[i].Name)
			}
			for j, r := range ld[i].Records {
				if v := vd[i].Records[j]; v.ID != r.ID || v.Value != r.Value || v.TTL != r.TTL {
					t.Fatalf("%s: record %+v, API 3.0 %+v", ld[i].Name, r, v)
				}
			}
		}
	})
}
