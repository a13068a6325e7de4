package tencentcloud

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dnssync/dnssync/internal/display"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodpack"
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
		return dnspodpack.CreateSetDetail(len(p.Records), domains, doms)
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
	return dnspodpack.NotRegistrar(regs, pl.name, "tencentcloud")
}

// Recovered: no operation of this type synchronises glue.
func (pl *Planner) Recovered(plan.Op) bool { return false }

// zone is one zone under planning (dnspodpack keeps its pairing state).
type zone = dnspodpack.Zone

// PlanRecords packs the record differences of the zones this account
// serves. It packs two candidates in full — every leftover as a delete
// and a create (the greedy packing), and with the leftovers the cost
// model pairs into modifications — and keeps the one with fewer calls,
// then fewer tasks.
func (pl *Planner) PlanRecords(zds []*providers.ZoneDiff, _ providers.PlanOptions) *providers.Packed {
	zones := dnspodpack.NewZones(zds, func(l *model.LiveDNS) dnspodrules.Options { return zoneRules(pl.rules, l) })
	greedy := planRecords(zones, pl.opts, false)
	best := greedy
	if paired := planRecords(zones, pl.opts, true); paired.calls < greedy.calls ||
		paired.calls == greedy.calls && paired.tasks <= greedy.tasks {
		best = paired
	}
	return best.Packed(zones, func(change map[*dnspodpack.Op]*plan.Change) []providers.PackedBatch {
		return best.batches(zones, change)
	}, lowerBound(zones, pl.opts))
}

// lowerBound estimates the fewest write calls any packing of the same
// differences could use: one DeleteRecordBatch per limit's worth of live
// records beyond the desired ones (a modification turns one record into
// one), one create or modification when desired records are missing, and
// the modifications of exact matches — one ModifyRecordBatchV3 per limit,
// or one ModifyRecordBatch per distinct (field, value) and limit.
func lowerBound(zones []*zone, o PlannerOptions) int {
	lb, excess := 0, 0
	missing := false
	for _, z := range zones {
		excess += max(0, len(z.LeftL)-len(z.LeftD))
		missing = missing || len(z.LeftD) > 0
	}
	groups, updates := dnspodpack.UpdateGroups(zones)
	if excess > 0 {
		lb += dnspodpack.CeilDiv(excess, o.MaxDeleteIDs)
	}
	if o.ModifyV3 {
		if updates > 0 {
			lb += dnspodpack.CeilDiv(updates, o.MaxTaskRecords)
		}
	} else {
		for _, n := range groups {
			lb += dnspodpack.CeilDiv(n, o.MaxTaskRecords)
		}
	}
	if missing {
		lb++
	}
	return lb
}
