package rfc2136

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
)

// pgen draws zones from small alphabets, so that RRsets are often shared
// between live and desired state, partly changed, retyped (A → CNAME) or
// given a new TTL.
type pgen struct{ r *rand.Rand }

var (
	pNames = []string{"@", "www", "api", "mail", "sub"}
	pTypes = []string{"A", "A", "AAAA", "CNAME", "MX", "TXT", "SRV", "CAA", "PTR", "NS"}
)

func (g *pgen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

func (g *pgen) value(typ string) (string, int) {
	n := 1 + g.r.IntN(3)
	switch typ {
	case "A":
		return fmt.Sprintf("192.0.2.%d", n), 0
	case "AAAA":
		return fmt.Sprintf("2001:db8::%d", n), 0
	case "MX":
		return fmt.Sprintf("mx%d.example.net.", n), 10 * (1 + g.r.IntN(2))
	case "TXT":
		return fmt.Sprintf("t%d", n), 0
	case "SRV":
		return fmt.Sprintf("10 5 443 s%d.example.net.", n), 0
	case "CAA":
		return fmt.Sprintf("0 issue \"ca%d.example\"", n), 0
	case "NS":
		return fmt.Sprintf("ns%d.example.net.", n), 0
	}
	return fmt.Sprintf("t%d.example.net.", n), 0 // CNAME, PTR
}

// zone draws up to n records that a server would hold: one TTL per RRset
// (from ttls), no CNAME beside other data or at the apex, NS only below it.
func (g *pgen) zone(n int, ttls map[setKey]int) []model.Record {
	var out []model.Record
	seen := map[model.Key]bool{}
	types := map[string]map[string]bool{}
	for range n {
		r := model.Record{Name: g.pick(pNames), Type: g.pick(pTypes), Line: model.DefaultLine, Enabled: true}
		r.Value, r.MX = g.value(r.Type)
		at := types[r.Name]
		switch {
		case r.Type == "CNAME" && (r.Name == "@" || len(at) > 0),
			r.Type != "CNAME" && at["CNAME"],
			r.Type == "NS" && r.Name == "@",
			seen[r.Key()]:
			continue
		}
		k := setKey{r.Name, r.Type}
		if _, ok := ttls[k]; !ok {
			ttls[k] = []int{300, 600}[g.r.IntN(2)]
		}
		r.TTL = ttls[k]
		if at == nil {
			types[r.Name] = map[string]bool{}
		}
		types[r.Name][r.Type] = true
		seen[r.Key()] = true
		out = append(out, r)
	}
	return out
}

// asRead converts records of zone to what ReadZone returns (ids).
func asRead(t *testing.T, zone string, recs []model.Record) []model.Record {
	t.Helper()
	var out []model.Record
	for _, r := range recs {
		rr, err := RRFromRecord(zone, r)
		if err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		back, err := RecordFromRR(zone, rr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, back)
	}
	ownApexNS(out)
	return out
}

// TestPlanPropertyConverges: random live/desired pairs, under every
// policy, with ignore rules, declared or undeclared apex NS and size
// limits that force splits, planned and replayed in the simulator, which
// checks every prerequisite and refuses what a server would silently
// skip; a fresh plan afterwards is empty. Pairs whose plan is refused
// (one TTL per RRset, an RRset over the size limit) are counted, and must
// stay a minority.
func TestPlanPropertyConverges(t *testing.T) {
	const runs = 400
	g := &pgen{r: rand.New(rand.NewPCG(1, 2136))}
	refused := 0
	for run := range runs {
		const zone = "p.test"
		ttls := map[setKey]int{}
		liveRecs := append(g.zone(2+g.r.IntN(10), ttls),
			model.Record{Name: "@", Type: "SOA", Line: model.DefaultLine, Value: "ns1.p.test. hostmaster.p.test. 1 3600 600 86400 300", TTL: 3600, Enabled: true, System: true})
		ns := []string{"ns1.p.test.", "ns2.p.test.", "ns3.example.net."}
		for _, v := range ns[:2] {
			liveRecs = append(liveRecs, model.Record{Name: "@", Type: "NS", Line: model.DefaultLine, Value: v, TTL: 3600, Enabled: true})
		}
		var readable []model.Record
		for _, r := range liveRecs {
			if r.Type != "SOA" {
				readable = append(readable, r)
			}
		}
		recs := append(asRead(t, zone+".", readable), liveRecs[len(liveRecs)-3])
		model.SortRecords(recs)
		live := &model.Live{Domains: []model.LiveDomain{{Name: zone, DNS: &model.LiveDNS{DomainID: zone, Records: recs}}}}

		if g.r.IntN(3) == 0 {
			for k := range ttls { // desired state often moves TTLs
				ttls[k] = 900 - ttls[k]
			}
		}
		want := g.zone(2+g.r.IntN(10), ttls)
		if g.r.IntN(3) == 0 { // declare apex NS
			for _, v := range ns {
				if g.r.IntN(2) == 0 {
					want = append(want, model.Record{Name: "@", Type: "NS", Line: model.DefaultLine, Value: v, TTL: 3600, Enabled: true})
				}
			}
		}
		d := desiredDomain(zone, want...)
		d.DNS.Policy = []model.Policy{model.PolicySync, model.PolicySync, model.PolicyUpsertOnly, model.PolicyCreateOnly}[g.r.IntN(4)]
		if g.r.IntN(4) == 0 {
			d.DNS.Ignore = []model.Ignore{{Name: g.pick(pNames)}}
		}
		desired := &model.Desired{Domains: []model.Domain{d}}
		pl := testPlanner([]int{0, 0, 350, 600}[g.r.IntN(4)])

		p := planOf(pl, desired, live)
		if len(p.Refusals) > 0 {
			refused++
			continue
		}
		checkBatches(t, run, p)
		after := replay(t, live, p)
		if again := planOf(pl, desired, after); !again.Empty() || len(again.Refusals) > 0 {
			t.Fatalf("run %d: not converged:\nchanges %+v\nrefusals %v\nfirst plan %+v", run, again.Changes, again.Refusals, p.Stages)
		}
	}
	t.Logf("%d of %d pairs refused", refused, runs)
	if refused > runs/3 {
		t.Errorf("%d of %d pairs refused: the generator mostly tests refusals", refused, runs)
	}
}

// checkBatches: every change is carried by exactly one batch, and a zone's
// batches each sit in their own stage.
func checkBatches(t *testing.T, run int, p *plan.Plan) {
	t.Helper()
	carried := map[string]int{}
	for _, s := range p.Stages {
		zones := map[string]bool{}
		for _, b := range s.Batches {
			for _, c := range b.Changes {
				carried[c]++
			}
			for _, z := range b.Domains {
				if zones[z] {
					t.Fatalf("run %d: stage %s updates %s twice", run, s.Name, z)
				}
				zones[z] = true
			}
		}
	}
	for _, c := range p.Changes {
		if carried[c.ID] != 1 {
			t.Fatalf("run %d: change %s (%s) carried by %d batches", run, c.ID, c.Kind, carried[c.ID])
		}
	}
}
