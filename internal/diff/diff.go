package diff

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
)

// Compute returns the semantic changes that turn live into desired: the
// Changes of Plan(desired, live, opts). Whether a leftover live record is
// updated into a desired one or deleted while the desired one is created
// depends on what costs fewer provider calls, so the changes and the
// packing are decided together.
func Compute(desired *model.Desired, live *model.Live, opts Options) []plan.Change {
	return Plan(desired, live, opts).Changes
}

// Plan computes the full plan: changes, stages of batches, cost, refusals
// and the fingerprint of the live state it was computed from. Only domains
// in desired are considered, and of them only the managed sides (non-nil
// Registrar, DNS). The result depends only on the content of its inputs,
// not on their order.
func Plan(desired *model.Desired, live *model.Live, opts Options) *plan.Plan {
	opts = opts.withDefaults()
	liveBy := make(map[string]*model.LiveDomain, len(live.Domains))
	for i := range live.Domains {
		if _, dup := liveBy[live.Domains[i].Name]; !dup {
			liveBy[live.Domains[i].Name] = &live.Domains[i]
		}
	}
	dds := make([]*model.Domain, 0, len(desired.Domains))
	for i := range desired.Domains {
		dds = append(dds, &desired.Domains[i])
	}
	slices.SortStableFunc(dds, func(a, b *model.Domain) int { return cmp.Compare(a.Name, b.Name) })
	dds = slices.CompactFunc(dds, func(a, b *model.Domain) bool { return a.Name == b.Name })

	p := &plan.Plan{Version: plan.FormatVersion, Fingerprint: plan.Fingerprint(canonicalLive(live))}
	var zones []*zone
	var regs []*regDiff
	for _, dd := range dds {
		ld := liveBy[dd.Name]
		if dd.Registrar != nil {
			if ld == nil || ld.Registrar == nil {
				p.Refusals = append(p.Refusals, plan.Refusal{Domain: dd.Name, Rule: RuleUnknownDomain,
					Reason: "the registrar does not report this domain"})
			} else {
				regs = append(regs, diffRegistrar(dd, ld.Registrar, opts.HostsSynced || opts.HostsSyncedDomains[dd.Name]))
			}
		}
		if dd.DNS != nil {
			if ld == nil || ld.DNS == nil {
				p.Refusals = append(p.Refusals, plan.Refusal{Domain: dd.Name, Rule: RuleUnknownDomain,
					Reason: "the DNS provider does not report this zone"})
				continue
			}
			if ld.DNS.DomainID == "" {
				p.Refusals = append(p.Refusals, plan.Refusal{Domain: dd.Name, Rule: RuleUnknownDomain,
					Reason: "the DNS provider reports no domain id for this zone"})
			}
			zones = append(zones, newZone(len(zones), dd, ld.DNS, *opts.Rules))
		}
	}

	rp := planRecords(zones, opts)
	p.Refusals = append(p.Refusals, rp.refusals...)

	// Changes, numbered per domain: registrar first, then records in
	// canonical record order.
	byDomain := map[string][]*plan.Change{}
	var names []string
	add := func(c *plan.Change) {
		if _, ok := byDomain[c.Domain]; !ok {
			names = append(names, c.Domain)
		}
		byDomain[c.Domain] = append(byDomain[c.Domain], c)
	}
	for _, rd := range regs {
		if rd.ns != nil {
			add(rd.ns)
		}
		for _, h := range rd.hosts {
			add(h)
		}
	}
	ops := slices.Clone(rp.ops)
	slices.SortStableFunc(ops, cmpOp)
	opChange := make(map[*recOp]*plan.Change, len(ops))
	zoneChanges := make([][]*plan.Change, len(zones))
	for _, o := range ops {
		c := o.toChange()
		opChange[o] = c
		zoneChanges[o.z.idx] = append(zoneChanges[o.z.idx], c)
		add(c)
	}
	slices.Sort(names)
	for _, n := range names {
		for i, c := range byDomain[n] {
			c.ID = n + "#" + strconv.Itoa(i+1)
			p.Changes = append(p.Changes, *c)
		}
	}
	for _, o := range rp.ops {
		o.change = opChange[o].ID
	}

	for _, rd := range regs {
		if rd.ns != nil {
			if r := delegationSafety(rd.ns, opts); r != nil {
				p.Refusals = append(p.Refusals, *r)
			}
		}
	}
	for _, z := range zones {
		p.Refusals = append(p.Refusals, zoneSafety(z, zoneChanges[z.idx], opts)...)
	}
	slices.SortStableFunc(p.Refusals, func(a, b plan.Refusal) int {
		return cmp.Or(cmp.Compare(a.Domain, b.Domain), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Reason, b.Reason))
	})

	sync, upsert, ns, del := registrarStages(regs, opts)
	stages := append(sync, upsert...)
	stages = append(stages, recordStages(zones, rp)...)
	stages = append(stages, ns)
	stages = append(stages, del...)
	for _, s := range stages {
		if len(s.Batches) == 0 {
			continue
		}
		n := len(p.Stages) + 1
		for j := range s.Batches {
			s.Batches[j].ID = "s" + strconv.Itoa(n) + ".b" + strconv.Itoa(j+1)
			if s.Batches[j].Changes == nil {
				s.Batches[j].Changes = []string{}
			}
		}
		p.Stages = append(p.Stages, s)
	}
	if p.Changes == nil {
		p.Changes = []plan.Change{}
	}
	if p.Stages == nil {
		p.Stages = []plan.Stage{}
	}
	p.Cost = planCost(p, lowerBound(zones, regs, opts))
	return p
}

func itoa(n int) string { return strconv.Itoa(n) }

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
	if c := cmpRecord(a.record(), b.record()); c != 0 {
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
		c.Fields = changedFields(*c.Before, *c.After)
	}
	return c
}

// changedFields names what differs, in a fixed order.
func changedFields(b, a model.Record) []string {
	var f []string
	if b.Name != a.Name {
		f = append(f, "name")
	}
	if b.Type != a.Type {
		f = append(f, "type")
	}
	if b.Line != a.Line {
		f = append(f, "line")
	}
	if model.CompareValue(b.Type, b.Value) != model.CompareValue(a.Type, a.Value) {
		f = append(f, "value")
	}
	if b.MX != a.MX {
		f = append(f, "mx")
	}
	if b.TTL != a.TTL {
		f = append(f, "ttl")
	}
	if b.Enabled != a.Enabled {
		f = append(f, "enabled")
	}
	return f
}

// recordStages turns the ordered chunks into stages: removals that clear
// conflicts, the write levels, then the remaining removals.
func recordStages(zones []*zone, rp *recordPlan) []plan.Stage {
	remove := func(o *recOp) plan.Batch {
		return plan.Batch{Provider: o.z.provider, Op: plan.DNSPodRemove, Domains: []string{o.z.name},
			DomainIDs: []string{o.z.domainID}, RecordIDs: []string{o.before().ID}, Changes: []string{o.change}}
	}
	clear := plan.Stage{Name: "records-clear"}
	late := plan.Stage{Name: "records-delete"}
	for _, o := range rp.ops {
		if o.kind == plan.RecordDelete {
			if o.early {
				clear.Batches = append(clear.Batches, remove(o))
			} else {
				late.Batches = append(late.Batches, remove(o))
			}
		}
	}
	writes := make([]plan.Stage, rp.levels)
	for i := range writes {
		writes[i].Name = "records"
		if rp.levels > 1 {
			writes[i].Name = fmt.Sprintf("records-%d", i+1)
		}
	}
	for _, ch := range rp.chunks {
		writes[ch.level-1].Batches = append(writes[ch.level-1].Batches, chunkBatch(zones, rp, ch))
	}
	out := append([]plan.Stage{clear}, writes...)
	return append(out, late)
}

func chunkBatch(zones []*zone, rp *recordPlan, ch *chunk) plan.Batch {
	b := plan.Batch{Provider: ch.provider, Op: ch.op}
	var zs []int
	if ch.op == plan.DNSPodCreate {
		zs = ch.zones
		b.Records = ch.recs
	} else {
		b.Field, b.To, b.Value, b.MX = ch.g.field, ch.g.to, ch.g.value, ch.g.mx
		for _, oi := range ch.ops {
			o := rp.ops[oi]
			b.RecordIDs = append(b.RecordIDs, o.before().ID)
			if len(zs) == 0 || zs[len(zs)-1] != o.z.idx {
				zs = append(zs, o.z.idx)
			}
		}
	}
	for _, zi := range zs {
		b.Domains = append(b.Domains, zones[zi].name)
		b.DomainIDs = append(b.DomainIDs, zones[zi].domainID)
	}
	for _, oi := range ch.ops {
		b.Changes = append(b.Changes, rp.ops[oi].change)
	}
	slices.SortFunc(b.Changes, cmpChangeID)
	b.Changes = slices.Compact(b.Changes)
	return b
}

// cmpChangeID orders "<domain>#<n>" by domain, then numerically.
func cmpChangeID(a, b string) int {
	da, na := splitID(a)
	db, nb := splitID(b)
	return cmp.Or(cmp.Compare(da, db), cmp.Compare(na, nb))
}

func splitID(id string) (string, int) {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '#' {
			n, _ := strconv.Atoi(id[i+1:])
			return id[:i], n
		}
	}
	return id, 0
}

// canonicalLive returns live in canonical order (domains by name, records,
// nameservers and hosts sorted) so that the fingerprint does not depend on
// input order; live state read by the providers is already canonical and
// fingerprints the same.
func canonicalLive(live *model.Live) *model.Live {
	sorted := slices.IsSortedFunc(live.Domains, func(a, b model.LiveDomain) int { return cmp.Compare(a.Name, b.Name) })
	for _, d := range live.Domains {
		if d.DNS != nil && !slices.IsSortedFunc(d.DNS.Records, cmpRecord) {
			sorted = false
		}
		if d.Registrar != nil && (!slices.IsSorted(d.Registrar.Nameservers) ||
			!slices.IsSortedFunc(d.Registrar.DNSHosts, func(a, b model.DNSHost) int { return cmp.Compare(a.Host, b.Host) })) {
			sorted = false
		}
	}
	if sorted {
		return live
	}
	out := &model.Live{Domains: slices.Clone(live.Domains)}
	slices.SortStableFunc(out.Domains, func(a, b model.LiveDomain) int { return cmp.Compare(a.Name, b.Name) })
	for i := range out.Domains {
		d := &out.Domains[i]
		if d.DNS != nil {
			dns := *d.DNS
			dns.Records = slices.Clone(dns.Records)
			slices.SortStableFunc(dns.Records, cmpRecord)
			d.DNS = &dns
		}
		if d.Registrar != nil {
			r := *d.Registrar
			r.Nameservers = slices.Clone(r.Nameservers)
			slices.Sort(r.Nameservers)
			r.DNSHosts = slices.Clone(r.DNSHosts)
			slices.SortStableFunc(r.DNSHosts, func(a, b model.DNSHost) int { return cmp.Compare(a.Host, b.Host) })
			d.Registrar = &r
		}
	}
	return out
}
