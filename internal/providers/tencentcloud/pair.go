package tencentcloud

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/dnssync/dnssync/internal/model"
)

// Pairing kinds: how a leftover live record can become a leftover desired
// record with one identity-changing ModifyRecordBatch field (plus TTL and
// status), or one ModifyRecordBatchV3 item. Same-cell kinds come first:
// they cannot move a record into another (name, line) and so rarely need
// ordering. (The legacy planner's kinds; ModifyRecordBatch takes the same
// fields.)
const (
	kindValue = iota // same name, type, line, MX priority
	kindMX           // same name, line, MX target
	kindType         // same name and line, other type (record_type carries value and mx)
	kindArea         // same name, type, value, priority; other line
	kindName         // same type, line, value, priority; other name (rename)
	numKinds
)

// item is one ModifyRecordBatch change of one record, in the vocabulary
// of dnspodrules.Apply (status enable/disable, line by name).
type item struct {
	field, to, value string
	mx               int
}

// gkey is a modification group: one (field, new value) at one provider,
// exactly what one ModifyRecordBatch call can carry.
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

// identityItem is the change that turns a record into d by kind. A value
// change of an MX record carries the priority: the API wants MX with MX
// records (spec §3.10), and pairs of kindValue share it.
func identityItem(kind int, d model.Record) item {
	switch kind {
	case kindValue:
		it := item{field: ChangeValue, to: d.Value}
		if d.Type == model.TypeMX {
			it.mx = d.MX
		}
		return it
	case kindMX:
		return item{field: ChangeMX, to: strconv.Itoa(d.MX), mx: d.MX}
	case kindType:
		it := item{field: ChangeRecordType, to: d.Type, value: d.Value}
		if d.Type == model.TypeMX {
			it.mx = d.MX
		}
		return it
	case kindArea:
		return item{field: ChangeLine, to: d.Line}
	default:
		return item{field: ChangeSubDomain, to: d.Name}
	}
}

func statusItem(enabled bool) item {
	if enabled {
		return item{field: ChangeStatus, to: "enable"}
	}
	return item{field: ChangeStatus, to: "disable"}
}

// neutralItems are the TTL and status changes taking l to d's TTL and status.
func neutralItems(l, d model.Record, out []item) []item {
	if l.TTL != d.TTL {
		out = append(out, item{field: ChangeTTL, to: strconv.Itoa(d.TTL)})
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

// cand is a possible pairing: desired d of zone z from live l by kind.
type cand struct {
	z, d, l, kind int
}

// pairer decides which leftover live records become which leftover
// desired records. A pairing replaces a delete and a create with a
// modification; with batch deletes and shared creates that saves calls
// only when it empties a batch, and it costs a call whenever its change
// needs a ModifyRecordBatch group of its own. Every decision is taken on
// the cost model's totals.
type pairer struct {
	zones []*zone
	pools [][numKinds]map[string][]int
	cost  *costModel
	// excluded records never pair (set after a conflict could not be ordered).
	exclL, exclD map[[2]int]bool
}

func newPairer(zones []*zone, o PlannerOptions, exclL, exclD map[[2]int]bool) *pairer {
	m := &costModel{v3: o.ModifyV3, limit: o.MaxTaskRecords, delLimit: o.MaxDeleteIDs, groups: map[gkey]int{}, creates: map[int]int{}}
	p := &pairer{zones: zones, pools: make([][numKinds]map[string][]int, len(zones)), cost: m, exclL: exclL, exclD: exclD}
	for zi, z := range zones {
		z.resetPairs()
		for _, u := range z.updates {
			m.addUpdate(z, z.live[u.l], z.desired[u.d], nil, 1)
		}
		for _, di := range z.leftD {
			m.addCreate(zi, z.desired[di], 1)
		}
		m.deletes += len(z.leftL)
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
		if replaceLate(l, d) {
			m.late += sign
		} else {
			m.early += sign
		}
		return
	}
	for _, it := range neutralItems(l, d, extra) {
		m.groups[gkey{z.provider, it}] += sign
	}
}

// apply counts committing c (sign 1) or taking it back (sign -1).
func (m *costModel) apply(p *pairer, c cand, sign int) {
	z := p.zones[c.z]
	l, d := z.live[c.l], z.desired[c.d]
	m.addUpdate(z, l, d, []item{identityItem(c.kind, d)}, sign)
	m.addCreate(c.z, d, -sign)
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
		z := p.zones[c.z]
		if !seenZ[c.z] {
			seenZ[c.z] = true
			t += batchCost(m.creates[c.z], m.limit)
		}
		if m.v3 {
			continue
		}
		for _, it := range neutralItems(z.live[c.l], z.desired[c.d], []item{identityItem(c.kind, z.desired[c.d])}) {
			g := gkey{z.provider, it}
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
	z := p.zones[c.z]
	var out []gkey
	for _, it := range neutralItems(z.live[c.l], z.desired[c.d], []item{identityItem(c.kind, z.desired[c.d])}) {
		if g := (gkey{z.provider, it}); p.cost.groups[g] == 0 {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, cmpGkey)
	return slices.Compact(out)
}

// best returns the live record kind k would pair with desired d, or -1:
// the first free one in canonical order, preferring one whose TTL and
// status already match (fewer changes).
func (p *pairer) best(zi, k, di int, taken map[[2]int]bool) int {
	z := p.zones[zi]
	pool := p.pools[zi][k]
	if pool == nil {
		return -1
	}
	d := z.desired[di]
	key := bucketKey(k, d)
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

func (p *pairer) commit(c cand) {
	z := p.zones[c.z]
	z.pairOf[c.d], z.kindOf[c.d] = c.l, c.kind
	z.lUsed[c.l] = true
	p.cost.apply(p, c, 1)
}

func (p *pairer) open(zi, di int) bool {
	return p.zones[zi].pairOf[di] < 0 && !p.exclD[[2]int{zi, di}]
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
				c := cand{zi, di, li, k}
				if d := p.delta([]cand{c}); d < 0 || d == 0 && len(p.newGroups(c)) == 0 {
					p.commit(c)
					break
				}
			}
		}
	}
}

// sharedPass tries the sets of pairings that need the same new groups
// together, largest first: one group shared by many pairings can empty
// delete and create batches a single pairing could not.
func (p *pairer) sharedPass() {
	type need struct {
		key   string
		size  int
		cands [][2]int
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
				gs := p.newGroups(cand{zi, di, li, k})
				var sb strings.Builder
				for _, g := range gs {
					sb.WriteString(g.String())
					sb.WriteByte(1)
				}
				key := sb.String()
				nd := needs[key]
				if nd == nil {
					nd = &need{key: key, size: len(gs)}
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
		list = append(list, nd)
	}
	slices.SortFunc(list, func(a, b *need) int {
		return cmp.Or(cmp.Compare(len(b.cands)-b.size, len(a.cands)-a.size), cmp.Compare(a.key, b.key))
	})
	for _, nd := range list {
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
				c := cand{zd[0], zd[1], li, k}
				if gs := p.newGroups(c); keyOf(gs) == nd.key {
					got = append(got, c)
					taken[[2]int{zd[0], li}] = true
					break
				}
			}
		}
		if len(got) > 0 && p.delta(got) < 0 {
			for _, c := range got {
				p.commit(c)
			}
		}
	}
}

func keyOf(gs []gkey) string {
	var sb strings.Builder
	for _, g := range gs {
		sb.WriteString(g.String())
		sb.WriteByte(1)
	}
	return sb.String()
}

// zonePass pairs all remaining leftovers of a zone together when that
// saves calls: the zone then needs no create batch at all.
func (p *pairer) zonePass() {
	for zi, z := range p.zones {
		n := allowedKinds(z.policy)
		if n == 0 {
			continue
		}
		taken := map[[2]int]bool{}
		var got []cand
		for _, di := range z.leftD {
			if !p.open(zi, di) {
				continue
			}
			bestC, bestN := cand{l: -1}, 0
			for k := range n {
				li := p.best(zi, k, di, taken)
				if li < 0 {
					continue
				}
				c := cand{zi, di, li, k}
				if ng := len(p.newGroups(c)); bestC.l < 0 || ng < bestN {
					bestC, bestN = c, ng
				}
			}
			if bestC.l >= 0 {
				got = append(got, bestC)
				taken[[2]int{zi, bestC.l}] = true
			}
		}
		if len(got) > 0 && p.delta(got) < 0 {
			for _, c := range got {
				p.commit(c)
			}
		}
	}
}
