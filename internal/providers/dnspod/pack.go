package dnspod

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

// This file and pair.go are DNSPod's packer: they turn the core's neutral
// zone differences into Batch.Record.Create, Batch.Record.Modify and
// Record.Remove calls, pairing leftover live and desired records into
// modifications where that saves calls, and ordering the batches so that
// every intermediate state passes DNSPod's rules (docs/PLANNING.md).

// Ranks order the kinds of record batches. Every cell whose changes could
// conflict sees its batches in rank order, so per-cell orders never
// contradict each other: TTL (neutral) first, then disabling, then
// identity changes that keep a record in its cell (type, value, priority),
// then moves between cells (line, name), then creates, then enabling.
// Removals are not ranked: they run in a stage before all of these (when
// they must clear a conflict) or after all of them.
const (
	rankTTL = iota
	rankDisable
	rankType
	rankValue
	rankMX
	rankArea
	rankName
	rankCreate
	rankEnable
)

func rankOf(it item) int {
	switch it.field {
	case "ttl":
		return rankTTL
	case "status":
		if it.to == "disable" {
			return rankDisable
		}
		return rankEnable
	case "record_type":
		return rankType
	case "value":
		return rankValue
	case "mx":
		return rankMX
	case "area":
		return rankArea
	default:
		return rankName
	}
}

// recOp is one record change of one zone.
type recOp struct {
	z     *zone
	kind  plan.ChangeKind
	l, d  int    // live and desired indices, -1 when absent
	items []item // modifications, in rank order
	pair  bool   // a leftover pairing (an identity field changes)
	early bool   // delete that runs before the writes
}

func (o *recOp) before() model.Record { return o.z.live[o.l] }
func (o *recOp) after() model.Record  { return o.z.desired[o.d] }

// cellKey is a (zone, name, line): DNSPod's rules act inside one cell.
type cellKey struct {
	z          int
	name, line string
}

func cellOf(zi int, r model.Record) cellKey { return cellKey{zi, r.Name, r.Line} }

// cells returns the cells an op may occupy: before and after.
func (o *recOp) cells() []cellKey {
	switch o.kind {
	case plan.RecordCreate:
		return []cellKey{cellOf(o.z.idx, o.after())}
	case plan.RecordDelete:
		return []cellKey{cellOf(o.z.idx, o.before())}
	}
	a, b := cellOf(o.z.idx, o.before()), cellOf(o.z.idx, o.after())
	if a == b {
		return []cellKey{a}
	}
	return []cellKey{a, b}
}

// chunk is one future DNSPod write batch.
type chunk struct {
	rank     int
	key      string
	seq      int
	op       plan.Op
	provider string
	g        gkey
	ops      []int          // modify: ops in item order; create: ops of recs per zone, zone-major
	zones    []int          // create: zones
	recs     []model.Record // create: records sent to each zone
	cells    []cellKey
	level    int
}

// recordPlan is the DNSPod half of a plan.
type recordPlan struct {
	ops      []*recOp
	chunks   []*chunk
	levels   int
	refusals []plan.Refusal
}

type recordPlanner struct {
	zones        []*zone
	opts         planOpts
	exclL, exclD map[[2]int]bool
	early        map[[2]int]bool
}

func planRecords(zones []*zone, opts planOpts) *recordPlan {
	rp := &recordPlanner{zones: zones, opts: opts, exclL: map[[2]int]bool{}, exclD: map[[2]int]bool{},
		early: map[[2]int]bool{}}
	for {
		newPairer(zones, rp.opts, rp.exclL, rp.exclD).run()
		res, again := rp.attempt()
		if !again {
			return res
		}
	}
}

// attempt builds ops and chunks from the current pairing and orders them.
// It returns again=true after excluding pairings that could not be
// ordered, so that pairing runs once more without them.
func (rp *recordPlanner) attempt() (*recordPlan, bool) {
	res := &recordPlan{}
	for zi, z := range rp.zones {
		for _, u := range z.updates {
			res.ops = append(res.ops, &recOp{z: z, kind: plan.RecordUpdate, l: u.l, d: u.d,
				items: neutralItems(z.live[u.l], z.desired[u.d], nil)})
		}
		for _, di := range z.leftD {
			if li := z.pairOf[di]; li >= 0 {
				items := neutralItems(z.live[li], z.desired[di], []item{identityItem(z.kindOf[di], z.desired[di])})
				slices.SortStableFunc(items, func(a, b item) int { return rankOf(a) - rankOf(b) })
				res.ops = append(res.ops, &recOp{z: z, kind: plan.RecordUpdate, l: li, d: di, items: items, pair: true})
			} else {
				res.ops = append(res.ops, &recOp{z: z, kind: plan.RecordCreate, l: -1, d: di})
			}
		}
		for _, li := range z.leftL {
			if !z.lUsed[li] {
				res.ops = append(res.ops, &recOp{z: z, kind: plan.RecordDelete, l: li, d: -1, early: rp.early[[2]int{zi, li}]})
			}
		}
	}
	res.chunks = rp.chunks(res.ops)

	// Cells whose versions are all compatible need no ordering at all.
	cellOps := map[cellKey][]int{}
	for i, o := range res.ops {
		for _, c := range o.cells() {
			cellOps[c] = append(cellOps[c], i)
		}
	}
	liveIn := rp.liveInCells(cellOps)
	cellList := make([]cellKey, 0, len(cellOps))
	for c := range cellOps {
		cellList = append(cellList, c)
	}
	slices.SortFunc(cellList, cmpCell)
	sensitive := map[cellKey]bool{}
	for _, c := range cellList {
		if rp.unionConflicts(c, res.ops, cellOps[c], liveIn[c]) {
			sensitive[c] = true
		}
	}
	cellChunks := map[cellKey][]int{}
	for ci, ch := range res.chunks {
		for _, c := range ch.cells {
			if sensitive[c] {
				cellChunks[c] = append(cellChunks[c], ci)
			}
		}
	}

	again := false
	for _, c := range cellList {
		if !sensitive[c] {
			continue
		}
		err := rp.simCell(c, res, cellOps[c], cellChunks[c], liveIn[c])
		if err == nil {
			continue
		}
		marked := false
		for _, oi := range cellOps[c] {
			if o := res.ops[oi]; o.kind == plan.RecordDelete && !o.early {
				o.early, marked = true, true
				rp.early[[2]int{c.z, o.l}] = true
			}
		}
		if marked {
			if err = rp.simCell(c, res, cellOps[c], cellChunks[c], liveIn[c]); err == nil {
				continue
			}
		}
		unpaired := false
		for _, oi := range cellOps[c] {
			if o := res.ops[oi]; o.pair {
				rp.exclL[[2]int{c.z, o.l}] = true
				rp.exclD[[2]int{c.z, o.d}] = true
				unpaired = true
			}
		}
		if unpaired {
			again = true
			continue
		}
		z := rp.zones[c.z]
		res.refusals = append(res.refusals, plan.Refusal{Domain: z.name, Rule: plan.RuleProviderRules,
			Reason: fmt.Sprintf("records on %s (line %s) cannot reach the desired state: %v", c.name, c.line, err)})
	}
	if again {
		return nil, true
	}

	last := map[cellKey]int{}
	for _, ch := range res.chunks {
		lvl := 1
		for _, c := range ch.cells {
			if sensitive[c] {
				lvl = max(lvl, last[c]+1)
			}
		}
		ch.level = lvl
		for _, c := range ch.cells {
			if sensitive[c] {
				last[c] = lvl
			}
		}
		res.levels = max(res.levels, lvl)
	}
	return res, false
}

func cmpCell(a, b cellKey) int {
	return cmp.Or(cmp.Compare(a.z, b.z), cmp.Compare(a.name, b.name), cmp.Compare(a.line, b.line))
}

// liveInCells collects every live record (system and ignored ones too) in
// the given cells.
func (rp *recordPlanner) liveInCells(cells map[cellKey][]int) map[cellKey][]model.Record {
	perZone := map[int]bool{}
	for c := range cells {
		perZone[c.z] = true
	}
	out := map[cellKey][]model.Record{}
	for zi := range perZone {
		for _, r := range rp.zones[zi].live {
			c := cellOf(zi, r)
			if _, ok := cells[c]; ok {
				out[c] = append(out[c], r)
			}
		}
	}
	return out
}

// versions lists every state of op o's record that may land in cell c:
// the record under each subset of its modifications.
func versions(o *recOp, c cellKey, out []model.Record) []model.Record {
	nl := model.NameLine{Name: c.name, Line: c.line}
	switch o.kind {
	case plan.RecordCreate:
		r := o.after()
		r.ID = "create-" + strconv.Itoa(o.d)
		if r.NameLine() == nl {
			out = append(out, r)
		}
		return out
	case plan.RecordDelete:
		return out // already among the live records
	}
	cur := o.before()
	for mask := 1; mask < 1<<len(o.items); mask++ {
		v := cur
		for i, it := range o.items {
			if mask&(1<<i) != 0 {
				v, _ = dnspodrules.Apply(v, it.field, it.to, it.value, it.mx)
			}
		}
		if v.NameLine() == nl {
			out = append(out, v)
		}
	}
	return out
}

func (rp *recordPlanner) unionConflicts(c cellKey, ops []*recOp, touching []int, live []model.Record) bool {
	vs := slices.Clone(live)
	for _, oi := range touching {
		vs = versions(ops[oi], c, vs)
	}
	return Compatible(rp.zones[c.z].rules, vs) != nil
}

// simCell replays cell c's share of the plan in stage order with the rule
// engine: clearing removals, then the chunks touching it in rank order,
// each item in batch order.
func (rp *recordPlanner) simCell(c cellKey, res *recordPlan, touching, chunkIdx []int, live []model.Record) error {
	z := rp.zones[c.z]
	n := 0
	zz := dnspodrules.NewZone(z.rules, func() string { n++; return "cell-" + strconv.Itoa(n) }, live...)
	for _, oi := range touching {
		if o := res.ops[oi]; o.kind == plan.RecordDelete && o.early {
			if e := zz.Remove(o.before().ID); e != nil {
				return e
			}
		}
	}
	nl := model.NameLine{Name: c.name, Line: c.line}
	ver := map[string]model.Record{}
	local := map[string]string{}
	for _, ci := range chunkIdx {
		ch := res.chunks[ci]
		if ch.op == OpCreate {
			if !slices.Contains(ch.zones, c.z) {
				continue
			}
			for _, r := range ch.recs {
				if r.NameLine() == nl {
					if _, e := zz.Create(r); e != nil {
						return fmt.Errorf("create %s: %w", r, e)
					}
				}
			}
			continue
		}
		for _, oi := range ch.ops {
			o := res.ops[oi]
			if o.z.idx != c.z {
				continue
			}
			id := o.before().ID
			cur, ok := ver[id]
			if !ok {
				cur = o.before()
			}
			nv, e := dnspodrules.Apply(cur, ch.g.field, ch.g.to, ch.g.value, ch.g.mx)
			if e != nil {
				return e
			}
			ver[id] = nv
			zid := id
			if l, ok := local[id]; ok {
				zid = l
			}
			in, out := cur.NameLine() == nl, nv.NameLine() == nl
			switch {
			case in && out:
				e = zz.Set(zid, ch.g.field, ch.g.to, ch.g.value, ch.g.mx)
			case in:
				e = zz.Remove(zid)
			case out:
				var nid string
				nid, e = zz.Create(nv)
				local[id] = nid
			}
			if e != nil {
				return fmt.Errorf("%s %s=%s: %w", cur, ch.g.field, ch.g.to, e)
			}
		}
	}
	return nil
}

// chunks groups the modifications by (provider, field, new value) and the
// creates by identical create sets, splits them at the batch limits and
// sorts them into rank order.
func (rp *recordPlanner) chunks(ops []*recOp) []*chunk {
	groups := map[gkey][]int{}
	createsOf := map[int][]int{}
	var zoneOrder []int
	for i, o := range ops {
		switch o.kind {
		case plan.RecordUpdate:
			for _, it := range o.items {
				g := gkey{o.z.provider, it}
				groups[g] = append(groups[g], i)
			}
		case plan.RecordCreate:
			if _, ok := createsOf[o.z.idx]; !ok {
				zoneOrder = append(zoneOrder, o.z.idx)
			}
			createsOf[o.z.idx] = append(createsOf[o.z.idx], i)
		}
	}
	var out []*chunk
	for g, members := range groups {
		slices.SortFunc(members, func(a, b int) int {
			return cmp.Or(cmp.Compare(ops[a].z.idx, ops[b].z.idx), cmp.Compare(ops[a].l, ops[b].l))
		})
		key := g.String()
		r := rankOf(g.item)
		for s := 0; s*rp.opts.MaxModifyIDs < len(members); s++ {
			part := members[s*rp.opts.MaxModifyIDs : min(len(members), (s+1)*rp.opts.MaxModifyIDs)]
			ch := &chunk{rank: r, key: key, seq: s, op: OpModify, provider: g.provider, g: g, ops: part}
			for _, oi := range part {
				ch.cells = append(ch.cells, ops[oi].cells()...)
			}
			out = append(out, ch)
		}
	}

	// Create sets: a zone's creates are cut into parts of at most the
	// limit; identical parts (same provider, same records) share calls
	// across domains, as many domains per call as the limit allows.
	type set struct {
		key   string
		zones []int
		ops   [][]int // per zone, the ops of recs
		recs  []model.Record
	}
	sets := map[string]*set{}
	var setOrder []string
	limit := rp.opts.MaxCreateItems
	for _, zi := range zoneOrder {
		z := rp.zones[zi]
		all := createsOf[zi]
		for from := 0; from < len(all); from += limit {
			part := all[from:min(len(all), from+limit)]
			var sb strings.Builder
			sb.WriteString(z.provider)
			recs := make([]model.Record, 0, len(part))
			for _, oi := range part {
				r := ops[oi].after()
				r.ID, r.Pos = "", model.Pos{}
				recs = append(recs, r)
				fmt.Fprintf(&sb, "\x01%s\x00%s\x00%s\x00%s\x00%d\x00%d\x00%t", r.Name, r.Type, r.Line, r.Value, r.MX, r.TTL, r.Enabled)
			}
			k := sb.String()
			if sets[k] == nil {
				sets[k] = &set{key: k, recs: recs}
				setOrder = append(setOrder, k)
			}
			sets[k].zones = append(sets[k].zones, zi)
			sets[k].ops = append(sets[k].ops, part)
		}
	}
	for _, k := range setOrder {
		s := sets[k]
		per := max(1, limit/len(s.recs))
		for seq, i := 0, 0; i < len(s.zones); seq, i = seq+1, i+per {
			j := min(len(s.zones), i+per)
			ch := &chunk{rank: rankCreate, key: s.key, seq: seq, op: OpCreate,
				provider: rp.zones[s.zones[i]].provider, zones: s.zones[i:j], recs: s.recs}
			for x := i; x < j; x++ {
				ch.ops = append(ch.ops, s.ops[x]...)
				for _, r := range s.recs {
					ch.cells = append(ch.cells, cellOf(s.zones[x], r))
				}
			}
			out = append(out, ch)
		}
	}
	for _, ch := range out {
		slices.SortFunc(ch.cells, cmpCell)
		ch.cells = slices.Compact(ch.cells)
	}
	slices.SortFunc(out, func(a, b *chunk) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.key, b.key), cmp.Compare(a.seq, b.seq))
	})
	return out
}
