package dnspod

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/dnssync/dnssync/internal/model"
)

// Pairing kinds: how a leftover live record can become a leftover desired
// record with one identity-changing Batch.Record.Modify field (plus TTL and
// status). Same-cell kinds come first: they cannot move a record into
// another (name, line) and so rarely need ordering.
const (
	kindValue = iota // same name, type, line, MX priority
	kindMX           // same name, line, MX target
	kindType         // same name and line, other type (record_type carries value and mx)
	kindArea         // same name, type, value, priority; other line
	kindName         // same type, line, value, priority; other name (rename)
	numKinds
)

// item is one Batch.Record.Modify change of one record.
type item struct {
	field, to, value string
	mx               int
}

// gkey is a modification group: one (field, new value) at one provider,
// i.e. exactly what one Batch.Record.Modify call can carry.
type gkey struct {
	provider string
	item
}

func (g gkey) String() string {
	return g.provider + "\x00" + g.field + "\x00" + g.to + "\x00" + g.value + "\x00" + strconv.Itoa(g.mx)
}

func cmpGkey(a, b gkey) int {
	return cmp.Or(cmp.Compare(a.provider, b.provider), cmp.Compare(a.field, b.field), cmp.Compare(a.to, b.to),
		cmp.Compare(a.value, b.value), cmp.Compare(a.mx, b.mx))
}

func identityItem(kind int, d model.Record) item {
	switch kind {
	case kindValue:
		return item{field: "value", to: d.Value}
	case kindMX:
		return item{field: "mx", to: strconv.Itoa(d.MX)}
	case kindType:
		it := item{field: "record_type", to: d.Type, value: d.Value}
		if d.Type == model.TypeMX {
			it.mx = d.MX
		}
		return it
	case kindArea:
		return item{field: "area", to: d.Line}
	default:
		return item{field: "sub_domain", to: d.Name}
	}
}

func statusItem(enabled bool) item {
	if enabled {
		return item{field: "status", to: "enable"}
	}
	return item{field: "status", to: "disable"}
}

// neutralItems are the TTL and status changes taking l to d's TTL and status.
func neutralItems(l, d model.Record, out []item) []item {
	if l.TTL != d.TTL {
		out = append(out, item{field: "ttl", to: strconv.Itoa(d.TTL)})
	}
	if l.Enabled != d.Enabled {
		out = append(out, statusItem(d.Enabled))
	}
	return out
}

// bucketKey groups live and desired records that a kind can pair; "" means
// the kind does not apply to r.
func bucketKey(kind int, r model.Record) string {
	v := model.CompareValue(r.Type, r.Value)
	mx := strconv.Itoa(r.MX)
	switch kind {
	case kindValue:
		return r.Name + "\x00" + r.Type + "\x00" + r.Line + "\x00" + mx
	case kindMX:
		if r.Type != model.TypeMX {
			return ""
		}
		return r.Name + "\x00" + r.Line + "\x00" + v
	case kindType:
		return r.Name + "\x00" + r.Line
	case kindArea:
		return r.Name + "\x00" + r.Type + "\x00" + v + "\x00" + mx
	default:
		return r.Type + "\x00" + r.Line + "\x00" + v + "\x00" + mx
	}
}

func allowedKinds(p model.Policy) int {
	switch p {
	case model.PolicyCreateOnly:
		return 0
	case model.PolicyUpsertOnly:
		return kindType // value and MX changes keep the record set
	default:
		return numKinds
	}
}

// ledger counts the write calls a pairing costs, exactly as the packer
// will group the changes (recordPlanner.chunks): one Batch.Record.Modify
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
	return ceilDiv(k, max(1, lg.maxCreate/n))
}

func newLedger(zones []*zone, opts planOpts) *ledger {
	lg := &ledger{maxModify: opts.MaxModifyIDs, maxCreate: opts.MaxCreateItems, groups: map[gkey]int{},
		parts: map[partKey]int{}, creates: make([]zoneCreates, len(zones)), recHash: make([][]uint64, len(zones))}
	for zi, z := range zones {
		for _, u := range z.updates {
			for _, it := range neutralItems(z.live[u.l], z.desired[u.d], nil) {
				lg.join(gkey{z.provider, it})
			}
		}
		lg.recHash[zi] = make([]uint64, len(z.desired))
		lg.creates[zi].list = slices.Clone(z.leftD)
		lg.cut(zi, z)
		lg.rm += len(z.leftL)
	}
	return lg
}

// hash is desired record di's hash as a create (what a create part holds).
func (lg *ledger) hash(zi int, z *zone, di int) uint64 {
	if h := lg.recHash[zi][di]; h != 0 {
		return h
	}
	r := z.desired[di]
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
		k := partKey{provider: z.provider}
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
	if zc.counted = ceilDiv(len(zc.list), lg.maxCreate) > exactParts; zc.counted {
		lg.create += ceilDiv(len(zc.list), lg.maxCreate)
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
	want := ceilDiv(len(zc.list), lg.maxCreate)
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
		k.provider = z.provider
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
		lg.create += ceilDiv(len(zc.list), lg.maxCreate) - ceilDiv(len(zc.list)+1, lg.maxCreate)
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
		lg.create += ceilDiv(len(zc.list), lg.maxCreate) - ceilDiv(len(zc.list)-1, lg.maxCreate)
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
	zones []*zone
	pools [][numKinds]map[string][]int
	// dkeys caches each desired record's bucket key per kind: best looks
	// them up in every pass.
	dkeys [][]bucketKeys
	lg    *ledger
	// excluded records never pair (set after a conflict could not be ordered).
	exclL, exclD map[[2]int]bool
}

type cand struct {
	z, d, l, kind int
}

type bucketKeys struct {
	key  [numKinds]string
	done bool
}

func newPairer(zones []*zone, opts planOpts, exclL, exclD map[[2]int]bool) *pairer {
	for _, z := range zones {
		z.resetPairs()
	}
	p := &pairer{zones: zones, pools: make([][numKinds]map[string][]int, len(zones)), lg: newLedger(zones, opts),
		exclL: exclL, exclD: exclD, dkeys: make([][]bucketKeys, len(zones))}
	for zi, z := range zones {
		p.dkeys[zi] = make([]bucketKeys, len(z.desired))
		n := allowedKinds(z.policy)
		for k := range n {
			p.pools[zi][k] = map[string][]int{}
		}
		for _, li := range z.leftL {
			if exclL[[2]int{zi, li}] {
				continue
			}
			for k := range n {
				if key := bucketKey(k, z.live[li]); key != "" {
					p.pools[zi][k][key] = append(p.pools[zi][k][key], li)
				}
			}
		}
	}
	return p
}

// best returns the live record kind k would pair with desired d, or -1:
// the first free one in canonical order, preferring one whose TTL and
// status already match (no extra groups).
func (p *pairer) best(zi, k, di int, taken map[[2]int]bool) int {
	z := p.zones[zi]
	pool := p.pools[zi][k]
	if pool == nil {
		return -1
	}
	d := z.desired[di]
	keys := &p.dkeys[zi][di]
	if !keys.done {
		for kind := range numKinds {
			keys.key[kind] = bucketKey(kind, d)
		}
		keys.done = true
	}
	key := keys.key[k]
	if key == "" {
		return -1
	}
	list := pool[key]
	for len(list) > 0 && z.lUsed[list[0]] {
		list = list[1:]
	}
	pool[key] = list
	first, scanned := -1, 0
	for _, li := range list {
		if z.lUsed[li] || taken[[2]int{zi, li}] {
			continue
		}
		l := z.live[li]
		if k == kindType && l.Type == d.Type {
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

// items are the Batch.Record.Modify changes pairing c makes.
func (p *pairer) items(c cand) []item {
	z := p.zones[c.z]
	l, d := z.live[c.l], z.desired[c.d]
	return neutralItems(l, d, []item{identityItem(c.kind, d)})
}

// missing lists the groups pairing c needs beyond the open ones and extra.
func (p *pairer) missing(c cand, extra map[gkey]bool) []gkey {
	z := p.zones[c.z]
	var out []gkey
	for _, it := range p.items(c) {
		g := gkey{z.provider, it}
		if !p.lg.open(g) && !extra[g] {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, cmpGkey)
	return slices.Compact(out)
}

// commit makes pairing c and books it.
func (p *pairer) commit(c cand) {
	z := p.zones[c.z]
	z.pairOf[c.d], z.kindOf[c.d] = c.l, c.kind
	z.lUsed[c.l] = true
	for _, it := range p.items(c) {
		p.lg.join(gkey{z.provider, it})
	}
	p.lg.dropCreate(c.z, z, c.d)
	p.lg.rm--
}

// undo takes back pairing c.
func (p *pairer) undo(c cand) {
	z := p.zones[c.z]
	z.pairOf[c.d], z.kindOf[c.d] = -1, 0
	z.lUsed[c.l] = false
	for _, it := range p.items(c) {
		p.lg.leave(gkey{z.provider, it})
	}
	p.lg.keepCreate(c.z, z, c.d)
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

func (p *pairer) open(zi, di int) bool {
	return p.zones[zi].pairOf[di] < 0 && !p.exclD[[2]int{zi, di}]
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
	for zi, z := range p.zones {
		n := allowedKinds(z.policy)
		for _, di := range z.leftD {
			if !p.open(zi, di) {
				continue
			}
			for k := range n {
				li := p.best(zi, k, di, nil)
				if li < 0 {
					continue
				}
				if c := (cand{zi, di, li, k}); len(p.missing(c, nil)) == 0 && p.try([]cand{c}) {
					break
				}
			}
		}
	}
}

// sharedPass adds new groups that enough pairs share: a set of g new groups
// used by n pairings saves n removals for g modify calls. Sets are tried
// best estimated saving first, each kept only when the total falls.
func (p *pairer) sharedPass() {
	type need struct {
		groups []gkey
		key    string
		cands  [][2]int
	}
	needs := map[string]*need{}
	for zi, z := range p.zones {
		n := allowedKinds(z.policy)
		for _, di := range z.leftD {
			if !p.open(zi, di) {
				continue
			}
			for k := range n {
				li := p.best(zi, k, di, nil)
				if li < 0 {
					continue
				}
				gs := p.missing(cand{zi, di, li, k}, nil)
				var sb strings.Builder
				for _, g := range gs {
					sb.WriteString(g.String())
					sb.WriteByte(1)
				}
				key := sb.String()
				nd := needs[key]
				if nd == nil {
					nd = &need{groups: gs, key: key}
					needs[key] = nd
				}
				if last := len(nd.cands) - 1; last < 0 || nd.cands[last] != [2]int{zi, di} {
					nd.cands = append(nd.cands, [2]int{zi, di})
				}
			}
		}
	}
	list := make([]*need, 0, len(needs))
	for _, nd := range needs {
		if len(nd.cands) > len(nd.groups) {
			list = append(list, nd)
		}
	}
	slices.SortFunc(list, func(a, b *need) int {
		return cmp.Or(cmp.Compare(len(b.cands)-len(b.groups), len(a.cands)-len(a.groups)), cmp.Compare(a.key, b.key))
	})
	for _, nd := range list {
		extra := map[gkey]bool{}
		for _, g := range nd.groups {
			extra[g] = true
		}
		taken := map[[2]int]bool{}
		var got []cand
		for _, zd := range nd.cands {
			if !p.open(zd[0], zd[1]) {
				continue
			}
			for k := range allowedKinds(p.zones[zd[0]].policy) {
				li := p.best(zd[0], k, zd[1], taken)
				if li < 0 {
					continue
				}
				if c := (cand{zd[0], zd[1], li, k}); len(p.missing(c, extra)) == 0 {
					got = append(got, c)
					taken[[2]int{zd[0], li}] = true
					break
				}
			}
		}
		if len(got) > len(nd.groups) {
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
	for zi, z := range p.zones {
		n := allowedKinds(z.policy)
		if n == 0 {
			continue
		}
		extra := map[gkey]bool{}
		taken := map[[2]int]bool{}
		var got []cand
		ok := true
		for _, di := range z.leftD {
			if z.pairOf[di] >= 0 {
				continue
			}
			if p.exclD[[2]int{zi, di}] {
				ok = false
				break
			}
			var pick cand
			var need []gkey
			found := false
			for k := range n {
				li := p.best(zi, k, di, taken)
				if li < 0 {
					continue
				}
				c := cand{zi, di, li, k}
				if m := p.missing(c, extra); !found || len(m) < len(need) {
					pick, need, found = c, m, true
				}
			}
			if !found {
				ok = false
				break
			}
			for _, g := range need {
				extra[g] = true
			}
			got = append(got, pick)
			taken[[2]int{zi, pick.l}] = true
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
	for zi := range p.zones {
		if len(p.lg.creates[zi].list) > 0 {
			creating++
		}
	}
	changed := false
	for zi, z := range p.zones {
		n := allowedKinds(z.policy)
		alone := creating == 1 && len(p.lg.creates[zi].list) > 0
		for _, di := range z.leftD {
			if !p.open(zi, di) {
				continue
			}
			for k := range n {
				li := p.best(zi, k, di, nil)
				if li < 0 {
					continue
				}
				c := cand{zi, di, li, k}
				if alone && (len(p.lg.creates[zi].list)-1)%p.lg.maxCreate != 0 && len(p.missing(c, nil)) > 0 {
					continue
				}
				if p.try([]cand{c}) {
					changed = true
					break
				}
			}
		}
	}
	return changed
}
