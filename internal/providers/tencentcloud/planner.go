package tencentcloud

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dnssync/dnssync/internal/display"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

// Operations of API 3.0 that plans use. The batch operations start a task
// (awaited with DescribeBatchTask); the single-record ones are synchronous.
const (
	OpCreateBatch plan.Op = "tencentcloud:CreateRecordBatch"
	OpModifyBatch plan.Op = "tencentcloud:ModifyRecordBatch"
	OpModifyV3    plan.Op = "tencentcloud:ModifyRecordBatchV3"
	OpDeleteBatch plan.Op = "tencentcloud:DeleteRecordBatch"
	OpCreate      plan.Op = "tencentcloud:CreateRecord"
	OpModify      plan.Op = "tencentcloud:ModifyRecord"
	OpDelete      plan.Op = "tencentcloud:DeleteRecord"
)

// IsTask reports whether op starts an asynchronous task.
func IsTask(op plan.Op) bool {
	switch op {
	case OpCreateBatch, OpModifyBatch, OpModifyV3, OpDeleteBatch:
		return true
	}
	return false
}

// Payload is what a batch carries for its call. DomainIDs are the ids of
// the batch's Domains, in order. Records are the records of a
// CreateRecordBatch (each to every domain) or a CreateRecord (one), and for
// ModifyRecordBatchV3 and ModifyRecord the records' new state, each with
// the id of the record it replaces. RecordIDs are the records of a
// ModifyRecordBatch, DeleteRecordBatch or DeleteRecord. A ModifyRecordBatch
// sets Field to To (record_type also takes Value, MX records take MX), in
// the vocabulary of dnspodrules.Apply: status "enable"/"disable", the
// line by name.
type Payload struct {
	DomainIDs []string       `json:"domain_ids,omitempty"`
	Records   []model.Record `json:"records,omitempty"`
	RecordIDs []string       `json:"record_ids,omitempty"`
	Field     string         `json:"field,omitempty"`
	To        string         `json:"to,omitempty"`
	Value     string         `json:"value,omitempty"`
	MX        int            `json:"mx,omitempty"`
}

// NewBatch returns the plan batch for a call of op on domains, with its
// item count and description (ID and Changes are the core's to fill).
// note, when set, says why the packing chose this call.
func NewBatch(provider string, op plan.Op, domains []string, p Payload, note string) plan.Batch {
	b := plan.Batch{Provider: provider, Op: op, Domains: domains, Payload: providers.EncodePayload(p)}
	b.Items, b.Detail = describeBatch(op, domains, p)
	if note != "" {
		b.Detail += "; " + note
	}
	return b
}

func describeBatch(op plan.Op, domains []string, p Payload) (int, string) {
	doms := display.Names(domains)
	switch op {
	case OpCreateBatch:
		return len(p.Records) * len(domains), display.Plural(len(p.Records), "record", "records") + " × " +
			display.Plural(len(domains), "domain", "domains") + ": " + doms
	case OpCreate:
		s := doms
		if len(p.Records) == 1 {
			s = display.Printable(p.Records[0].String()) + " (" + doms + ")"
		}
		return len(p.Records), "create " + s
	case OpModifyBatch:
		set := display.Printable(p.Field) + "=" + display.Quote(p.To)
		if p.Field == ChangeRecordType {
			set += " value=" + display.Quote(p.Value)
		}
		if p.MX != 0 {
			set += " mx=" + strconv.Itoa(p.MX)
		}
		return len(p.RecordIDs), set + " on " + display.Plural(len(p.RecordIDs), "record", "records") + " (" + doms + ")"
	case OpModifyV3, OpModify:
		if len(p.Records) == 1 {
			r := p.Records[0]
			return 1, "record " + display.Printable(r.ID) + " becomes " + display.Printable(r.String()) + " (" + doms + ")"
		}
		return len(p.Records), display.Plural(len(p.Records), "record", "records") + " changed: " + doms
	case OpDeleteBatch, OpDelete:
		return len(p.RecordIDs), "delete " + display.Plural(len(p.RecordIDs), "record", "records") + ": " +
			display.Printable(truncIDs(p.RecordIDs)) + " (" + doms + ")"
	}
	return len(domains), display.Plural(len(domains), "domain", "domains") + ": " + doms
}

// truncIDs lists at most eight ids: a batch may carry 2000.
func truncIDs(ids []string) string {
	if len(ids) <= 8 {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:8], ", ") + fmt.Sprintf(", … (%d more)", len(ids)-8)
}

// Planner packs record changes for one configured account, under that
// account's rules and limits.
type Planner struct {
	name  string
	rules dnspodrules.Options
	opts  PlannerOptions
}

var _ providers.Planner = (*Planner)(nil)

// NewPlanner returns the planner of provider name under rules; zero
// options take the documented limits.
func NewPlanner(name string, rules dnspodrules.Options, o PlannerOptions) *Planner {
	if o.MaxTaskRecords <= 0 {
		o.MaxTaskRecords = DefaultMaxBatchRecords
	}
	if o.MaxDeleteIDs <= 0 {
		o.MaxDeleteIDs = DefaultMaxDeleteIDs
	}
	if o.TasksPerHour <= 0 {
		o.TasksPerHour = DefaultTasksPerHour
	}
	if o.TasksInFlight <= 0 {
		o.TasksInFlight = DefaultTasksInFlight
	}
	if o.SyncMaxRecords < 0 {
		o.SyncMaxRecords = 0
	}
	// What is left of the hour's quota; it may be none.
	o.TasksPerHour = max(0, o.TasksPerHour-max(0, o.TasksSpent))
	o.TasksSpent = 0
	return &Planner{name: name, rules: rules, opts: o}
}

// Options returns the planner's limits and choices.
func (pl *Planner) Options() PlannerOptions { return pl.opts }

// Rules returns the rule options the planner judges records by when a
// zone's live state does not say otherwise.
func (pl *Planner) Rules() dnspodrules.Options { return pl.rules }

// PlanRegistrar: Tencent Cloud's DNSPod is no registrar here.
func (pl *Planner) PlanRegistrar(regs []*providers.RegistrarDiff, _ providers.PlanOptions) *providers.Packed {
	out := &providers.Packed{}
	for _, r := range regs {
		out.Refusals = append(out.Refusals, plan.Refusal{Domain: r.Domain, Rule: plan.RuleProvider,
			Reason: fmt.Sprintf("provider %q (tencentcloud) manages records, not delegations", pl.name)})
	}
	return out
}

// Recovered: no operation of this type synchronises glue.
func (pl *Planner) Recovered(plan.Op) bool { return false }

// zone is one zone under planning: the core's neutral difference plus the
// zone's rules and the pairing state.
type zone struct {
	idx      int
	name     string
	provider string
	domainID string
	policy   model.Policy
	rules    dnspodrules.Options
	checker  *dnspodrules.Zone // empty zone, only for CheckRecord

	live    []model.Record
	desired []model.Record
	updates []match
	leftL   []int
	leftD   []int

	pairOf []int
	kindOf []int
	lUsed  []bool
}

type match struct{ l, d int }

func (pl *Planner) newZone(i int, zd *providers.ZoneDiff) *zone {
	z := &zone{idx: i, name: zd.Domain, provider: zd.Provider, policy: zd.Policy,
		rules: zoneRules(pl.rules, zd.Live), live: zd.Records, desired: zd.Desired,
		leftL: zd.LeftLive, leftD: zd.LeftDesired}
	if zd.Live != nil {
		z.domainID = zd.Live.DomainID
	}
	for _, u := range zd.Updates {
		z.updates = append(z.updates, match{u.Live, u.Desired})
	}
	z.checker = dnspodrules.NewZone(z.rules, func() string { return "" })
	z.resetPairs()
	return z
}

func (z *zone) resetPairs() {
	z.pairOf = make([]int, len(z.desired))
	z.kindOf = make([]int, len(z.desired))
	for i := range z.pairOf {
		z.pairOf[i] = -1
	}
	z.lUsed = make([]bool, len(z.live))
}

// PlanRecords packs the record differences of the zones this account
// serves. It packs two candidates in full — every leftover as a delete
// and a create (the greedy packing), and with the leftovers the cost
// model pairs into modifications — and keeps the one with fewer calls,
// then fewer tasks.
func (pl *Planner) PlanRecords(zds []*providers.ZoneDiff, _ providers.PlanOptions) *providers.Packed {
	zones := make([]*zone, len(zds))
	for i, zd := range zds {
		zones[i] = pl.newZone(i, zd)
	}
	greedy := planRecords(zones, pl.opts, false)
	best := greedy
	if paired := planRecords(zones, pl.opts, true); paired.calls < greedy.calls ||
		paired.calls == greedy.calls && paired.tasks <= greedy.tasks {
		best = paired
	}
	out := &providers.Packed{Refusals: best.refusals}

	ops := slices.Clone(best.ops)
	slices.SortStableFunc(ops, cmpOp)
	opChange := make(map[*recOp]*plan.Change, len(ops))
	zoneChanges := make([][]*plan.Change, len(zones))
	for _, o := range ops {
		c := o.toChange()
		opChange[o] = c
		zoneChanges[o.z.idx] = append(zoneChanges[o.z.idx], c)
		out.Changes = append(out.Changes, c)
	}
	for _, z := range zones {
		out.Refusals = append(out.Refusals, providerRules(z, zoneChanges[z.idx])...)
	}
	out.Batches = best.batches(zones, opChange)
	out.LowerBound = lowerBound(zones, pl.opts)
	return out
}

// providerRules refuses records the service would reject on its own (TTL
// below the grade's minimum, a line the grade lacks, a bad value).
func providerRules(z *zone, changes []*plan.Change) []plan.Refusal {
	var out []plan.Refusal
	bad := 0
	for _, c := range changes {
		if c.After == nil {
			continue
		}
		if e := z.checker.CheckRecord(*c.After, dnspodrules.CodeTTL); e != nil {
			if bad++; bad <= 5 {
				out = append(out, plan.Refusal{Domain: z.name, Rule: plan.RuleProviderRules,
					Reason: fmt.Sprintf("%s at %s: %s", c.After, c.Pos, e.Message)})
			}
		}
	}
	if bad > 5 {
		out = append(out, plan.Refusal{Domain: z.name, Rule: plan.RuleProviderRules,
			Reason: fmt.Sprintf("%d more records break the provider's rules", bad-5)})
	}
	return out
}

func opKindOrder(k plan.ChangeKind) int {
	switch k {
	case plan.RecordCreate:
		return 0
	case plan.RecordUpdate:
		return 1
	}
	return 2
}

func (o *recOp) record() model.Record {
	if o.d >= 0 {
		return o.after()
	}
	return o.before()
}

func cmpOp(a, b *recOp) int {
	return cmp.Or(cmp.Compare(a.z.idx, b.z.idx), model.CmpRecord(a.record(), b.record()),
		cmp.Compare(opKindOrder(a.kind), opKindOrder(b.kind)), cmp.Compare(a.l, b.l))
}

// toChange renders an op as a semantic change (without its ID).
func (o *recOp) toChange() *plan.Change {
	c := &plan.Change{Domain: o.z.name, Kind: o.kind, Provider: o.z.provider}
	if o.l >= 0 {
		b := o.before()
		b.Pos = model.Pos{}
		c.Before = &b
	}
	if o.d >= 0 {
		a := o.after()
		c.Pos = a.Pos
		if o.l >= 0 {
			a.ID = o.before().ID
		}
		c.After = &a
	}
	if o.kind == plan.RecordUpdate {
		c.Fields = model.ChangedFields(*c.Before, *c.After)
	}
	return c
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// lowerBound estimates the fewest write calls any packing of the same
// differences could use: one DeleteRecordBatch per limit's worth of live
// records beyond the desired ones (a modification turns one record into
// one), one create or modification when desired records are missing, and
// the modifications of exact matches — one ModifyRecordBatchV3 per limit,
// or one ModifyRecordBatch per distinct (field, value) and limit.
func lowerBound(zones []*zone, o PlannerOptions) int {
	lb, excess, updates := 0, 0, 0
	groups := map[gkey]int{}
	missing := false
	for _, z := range zones {
		excess += max(0, len(z.leftL)-len(z.leftD))
		missing = missing || len(z.leftD) > 0
		for _, u := range z.updates {
			updates++
			for _, it := range neutralItems(z.live[u.l], z.desired[u.d], nil) {
				groups[gkey{z.provider, it}]++
			}
		}
	}
	if excess > 0 {
		lb += ceilDiv(excess, o.MaxDeleteIDs)
	}
	if o.ModifyV3 {
		if updates > 0 {
			lb += ceilDiv(updates, o.MaxTaskRecords)
		}
	} else {
		for _, n := range groups {
			lb += ceilDiv(n, o.MaxTaskRecords)
		}
	}
	if missing {
		lb++
	}
	return lb
}
