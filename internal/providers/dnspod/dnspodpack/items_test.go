package dnspodpack

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/dnssync/dnssync/internal/model"
)

func randRecord(r *rand.Rand) model.Record {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	rec := model.Record{Name: pick("@", "www", "api"), Type: pick(model.TypeA, model.TypeCNAME, model.TypeMX, model.TypeTXT),
		Line: pick(model.DefaultLine, "电信"), TTL: 600 * (1 + r.IntN(2)), Enabled: r.IntN(3) > 0}
	switch rec.Type {
	case model.TypeA:
		rec.Value = fmt.Sprintf("192.0.2.%d", 1+r.IntN(2))
	case model.TypeTXT:
		rec.Value = pick("t1", "t2")
	default:
		rec.Value = pick("a.example.net.", "b.example.net.")
	}
	if rec.Type == model.TypeMX {
		rec.MX = 5 * (1 + r.IntN(2))
	}
	return rec
}

// A pairing of any kind turns the live record into the desired one: its
// identity item and the TTL and status items, applied in rank order as
// the packer sends them, leave nothing of the live record behind. The
// bucket keys are what makes a pair eligible, so this checks the kinds
// table against the rule engine's Apply.
func TestPairingItemsReachDesired(t *testing.T) {
	seen := make([]int, NumKinds)
	for seed := range uint64(20000) {
		r := rand.New(rand.NewPCG(seed, 3))
		l, d := randRecord(r), randRecord(r)
		for k := range NumKinds {
			if key := BucketKey(k, d); key == "" || key != BucketKey(k, l) || k == KindType && l.Type == d.Type {
				continue
			}
			items := NeutralItems(l, d, []Item{IdentityItem(k, d)})
			slices.SortStableFunc(items, func(a, b Item) int { return RankOf(a) - RankOf(b) })
			got := l
			for _, it := range items {
				var e error
				if got, e = applyErr(it, got); e != nil {
					t.Fatalf("seed %d kind %d: %s on %s: %v", seed, k, it.Field, got, e)
				}
			}
			if got.Key() != d.Key() || got.TTL != d.TTL || got.Enabled != d.Enabled {
				t.Fatalf("seed %d kind %d: %s with %+v became %s, want %s", seed, k, l, items, got, d)
			}
			seen[k]++
		}
	}
	for k, n := range seen {
		if n == 0 {
			t.Errorf("kind %d never drawn", k)
		}
	}
}

func applyErr(it Item, r model.Record) (model.Record, error) {
	out, e := it.Apply(r)
	if e != nil {
		return out, e
	}
	return out, nil
}
