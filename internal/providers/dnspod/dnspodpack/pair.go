package dnspodpack

import (
	"cmp"
	"slices"
	"strings"

	"github.com/dnssync/dnssync/internal/model"
)

// Cand is a possible pairing: desired record D of zone Z made from live
// record L by kind K.
type Cand struct {
	Z, D, L, K int
}

// Pairer holds what deciding which leftover live records become which
// leftover desired records needs, whatever a call costs: the leftover live
// records bucketed per kind, the search for each desired record's best
// partner, and the pairing state of the zones. The provider's planner
// decides which pairings pay, on the total number of its calls
// (docs/PLANNING.md, "Pairing leftovers into modifications").
type Pairer struct {
	Zones []*Zone
	// Identity is the item of a pairing of a kind (see Packer.Identity).
	Identity func(kind int, d model.Record) Item
	pools    [][NumKinds]map[string][]int
	// dkeys caches each desired record's bucket key per kind: Best looks
	// them up in every pass.
	dkeys [][]bucketKeys
	// excluded records never pair (set after a conflict could not be ordered).
	exclL, exclD map[[2]int]bool
}

type bucketKeys struct {
	key  [NumKinds]string
	done bool
}

// NewPairer forgets the zones' pairings and buckets their leftover live
// records, leaving out exclL; desired records in exclD never pair.
func NewPairer(zones []*Zone, identity func(int, model.Record) Item, exclL, exclD map[[2]int]bool) *Pairer {
	p := &Pairer{Zones: zones, Identity: identity, pools: make([][NumKinds]map[string][]int, len(zones)),
		exclL: exclL, exclD: exclD, dkeys: make([][]bucketKeys, len(zones))}
	for zi, z := range zones {
		z.ResetPairs()
		p.dkeys[zi] = make([]bucketKeys, len(z.Desired))
		n := AllowedKinds(z.Policy)
		for k := range n {
			p.pools[zi][k] = map[string][]int{}
		}
		for _, li := range z.LeftL {
			if exclL[[2]int{zi, li}] {
				continue
			}
			for k := range n {
				if key := BucketKey(k, z.Live[li]); key != "" {
					p.pools[zi][k][key] = append(p.pools[zi][k][key], li)
				}
			}
		}
	}
	return p
}

// Best returns the live record kind k would pair with desired di of zone
// zi, or -1: the first free one in canonical order not in taken,
// preferring one whose TTL and status already match (fewer changes).
func (p *Pairer) Best(zi, k, di int, taken map[[2]int]bool) int {
	z := p.Zones[zi]
	pool := p.pools[zi][k]
	if pool == nil {
		return -1
	}
	d := z.Desired[di]
	keys := &p.dkeys[zi][di]
	if !keys.done {
		for kind := range NumKinds {
			keys.key[kind] = BucketKey(kind, d)
		}
		keys.done = true
	}
	key := keys.key[k]
	if key == "" {
		return -1
	}
	list := pool[key]
	for len(list) > 0 && z.LUsed[list[0]] {
		list = list[1:]
	}
	pool[key] = list
	first, scanned := -1, 0
	for _, li := range list {
		if z.LUsed[li] || taken[[2]int{zi, li}] {
			continue
		}
		l := z.Live[li]
		if k == KindType && l.Type == d.Type {
			continue
		}
		if first < 0 {
			first = li
		}
		if l.TTL == d.TTL && l.Enabled == d.Enabled {
			return li
		}
		if scanned++; scanned >= 64 {
			break
		}
	}
	return first
}

// Each calls f with each kind's candidate for desired di of zone zi (in
// kind order, skipping kinds without one), until f returns true.
func (p *Pairer) Each(zi, di int, taken map[[2]int]bool, f func(Cand) bool) {
	for k := range AllowedKinds(p.Zones[zi].Policy) {
		if li := p.Best(zi, k, di, taken); li >= 0 && f(Cand{zi, di, li, k}) {
			return
		}
	}
}

// Unpaired calls f with each leftover desired record still free to pair,
// zone by zone in canonical order.
func (p *Pairer) Unpaired(f func(zi, di int)) {
	for zi, z := range p.Zones {
		for _, di := range z.LeftD {
			if p.Open(zi, di) {
				f(zi, di)
			}
		}
	}
}

// Open reports whether desired di of zone zi is unpaired and may pair.
func (p *Pairer) Open(zi, di int) bool {
	return p.Zones[zi].PairOf[di] < 0 && !p.exclD[[2]int{zi, di}]
}

// Excluded reports whether desired di of zone zi may never pair.
func (p *Pairer) Excluded(zi, di int) bool { return p.exclD[[2]int{zi, di}] }

// Items are the modifications pairing c makes: its identity item, then
// the TTL and status changes.
func (p *Pairer) Items(c Cand) []Item {
	z := p.Zones[c.Z]
	l, d := z.Live[c.L], z.Desired[c.D]
	return NeutralItems(l, d, []Item{p.Identity(c.K, d)})
}

// Pair marks c made; Unpair takes it back. Neither books any cost.
func (p *Pairer) Pair(c Cand) {
	z := p.Zones[c.Z]
	z.PairOf[c.D], z.KindOf[c.D] = c.L, c.K
	z.LUsed[c.L] = true
}

// Unpair takes pairing c back.
func (p *Pairer) Unpair(c Cand) {
	z := p.Zones[c.Z]
	z.PairOf[c.D], z.KindOf[c.D] = -1, 0
	z.LUsed[c.L] = false
}

// Need is a set of new modification groups and the leftover desired
// records (zone, index) whose candidates need exactly those.
type Need struct {
	Groups []Group
	Key    string
	Cands  [][2]int
}

// KeyOf names a sorted list of groups.
func KeyOf(gs []Group) string {
	var sb strings.Builder
	for _, g := range gs {
		sb.WriteString(g.String())
		sb.WriteByte(1)
	}
	return sb.String()
}

// Needs collects, for every open leftover and each kind's candidate, the
// new groups the candidate needs (missing, sorted): the sets many pairings
// share, best estimated saving (pairings less groups) first.
func (p *Pairer) Needs(missing func(Cand) []Group) []*Need {
	needs := map[string]*Need{}
	p.Unpaired(func(zi, di int) {
		p.Each(zi, di, nil, func(c Cand) bool {
			gs := missing(c)
			key := KeyOf(gs)
			nd := needs[key]
			if nd == nil {
				nd = &Need{Groups: gs, Key: key}
				needs[key] = nd
			}
			if last := len(nd.Cands) - 1; last < 0 || nd.Cands[last] != [2]int{zi, di} {
				nd.Cands = append(nd.Cands, [2]int{zi, di})
			}
			return false
		})
	})
	list := make([]*Need, 0, len(needs))
	for _, nd := range needs {
		list = append(list, nd)
	}
	slices.SortFunc(list, func(a, b *Need) int {
		return cmp.Or(cmp.Compare(len(b.Cands)-len(b.Groups), len(a.Cands)-len(a.Groups)), cmp.Compare(a.Key, b.Key))
	})
	return list
}

// Missing lists the groups items need that open does not report in use
// and extra does not hold, sorted and without repeats.
func Missing(provider string, items []Item, open func(Group) bool, extra map[Group]bool) []Group {
	var out []Group
	for _, it := range items {
		g := Group{provider, it}
		if !open(g) && !extra[g] {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, CmpGroup)
	return slices.Compact(out)
}
