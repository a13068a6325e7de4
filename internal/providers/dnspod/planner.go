package dnspod

import (
	"strconv"
	"strings"

	"github.com/dnssync/dnssync/internal/display"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodpack"
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
		return dnspodpack.CreateSetDetail(len(p.Records), domains, doms)
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
	return dnspodpack.NotRegistrar(regs, pl.name, "dnspod")
}

// Recovered: no DNSPod operation synchronises glue.
func (pl *Planner) Recovered(plan.Op) bool { return false }

// zone is one zone under planning (dnspodpack keeps its pairing state).
type zone = dnspodpack.Zone

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
	zones := dnspodpack.NewZones(zds, func(l *model.LiveDNS) dnspodrules.Options { return ZoneRules(pl.rules, l) })
	rp := planRecords(zones, pl.opts)
	return rp.Packed(zones, func(change map[*dnspodpack.Op]*plan.Change) []providers.PackedBatch {
		return recordBatches(zones, rp, change)
	}, lowerBound(zones, pl.opts))
}

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
	missing := false
	for _, z := range zones {
		if d := len(z.LeftL) - len(z.LeftD); d > 0 {
			lb += d
		}
		if len(z.LeftD) > 0 {
			missing = true
		}
	}
	groups, _ := dnspodpack.UpdateGroups(zones)
	for _, n := range groups {
		lb += dnspodpack.CeilDiv(n, opts.MaxModifyIDs)
	}
	if missing {
		lb++
	}
	return lb
}
