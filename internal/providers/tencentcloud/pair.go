package tencentcloud

import (
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodpack"
)

// API 3.0's pairing: which leftover live records become which leftover
// desired records (dnspodpack finds the candidates, with the legacy
// planner's kinds; ModifyRecordBatch takes the same fields), decided on
// what API 3.0 calls cost: batch deletes, creates in tasks, a task being
// its write and at least one poll.

type (
	item = dnspodpack.Item
	gkey = dnspodpack.Group
	cand = dnspodpack.Cand
)

// identityItem is the change that turns a record into d by kind, in the
// vocabulary of dnspodrules.Apply. A value or priority change of an MX
// record carries the priority: the API wants MX with MX records (spec
// §3.10), and pairs of one kind share it.
func identityItem(kind int, d model.Record) item {
	it := dnspodpack.IdentityItem(kind, d)
	if d.Type == model.TypeMX && (kind == dnspodpack.KindValue || kind == dnspodpack.KindMX) {
		it.MX = d.MX
	}
	return it
}

// batchCost is what n items cost in API calls when packed limit to a
// task: a task is its write and at least one DescribeBatchTask, and a
// part of one or two items goes as single-record calls, one call each.
func batchCost(n, limit int) int {
	if n <= 0 {
		return 0
	}
	c := 2 * (n / limit)
	switch rem := n % limit; {
	case rem > 2:
		c += 2
	default:
		c += rem
	}
	return c
}

// costModel counts, for a pairing under consideration, what the packer
// will need: ModifyRecordBatch groups (or ModifyRecordBatchV3 items),
// records to create per zone, paused records to create (single calls:
// CreateRecordBatch has no status) and records to delete. Its total is
// the calls of that packing. It ignores what pairing cannot change
// (creates shared across zones, the split of deletes around the writes),
// which the planner settles by packing both its candidates in full.
type costModel struct {
	v3              bool
	limit, delLimit int
	groups          map[gkey]int
	early, late     int // ModifyRecordBatchV3 items before and after the creates
	creates         map[int]int
	disabled        int
	deletes         int
}

// pairer decides which leftover live records become which leftover
// desired records. A pairing replaces a delete and a create with a
// modification; with batch deletes and shared creates that saves calls
// only when it empties a batch, and it costs a call whenever its change
// needs a ModifyRecordBatch group of its own. Every decision is taken on
// the cost model's totals.
type pairer struct {
	*dnspodpack.Pairer
	cost *costModel
}

func newPairer(zones []*zone, o PlannerOptions, exclL, exclD map[[2]int]bool) *pairer {
	m := &costModel{v3: o.ModifyV3, limit: o.MaxTaskRecords, delLimit: o.MaxDeleteIDs, groups: map[gkey]int{}, creates: map[int]int{}}
	p := &pairer{Pairer: dnspodpack.NewPairer(zones, identityItem, exclL, exclD), cost: m}
	for zi, z := range zones {
		for _, u := range z.Updates {
			m.addUpdate(z, z.Live[u.L], z.Desired[u.D], nil, 1)
		}
		for _, di := range z.LeftD {
			m.addCreate(zi, z.Desired[di], 1)
		}
		m.deletes += len(z.LeftL)
	}
	return p
}

func (m *costModel) addCreate(zi int, d model.Record, sign int) {
	if d.Enabled {
		m.creates[zi] += sign
	} else {
		m.disabled += sign
	}
}

// addUpdate counts a modification of l into d (with extra identity items).
func (m *costModel) addUpdate(z *zone, l, d model.Record, extra []item, sign int) {
	if m.v3 {
		if dnspodpack.ReplaceLate(l, d) {
			m.late += sign
		} else {
			m.early += sign
		}
		return
	}
	for _, it := range dnspodpack.NeutralItems(l, d, extra) {
		m.groups[gkey{Provider: z.Provider, Item: it}] += sign
	}
}

// apply counts committing c (sign 1) or taking it back (sign -1).
func (m *costModel) apply(p *pairer, c cand, sign int) {
	z := p.Zones[c.Z]
	l, d := z.Live[c.L], z.Desired[c.D]
	m.addUpdate(z, l, d, []item{identityItem(c.K, d)}, sign)
	m.addCreate(c.Z, d, -sign)
	m.deletes -= sign
}

// terms is the part of the total that cs can change.
func (m *costModel) terms(p *pairer, cs []cand) int {
	seenG := map[gkey]bool{}
	seenZ := map[int]bool{}
	t := m.disabled + batchCost(m.deletes, m.delLimit)
	if m.v3 {
		// One pool: replacements are split around the creates only when
		// a cell needs it.
		t += batchCost(m.early+m.late, m.limit)
	}
	for _, c := range cs {
		z := p.Zones[c.Z]
		if !seenZ[c.Z] {
			seenZ[c.Z] = true
			t += batchCost(m.creates[c.Z], m.limit)
		}
		if m.v3 {
			continue
		}
		for _, it := range dnspodpack.NeutralItems(z.Live[c.L], z.Desired[c.D], []item{identityItem(c.K, z.Desired[c.D])}) {
			g := gkey{Provider: z.Provider, Item: it}
			if !seenG[g] {
				seenG[g] = true
				t += batchCost(m.groups[g], m.limit)
			}
		}
	}
	return t
}

// delta is the change in calls if cs were committed.
func (p *pairer) delta(cs []cand) int {
	before := p.cost.terms(p, cs)
	for _, c := range cs {
		p.cost.apply(p, c, 1)
	}
	after := p.cost.terms(p, cs)
	for _, c := range cs {
		p.cost.apply(p, c, -1)
	}
	return after - before
}

// newGroups lists the ModifyRecordBatch groups c needs that nothing uses
// yet (none with ModifyRecordBatchV3).
func (p *pairer) newGroups(c cand) []gkey {
	if p.cost.v3 {
		return nil
	}
	return dnspodpack.Missing(p.Zones[c.Z].Provider, p.Items(c), func(g gkey) bool { return p.cost.groups[g] != 0 }, nil)
}

func (p *pairer) commit(c cand) {
	p.Pair(c)
	p.cost.apply(p, c, 1)
}

func (p *pairer) run() {
	p.freePass()
	p.sharedPass()
	p.freePass()
	p.zonePass()
	p.freePass()
}

// freePass pairs each leftover that saves calls on its own, or costs
// nothing and needs no group of its own (a modification in place keeps the
// record's id and never leaves a name without its old or new data).
func (p *pairer) freePass() {
	p.Unpaired(func(zi, di int) {
		p.Each(zi, di, nil, func(c cand) bool {
			if d := p.delta([]cand{c}); d < 0 || d == 0 && len(p.newGroups(c)) == 0 {
				p.commit(c)
				return true
			}
			return false
		})
	})
}

// sharedPass tries the sets of pairings that need the same new groups
// together, largest first: one group shared by many pairings can empty
// delete and create batches a single pairing could not.
func (p *pairer) sharedPass() {
	for _, nd := range p.Needs(p.newGroups) {
		taken := map[[2]int]bool{}
		var got []cand
		for _, zd := range nd.Cands {
			if !p.Open(zd[0], zd[1]) {
				continue
			}
			p.Each(zd[0], zd[1], taken, func(c cand) bool {
				if dnspodpack.KeyOf(p.newGroups(c)) != nd.Key {
					return false
				}
				got = append(got, c)
				taken[[2]int{c.Z, c.L}] = true
				return true
			})
		}
		if len(got) > 0 && p.delta(got) < 0 {
			for _, c := range got {
				p.commit(c)
			}
		}
	}
}

// zonePass pairs all remaining leftovers of a zone together when that
// saves calls: the zone then needs no create batch at all.
func (p *pairer) zonePass() {
	for zi, z := range p.Zones {
		if dnspodpack.AllowedKinds(z.Policy) == 0 {
			continue
		}
		taken := map[[2]int]bool{}
		var got []cand
		for _, di := range z.LeftD {
			if !p.Open(zi, di) {
				continue
			}
			bestC, bestN := cand{L: -1}, 0
			p.Each(zi, di, taken, func(c cand) bool {
				if ng := len(p.newGroups(c)); bestC.L < 0 || ng < bestN {
					bestC, bestN = c, ng
				}
				return false
			})
			if bestC.L >= 0 {
				got = append(got, bestC)
				taken[[2]int{zi, bestC.L}] = true
			}
		}
		if len(got) > 0 && p.delta(got) < 0 {
			for _, c := range got {
				p.commit(c)
			}
		}
	}
}
