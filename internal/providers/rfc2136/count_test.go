package rfc2136

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/dnssync/dnssync/internal/providers"
)

// TestCountedCalls: DNS calls are counted for metrics as HTTP calls are,
// by provider, operation and result.
func TestCountedCalls(t *testing.T) {
	var got []string
	i := &Instance{cfg: providers.Config{Name: "ns1"}, count: func(p, op, res string) { got = append(got, p+" "+op+" "+res) }}
	i.counted("AXFR", nil)
	i.counted("UPDATE", &Error{Op: "update", Rcode: dns.RcodeNameError})
	i.counted("UPDATE", fmt.Errorf("no answer: %w", providers.ErrOutcomeUnknown))
	i.counted("AXFR", errors.New("dial tcp: refused"))
	want := []string{"ns1 AXFR ok", "ns1 UPDATE NXDOMAIN", "ns1 UPDATE unknown", "ns1 AXFR error"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("counted (-want +got):\n%s", d)
	}
	(&Instance{}).counted("AXFR", nil) // no counter: nothing to do
}
