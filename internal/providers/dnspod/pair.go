package dnspod

import (
	"slices"
	"strconv"

	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodpack"
)

// The legacy API's pairing: which leftover live records become which
// leftover desired records (dnspodpack finds the candidates), decided on
// what the legacy calls cost. Batch.Record.Modify sets one field on many
// records; there is no batch delete; identical create parts of several
// zones share one Batch.Record.Create.

type (
	gkey = dnspodpack.Group
	cand = dnspodpack.Cand
)

// ledger counts the write calls a pairing costs, exactly as the packer
// will group the changes (dnspodpack.Packer): one Batch.Record.Modify
// per modification group and limit's worth of records; a zone's creates
// cut into parts of the limit in canonical order, identical parts of
// several zones sharing one Batch.Record.Create per limit's worth of
// records × domains; one Record.Remove per leftover live record left
// unpaired. It is kept up to date as pairs are made and undone, so that
// every pairing decision is taken on the total number of calls, creates
// included. Parts are told apart by an order-independent hash of their
// records.
type ledger struct {
	maxModify, maxCreate int
	groups               map[gkey]int    // members per modification group
	parts                map[partKey]int // zones per create part
	creates              []zoneCreates   // per zone
	recHash              [][]uint64      // per zone, per desired index: the create record's hash (0: not computed)
	modify, create, rm   int
}

// zoneCreates are one zone's creates: the unpaired leftover desired
// records (indices, ascending, which is canonical order) and the parts
// the packer cuts them into.
type zoneCreates struct {
	list    []int
	parts   []partKey
	counted bool // too many parts to follow: counted, not shared (exactParts)
}

type partKey struct {
	provider string
	h        uint64
	n        int
}

// cost is what a pairing costs: write calls, and of them the ones that
// start a task to await (all but Record.Remove). Fewer writes win; at
// equal writes fewer tasks (removals answer at once, so a tie goes to
// delete + create).
type cost struct{ writes, tasks int }

func (c cost) less(d cost) bool {
	return c.writes < d.writes || c.writes == d.writes && c.tasks < d.tasks
}

func (lg *ledger) total() cost {
	return cost{lg.modify + lg.create + lg.rm, lg.modify + lg.create}
}

// partCalls is what the packer sends for one create part of n records
// shared by k zones: as many zones per call as records × zones fit.
func (lg *ledger) partCalls(n, k int) int {
	if k == 0 {
		return 0
	}
	return dnspodpack.CeilDiv(k, max(1, lg.maxCreate/n))
}

func newLedger(zones []*zone, opts planOpts) *ledger {
	lg := &ledger{maxModify: opts.MaxModifyIDs, maxCreate: opts.MaxCreateItems, groups: map[gkey]int{},
		parts: map[partKey]int{}, creates: make([]zoneCreates, len(zones)), recHash: make([][]uint64, len(zones))}
	for zi, z := range zones {
		for _, u := range z.Updates {
			for _, it := range dnspodpack.NeutralItems(z.Live[u.L], z.Desired[u.D], nil) {
				lg.join(gkey{Provider: z.Provider, Item: it})
			}
		}
		lg.recHash[zi] = make([]uint64, len(z.Desired))
		lg.creates[zi].list = slices.Clone(z.LeftD)
		lg.cut(zi, z)
		lg.rm += len(z.LeftL)
	}
	return lg
}

// hash is desired record di's hash as a create (what a create part holds).
func (lg *ledger) hash(zi int, z *zone, di int) uint64 {
	if h := lg.recHash[zi][di]; h != 0 {
		return h
	}
	r := z.Desired[di]
	h := uint64(14695981039346656037)
	for _, s := range [...]string{r.Name, r.Type, r.Line, r.Value, strconv.Itoa(r.MX), strconv.Itoa(r.TTL), strconv.FormatBool(r.Enabled)} {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint64(s[i])) * 1099511628211
		}
		h = (h ^ 0xff) * 1099511628211
	}
	// Finalise (splitmix64) so that sums of hashes stay well spread.
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	h |= 1
	lg.recHash[zi][di] = h
	return h
}

// exactParts is the most parts a zone's creates may have for the ledger
// to follow them part by part; a zone with more (thousands of creates) is
// counted as one call per part, shared with no other zone, which keeps
// each pairing decision cheap. Identical create sets that large are rare.
const exactParts = 64

// partsOf cuts zone zi's create list into parts from scratch.
func (lg *ledger) partsOf(zi int, z *zone) []partKey {
	zc := &lg.creates[zi]
	var parts []partKey
	for from := 0; from < len(zc.list); from += lg.maxCreate {
		k := partKey{provider: z.Provider}
		for _, di := range zc.list[from:min(len(zc.list), from+lg.maxCreate)] {
			k.h += lg.hash(zi, z, di)
			k.n++
		}
		parts = append(parts, k)
	}
	return parts
}

// cut books zone zi's create parts when the ledger is made.
func (lg *ledger) cut(zi int, z *zone) {
	zc := &lg.creates[zi]
	if zc.counted = dnspodpack.CeilDiv(len(zc.list), lg.maxCreate) > exactParts; zc.counted {
		lg.create += dnspodpack.CeilDiv(len(zc.list), lg.maxCreate)
		return
	}
	zc.parts = lg.partsOf(zi, z)
	for _, k := range zc.parts {
		lg.movePart(k, 1)
	}
}

// setParts replaces zone zi's parts from part p0 on with the parts its
// list now cuts into; sum gives part j's new hash from its old key (the
// zero key for a part that is new).
func (lg *ledger) setParts(zi int, z *zone, p0 int, sum func(j int, old partKey) partKey) {
	zc := &lg.creates[zi]
	want := dnspodpack.CeilDiv(len(zc.list), lg.maxCreate)
	for j := p0; j < len(zc.parts) || j < want; j++ {
		var old partKey
		if j < len(zc.parts) {
			old = zc.parts[j]
			lg.movePart(old, -1)
		}
		if j >= want {
			continue
		}
		k := sum(j, old)
		k.provider = z.Provider
		k.n = min(lg.maxCreate, len(zc.list)-j*lg.maxCreate)
		if j < len(zc.parts) {
			zc.parts[j] = k
		} else {
			zc.parts = append(zc.parts, k)
		}
		lg.movePart(k, 1)
	}
	zc.parts = zc.parts[:want]
}

// movePart adds d (1 or -1) zones to part k.
func (lg *ledger) movePart(k partKey, d int) {
	n := lg.parts[k]
	lg.create += lg.partCalls(k.n, n+d) - lg.partCalls(k.n, n)
	if n+d == 0 {
		delete(lg.parts, k)
	} else {
		lg.parts[k] = n + d
	}
}

// dropCreate takes desired di out of zone zi's creates; keepCreate puts
// it back. Each part after the change loses its first record to the part
// before it (or gains the last record of the part before it), so a part's
// hash is updated from its old one in constant time.
func (lg *ledger) dropCreate(zi int, z *zone, di int) {
	zc := &lg.creates[zi]
	pos, _ := slices.BinarySearch(zc.list, di)
	zc.list = slices.Delete(zc.list, pos, pos+1)
	if zc.counted {
		lg.create += dnspodpack.CeilDiv(len(zc.list), lg.maxCreate) - dnspodpack.CeilDiv(len(zc.list)+1, lg.maxCreate)
		return
	}
	L, list := lg.maxCreate, zc.list
	h := func(i int) uint64 {
		if i < len(list) {
			return lg.hash(zi, z, list[i])
		}
		return 0
	}
	p0 := pos / L
	gone := lg.hash(zi, z, di)
	lg.setParts(zi, z, p0, func(j int, old partKey) partKey {
		out := h((j+1)*L - 1) // the first record of the next part moves in
		if j == p0 {
			old.h -= gone
		} else {
			old.h -= h(j*L - 1) // the first record moved to the part before
		}
		old.h += out
		return old
	})
}

func (lg *ledger) keepCreate(zi int, z *zone, di int) {
	zc := &lg.creates[zi]
	pos, _ := slices.BinarySearch(zc.list, di)
	zc.list = slices.Insert(zc.list, pos, di)
	if zc.counted {
		lg.create += dnspodpack.CeilDiv(len(zc.list), lg.maxCreate) - dnspodpack.CeilDiv(len(zc.list)-1, lg.maxCreate)
		return
	}
	L, list := lg.maxCreate, zc.list
	h := func(i int) uint64 {
		if i < len(list) {
			return lg.hash(zi, z, list[i])
		}
		return 0
	}
	p0 := pos / L
	lg.setParts(zi, z, p0, func(j int, old partKey) partKey {
		if j == p0 {
			old.h += h(pos)
		} else {
			old.h += h(j * L) // the last record of the part before moves in
		}
		old.h -= h((j + 1) * L) // the last record moves on to the next part
		return old
	})
}

func (lg *ledger) join(g gkey) {
	n := lg.groups[g]
	if n%lg.maxModify == 0 {
		lg.modify++
	}
	lg.groups[g] = n + 1
}

func (lg *ledger) leave(g gkey) {
	n := lg.groups[g] - 1
	if n%lg.maxModify == 0 {
		lg.modify--
	}
	if n == 0 {
		delete(lg.groups, g)
	} else {
		lg.groups[g] = n
	}
}

func (lg *ledger) open(g gkey) bool { return lg.groups[g] > 0 }

// pairer decides which leftover live records become which leftover desired
// records (docs/PLANNING.md, "Pairing leftovers into modifications"). A
// pairing saves a Record.Remove, joins one modification group per changed
// field and takes the record out of its zone's create set; whether that
// pays is read off the ledger, which counts every call.
type pairer struct {
	*dnspodpack.Pairer
	lg *ledger
}

func newPairer(zones []*zone, opts planOpts, exclL, exclD map[[2]int]bool) *pairer {
	p := &pairer{Pairer: dnspodpack.NewPairer(zones, dnspodpack.IdentityItem, exclL, exclD)}
	p.lg = newLedger(zones, opts)
	return p
}

// missing lists the groups pairing c needs beyond the open ones and extra.
func (p *pairer) missing(c cand, extra map[gkey]bool) []gkey {
	return dnspodpack.Missing(p.Zones[c.Z].Provider, p.Items(c), p.lg.open, extra)
}

// commit makes pairing c and books it.
func (p *pairer) commit(c cand) {
	z := p.Zones[c.Z]
	p.Pair(c)
	for _, it := range p.Items(c) {
		p.lg.join(gkey{Provider: z.Provider, Item: it})
	}
	p.lg.dropCreate(c.Z, z, c.D)
	p.lg.rm--
}

// undo takes back pairing c.
func (p *pairer) undo(c cand) {
	z := p.Zones[c.Z]
	p.Unpair(c)
	for _, it := range p.Items(c) {
		p.lg.leave(gkey{Provider: z.Provider, Item: it})
	}
	p.lg.keepCreate(c.Z, z, c.D)
	p.lg.rm++
}

// try makes the pairings cs and keeps them only when the plan then costs
// less in total; it reports whether they were kept.
func (p *pairer) try(cs []cand) bool {
	if len(cs) == 0 {
		return false
	}
	before := p.lg.total()
	for _, c := range cs {
		p.commit(c)
	}
	if p.lg.total().less(before) {
		return true
	}
	for i := len(cs) - 1; i >= 0; i-- {
		p.undo(cs[i])
	}
	return false
}

func (p *pairer) run() {
	p.freePass()
	p.sharedPass()
	p.freePass()
	p.zonePass()
	for range 3 {
		if !p.singlePass() {
			break
		}
	}
}

// freePass pairs leftovers whose groups are all open already: each such
// pairing saves a Record.Remove for no new group.
func (p *pairer) freePass() {
	p.Unpaired(func(zi, di int) {
		p.Each(zi, di, nil, func(c cand) bool { return len(p.missing(c, nil)) == 0 && p.try([]cand{c}) })
	})
}

// sharedPass adds new groups that enough pairs share: a set of g new groups
// used by n pairings saves n removals for g modify calls. Sets are tried
// best estimated saving first, each kept only when the total falls.
func (p *pairer) sharedPass() {
	for _, nd := range p.Needs(func(c cand) []gkey { return p.missing(c, nil) }) {
		if len(nd.Cands) <= len(nd.Groups) {
			continue
		}
		extra := map[gkey]bool{}
		for _, g := range nd.Groups {
			extra[g] = true
		}
		taken := map[[2]int]bool{}
		var got []cand
		for _, zd := range nd.Cands {
			if !p.Open(zd[0], zd[1]) {
				continue
			}
			p.Each(zd[0], zd[1], taken, func(c cand) bool {
				if len(p.missing(c, extra)) > 0 {
					return false
				}
				got = append(got, c)
				taken[[2]int{c.Z, c.L}] = true
				return true
			})
		}
		if len(got) > len(nd.Groups) {
			p.try(got)
		}
	}
}

// zonePass pairs all remaining leftovers of a zone together, each with
// the candidate needing the fewest new groups: the zone then needs no
// Batch.Record.Create, so the new groups replace the removals and the
// zone's create calls, which no single pairing sees. Kept when the total
// falls.
func (p *pairer) zonePass() {
	for zi, z := range p.Zones {
		if dnspodpack.AllowedKinds(z.Policy) == 0 {
			continue
		}
		extra := map[gkey]bool{}
		taken := map[[2]int]bool{}
		var got []cand
		ok := true
		for _, di := range z.LeftD {
			if z.PairOf[di] >= 0 {
				continue
			}
			if p.Excluded(zi, di) {
				ok = false
				break
			}
			var pick cand
			var need []gkey
			found := false
			p.Each(zi, di, taken, func(c cand) bool {
				if m := p.missing(c, extra); !found || len(m) < len(need) {
					pick, need, found = c, m, true
				}
				return false
			})
			if !found {
				ok = false
				break
			}
			for _, g := range need {
				extra[g] = true
			}
			got = append(got, pick)
			taken[[2]int{zi, pick.L}] = true
		}
		if ok {
			p.try(got)
		}
	}
}

// singlePass tries each remaining leftover on its own, with each kind's
// candidate: kept when the total falls, e.g. because taking the record out
// of its zone's creates makes the zone's create set equal to other zones'
// and lets them share one call. It reports whether anything was paired.
func (p *pairer) singlePass() bool {
	// When no other zone creates anything, taking one record out of a
	// zone's creates saves a call only when it empties the last part; a
	// pairing that needs a new group cannot pay otherwise, so it is not
	// tried (this keeps the pass linear on one large zone).
	creating := 0
	for zi := range p.Zones {
		if len(p.lg.creates[zi].list) > 0 {
			creating++
		}
	}
	changed := false
	for zi, z := range p.Zones {
		alone := creating == 1 && len(p.lg.creates[zi].list) > 0
		for _, di := range z.LeftD {
			if !p.Open(zi, di) {
				continue
			}
			p.Each(zi, di, nil, func(c cand) bool {
				if alone && (len(p.lg.creates[zi].list)-1)%p.lg.maxCreate != 0 && len(p.missing(c, nil)) > 0 {
					return false
				}
				if p.try([]cand{c}) {
					changed = true
					return true
				}
				return false
			})
		}
	}
	return changed
}
