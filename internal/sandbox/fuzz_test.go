package sandbox

import (
	"errors"
	"testing"

	"github.com/dnssync/dnssync/internal/providers/all"
)

// FuzzCheckSeed: the seed reader never panics and every problem it reports
// carries a position.
func FuzzCheckSeed(f *testing.F) {
	f.Add([]byte("aliyun:\n  domains:\n    - {name: example.com, nameservers: [dns1.hichina.com, dns2.hichina.com]}\n"))
	f.Add([]byte("dnspod:\n  domains:\n    - name: example.com\n      records:\n        - {name: www, type: A, value: 192.0.2.1}\n"))
	f.Add([]byte("- not a map\n"))
	f.Add([]byte("a: [\n"))
	kinds := all.Emulators()
	f.Fuzz(func(t *testing.T, data []byte) {
		err := CheckSeed(kinds, "seed.yaml", data)
		if err == nil {
			return
		}
		var se *SeedError
		if !errors.As(err, &se) {
			return // rule checks on a parsed seed may fail with their own error type
		}
		for _, p := range se.Problems {
			if p.Pos.Line < 1 {
				t.Fatalf("problem without a line: %+v", p)
			}
		}
	})
}
