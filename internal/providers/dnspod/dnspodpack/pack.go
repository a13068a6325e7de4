package dnspodpack

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

// ChunkKind is what a future write batch does.
type ChunkKind int

// Kinds of chunks, in the order a provider's budget looks at them.
const (
	ChunkModify    ChunkKind = iota // one modification group: one item on many records
	ChunkReplace                    // whole-record replacements
	ChunkCreate                     // the same records created in each of its zones
	ChunkCreateOne                  // records created one call each (paused records)
	ChunkDelete                     // removals
)

// Chunk is one future write batch, or the single-record calls it became.
type Chunk struct {
	Kind     ChunkKind
	Rank     int
	Key      string
	Seq      int
	Provider string
	G        Group          // modify: the group
	Ops      []int          // modify, replace, delete: ops in batch order; create: ops of Recs per zone, zone-major
	Zones    []int          // create: zones
	Recs     []model.Record // create: records sent to each zone
	Cells    []CellKey
	Level    int
	Early    bool // delete: before the writes
	// Single: sent as single-record calls, for Why.
	Single bool
	Why    string
}

// Items is how many records the chunk writes (records × zones for a
// create set).
func (ch *Chunk) Items() int {
	if ch.Kind == ChunkCreate {
		return len(ch.Recs) * len(ch.Zones)
	}
	return len(ch.Ops)
}

// Plan is one packing of the zones: the ops, the write chunks in rank
// order with their levels (write stages), the cells that needed ordering
// and the refusals of cells that could not reach the desired state.
type Plan struct {
	Ops       []*Op
	Chunks    []*Chunk
	Levels    int
	Refusals  []plan.Refusal
	Sensitive map[CellKey]bool
}

// ReplaceLate reports whether a whole-record replacement of l by d belongs
// after the creates: it enables a paused record, which may count against
// a round-robin limit that creates and removals make room in.
func ReplaceLate(l, d model.Record) bool { return !l.Enabled && d.Enabled }

// Limits are what the chunks of a provider hold at most, and how it sends
// what its batch calls cannot carry.
type Limits struct {
	Modify  int // records per modify group batch
	Create  int // records × zones per create set batch
	Replace int // records per replacement batch
	// ReplaceSingly, when set, says why replacements go as single-record
	// calls (then Replace does not apply).
	ReplaceSingly string
	// PausedSingly, when set, says why paused records are created one call
	// each instead of in create sets.
	PausedSingly string
}

// Packer turns the zones' current pairing into ops and chunks and orders
// them so that every intermediate state passes DNSPod's rules. A cell
// that cannot be ordered first gets its removals moved before the writes,
// then (when the provider replaces whole records) its enabling
// replacements after the creates, then loses its pairings and
// replacements, and only then is refused.
type Packer struct {
	Zones  []*Zone
	Limits Limits
	// Identity is the item of a pairing of a kind (IdentityItem, or what
	// the provider's modify call wants).
	Identity func(kind int, d model.Record) Item
	// Decide, when set, chooses which modifications are whole-record
	// replacements (Op.Replace); it must leave Unreplaced ones to items.
	Decide func(ops []*Op)
	// Describe, when set, words a failed item of a modify group in a cell
	// that cannot be ordered; the default names the record's states.
	Describe func(cur, nv model.Record, it Item, e error) error

	// Pairings excluded after their cells could not be ordered (live,
	// desired), removals that run before the writes, and modifications
	// whose replacement could not be ordered.
	ExclL, ExclD, Early, Unreplaced map[[2]int]bool
	// SplitReplace puts replacements that enable a record into a batch
	// after the creates (set when a cell needs that order).
	SplitReplace bool
}

// NewPacker returns the packer of zones.
func NewPacker(zones []*Zone, l Limits, identity func(int, model.Record) Item) *Packer {
	return &Packer{Zones: zones, Limits: l, Identity: identity, ExclL: map[[2]int]bool{}, ExclD: map[[2]int]bool{},
		Early: map[[2]int]bool{}, Unreplaced: map[[2]int]bool{}}
}

// Attempt builds ops and chunks from the current pairing and orders them.
// It returns again=true after excluding pairings (or replacements) that
// could not be ordered, so that pairing runs once more without them.
func (pk *Packer) Attempt() (*Plan, bool) {
	res := &Plan{}
	for zi, z := range pk.Zones {
		for _, u := range z.Updates {
			res.Ops = append(res.Ops, &Op{Z: z, Kind: plan.RecordUpdate, L: u.L, D: u.D,
				Items: NeutralItems(z.Live[u.L], z.Desired[u.D], nil)})
		}
		for _, di := range z.LeftD {
			if li := z.PairOf[di]; li >= 0 {
				items := NeutralItems(z.Live[li], z.Desired[di], []Item{pk.Identity(z.KindOf[di], z.Desired[di])})
				slices.SortStableFunc(items, func(a, b Item) int { return RankOf(a) - RankOf(b) })
				res.Ops = append(res.Ops, &Op{Z: z, Kind: plan.RecordUpdate, L: li, D: di, Items: items, Pair: true})
			} else {
				res.Ops = append(res.Ops, &Op{Z: z, Kind: plan.RecordCreate, L: -1, D: di})
			}
		}
		for _, li := range z.LeftL {
			if !z.LUsed[li] {
				res.Ops = append(res.Ops, &Op{Z: z, Kind: plan.RecordDelete, L: li, D: -1, Early: pk.Early[[2]int{zi, li}]})
			}
		}
	}
	if pk.Decide != nil {
		pk.Decide(res.Ops)
	}
	res.Chunks = pk.chunks(res.Ops)

	// Cells whose versions are all compatible need no ordering at all.
	cellOps := map[CellKey][]int{}
	for i, o := range res.Ops {
		for _, c := range o.Cells() {
			cellOps[c] = append(cellOps[c], i)
		}
	}
	liveIn := pk.liveInCells(cellOps)
	cellList := make([]CellKey, 0, len(cellOps))
	for c := range cellOps {
		cellList = append(cellList, c)
	}
	slices.SortFunc(cellList, CmpCellKey)
	res.Sensitive = map[CellKey]bool{}
	for _, c := range cellList {
		vs := slices.Clone(liveIn[c])
		for _, oi := range cellOps[c] {
			vs = versions(res.Ops[oi], c, vs)
		}
		if Compatible(pk.Zones[c.Z].Rules, vs) != nil {
			res.Sensitive[c] = true
		}
	}
	cellChunks := map[CellKey][]int{}
	for ci, ch := range res.Chunks {
		for _, c := range ch.Cells {
			if res.Sensitive[c] {
				cellChunks[c] = append(cellChunks[c], ci)
			}
		}
	}

	again := false
	for _, c := range cellList {
		if !res.Sensitive[c] {
			continue
		}
		err := pk.simCell(c, res, cellOps[c], cellChunks[c], liveIn[c])
		if err == nil {
			continue
		}
		marked := false
		for _, oi := range cellOps[c] {
			if o := res.Ops[oi]; o.Kind == plan.RecordDelete && !o.Early {
				o.Early, marked = true, true
				pk.Early[o.Ref()] = true
			}
		}
		if marked {
			if err = pk.simCell(c, res, cellOps[c], cellChunks[c], liveIn[c]); err == nil {
				continue
			}
		}
		split := false
		if !pk.SplitReplace {
			for _, oi := range cellOps[c] {
				if o := res.Ops[oi]; o.Replace && ReplaceLate(o.Before(), o.After()) {
					// Enabling replacements go after the creates and
					// removals that make room for them.
					pk.SplitReplace, split = true, true
				}
			}
		}
		retry := split
		for _, oi := range cellOps[c] {
			o := res.Ops[oi]
			switch {
			case split:
				// Try the split first.
			case o.Pair:
				pk.ExclL[o.Ref()] = true
				pk.ExclD[[2]int{c.Z, o.D}] = true
				retry = true
			case o.Replace && !pk.Unreplaced[o.Ref()]:
				pk.Unreplaced[o.Ref()] = true
				retry = true
			}
		}
		if retry {
			again = true
			continue
		}
		z := pk.Zones[c.Z]
		res.Refusals = append(res.Refusals, plan.Refusal{Domain: z.Name, Rule: plan.RuleProviderRules,
			Reason: fmt.Sprintf("records on %s (line %s) cannot reach the desired state: %v", c.Name, c.Line, err)})
	}
	if again {
		return nil, true
	}

	last := map[CellKey]int{}
	for _, ch := range res.Chunks {
		lvl := 1
		for _, c := range ch.Cells {
			if res.Sensitive[c] {
				lvl = max(lvl, last[c]+1)
			}
		}
		ch.Level = lvl
		for _, c := range ch.Cells {
			if res.Sensitive[c] {
				last[c] = lvl
			}
		}
		res.Levels = max(res.Levels, lvl)
	}
	return res, false
}

// liveInCells collects every live record (system and ignored ones too) in
// the given cells.
func (pk *Packer) liveInCells(cells map[CellKey][]int) map[CellKey][]model.Record {
	perZone := map[int]bool{}
	for c := range cells {
		perZone[c.Z] = true
	}
	out := map[CellKey][]model.Record{}
	for zi := range perZone {
		for _, r := range pk.Zones[zi].Live {
			c := CellKeyOf(zi, r)
			if _, ok := cells[c]; ok {
				out[c] = append(out[c], r)
			}
		}
	}
	return out
}

// simCell replays cell c's share of the plan in stage order with the rule
// engine: clearing removals, then the chunks touching it in rank order,
// each item in batch order. Items of single-record calls run
// concurrently, so two of them in one such cell must be compatible in any
// order.
func (pk *Packer) simCell(c CellKey, res *Plan, touching, chunkIdx []int, live []model.Record) error {
	z := pk.Zones[c.Z]
	n := 0
	zz := dnspodrules.NewZone(z.Rules, func() string { n++; return "cell-" + strconv.Itoa(n) }, live...)
	for _, oi := range touching {
		if o := res.Ops[oi]; o.Kind == plan.RecordDelete && o.Early {
			if e := zz.Remove(o.Before().ID); e != nil {
				return e
			}
		}
	}
	nl := model.NameLine{Name: c.Name, Line: c.Line}
	ver := map[string]model.Record{}
	local := map[string]string{}
	// move brings record id from cur to nv as seen from this cell.
	move := func(id string, cur, nv model.Record, set func(zid string) *dnspodrules.Error, it *Item) error {
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
			if it != nil && pk.Describe != nil {
				return pk.Describe(cur, nv, *it, e)
			}
			return fmt.Errorf("%s → %s: %w", cur, nv, e)
		}
		ver[id] = nv
		return nil
	}
	current := func(o *Op) model.Record {
		if v, ok := ver[o.Before().ID]; ok {
			return v
		}
		return o.Before()
	}
	for _, ci := range chunkIdx {
		ch := res.Chunks[ci]
		switch ch.Kind {
		case ChunkCreate, ChunkCreateOne:
			for _, oi := range ch.Ops {
				o := res.Ops[oi]
				if o.Z.Idx != c.Z {
					continue
				}
				if r := o.After(); r.NameLine() == nl {
					r.ID = ""
					if _, e := zz.Create(r); e != nil {
						return fmt.Errorf("create %s: %w", r, e)
					}
				}
			}
		case ChunkReplace:
			var mine []*Op
			for _, oi := range ch.Ops {
				if o := res.Ops[oi]; o.Z.Idx == c.Z {
					mine = append(mine, o)
				}
			}
			if ch.Single && len(mine) > 1 {
				vs := zz.Records()
				for _, o := range mine {
					if v := o.After(); v.NameLine() == nl {
						v.ID = o.Before().ID
						vs = append(vs, v)
					}
				}
				if err := Compatible(z.Rules, vs); err != nil {
					return fmt.Errorf("concurrent single-record changes: %w", err)
				}
			}
			for _, o := range mine {
				nv := o.After()
				nv.ID = o.Before().ID
				if err := move(o.Before().ID, current(o), nv, func(zid string) *dnspodrules.Error {
					r := nv
					r.ID = zid
					return zz.Replace(zid, r)
				}, nil); err != nil {
					return err
				}
			}
		case ChunkModify:
			for _, oi := range ch.Ops {
				o := res.Ops[oi]
				if o.Z.Idx != c.Z {
					continue
				}
				cur := current(o)
				nv, e := ch.G.Apply(cur)
				if e != nil {
					return e
				}
				if err := move(o.Before().ID, cur, nv, func(zid string) *dnspodrules.Error {
					return zz.Set(zid, ch.G.Field, ch.G.To, ch.G.Value, ch.G.MX)
				}, &ch.G.Item); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// chunks groups the modifications by (provider, field, new value) or into
// replacement batches, the creates by identical create sets, splits them
// at the limits and sorts them into rank order.
func (pk *Packer) chunks(ops []*Op) []*Chunk {
	groups := map[Group][]int{}
	var replaces [2][]int // early, late
	createsOf := map[int][]int{}
	var zoneOrder []int
	var paused []int
	for i, o := range ops {
		switch o.Kind {
		case plan.RecordUpdate:
			if o.Replace {
				late := 0
				if pk.SplitReplace && ReplaceLate(o.Before(), o.After()) {
					late = 1
				}
				replaces[late] = append(replaces[late], i)
				continue
			}
			for _, it := range o.Items {
				g := Group{o.Z.Provider, it}
				groups[g] = append(groups[g], i)
			}
		case plan.RecordCreate:
			if pk.Limits.PausedSingly != "" && !o.After().Enabled {
				paused = append(paused, i)
				continue
			}
			if _, ok := createsOf[o.Z.Idx]; !ok {
				zoneOrder = append(zoneOrder, o.Z.Idx)
			}
			createsOf[o.Z.Idx] = append(createsOf[o.Z.Idx], i)
		}
	}
	byOp := func(a, b int) int {
		return cmp.Or(cmp.Compare(ops[a].Z.Idx, ops[b].Z.Idx), cmp.Compare(ops[a].L, ops[b].L), cmp.Compare(ops[a].D, ops[b].D))
	}
	var out []*Chunk
	// split cuts members into chunks like proto of at most limit ops
	// (all in one when limit is 0).
	split := func(proto Chunk, members []int, limit int) {
		slices.SortFunc(members, byOp)
		if limit <= 0 {
			limit = len(members)
		}
		for s := 0; s*limit < len(members); s++ {
			ch := proto
			ch.Seq = s
			ch.Ops = members[s*limit : min(len(members), (s+1)*limit)]
			for _, oi := range ch.Ops {
				ch.Cells = append(ch.Cells, ops[oi].Cells()...)
			}
			out = append(out, &ch)
		}
	}
	for g, members := range groups {
		split(Chunk{Kind: ChunkModify, Rank: RankOf(g.Item), Key: g.String(), Provider: g.Provider, G: g}, members, pk.Limits.Modify)
	}
	for late, members := range replaces {
		if len(members) == 0 {
			continue
		}
		proto := Chunk{Kind: ChunkReplace, Rank: RankReplace, Key: "replace", Provider: ops[members[0]].Z.Provider}
		if late == 1 {
			proto.Rank, proto.Key = RankReplaceLate, "replace-late"
		}
		if why := pk.Limits.ReplaceSingly; why != "" {
			proto.Single, proto.Why = true, why
			split(proto, members, 0)
			continue
		}
		split(proto, members, pk.Limits.Replace)
	}
	if len(paused) > 0 {
		split(Chunk{Kind: ChunkCreateOne, Rank: RankCreate, Key: "create-paused", Provider: ops[paused[0]].Z.Provider,
			Single: true, Why: pk.Limits.PausedSingly}, paused, 0)
	}
	out = append(out, pk.createSets(ops, createsOf, zoneOrder)...)
	for _, ch := range out {
		slices.SortFunc(ch.Cells, CmpCellKey)
		ch.Cells = slices.Compact(ch.Cells)
	}
	slices.SortFunc(out, func(a, b *Chunk) int {
		return cmp.Or(cmp.Compare(a.Rank, b.Rank), cmp.Compare(a.Key, b.Key), cmp.Compare(a.Seq, b.Seq))
	})
	return out
}

// createSets cuts each zone's creates into parts of at most the create
// limit; identical parts (same provider, same records) share calls across
// domains, as many domains per call as the limit allows.
func (pk *Packer) createSets(ops []*Op, createsOf map[int][]int, zoneOrder []int) []*Chunk {
	type set struct {
		zones []int
		ops   [][]int // per zone, the ops of recs
		recs  []model.Record
	}
	sets := map[string]*set{}
	var setOrder []string
	limit := pk.Limits.Create
	for _, zi := range zoneOrder {
		z := pk.Zones[zi]
		all := createsOf[zi]
		for from := 0; from < len(all); from += limit {
			part := all[from:min(len(all), from+limit)]
			var sb strings.Builder
			sb.WriteString(z.Provider)
			recs := make([]model.Record, 0, len(part))
			for _, oi := range part {
				r := ops[oi].After()
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
	var out []*Chunk
	for _, k := range setOrder {
		s := sets[k]
		per := max(1, limit/len(s.recs))
		for seq, i := 0, 0; i < len(s.zones); seq, i = seq+1, i+per {
			j := min(len(s.zones), i+per)
			ch := &Chunk{Kind: ChunkCreate, Rank: RankCreate, Key: k, Seq: seq, Provider: pk.Zones[s.zones[i]].Provider,
				Zones: s.zones[i:j], Recs: s.recs}
			for x := i; x < j; x++ {
				ch.Ops = append(ch.Ops, s.ops[x]...)
				for _, r := range s.recs {
					ch.Cells = append(ch.Cells, CellKeyOf(s.zones[x], r))
				}
			}
			out = append(out, ch)
		}
	}
	return out
}
