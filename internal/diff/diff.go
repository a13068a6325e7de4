package diff

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
)

// Plan computes the full plan: changes, stages of batches, cost, refusals
// and the fingerprint of the live state it was computed from. Only domains
// in desired are considered, and of them only the managed sides (non-nil
// Registrar, DNS). The result depends only on the content of its inputs,
// not on their order.
//
// The semantic difference is computed here, provider-neutrally; each
// provider's planner (Options.Planners) packs its share into batches and
// places them in phases; the stages follow the phases, so the no-downtime
// order holds across providers.
func Plan(desired *model.Desired, live *model.Live, opts Options) *plan.Plan {
	p, _ := PlanContext(context.Background(), desired, live, opts)
	return p
}

// PlanContext is Plan that gives up when ctx is done, checking between its
// steps (fingerprints, each zone's matching, each provider's packing), so
// that an interrupt is answered within one step even on very large zones.
// It returns ctx's cause and no plan then.
func PlanContext(ctx context.Context, desired *model.Desired, live *model.Live, opts Options) (*plan.Plan, error) {
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
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	p.DesiredFingerprint = plan.DesiredFingerprint(canonicalDesired(desired, dds))
	regsBy := map[string][]*providers.RegistrarDiff{}
	zonesBy := map[string][]*providers.ZoneDiff{}
	var zones []*zone
	var provNames []string
	addProv := func(n string) {
		if _, ok := regsBy[n]; ok {
			return
		}
		if _, ok := zonesBy[n]; ok {
			return
		}
		provNames = append(provNames, n)
	}
	refuse := func(domain, rule, reason string) {
		p.Refusals = append(p.Refusals, plan.Refusal{Domain: domain, Rule: rule, Reason: reason})
	}
	nreg := 0
	for _, dd := range dds {
		ld := liveBy[dd.Name]
		if dd.Registrar != nil {
			switch {
			case opts.Planners[dd.Registrar.Provider] == nil:
				refuse(dd.Name, RuleProvider, fmt.Sprintf("registrar provider %q is not configured", dd.Registrar.Provider))
			case ld == nil || ld.Registrar == nil:
				refuse(dd.Name, RuleUnknownDomain, "the registrar does not report this domain")
			default:
				addProv(dd.Registrar.Provider)
				regsBy[dd.Registrar.Provider] = append(regsBy[dd.Registrar.Provider], diffRegistrar(nreg, dd, ld.Registrar))
				nreg++
			}
		}
		if dd.DNS != nil {
			switch {
			case opts.Planners[dd.DNS.Provider] == nil:
				refuse(dd.Name, RuleProvider, fmt.Sprintf("DNS provider %q is not configured", dd.DNS.Provider))
				continue
			case ld == nil || ld.DNS == nil:
				refuse(dd.Name, RuleUnknownDomain, "the DNS provider does not report this zone")
				continue
			case ld.DNS.DomainID == "":
				refuse(dd.Name, RuleUnknownDomain, "the DNS provider reports no domain id for this zone")
			}
			if ctx.Err() != nil {
				return nil, context.Cause(ctx)
			}
			z := newZone(len(zones), dd, ld.DNS)
			zones = append(zones, z)
			addProv(dd.DNS.Provider)
			zonesBy[dd.DNS.Provider] = append(zonesBy[dd.DNS.Provider], z.diff)
		}
	}
	slices.Sort(provNames)

	po := providers.PlanOptions{HostsSynced: opts.HostsSynced, HostsSyncedDomains: opts.HostsSyncedDomains}
	var packs []*providers.Packed
	for _, n := range provNames {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		pl := opts.Planners[n]
		if regs := regsBy[n]; len(regs) > 0 {
			packs = append(packs, pl.PlanRegistrar(regs, po))
		}
		if zs := zonesBy[n]; len(zs) > 0 {
			packs = append(packs, pl.PlanRecords(zs, po))
		}
	}

	// Changes, numbered per domain: registrar first (nameservers, then
	// hosts), then records, each in the order its planner gave.
	byDomain := map[string][]*plan.Change{}
	var names []string
	add := func(c *plan.Change) {
		if _, ok := byDomain[c.Domain]; !ok {
			names = append(names, c.Domain)
		}
		byDomain[c.Domain] = append(byDomain[c.Domain], c)
	}
	for _, pk := range packs {
		p.Refusals = append(p.Refusals, pk.Refusals...)
	}
	recordChanges := map[string][]*plan.Change{}
	for pass := range 2 {
		for _, pk := range packs {
			for _, c := range pk.Changes {
				rec := isRecordKind(c.Kind)
				if rec != (pass == 1) {
					continue
				}
				add(c)
				if rec {
					recordChanges[c.Domain] = append(recordChanges[c.Domain], c)
				}
			}
		}
	}
	slices.Sort(names)
	for _, n := range names {
		for i, c := range byDomain[n] {
			c.ID = n + "#" + strconv.Itoa(i+1)
			p.Changes = append(p.Changes, *c)
		}
	}

	for _, pk := range packs {
		for _, c := range pk.Changes {
			if c.Kind == plan.NameserversSet {
				if r := delegationSafety(c, opts); r != nil {
					p.Refusals = append(p.Refusals, *r)
				}
			}
		}
	}
	for _, z := range zones {
		p.Refusals = append(p.Refusals, zoneSafety(z, recordChanges[z.diff.Domain], opts)...)
	}
	slices.SortStableFunc(p.Refusals, func(a, b plan.Refusal) int {
		return cmp.Or(cmp.Compare(a.Domain, b.Domain), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Reason, b.Reason))
	})

	tasks, lower := 0, 0
	for _, pk := range packs {
		lower += pk.LowerBound
	}
	p.Stages, tasks = stages(packs)
	if p.Changes == nil {
		p.Changes = []plan.Change{}
	}
	p.Cost = planCost(p, tasks, lower)
	p.Summary = plan.Summarize(p.Changes)
	return p, nil
}

func isRecordKind(k plan.ChangeKind) bool {
	return k == plan.RecordCreate || k == plan.RecordUpdate || k == plan.RecordDelete
}

// stages merges the providers' batches into stages: phase by phase in the
// core's order, and within a phase step by step; each stage holds the
// batches of every provider at that (phase, step), in the order the
// providers gave them. It returns the stages and the number of tasks.
func stages(packs []*providers.Packed) ([]plan.Stage, int) {
	type slot struct {
		phase providers.Phase
		step  int
	}
	at := map[slot]*plan.Stage{}
	var slots []slot
	tasks := 0
	for _, pk := range packs {
		for i := range pk.Batches {
			pb := &pk.Batches[i]
			k := slot{pb.Phase, pb.Step}
			st := at[k]
			if st == nil {
				st = &plan.Stage{Name: pb.Stage, Replan: pb.Phase.Replan()}
				at[k] = st
				slots = append(slots, k)
			}
			b := pb.Batch
			b.Changes = make([]string, 0, len(pb.Changes))
			for _, c := range pb.Changes {
				b.Changes = append(b.Changes, c.ID)
			}
			slices.SortFunc(b.Changes, cmpChangeID)
			b.Changes = slices.Compact(b.Changes)
			if b.Domains == nil {
				b.Domains = []string{}
			}
			st.Batches = append(st.Batches, b)
			if pb.Task {
				tasks++
			}
		}
	}
	slices.SortStableFunc(slots, func(a, b slot) int { return cmp.Or(cmp.Compare(a.phase, b.phase), cmp.Compare(a.step, b.step)) })
	out := make([]plan.Stage, 0, len(slots))
	for _, k := range slots {
		st := at[k]
		n := len(out) + 1
		for j := range st.Batches {
			st.Batches[j].ID = "s" + strconv.Itoa(n) + ".b" + strconv.Itoa(j+1)
		}
		out = append(out, *st)
	}
	return out, tasks
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

// canonicalDesired returns desired in canonical order — domains as dds
// gives them (sorted by name, duplicates dropped), records, nameservers and
// hosts sorted — so that the fingerprint does not depend on input order.
// spec.Load already returns this form, which is then used as it is.
func canonicalDesired(desired *model.Desired, dds []*model.Domain) *model.Desired {
	sorted := len(dds) == len(desired.Domains) &&
		slices.IsSortedFunc(desired.Domains, func(a, b model.Domain) int { return cmp.Compare(a.Name, b.Name) })
	hostOrder := func(a, b model.DNSHost) int { return cmp.Compare(a.Host, b.Host) }
	for _, d := range dds {
		if d.DNS != nil && !slices.IsSortedFunc(d.DNS.Records, model.CmpRecord) ||
			d.Registrar != nil && (!slices.IsSorted(d.Registrar.Nameservers) || !slices.IsSortedFunc(d.Registrar.DNSHosts, hostOrder)) {
			sorted = false
		}
	}
	if sorted {
		return desired
	}
	out := &model.Desired{Domains: make([]model.Domain, len(dds))}
	for i, d := range dds {
		c := *d
		if d.DNS != nil {
			dns := *d.DNS
			dns.Records = slices.Clone(dns.Records)
			slices.SortStableFunc(dns.Records, model.CmpRecord)
			c.DNS = &dns
		}
		if d.Registrar != nil {
			r := *d.Registrar
			r.Nameservers = slices.Clone(r.Nameservers)
			slices.Sort(r.Nameservers)
			r.DNSHosts = slices.Clone(r.DNSHosts)
			slices.SortStableFunc(r.DNSHosts, hostOrder)
			c.Registrar = &r
		}
		out.Domains[i] = c
	}
	return out
}

// canonicalLive returns live in canonical order (domains by name, records,
// nameservers and hosts sorted) so that the fingerprint does not depend on
// input order; live state read by the providers is already canonical and
// fingerprints the same.
func canonicalLive(live *model.Live) *model.Live {
	sorted := slices.IsSortedFunc(live.Domains, func(a, b model.LiveDomain) int { return cmp.Compare(a.Name, b.Name) })
	for _, d := range live.Domains {
		if d.DNS != nil && !slices.IsSortedFunc(d.DNS.Records, model.CmpRecord) {
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
			slices.SortStableFunc(dns.Records, model.CmpRecord)
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
