package dnspod

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

// Operations of the legacy DNSPod API that plans use.
const (
	OpCreate plan.Op = "dnspod:Batch.Record.Create"
	OpModify plan.Op = "dnspod:Batch.Record.Modify"
	OpRemove plan.Op = "dnspod:Record.Remove"
)

// Batch limits used when the configuration sets none. The legacy
// documentation states no limits (UNVERIFIED); these match the client's
// defaults.
const (
	DefaultMaxModifyIDs   = 200 // record ids per Batch.Record.Modify
	DefaultMaxCreateItems = 200 // records × domains per Batch.Record.Create
)

// Payload is what a DNSPod batch carries for its call: the domain ids of
// Domains, the records of a Batch.Record.Create, and for Batch.Record.Modify
// the one field set to one value on RecordIDs (record_type carries Value,
// and MX for MX). Record.Remove uses RecordIDs with exactly one id.
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
func NewBatch(provider string, op plan.Op, domains []string, p Payload) plan.Batch {
	b := plan.Batch{Provider: provider, Op: op, Domains: domains, Payload: providers.EncodePayload(p)}
	b.Items, b.Detail = describeBatch(op, domains, p)
	return b
}

func describeBatch(op plan.Op, domains []string, p Payload) (int, string) {
	doms := display.Names(domains)
	switch op {
	case OpCreate:
		return len(p.Records) * len(domains), display.Plural(len(p.Records), "record", "records") + " × " +
			display.Plural(len(domains), "domain", "domains") + ": " + doms
	case OpModify:
		set := display.Printable(p.Field) + "=" + display.Quote(p.To)
		if p.Field == "record_type" {
			set += " value=" + display.Quote(p.Value)
			if p.To == model.TypeMX {
				set += " mx=" + strconv.Itoa(p.MX)
			}
		}
		return len(p.RecordIDs), set + " on " + display.Plural(len(p.RecordIDs), "record", "records") + " (" + doms + ")"
	case OpRemove:
		return len(p.RecordIDs), display.Plural(len(p.RecordIDs), "record", "records") + ": " +
			display.Printable(strings.Join(p.RecordIDs, ", ")) + " (" + doms + ")"
	}
	return len(domains), display.Plural(len(domains), "domain", "domains") + ": " + doms
}

// Planner packs record changes for one configured DNSPod account, under
// that account's rules (lines, minimum TTL) and batch limits.
type Planner struct {
	name  string
	rules dnspodrules.Options
	opts  planOpts
}

type planOpts struct {
	MaxModifyIDs   int
	MaxCreateItems int
}

// NewPlanner returns the planner of provider name under rules; batchSize
// caps both batch kinds (0 keeps the defaults).
func NewPlanner(name string, rules dnspodrules.Options, batchSize int) *Planner {
	o := planOpts{MaxModifyIDs: DefaultMaxModifyIDs, MaxCreateItems: DefaultMaxCreateItems}
	if batchSize > 0 {
		o.MaxModifyIDs = min(o.MaxModifyIDs, batchSize)
		o.MaxCreateItems = min(o.MaxCreateItems, batchSize)
	}
	return &Planner{name: name, rules: rules, opts: o}
}

// NewPlannerLimits returns the planner of provider name under rules with
// its own limits per batch kind (0 keeps a default).
func NewPlannerLimits(name string, rules dnspodrules.Options, modifyIDs, createItems int) *Planner {
	pl := NewPlanner(name, rules, 0)
	if modifyIDs > 0 {
		pl.opts.MaxModifyIDs = modifyIDs
	}
	if createItems > 0 {
		pl.opts.MaxCreateItems = createItems
	}
	return pl
}

// Limits returns the records per Batch.Record.Modify and the records ×
// domains per Batch.Record.Create the planner packs at most.
func (pl *Planner) Limits() (modifyIDs, createItems int) {
	return pl.opts.MaxModifyIDs, pl.opts.MaxCreateItems
}

// Rules returns the rule options the planner judges records by.
func (pl *Planner) Rules() dnspodrules.Options { return pl.rules }

var _ providers.Planner = (*Planner)(nil)

// PlanRegistrar: DNSPod is no registrar.
func (pl *Planner) PlanRegistrar(regs []*providers.RegistrarDiff, _ providers.PlanOptions) *providers.Packed {
	out := &providers.Packed{}
	for _, r := range regs {
		out.Refusals = append(out.Refusals, plan.Refusal{Domain: r.Domain, Rule: plan.RuleProvider,
			Reason: fmt.Sprintf("provider %q (dnspod) manages records, not delegations", pl.name)})
	}
	return out
}

// Recovered: no DNSPod operation synchronises glue.
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

	live    []model.Record // canonical order
	desired []model.Record // managed desired records, canonical order, unique keys

	updates []match // exact key matches whose TTL or status differ
	leftL   []int   // live records with no desired counterpart that policy lets go
	leftD   []int   // desired records with no live counterpart

	pairOf []int  // per desired index: paired live index, or -1
	kindOf []int  // per desired index: pairing kind
	lUsed  []bool // per live index: already paired
}

type match struct{ l, d int }

func (pl *Planner) newZone(zd *providers.ZoneDiff) *zone {
	z := &zone{idx: zd.Index, name: zd.Domain, provider: zd.Provider, policy: zd.Policy,
		rules: ZoneRules(pl.rules, zd.Live), live: zd.Records, desired: zd.Desired,
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

// ZoneRules returns the rule options for a zone: rules, with the zone's
// grade minimum TTL when the provider reported one.
func ZoneRules(rules dnspodrules.Options, live *model.LiveDNS) dnspodrules.Options {
	if live != nil && live.MinTTL > 0 {
		rules.MinTTL = live.MinTTL
	}
	return rules
}

// PlanRecords packs the record differences of the zones this account
// serves: modifications grouped by (field, new value) across zones,
// identical create sets shared across zones, one Record.Remove per
// removal; batches ordered into the records phases.
func (pl *Planner) PlanRecords(zds []*providers.ZoneDiff, _ providers.PlanOptions) *providers.Packed {
	zones := make([]*zone, len(zds))
	for i, zd := range zds {
		zones[i] = pl.newZone(zd)
		zones[i].idx = i
	}
	rp := planRecords(zones, pl.opts)
	out := &providers.Packed{Refusals: rp.refusals}

	ops := slices.Clone(rp.ops)
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
	out.Batches = recordBatches(zones, rp, opChange)
	out.LowerBound = lowerBound(zones, pl.opts)
	return out
}

// providerRules refuses records DNSPod would reject on its own (TTL below
// the grade's minimum, unknown line, bad value).
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
	if c := cmp.Compare(a.z.idx, b.z.idx); c != 0 {
		return c
	}
	if c := model.CmpRecord(a.record(), b.record()); c != 0 {
		return c
	}
	if c := cmp.Compare(opKindOrder(a.kind), opKindOrder(b.kind)); c != 0 {
		return c
	}
	return cmp.Compare(a.l, b.l)
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

// recordBatches places the batches in the records phases: removals that
// clear conflicts, the write levels, then the remaining removals.
func recordBatches(zones []*zone, rp *recordPlan, change map[*recOp]*plan.Change) []providers.PackedBatch {
	var out []providers.PackedBatch
	for _, early := range []bool{true, false} {
		for _, o := range rp.ops {
			if o.kind != plan.RecordDelete || o.early != early {
				continue
			}
			pb := providers.PackedBatch{Phase: providers.PhaseRecordsDelete, Stage: "records-delete",
				Batch: NewBatch(o.z.provider, OpRemove, []string{o.z.name},
					Payload{DomainIDs: []string{o.z.domainID}, RecordIDs: []string{o.before().ID}}),
				Changes: []*plan.Change{change[o]}}
			if early {
				pb.Phase, pb.Stage = providers.PhaseRecordsClear, "records-clear"
			}
			out = append(out, pb)
		}
		if !early {
			break
		}
		for _, ch := range rp.chunks {
			name := "records"
			if rp.levels > 1 {
				name = fmt.Sprintf("records-%d", ch.level)
			}
			pb := chunkBatch(zones, rp, ch, change)
			pb.Phase, pb.Step, pb.Stage, pb.Task = providers.PhaseRecords, ch.level-1, name, true
			out = append(out, pb)
		}
	}
	return out
}

func chunkBatch(zones []*zone, rp *recordPlan, ch *chunk, change map[*recOp]*plan.Change) providers.PackedBatch {
	var p Payload
	var zs []int
	if ch.op == OpCreate {
		zs = ch.zones
		p.Records = ch.recs
	} else {
		p.Field, p.To, p.Value, p.MX = ch.g.field, ch.g.to, ch.g.value, ch.g.mx
		for _, oi := range ch.ops {
			o := rp.ops[oi]
			p.RecordIDs = append(p.RecordIDs, o.before().ID)
			if len(zs) == 0 || zs[len(zs)-1] != o.z.idx {
				zs = append(zs, o.z.idx)
			}
		}
	}
	var domains []string
	for _, zi := range zs {
		domains = append(domains, zones[zi].name)
		p.DomainIDs = append(p.DomainIDs, zones[zi].domainID)
	}
	pb := providers.PackedBatch{Batch: NewBatch(ch.provider, ch.op, domains, p)}
	for _, oi := range ch.ops {
		pb.Changes = append(pb.Changes, change[rp.ops[oi]])
	}
	return pb
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// lowerBound estimates the fewest write calls any packing of the same
// record differences could use (docs/PLANNING.md, "Cost"):
//
//   - per zone, every leftover live record beyond the leftover desired
//     records can only go by Record.Remove (no batch delete exists, and a
//     modification turns one live record into one desired record);
//   - every distinct (field, value) among the TTL/status updates of
//     exactly matching records needs a modify call per limit's worth of
//     records (deleting and re-creating instead costs a call per record);
//   - one more call when any desired record is missing: it needs a create
//     or a modification, neither of which a TTL/status group provides.
func lowerBound(zones []*zone, opts planOpts) int {
	lb := 0
	groups := map[gkey]int{}
	missing := false
	for _, z := range zones {
		if d := len(z.leftL) - len(z.leftD); d > 0 {
			lb += d
		}
		if len(z.leftD) > 0 {
			missing = true
		}
		for _, u := range z.updates {
			for _, it := range neutralItems(z.live[u.l], z.desired[u.d], nil) {
				groups[gkey{z.provider, it}]++
			}
		}
	}
	for _, n := range groups {
		lb += ceilDiv(n, opts.MaxModifyIDs)
	}
	if missing {
		lb++
	}
	return lb
}
