package dnspod

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodpack"
)

// The ledger follows a zone's create parts change by change; after any
// sequence of pairings and undos its parts and its count of create calls
// are what cutting the zone's creates afresh gives.
func TestLedgerPartsFollowChanges(t *testing.T) {
	for seed := range uint64(100) {
		r := rand.New(rand.NewPCG(seed, 7))
		limit := 1 + r.IntN(4)
		var zones []*zone
		for zi := range 1 + r.IntN(3) {
			z := &zone{Idx: zi, Provider: "dnspod"}
			for i := range r.IntN(3 * exactParts * limit / 2) {
				z.Desired = append(z.Desired, model.Record{Name: fmt.Sprint("n", i%5), Type: "A", Line: model.DefaultLine,
					Value: fmt.Sprint("192.0.2.", i%7), TTL: 600, Enabled: true})
				z.LeftD = append(z.LeftD, i)
			}
			zones = append(zones, z)
		}
		lg := newLedger(zones, planOpts{MaxModifyIDs: 10, MaxCreateItems: limit})
		out := map[[2]int]bool{}
		for range 300 {
			zi := r.IntN(len(zones))
			z := zones[zi]
			if len(z.Desired) == 0 {
				continue
			}
			di := r.IntN(len(z.Desired))
			if k := [2]int{zi, di}; out[k] {
				lg.keepCreate(zi, z, di)
				delete(out, k)
			} else {
				lg.dropCreate(zi, z, di)
				out[k] = true
			}
		}
		fresh := &ledger{maxCreate: limit, parts: map[partKey]int{}, creates: make([]zoneCreates, len(zones)), recHash: lg.recHash}
		for zi, z := range zones {
			fresh.creates[zi].list = slices.DeleteFunc(slices.Clone(z.LeftD), func(di int) bool { return out[[2]int{zi, di}] })
			if d := cmp.Diff(fresh.creates[zi].list, lg.creates[zi].list); d != "" {
				t.Fatalf("seed %d zone %d: list (-fresh +ledger):\n%s", seed, zi, d)
			}
			fresh.creates[zi].counted = lg.creates[zi].counted
			if fresh.creates[zi].counted {
				fresh.create += dnspodpack.CeilDiv(len(fresh.creates[zi].list), limit)
				continue
			}
			fresh.creates[zi].parts = fresh.partsOf(zi, z)
			for _, k := range fresh.creates[zi].parts {
				fresh.movePart(k, 1)
			}
			if d := cmp.Diff(fresh.creates[zi].parts, lg.creates[zi].parts, cmp.AllowUnexported(partKey{}), cmpopts.EquateEmpty()); d != "" {
				t.Fatalf("seed %d zone %d: parts (-fresh +ledger):\n%s", seed, zi, d)
			}
		}
		if fresh.create != lg.create {
			t.Fatalf("seed %d: %d create calls, cut afresh %d", seed, lg.create, fresh.create)
		}
	}
}
