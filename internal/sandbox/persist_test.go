package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/providers/dnspod"
)

// TestSavesCoalesced: a burst of requests is saved once, shortly after
// it, and an idle sandbox encodes no state at all (a large zone's state
// costs more to encode than the requests do to serve).
func TestSavesCoalesced(t *testing.T) {
	sb := start(t, Options{SeedFile: exampleSeed, PersistInterval: 300 * time.Millisecond})
	_, d := clients(t, sb)
	ctx := context.Background()
	saves := func() int {
		sb.persistMu.Lock()
		defer sb.persistMu.Unlock()
		return sb.saves
	}
	before := saves()
	p := dnspod.NewProvider("dnspod", d)
	began := time.Now()
	for range 10 {
		if _, err := p.ReadZone(ctx, "example.com"); err != nil {
			t.Fatal(err)
		}
	}
	took := time.Since(began)
	waitFor(t, func() bool { return saves() > before })
	// One save per interval the burst spanned, and one after it.
	if burst, most := saves()-before, int(took/(300*time.Millisecond))+2; burst > most {
		t.Errorf("the requests of %s took %d saves, want at most %d", took, burst, most)
	}
	idle := saves()
	time.Sleep(1200 * time.Millisecond)
	if n := saves() - idle; n != 0 {
		t.Errorf("%d saves while idle, want none", n)
	}
}
