package tencentcloud

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

// This file and pair.go are the packer: they turn the core's neutral zone
// differences into API 3.0 calls, and order them so that every
// intermediate state passes DNSPod's rules. The ordering is the legacy
// planner's (docs/PLANNING.md): changes are ranked, cells (zone, name,
// line) whose record versions could conflict are replayed with the rule
// engine, and a cell that cannot be ordered first gets its removals moved
// before the writes, then loses its pairings, and only then is refused.

// Ranks order the kinds of record batches in a cell: TTL (neutral) first,
// then disabling, identity changes that keep a record in its cell, moves
// between cells, whole-record replacements, creates, enabling, and
// replacements that enable. Removals are not ranked: they run before all
// of these (when they must clear a conflict) or after all of them.
const (
	rankTTL = iota
	rankDisable
	rankType
	rankValue
	rankMX
	rankArea
	rankName
	rankReplace
	rankCreate
	rankEnable
	rankReplaceLate
)

func rankOf(it item) int {
	switch it.field {
	case ChangeTTL:
		return rankTTL
	case ChangeStatus:
		if it.to == "disable" {
			return rankDisable
		}
		return rankEnable
	case ChangeRecordType:
		return rankType
	case ChangeValue:
		return rankValue
	case ChangeMX:
		return rankMX
	case ChangeLine:
		return rankArea
	default:
		return rankName
	}
}

// replaceLate reports whether a whole-record replacement of l by d belongs
// after the creates: it enables a paused record, which may count against
// a round-robin limit that creates and removals make room in.
func replaceLate(l, d model.Record) bool { return !l.Enabled && d.Enabled }

// recOp is one record change of one zone.
type recOp struct {
	z     *zone
	kind  plan.ChangeKind
	l, d  int    // live and desired indices, -1 when absent
	items []item // ModifyRecordBatch changes, in rank order
	pair  bool   // a leftover pairing (an identity field changes)
	early bool   // delete that runs before the writes
	// replace: carried out as one whole-record replacement (a
	// ModifyRecordBatchV3 item or a ModifyRecord call) instead of items.
	replace bool
}

func (o *recOp) before() model.Record { return o.z.live[o.l] }
func (o *recOp) after() model.Record  { return o.z.desired[o.d] }
func (o *recOp) ref() [2]int          { return [2]int{o.z.idx, o.l} }

// cellKey is a (zone, name, line): DNSPod's rules act inside one cell.
type cellKey struct {
	z          int
	name, line string
}

func cellOf(zi int, r model.Record) cellKey { return cellKey{zi, r.Name, r.Line} }

func cmpCell(a, b cellKey) int {
	return cmp.Or(cmp.Compare(a.z, b.z), cmp.Compare(a.name, b.name), cmp.Compare(a.line, b.line))
}

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

type chunkKind int

const (
	ckModify    chunkKind = iota // ModifyRecordBatch: one (field, value)
	ckReplace                    // ModifyRecordBatchV3, or ModifyRecord calls
	ckCreate                     // CreateRecordBatch: the same records to each zone
	ckCreateOne                  // CreateRecord calls (paused records)
	ckDelete                     // DeleteRecordBatch
)

// chunk is one future batch task, or the single-record calls it became.
type chunk struct {
	kind     chunkKind
	rank     int
	key      string
	seq      int
	provider string
	g        gkey
	ops      []int          // create: ops of recs per zone, zone-major
	zones    []int          // create: zones
	recs     []model.Record // create: records sent to each zone
	cells    []cellKey
	level    int
	early    bool // delete: before the writes
	// sync: sent as single-record calls, for why.
	sync bool
	why  string
}

func (ch *chunk) items() int {
	if ch.kind == ckCreate {
		return len(ch.recs) * len(ch.zones)
	}
	return len(ch.ops)
}

// id names a chunk stably across re-plans of the same pairing.
func (ch *chunk) id() string {
	return fmt.Sprintf("%d\x00%s\x00%d\x00%t", ch.kind, ch.key, ch.seq, ch.early)
}

// recordPlan is one candidate packing.
type recordPlan struct {
	ops       []*recOp
	chunks    []*chunk // record writes, in rank order
	deletes   []*chunk // early, then late
	levels    int
	refusals  []plan.Refusal
	sensitive map[cellKey]bool
	calls     int
	tasks     int
}

type recordPlanner struct {
	zones        []*zone
	opts         PlannerOptions
	pair         bool
	exclL, exclD map[[2]int]bool
	early        map[[2]int]bool
	// legacy: ops kept in ModifyRecordBatch groups because a whole-record
	// replacement could not be ordered; forceSync: ops sent as ModifyRecord
	// to stay within the task budget.
	legacy, forceSync map[[2]int]bool
	// splitReplace puts replacements that enable a record into a batch
	// after the creates (set when a cell needs that order).
	splitReplace bool
	// syncChunks: chunks turned into single-record calls, and why.
	syncChunks map[string]string
	need       int // tasks the plan needed before the budget applied
}

// planRecords packs the zones, pairing leftovers when pair is set.
func planRecords(zones []*zone, opts PlannerOptions, pair bool) *recordPlan {
	rp := &recordPlanner{zones: zones, opts: opts, pair: pair, exclL: map[[2]int]bool{}, exclD: map[[2]int]bool{},
		early: map[[2]int]bool{}, legacy: map[[2]int]bool{}, forceSync: map[[2]int]bool{}, syncChunks: map[string]string{}}
	for {
		if pair {
			newPairer(zones, opts, rp.exclL, rp.exclD).run()
		} else {
			for _, z := range zones {
				z.resetPairs()
			}
		}
		res, again := rp.attempt()
		if again {
			continue
		}
		rp.deleteChunks(res)
		rp.markSync(res)
		if rp.budget(res) {
			continue
		}
		rp.inFlight(res)
		res.count()
		return res
	}
}

// attempt builds ops and chunks from the current pairing and orders them.
// It returns again=true after excluding pairings (or replacements) that
// could not be ordered, so that pairing runs once more without them.
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
	rp.decideReplace(res.ops)
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
	res.sensitive = map[cellKey]bool{}
	for _, c := range cellList {
		vs := slices.Clone(liveIn[c])
		for _, oi := range cellOps[c] {
			vs = versions(res.ops[oi], c, vs)
		}
		if dnspod.Compatible(rp.zones[c.z].rules, vs) != nil {
			res.sensitive[c] = true
		}
	}
	cellChunks := map[cellKey][]int{}
	for ci, ch := range res.chunks {
		for _, c := range ch.cells {
			if res.sensitive[c] {
				cellChunks[c] = append(cellChunks[c], ci)
			}
		}
	}

	again := false
	for _, c := range cellList {
		if !res.sensitive[c] {
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
				rp.early[o.ref()] = true
			}
		}
		if marked {
			if err = rp.simCell(c, res, cellOps[c], cellChunks[c], liveIn[c]); err == nil {
				continue
			}
		}
		split := false
		if !rp.splitReplace {
			for _, oi := range cellOps[c] {
				if o := res.ops[oi]; o.replace && replaceLate(o.before(), o.after()) {
					// Enabling replacements go after the creates and
					// removals that make room for them.
					rp.splitReplace, split = true, true
				}
			}
		}
		retry := split
		for _, oi := range cellOps[c] {
			o := res.ops[oi]
			switch {
			case split:
				// Try the split first.
			case o.pair:
				rp.exclL[o.ref()] = true
				rp.exclD[[2]int{c.z, o.d}] = true
				retry = true
			case o.replace && !rp.legacy[o.ref()]:
				rp.legacy[o.ref()] = true
				retry = true
			}
		}
		if retry {
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
			if res.sensitive[c] {
				lvl = max(lvl, last[c]+1)
			}
		}
		ch.level = lvl
		for _, c := range ch.cells {
			if res.sensitive[c] {
				last[c] = lvl
			}
		}
		res.levels = max(res.levels, lvl)
	}
	return res, false
}

// decideReplace chooses how each modification is carried out. With
// ModifyRecordBatchV3 every modification is one item of it. Without, a
// modification joins one ModifyRecordBatch group per changed field, unless
// one of its groups would hold at most two records: then one ModifyRecord
// call does the whole change for no more calls, and takes no task.
func (rp *recordPlanner) decideReplace(ops []*recOp) {
	for _, o := range ops {
		if o.kind != plan.RecordUpdate {
			continue
		}
		k := o.ref()
		switch {
		case rp.legacy[k]:
			o.replace = false
		case rp.opts.ModifyV3, rp.forceSync[k]:
			o.replace = true
		}
	}
	if rp.opts.ModifyV3 {
		return
	}
	for changed := true; changed; {
		changed = false
		count := map[gkey]int{}
		for _, o := range ops {
			if o.kind == plan.RecordUpdate && !o.replace {
				for _, it := range o.items {
					count[gkey{o.z.provider, it}]++
				}
			}
		}
		for _, o := range ops {
			if o.kind != plan.RecordUpdate || o.replace || rp.legacy[o.ref()] {
				continue
			}
			for _, it := range o.items {
				if count[gkey{o.z.provider, it}] <= 2 {
					o.replace, changed = true, true
					break
				}
			}
		}
	}
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
// the record under each subset of its ModifyRecordBatch changes, or its
// new state after a replacement.
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
	if o.replace {
		v := o.after()
		v.ID = o.before().ID
		if v.NameLine() == nl {
			out = append(out, v)
		}
		return out
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

// simCell replays cell c's share of the plan in stage order with the rule
// engine: clearing removals, then the chunks touching it in rank order,
// each item in batch order. Items of single-record calls run
// concurrently, so two of them in one such cell must be compatible in any
// order.
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
	// move brings record id from cur to nv as seen from this cell.
	move := func(id string, cur, nv model.Record, set func(zid string) *dnspodrules.Error) error {
		zid := id
		if l, ok := local[id]; ok {
			zid = l
		}
		in, out := cur.NameLine() == nl, nv.NameLine() == nl
		var e *dnspodrules.Error
		switch {
		case in && out:
			e = set(zid)
		case in:
			e = zz.Remove(zid)
		case out:
			var nid string
			nid, e = zz.Create(nv)
			local[id] = nid
		}
		if e != nil {
			return fmt.Errorf("%s → %s: %w", cur, nv, e)
		}
		ver[id] = nv
		return nil
	}
	current := func(o *recOp) model.Record {
		if v, ok := ver[o.before().ID]; ok {
			return v
		}
		return o.before()
	}
	for _, ci := range chunkIdx {
		ch := res.chunks[ci]
		switch ch.kind {
		case ckCreate, ckCreateOne:
			for _, oi := range ch.ops {
				o := res.ops[oi]
				if o.z.idx != c.z {
					continue
				}
				if r := o.after(); r.NameLine() == nl {
					r.ID = ""
					if _, e := zz.Create(r); e != nil {
						return fmt.Errorf("create %s: %w", r, e)
					}
				}
			}
		case ckReplace:
			var mine []*recOp
			for _, oi := range ch.ops {
				if o := res.ops[oi]; o.z.idx == c.z {
					mine = append(mine, o)
				}
			}
			if ch.sync && len(mine) > 1 {
				vs := zz.Records()
				for _, o := range mine {
					if v := o.after(); v.NameLine() == nl {
						v.ID = o.before().ID
						vs = append(vs, v)
					}
				}
				if err := dnspod.Compatible(z.rules, vs); err != nil {
					return fmt.Errorf("concurrent single-record changes: %w", err)
				}
			}
			for _, o := range mine {
				nv := o.after()
				nv.ID = o.before().ID
				if err := move(o.before().ID, current(o), nv, func(zid string) *dnspodrules.Error {
					r := nv
					r.ID = zid
					return zz.Replace(zid, r)
				}); err != nil {
					return err
				}
			}
		case ckModify:
			for _, oi := range ch.ops {
				o := res.ops[oi]
				if o.z.idx != c.z {
					continue
				}
				cur := current(o)
				nv, e := dnspodrules.Apply(cur, ch.g.field, ch.g.to, ch.g.value, ch.g.mx)
				if e != nil {
					return e
				}
				if err := move(o.before().ID, cur, nv, func(zid string) *dnspodrules.Error {
					return zz.Set(zid, ch.g.field, ch.g.to, ch.g.value, ch.g.mx)
				}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// chunks groups the modifications by (field, new value) or into
// replacement batches, the creates by identical create sets, splits them
// at the task limit and sorts them into rank order.
func (rp *recordPlanner) chunks(ops []*recOp) []*chunk {
	limit := rp.opts.MaxTaskRecords
	groups := map[gkey][]int{}
	var replaces [2][]int // early, late
	createsOf := map[int][]int{}
	var zoneOrder []int
	var paused []int
	for i, o := range ops {
		switch o.kind {
		case plan.RecordUpdate:
			if o.replace {
				late := 0
				if rp.splitReplace && replaceLate(o.before(), o.after()) {
					late = 1
				}
				replaces[late] = append(replaces[late], i)
				continue
			}
			for _, it := range o.items {
				g := gkey{o.z.provider, it}
				groups[g] = append(groups[g], i)
			}
		case plan.RecordCreate:
			if !o.after().Enabled {
				// CreateRecordBatch has no status (spec §3.9): a paused
				// record is created paused by CreateRecord, never
				// briefly live.
				paused = append(paused, i)
				continue
			}
			if _, ok := createsOf[o.z.idx]; !ok {
				zoneOrder = append(zoneOrder, o.z.idx)
			}
			createsOf[o.z.idx] = append(createsOf[o.z.idx], i)
		}
	}
	byOp := func(a, b int) int {
		return cmp.Or(cmp.Compare(ops[a].z.idx, ops[b].z.idx), cmp.Compare(ops[a].l, ops[b].l), cmp.Compare(ops[a].d, ops[b].d))
	}
	var out []*chunk
	split := func(proto chunk, members []int) {
		slices.SortFunc(members, byOp)
		for s := 0; s*limit < len(members); s++ {
			ch := proto
			ch.seq = s
			ch.ops = members[s*limit : min(len(members), (s+1)*limit)]
			for _, oi := range ch.ops {
				ch.cells = append(ch.cells, ops[oi].cells()...)
			}
			out = append(out, &ch)
		}
	}
	for g, members := range groups {
		split(chunk{kind: ckModify, rank: rankOf(g.item), key: g.String(), provider: g.provider, g: g}, members)
	}
	for late, members := range replaces {
		if len(members) == 0 {
			continue
		}
		proto := chunk{kind: ckReplace, rank: rankReplace, key: "replace", provider: ops[members[0]].z.provider}
		if late == 1 {
			proto.rank, proto.key = rankReplaceLate, "replace-late"
		}
		if !rp.opts.ModifyV3 {
			// Without ModifyRecordBatchV3 these are ModifyRecord calls, no
			// task: no limit applies.
			proto.sync, proto.why = true, "ModifyRecord: the change's ModifyRecordBatch groups would hold at most two records"
			slices.SortFunc(members, byOp)
			ch := proto
			ch.ops = members
			for _, oi := range ch.ops {
				ch.cells = append(ch.cells, ops[oi].cells()...)
			}
			out = append(out, &ch)
			continue
		}
		split(proto, members)
	}
	if len(paused) > 0 {
		slices.SortFunc(paused, byOp)
		ch := &chunk{kind: ckCreateOne, rank: rankCreate, key: "create-paused", provider: ops[paused[0]].z.provider,
			ops: paused, sync: true, why: "CreateRecordBatch cannot create a paused record"}
		for _, oi := range paused {
			ch.cells = append(ch.cells, ops[oi].cells()...)
		}
		out = append(out, ch)
	}

	// Create sets: a zone's creates are cut into parts of at most the
	// limit; identical parts share calls across domains, as many domains
	// per call as the limit allows.
	type set struct {
		zones []int
		ops   [][]int
		recs  []model.Record
	}
	sets := map[string]*set{}
	var setOrder []string
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
				sets[k] = &set{recs: recs}
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
			ch := &chunk{kind: ckCreate, rank: rankCreate, key: k, seq: seq, provider: rp.zones[s.zones[i]].provider,
				zones: s.zones[i:j], recs: s.recs}
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

// deleteChunks packs the removals: those that clear a conflict, then the
// rest, each as few DeleteRecordBatch calls as the id limit allows (one
// call takes ids of many zones).
func (rp *recordPlanner) deleteChunks(res *recordPlan) {
	res.deletes = nil
	for _, early := range []bool{true, false} {
		var members []int
		for i, o := range res.ops {
			if o.kind == plan.RecordDelete && o.early == early {
				members = append(members, i)
			}
		}
		if len(members) == 0 {
			continue
		}
		slices.SortFunc(members, func(a, b int) int {
			return cmp.Or(cmp.Compare(res.ops[a].z.idx, res.ops[b].z.idx), cmp.Compare(res.ops[a].l, res.ops[b].l))
		})
		lim := rp.opts.MaxDeleteIDs
		for s := 0; s*lim < len(members); s++ {
			res.deletes = append(res.deletes, &chunk{kind: ckDelete, key: "delete", seq: s, early: early,
				provider: res.ops[members[0]].z.provider, ops: members[s*lim : min(len(members), (s+1)*lim)]})
		}
	}
}

// all returns every chunk: clearing removals, writes, other removals.
func (res *recordPlan) all() []*chunk {
	var out []*chunk
	for _, ch := range res.deletes {
		if ch.early {
			out = append(out, ch)
		}
	}
	out = append(out, res.chunks...)
	for _, ch := range res.deletes {
		if !ch.early {
			out = append(out, ch)
		}
	}
	return out
}

// markSync turns tasks of one or two records into single-record calls:
// as many calls as a task's write and poll, no task, no waiting. It also
// re-applies the budget's earlier choices.
func (rp *recordPlanner) markSync(res *recordPlan) {
	for _, ch := range res.all() {
		if ch.sync {
			continue
		}
		if why, ok := rp.syncChunks[ch.id()]; ok {
			ch.sync, ch.why = true, why
			continue
		}
		if ch.items() <= 2 && (ch.kind != ckModify) && rp.convertible(res, ch) {
			ch.sync, ch.why = true, "single-record calls cost no more than a task for "+strconv.Itoa(ch.items())+" record(s)"
		}
	}
}

// convertible reports whether a chunk's items may run as concurrent
// single-record calls. Creates and removals may: if they pass in one
// order, they pass in any (the rules are pairwise and the round-robin
// count only grows with more records). Replacements may unless two of
// them share a cell that needs ordering. A ModifyRecordBatch group is
// converted by replacing its records instead (see budget).
func (rp *recordPlanner) convertible(res *recordPlan, ch *chunk) bool {
	switch ch.kind {
	case ckModify:
		return false
	case ckReplace:
		seen := map[cellKey]bool{}
		for _, oi := range ch.ops {
			for _, c := range res.ops[oi].cells() {
				if !res.sensitive[c] {
					continue
				}
				if seen[c] {
					return false
				}
				seen[c] = true
			}
		}
	}
	return true
}

func (res *recordPlan) taskChunks(filter func(*chunk) bool) []*chunk {
	var out []*chunk
	for _, ch := range res.all() {
		if !ch.sync && (filter == nil || filter(ch)) {
			out = append(out, ch)
		}
	}
	slices.SortStableFunc(out, func(a, b *chunk) int {
		return cmp.Or(cmp.Compare(a.items(), b.items()), cmp.Compare(a.kind, b.kind), cmp.Compare(a.key, b.key), cmp.Compare(a.seq, b.seq))
	})
	return out
}

// budget keeps the plan within the tasks the service accepts per hour:
// the smallest tasks become single-record calls, which finish at once
// where a task over the quota would wait up to an hour. A ModifyRecordBatch
// group is converted by sending its records' whole changes as ModifyRecord
// calls, which changes the packing: budget then asks for another attempt
// (true).
func (rp *recordPlanner) budget(res *recordPlan) bool {
	tasks := res.taskChunks(nil)
	over := len(tasks) - rp.opts.TasksPerHour
	if over <= 0 {
		return false
	}
	if rp.need == 0 {
		rp.need = len(tasks)
	}
	why := fmt.Sprintf("single-record calls: the plan needs %d batch tasks and %d may start in this hour (%s)",
		rp.need, rp.opts.TasksPerHour, OptTasksPerHour)
	for _, ch := range tasks {
		if over == 0 {
			break
		}
		if ch.kind == ckModify {
			added := false
			for _, oi := range ch.ops {
				if k := res.ops[oi].ref(); !rp.forceSync[k] && !rp.legacy[k] {
					rp.forceSync[k], added = true, true
				}
			}
			if added {
				return true
			}
			continue
		}
		if !rp.convertible(res, ch) {
			continue
		}
		ch.sync, ch.why = true, why
		rp.syncChunks[ch.id()] = why
		over--
	}
	return false
}

// inFlight shortens stages that have more tasks than may run at once: the
// tasks of the last, partial round become single-record calls when each
// has at most SyncMaxRecords records, since those calls finish before a
// further round of tasks could even start.
func (rp *recordPlanner) inFlight(res *recordPlan) {
	f := rp.opts.TasksInFlight
	type stage struct {
		name  string
		match func(*chunk) bool
	}
	stages := []stage{{"records-clear", func(ch *chunk) bool { return ch.kind == ckDelete && ch.early }}}
	for l := 1; l <= res.levels; l++ {
		stages = append(stages, stage{stageName(res.levels, l), func(ch *chunk) bool { return ch.kind != ckDelete && ch.level == l }})
	}
	stages = append(stages, stage{"records-delete", func(ch *chunk) bool { return ch.kind == ckDelete && !ch.early }})
	for _, st := range stages {
		for {
			tasks := res.taskChunks(st.match)
			t := len(tasks)
			if t <= f {
				break
			}
			r := t - f*((t-1)/f)
			var pick []*chunk
			for _, ch := range tasks {
				if len(pick) < r && ch.kind != ckModify && ch.items() <= rp.opts.SyncMaxRecords && rp.convertible(res, ch) {
					pick = append(pick, ch)
				}
			}
			if len(pick) < r {
				break
			}
			why := fmt.Sprintf("single-record calls: stage %s has %d batch tasks and %d run at once (%s)",
				st.name, t, f, OptTasksInFlight)
			for _, ch := range pick {
				ch.sync, ch.why = true, why
			}
		}
	}
}

func stageName(levels, l int) string {
	if levels > 1 {
		return fmt.Sprintf("records-%d", l)
	}
	return "records"
}

// count totals the candidate's calls (a task is its write and at least
// one poll; a single-record call is one) and tasks.
func (res *recordPlan) count() {
	res.calls, res.tasks = 0, 0
	for _, ch := range res.all() {
		if ch.sync {
			res.calls += ch.items()
		} else {
			res.calls += 2
			res.tasks++
		}
	}
}

// batches renders the chunks as plan batches in the records phases.
func (res *recordPlan) batches(zones []*zone, change map[*recOp]*plan.Change) []providers.PackedBatch {
	var out []providers.PackedBatch
	for _, ch := range res.all() {
		phase, step, stage := providers.PhaseRecords, ch.level-1, stageName(res.levels, ch.level)
		if ch.kind == ckDelete {
			step = 0
			phase, stage = providers.PhaseRecordsDelete, "records-delete"
			if ch.early {
				phase, stage = providers.PhaseRecordsClear, "records-clear"
			}
		}
		for _, pb := range res.render(zones, ch, change) {
			pb.Phase, pb.Step, pb.Stage = phase, step, stage
			out = append(out, pb)
		}
	}
	return out
}

// render turns one chunk into its batch, or into one batch per record
// when it is sent as single-record calls.
func (res *recordPlan) render(zones []*zone, ch *chunk, change map[*recOp]*plan.Change) []providers.PackedBatch {
	var out []providers.PackedBatch
	single := func(op plan.Op, o *recOp, p Payload) {
		p.DomainIDs = []string{o.z.domainID}
		out = append(out, providers.PackedBatch{Batch: NewBatch(ch.provider, op, []string{o.z.name}, p, ch.why),
			Changes: []*plan.Change{change[o]}})
	}
	// domainsOf lists the zones of ops in order of first appearance.
	domainsOf := func(ops []int) ([]string, []string) {
		var names, ids []string
		last := -1
		for _, oi := range ops {
			if z := res.ops[oi].z; z.idx != last {
				names, ids = append(names, z.name), append(ids, z.domainID)
				last = z.idx
			}
		}
		return names, ids
	}
	changes := func(ops []int) []*plan.Change {
		out := make([]*plan.Change, 0, len(ops))
		for _, oi := range ops {
			out = append(out, change[res.ops[oi]])
		}
		return out
	}
	newState := func(o *recOp) model.Record {
		r := o.after()
		r.ID, r.Pos = o.before().ID, model.Pos{}
		return r
	}
	switch ch.kind {
	case ckCreate:
		if ch.sync {
			for x := range ch.zones {
				for i := range ch.recs {
					o := res.ops[ch.ops[x*len(ch.recs)+i]]
					single(OpCreate, o, Payload{Records: []model.Record{ch.recs[i]}})
				}
			}
			return out
		}
		p := Payload{Records: ch.recs}
		var domains []string
		for _, zi := range ch.zones {
			domains = append(domains, zones[zi].name)
			p.DomainIDs = append(p.DomainIDs, zones[zi].domainID)
		}
		out = append(out, providers.PackedBatch{Task: true, Batch: NewBatch(ch.provider, OpCreateBatch, domains, p, ch.why), Changes: changes(ch.ops)})
	case ckCreateOne:
		for _, oi := range ch.ops {
			o := res.ops[oi]
			r := o.after()
			r.ID, r.Pos = "", model.Pos{}
			single(OpCreate, o, Payload{Records: []model.Record{r}})
		}
	case ckModify:
		p := Payload{Field: ch.g.field, To: ch.g.to, Value: ch.g.value, MX: ch.g.mx}
		for _, oi := range ch.ops {
			p.RecordIDs = append(p.RecordIDs, res.ops[oi].before().ID)
		}
		domains, ids := domainsOf(ch.ops)
		p.DomainIDs = ids
		out = append(out, providers.PackedBatch{Task: true, Batch: NewBatch(ch.provider, OpModifyBatch, domains, p, ch.why), Changes: changes(ch.ops)})
	case ckReplace:
		if ch.sync {
			for _, oi := range ch.ops {
				o := res.ops[oi]
				single(OpModify, o, Payload{Records: []model.Record{newState(o)}})
			}
			return out
		}
		var p Payload
		for _, oi := range ch.ops {
			p.Records = append(p.Records, newState(res.ops[oi]))
		}
		domains, ids := domainsOf(ch.ops)
		p.DomainIDs = ids
		out = append(out, providers.PackedBatch{Task: true, Batch: NewBatch(ch.provider, OpModifyV3, domains, p, ch.why), Changes: changes(ch.ops)})
	case ckDelete:
		if ch.sync {
			for _, oi := range ch.ops {
				o := res.ops[oi]
				single(OpDelete, o, Payload{RecordIDs: []string{o.before().ID}})
			}
			return out
		}
		var p Payload
		for _, oi := range ch.ops {
			p.RecordIDs = append(p.RecordIDs, res.ops[oi].before().ID)
		}
		domains, ids := domainsOf(ch.ops)
		p.DomainIDs = ids
		out = append(out, providers.PackedBatch{Task: true, Batch: NewBatch(ch.provider, OpDeleteBatch, domains, p, ch.why), Changes: changes(ch.ops)})
	}
	return out
}
