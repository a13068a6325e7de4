package tencentcloud

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodpack"
)

// This file and pair.go are the packer: they turn the core's neutral zone
// differences into API 3.0 calls. The grouping, the create sets shared
// across domains and the ordering that keeps every intermediate state
// within DNSPod's rules are the legacy planner's, shared in dnspodpack
// (docs/PLANNING.md): changes are ranked, cells (zone, name, line) whose
// record versions could conflict are replayed with the rule engine, and a
// cell that cannot be ordered first gets its removals moved before the
// writes, then its enabling replacements after the creates, then loses
// its pairings and replacements, and only then is refused. What is API
// 3.0's own stays here: whole-record replacements (ModifyRecordBatchV3,
// ModifyRecord), batch deletes, paused creates as single calls, and the
// task budget with its fallback to single-record calls.

type (
	recOp = dnspodpack.Op
	chunk = dnspodpack.Chunk
)

// chunkID names a chunk stably across re-plans of the same pairing.
func chunkID(ch *chunk) string {
	return fmt.Sprintf("%d\x00%s\x00%d\x00%t", ch.Kind, ch.Key, ch.Seq, ch.Early)
}

// recordPlan is one candidate packing: the writes ordered by dnspodpack,
// the removals as batch deletes, and what it all costs.
type recordPlan struct {
	*dnspodpack.Plan
	deletes []*chunk // early, then late
	calls   int
	tasks   int
}

type recordPlanner struct {
	zones []*zone
	opts  PlannerOptions
	pair  bool
	pk    *dnspodpack.Packer
	// forceSync: ops sent as ModifyRecord to stay within the task budget.
	forceSync map[[2]int]bool
	// syncChunks: chunks turned into single-record calls, and why.
	syncChunks map[string]string
	need       int // tasks the plan needed before the budget applied
}

// planRecords packs the zones, pairing leftovers when pair is set.
func planRecords(zones []*zone, opts PlannerOptions, pair bool) *recordPlan {
	l := dnspodpack.Limits{Modify: opts.MaxTaskRecords, Create: opts.MaxTaskRecords, Replace: opts.MaxTaskRecords,
		// CreateRecordBatch has no status (spec §3.9): a paused record is
		// created paused by CreateRecord, never briefly live.
		PausedSingly: "CreateRecordBatch cannot create a paused record"}
	if !opts.ModifyV3 {
		// Without ModifyRecordBatchV3 replacements are ModifyRecord calls,
		// no task: no limit applies.
		l.ReplaceSingly = "ModifyRecord: the change's ModifyRecordBatch groups would hold at most two records"
	}
	rp := &recordPlanner{zones: zones, opts: opts, pair: pair, pk: dnspodpack.NewPacker(zones, l, identityItem),
		forceSync: map[[2]int]bool{}, syncChunks: map[string]string{}}
	rp.pk.Decide = rp.decideReplace
	for {
		if pair {
			newPairer(zones, opts, rp.pk.ExclL, rp.pk.ExclD).run()
		} else {
			for _, z := range zones {
				z.ResetPairs()
			}
		}
		pp, again := rp.pk.Attempt()
		if again {
			continue
		}
		res := &recordPlan{Plan: pp}
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

// decideReplace chooses how each modification is carried out. With
// ModifyRecordBatchV3 every modification is one item of it. Without, a
// modification joins one ModifyRecordBatch group per changed field, unless
// one of its groups would hold at most two records: then one ModifyRecord
// call does the whole change for no more calls, and takes no task.
func (rp *recordPlanner) decideReplace(ops []*recOp) {
	for _, o := range ops {
		if o.Kind != plan.RecordUpdate {
			continue
		}
		k := o.Ref()
		switch {
		case rp.pk.Unreplaced[k]:
			o.Replace = false
		case rp.opts.ModifyV3, rp.forceSync[k]:
			o.Replace = true
		}
	}
	if rp.opts.ModifyV3 {
		return
	}
	for changed := true; changed; {
		changed = false
		count := map[gkey]int{}
		for _, o := range ops {
			if o.Kind == plan.RecordUpdate && !o.Replace {
				for _, it := range o.Items {
					count[gkey{Provider: o.Z.Provider, Item: it}]++
				}
			}
		}
		for _, o := range ops {
			if o.Kind != plan.RecordUpdate || o.Replace || rp.pk.Unreplaced[o.Ref()] {
				continue
			}
			for _, it := range o.Items {
				if count[gkey{Provider: o.Z.Provider, Item: it}] <= 2 {
					o.Replace, changed = true, true
					break
				}
			}
		}
	}
}

// deleteChunks packs the removals: those that clear a conflict, then the
// rest, each as few DeleteRecordBatch calls as the id limit allows (one
// call takes ids of many zones).
func (rp *recordPlanner) deleteChunks(res *recordPlan) {
	res.deletes = nil
	for _, early := range []bool{true, false} {
		var members []int
		for i, o := range res.Ops {
			if o.Kind == plan.RecordDelete && o.Early == early {
				members = append(members, i)
			}
		}
		if len(members) == 0 {
			continue
		}
		slices.SortFunc(members, func(a, b int) int {
			return cmp.Or(cmp.Compare(res.Ops[a].Z.Idx, res.Ops[b].Z.Idx), cmp.Compare(res.Ops[a].L, res.Ops[b].L))
		})
		lim := rp.opts.MaxDeleteIDs
		for s := 0; s*lim < len(members); s++ {
			res.deletes = append(res.deletes, &chunk{Kind: dnspodpack.ChunkDelete, Key: "delete", Seq: s, Early: early,
				Provider: res.Ops[members[0]].Z.Provider, Ops: members[s*lim : min(len(members), (s+1)*lim)]})
		}
	}
}

// all returns every chunk: clearing removals, writes, other removals.
func (res *recordPlan) all() []*chunk {
	var out []*chunk
	for _, ch := range res.deletes {
		if ch.Early {
			out = append(out, ch)
		}
	}
	out = append(out, res.Chunks...)
	for _, ch := range res.deletes {
		if !ch.Early {
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
		if ch.Single {
			continue
		}
		if why, ok := rp.syncChunks[chunkID(ch)]; ok {
			ch.Single, ch.Why = true, why
			continue
		}
		if ch.Items() <= 2 && (ch.Kind != dnspodpack.ChunkModify) && rp.convertible(res, ch) {
			ch.Single, ch.Why = true, "single-record calls cost no more than a task for "+strconv.Itoa(ch.Items())+" record(s)"
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
	switch ch.Kind {
	case dnspodpack.ChunkModify:
		return false
	case dnspodpack.ChunkReplace:
		seen := map[dnspodpack.CellKey]bool{}
		for _, oi := range ch.Ops {
			for _, c := range res.Ops[oi].Cells() {
				if !res.Sensitive[c] {
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
		if !ch.Single && (filter == nil || filter(ch)) {
			out = append(out, ch)
		}
	}
	slices.SortStableFunc(out, func(a, b *chunk) int {
		return cmp.Or(cmp.Compare(a.Items(), b.Items()), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Key, b.Key), cmp.Compare(a.Seq, b.Seq))
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
		if ch.Kind == dnspodpack.ChunkModify {
			added := false
			for _, oi := range ch.Ops {
				if k := res.Ops[oi].Ref(); !rp.forceSync[k] && !rp.pk.Unreplaced[k] {
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
		ch.Single, ch.Why = true, why
		rp.syncChunks[chunkID(ch)] = why
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
	stages := []stage{{"records-clear", func(ch *chunk) bool { return ch.Kind == dnspodpack.ChunkDelete && ch.Early }}}
	for l := 1; l <= res.Levels; l++ {
		stages = append(stages, stage{stageName(res.Levels, l), func(ch *chunk) bool { return ch.Kind != dnspodpack.ChunkDelete && ch.Level == l }})
	}
	stages = append(stages, stage{"records-delete", func(ch *chunk) bool { return ch.Kind == dnspodpack.ChunkDelete && !ch.Early }})
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
				if len(pick) < r && ch.Kind != dnspodpack.ChunkModify && ch.Items() <= rp.opts.SyncMaxRecords && rp.convertible(res, ch) {
					pick = append(pick, ch)
				}
			}
			if len(pick) < r {
				break
			}
			why := fmt.Sprintf("single-record calls: stage %s has %d batch tasks and %d run at once (%s)",
				st.name, t, f, OptTasksInFlight)
			for _, ch := range pick {
				ch.Single, ch.Why = true, why
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
		if ch.Single {
			res.calls += ch.Items()
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
		phase, step, stage := providers.PhaseRecords, ch.Level-1, stageName(res.Levels, ch.Level)
		if ch.Kind == dnspodpack.ChunkDelete {
			step = 0
			phase, stage = providers.PhaseRecordsDelete, "records-delete"
			if ch.Early {
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
		p.DomainIDs = []string{o.Z.DomainID}
		out = append(out, providers.PackedBatch{Batch: NewBatch(ch.Provider, op, []string{o.Z.Name}, p, ch.Why),
			Changes: []*plan.Change{change[o]}})
	}
	// domainsOf lists the zones of ops in order of first appearance.
	domainsOf := func(ops []int) ([]string, []string) {
		var names, ids []string
		last := -1
		for _, oi := range ops {
			if z := res.Ops[oi].Z; z.Idx != last {
				names, ids = append(names, z.Name), append(ids, z.DomainID)
				last = z.Idx
			}
		}
		return names, ids
	}
	changes := func(ops []int) []*plan.Change {
		out := make([]*plan.Change, 0, len(ops))
		for _, oi := range ops {
			out = append(out, change[res.Ops[oi]])
		}
		return out
	}
	newState := func(o *recOp) model.Record {
		r := o.After()
		r.ID, r.Pos = o.Before().ID, model.Pos{}
		return r
	}
	switch ch.Kind {
	case dnspodpack.ChunkCreate:
		if ch.Single {
			for x := range ch.Zones {
				for i := range ch.Recs {
					o := res.Ops[ch.Ops[x*len(ch.Recs)+i]]
					single(OpCreate, o, Payload{Records: []model.Record{ch.Recs[i]}})
				}
			}
			return out
		}
		p := Payload{Records: ch.Recs}
		var domains []string
		for _, zi := range ch.Zones {
			domains = append(domains, zones[zi].Name)
			p.DomainIDs = append(p.DomainIDs, zones[zi].DomainID)
		}
		out = append(out, providers.PackedBatch{Task: true, Batch: NewBatch(ch.Provider, OpCreateBatch, domains, p, ch.Why), Changes: changes(ch.Ops)})
	case dnspodpack.ChunkCreateOne:
		for _, oi := range ch.Ops {
			o := res.Ops[oi]
			r := o.After()
			r.ID, r.Pos = "", model.Pos{}
			single(OpCreate, o, Payload{Records: []model.Record{r}})
		}
	case dnspodpack.ChunkModify:
		p := Payload{Field: ch.G.Field, To: ch.G.To, Value: ch.G.Value, MX: ch.G.MX}
		for _, oi := range ch.Ops {
			p.RecordIDs = append(p.RecordIDs, res.Ops[oi].Before().ID)
		}
		domains, ids := domainsOf(ch.Ops)
		p.DomainIDs = ids
		out = append(out, providers.PackedBatch{Task: true, Batch: NewBatch(ch.Provider, OpModifyBatch, domains, p, ch.Why), Changes: changes(ch.Ops)})
	case dnspodpack.ChunkReplace:
		if ch.Single {
			for _, oi := range ch.Ops {
				o := res.Ops[oi]
				single(OpModify, o, Payload{Records: []model.Record{newState(o)}})
			}
			return out
		}
		var p Payload
		for _, oi := range ch.Ops {
			p.Records = append(p.Records, newState(res.Ops[oi]))
		}
		domains, ids := domainsOf(ch.Ops)
		p.DomainIDs = ids
		out = append(out, providers.PackedBatch{Task: true, Batch: NewBatch(ch.Provider, OpModifyV3, domains, p, ch.Why), Changes: changes(ch.Ops)})
	case dnspodpack.ChunkDelete:
		if ch.Single {
			for _, oi := range ch.Ops {
				o := res.Ops[oi]
				single(OpDelete, o, Payload{RecordIDs: []string{o.Before().ID}})
			}
			return out
		}
		var p Payload
		for _, oi := range ch.Ops {
			p.RecordIDs = append(p.RecordIDs, res.Ops[oi].Before().ID)
		}
		domains, ids := domainsOf(ch.Ops)
		p.DomainIDs = ids
		out = append(out, providers.PackedBatch{Task: true, Batch: NewBatch(ch.Provider, OpDeleteBatch, domains, p, ch.Why), Changes: changes(ch.Ops)})
	}
	return out
}
