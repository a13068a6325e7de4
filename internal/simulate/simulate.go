// Package simulate replays a plan against a copy of live state, stage by
// stage, under the same DNSPod rule engine the emulator enforces
// (internal/providers/dnspod/dnspodrules) and a small model of the Alibaba
// registrar. It is the judge of a plan's validity: every batch item is
// checked against the zone as it stands when the item runs, and batches of
// one stage (which the apply engine runs concurrently) must be safe in any
// order. internal/diff uses Compatible to decide where it may let batches
// share a zone cell; its tests use Apply to prove plans valid.
package simulate

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

// ErrInvalid is wrapped by every error Apply returns for a plan that would
// break a rule (as opposed to a malformed plan, which is also invalid).
var ErrInvalid = errors.New("plan is invalid")

// Cell is where DNSPod's coexistence rules act: one (domain, name, line).
// Records in different cells never constrain each other.
type Cell struct {
	Domain, Name, Line string
}

// CellOf returns r's cell in domain.
func CellOf(domain string, r model.Record) Cell { return Cell{domain, r.Name, r.Line} }

// ZoneRules returns the rule options for a zone: rules, with the zone's
// grade minimum TTL when the provider reported one.
func ZoneRules(rules dnspodrules.Options, live *model.LiveDNS) dnspodrules.Options {
	if live != nil && live.MinTTL > 0 {
		rules.MinTTL = live.MinTTL
	}
	return rules
}

// Compatible reports whether every record version in versions could stand
// in one cell at the same time as any choice of the others: no duplicates,
// no conflicts, round-robin limits kept. Versions sharing an ID are
// alternatives (one record before and after a change) and are never
// compared with each other. Because the rules are pairwise (and the
// round-robin count only grows with more records), a compatible set stays
// compatible in every subset, so changes whose versions are compatible may
// be applied in any order and interleaving. TTLs are clamped into the
// grade's range first: only coexistence is judged here.
func Compatible(rules dnspodrules.Options, versions []model.Record) error {
	if len(versions) < 2 {
		return nil
	}
	minTTL, maxTTL := rules.MinTTL, rules.MaxTTL
	if minTTL == 0 {
		minTTL = 600
	}
	if maxTTL == 0 {
		maxTTL = 604800
	}
	recs := make([]model.Record, 0, len(versions))
	groups := map[string][]int{}
	var order []string
	seen := map[model.Record]bool{}
	for _, v := range versions {
		v.TTL = min(max(v.TTL, minTTL), maxTTL)
		if seen[v] {
			continue // the same version twice is still one record
		}
		seen[v] = true
		orig := v.ID
		i := len(recs)
		v.ID = "v" + strconv.Itoa(i)
		recs = append(recs, v)
		if _, ok := groups[orig]; !ok {
			order = append(order, orig)
		}
		groups[orig] = append(groups[orig], i)
	}
	n := 0
	alloc := func() string { n++; return "x" + strconv.Itoa(n) }
	z := dnspodrules.NewZone(rules, alloc, recs...)
	for _, orig := range order {
		g := groups[orig]
		if len(g) == 1 {
			r := recs[g[0]]
			if r.System {
				continue
			}
			if e := z.Check(r, r.ID, dnspodrules.CodeConflict); e != nil {
				return fmt.Errorf("%s: %w", r, e)
			}
			continue
		}
		c := z.Clone()
		for _, i := range g {
			if e := c.Remove(recs[i].ID); e != nil {
				return fmt.Errorf("internal: %w", e)
			}
		}
		for _, i := range g {
			r := recs[i]
			if r.System {
				continue
			}
			if e := c.Check(r, "", dnspodrules.CodeConflict); e != nil {
				return fmt.Errorf("%s: %w", r, e)
			}
		}
	}
	return nil
}

// state is the simulated world: per domain the registrar side and a
// rule-checked zone.
type state struct {
	rules   dnspodrules.Options
	alloc   func() string
	names   []string
	domains map[string]*domain
}

type domain struct {
	name  string
	reg   *model.LiveRegistrar
	dns   *model.LiveDNS // metadata only; records live in zone
	rules dnspodrules.Options
	zone  *dnspodrules.Zone
}

func newState(live *model.Live, rules dnspodrules.Options) *state {
	n := 0
	st := &state{rules: rules, alloc: func() string { n++; return "sim-" + strconv.Itoa(n) }, domains: map[string]*domain{}}
	for _, ld := range live.Domains {
		d := &domain{name: ld.Name}
		if ld.Registrar != nil {
			d.reg = cloneRegistrar(ld.Registrar)
		}
		if ld.DNS != nil {
			meta := *ld.DNS
			meta.Records = nil
			d.dns = &meta
			d.rules = ZoneRules(rules, ld.DNS)
			d.zone = dnspodrules.NewZone(d.rules, st.alloc, ld.DNS.Records...)
		}
		if _, dup := st.domains[ld.Name]; !dup {
			st.names = append(st.names, ld.Name)
		}
		st.domains[ld.Name] = d
	}
	slices.Sort(st.names)
	return st
}

func cloneRegistrar(r *model.LiveRegistrar) *model.LiveRegistrar {
	c := *r
	c.Nameservers = slices.Clone(r.Nameservers)
	c.DNSHosts = make([]model.DNSHost, len(r.DNSHosts))
	for i, h := range r.DNSHosts {
		h.IPs = slices.Clone(h.IPs)
		c.DNSHosts[i] = h
	}
	return &c
}

func (st *state) clone() *state {
	c := &state{rules: st.rules, alloc: st.alloc, names: st.names, domains: make(map[string]*domain, len(st.domains))}
	for n, d := range st.domains {
		cd := *d
		if d.reg != nil {
			cd.reg = cloneRegistrar(d.reg)
		}
		if d.zone != nil {
			cd.zone = d.zone.Clone()
		}
		c.domains[n] = &cd
	}
	return c
}

// live renders the state as model.Live (canonical order).
func (st *state) live() *model.Live {
	out := &model.Live{}
	for _, n := range st.names {
		d := st.domains[n]
		ld := model.LiveDomain{Name: n}
		if d.reg != nil {
			ld.Registrar = cloneRegistrar(d.reg)
		}
		if d.dns != nil {
			meta := *d.dns
			meta.Records = d.zone.Records()
			ld.DNS = &meta
		}
		out.Domains = append(out.Domains, ld)
	}
	return out
}

// Apply replays p against a copy of live and returns the resulting state.
// Records created by the plan get fresh ids ("sim-<n>"). Stages run in
// order; before a stage runs, its batches are checked for concurrency
// safety (see checkStage), then applied in the given order and, on a
// separate copy, in reverse order: both must succeed item by item and end
// in the same state. A stage marked Replan (DNS host synchronisation) is
// replayed like any other: synchronising is modelled as a no-op, so the
// plan is proved valid for the case where the registry had nothing to
// repair. Errors wrap ErrInvalid and name the stage and batch.
func Apply(live *model.Live, p *plan.Plan, rules dnspodrules.Options) (*model.Live, error) {
	st := newState(live, rules)
	for _, s := range p.Stages {
		if err := st.checkStage(s); err != nil {
			return nil, fmt.Errorf("stage %s: %w: %w", s.Name, ErrInvalid, err)
		}
		fwd, rev := st.clone(), st.clone()
		for _, b := range s.Batches {
			if err := fwd.apply(b); err != nil {
				return nil, fmt.Errorf("stage %s batch %s (%s): %w: %w", s.Name, b.ID, b.Op, ErrInvalid, err)
			}
		}
		for i := len(s.Batches) - 1; i >= 0; i-- {
			b := s.Batches[i]
			if err := rev.apply(b); err != nil {
				return nil, fmt.Errorf("stage %s batch %s (%s) in reverse order: %w: %w", s.Name, b.ID, b.Op, ErrInvalid, err)
			}
		}
		if err := sameState(st, fwd, rev); err != nil {
			return nil, fmt.Errorf("stage %s: %w: result depends on batch order: %w", s.Name, ErrInvalid, err)
		}
		st = fwd
	}
	return st.live(), nil
}

func isDNSPod(op plan.Op) bool { return strings.HasPrefix(string(op), "dnspod:") }

func (st *state) zoneOf(name string) (*domain, error) {
	d := st.domains[name]
	if d == nil || d.zone == nil {
		return nil, fmt.Errorf("domain %s has no live zone", name)
	}
	return d, nil
}

func (st *state) regOf(name string) (*domain, error) {
	d := st.domains[name]
	if d == nil || d.reg == nil {
		return nil, fmt.Errorf("domain %s has no live registrar state", name)
	}
	return d, nil
}

// checkIDs verifies that DomainIDs (when given) match the live domain ids.
func (st *state) checkIDs(b plan.Batch) error {
	if len(b.DomainIDs) == 0 {
		return nil
	}
	if len(b.DomainIDs) != len(b.Domains) {
		return fmt.Errorf("%d domain ids for %d domains", len(b.DomainIDs), len(b.Domains))
	}
	for i, n := range b.Domains {
		d, err := st.zoneOf(n)
		if err != nil {
			return err
		}
		if d.dns.DomainID != b.DomainIDs[i] {
			return fmt.Errorf("domain %s has id %q, batch says %q", n, d.dns.DomainID, b.DomainIDs[i])
		}
	}
	return nil
}

// owner finds the domain among b.Domains that holds record id.
func (st *state) owner(b plan.Batch, id string) (*domain, error) {
	var found *domain
	for _, n := range b.Domains {
		d, err := st.zoneOf(n)
		if err != nil {
			return nil, err
		}
		if _, ok := d.zone.Get(id); ok {
			if found != nil {
				return nil, fmt.Errorf("record id %s exists in %s and %s", id, found.name, n)
			}
			found = d
		}
	}
	if found == nil {
		return nil, fmt.Errorf("record id %s is in none of %v", id, b.Domains)
	}
	return found, nil
}

func (st *state) apply(b plan.Batch) error {
	if isDNSPod(b.Op) {
		if err := st.checkIDs(b); err != nil {
			return err
		}
	}
	switch b.Op {
	case plan.DNSPodCreate:
		for _, n := range b.Domains {
			d, err := st.zoneOf(n)
			if err != nil {
				return err
			}
			for _, r := range b.Records {
				r.ID = ""
				if _, e := d.zone.Create(r); e != nil {
					return fmt.Errorf("%s: create %s: %w", n, r, e)
				}
			}
		}
	case plan.DNSPodModify:
		for _, id := range b.RecordIDs {
			d, err := st.owner(b, id)
			if err != nil {
				return err
			}
			if e := d.zone.Set(id, b.Field, b.To, b.Value, b.MX); e != nil {
				return fmt.Errorf("%s: set %s=%s on %s: %w", d.name, b.Field, b.To, id, e)
			}
		}
	case plan.DNSPodRemove:
		if len(b.RecordIDs) != 1 || len(b.Domains) != 1 {
			return fmt.Errorf("Record.Remove needs one record and one domain")
		}
		d, err := st.owner(b, b.RecordIDs[0])
		if err != nil {
			return err
		}
		if e := d.zone.Remove(b.RecordIDs[0]); e != nil {
			return fmt.Errorf("%s: remove %s: %w", d.name, b.RecordIDs[0], e)
		}
	case plan.AliyunModifyDomainDNS:
		for _, n := range b.Domains {
			d, err := st.regOf(n)
			if err != nil {
				return err
			}
			var ns []string
			for _, s := range b.Nameservers {
				ns = append(ns, model.Host(s))
			}
			slices.Sort(ns)
			ns = slices.Compact(ns)
			if !b.AliyunDNS {
				if len(ns) == 0 {
					return fmt.Errorf("%s: no nameservers", n)
				}
				for _, s := range ns {
					if err := st.glueExists(s); err != nil {
						return fmt.Errorf("%s: %w", n, err)
					}
				}
			}
			d.reg.Nameservers = ns
			d.reg.AliyunDNS = b.AliyunDNS
		}
	case plan.AliyunSyncDNSHost:
		if len(b.Domains) != 1 {
			return fmt.Errorf("host sync needs one domain")
		}
		if _, err := st.regOf(b.Domains[0]); err != nil {
			return err
		}
	case plan.AliyunCreateDNSHost, plan.AliyunModifyDNSHost, plan.AliyunDeleteDNSHost:
		if len(b.Domains) != 1 {
			return fmt.Errorf("DNS host operation needs one domain")
		}
		d, err := st.regOf(b.Domains[0])
		if err != nil {
			return err
		}
		return st.hostOp(d, b)
	default:
		return fmt.Errorf("unknown operation %q", b.Op)
	}
	return nil
}

// glueExists checks that a nameserver inside a domain known to the
// registrar has its DNS host there: glue must exist before delegation
// points at it.
func (st *state) glueExists(ns string) error {
	for _, n := range st.names {
		d := st.domains[n]
		if d.reg == nil || !strings.HasSuffix(ns, "."+n) {
			continue
		}
		if !slices.ContainsFunc(d.reg.DNSHosts, func(h model.DNSHost) bool { return hostFQDN(n, h.Host) == ns }) {
			return fmt.Errorf("nameserver %s has no DNS host at %s", ns, n)
		}
	}
	return nil
}

func (st *state) hostOp(d *domain, b plan.Batch) error {
	host := hostFQDN(d.name, b.Host)
	i := slices.IndexFunc(d.reg.DNSHosts, func(h model.DNSHost) bool { return hostFQDN(d.name, h.Host) == host })
	ips := slices.Clone(b.IPs)
	slices.Sort(ips)
	switch b.Op {
	case plan.AliyunCreateDNSHost, plan.AliyunModifyDNSHost:
		if len(ips) == 0 || len(ips) > 13 {
			return fmt.Errorf("%s: host %s needs 1-13 addresses, has %d", d.name, host, len(ips))
		}
		if b.Op == plan.AliyunCreateDNSHost {
			if i >= 0 {
				return fmt.Errorf("%s: host %s already exists", d.name, host)
			}
			d.reg.DNSHosts = append(d.reg.DNSHosts, model.DNSHost{Host: host, IPs: ips})
			slices.SortFunc(d.reg.DNSHosts, func(a, b model.DNSHost) int { return strings.Compare(a.Host, b.Host) })
			return nil
		}
		if i < 0 {
			return fmt.Errorf("%s: host %s does not exist", d.name, host)
		}
		d.reg.DNSHosts[i].IPs = ips
	case plan.AliyunDeleteDNSHost:
		if i < 0 {
			return fmt.Errorf("%s: host %s does not exist", d.name, host)
		}
		for _, n := range st.names {
			o := st.domains[n]
			if o.reg != nil && !o.reg.AliyunDNS && slices.Contains(o.reg.Nameservers, host) {
				return fmt.Errorf("%s: host %s is still a nameserver of %s", d.name, host, n)
			}
		}
		d.reg.DNSHosts = slices.Delete(d.reg.DNSHosts, i, i+1)
	}
	return nil
}

// hostFQDN is a DNS host's full name: the registrar may report the bare
// label ("ns1") of a host under the domain.
func hostFQDN(domain, h string) string {
	h = model.Host(h)
	if !strings.Contains(h, ".") {
		return h + "." + domain
	}
	return h
}

// sameState compares the forward and reverse results of a stage. Records
// created during the stage get different ids in the two runs, so ids that
// did not exist before the stage are ignored.
func sameState(before, a, b *state) error {
	for _, n := range before.names {
		da, db := a.domains[n], b.domains[n]
		if (da.reg == nil) != (db.reg == nil) || da.reg != nil && !regEqual(da.reg, db.reg) {
			return fmt.Errorf("%s: registrar state differs", n)
		}
		if da.zone == nil {
			continue
		}
		old := before.domains[n].zone
		norm := func(z *dnspodrules.Zone) []model.Record {
			rs := z.Records()
			for i := range rs {
				if _, ok := old.Get(rs[i].ID); !ok {
					rs[i].ID = ""
				}
			}
			model.SortRecords(rs)
			return rs
		}
		ra, rb := norm(da.zone), norm(db.zone)
		if !slices.Equal(ra, rb) {
			return fmt.Errorf("%s: records differ", n)
		}
	}
	return nil
}

func regEqual(a, b *model.LiveRegistrar) bool {
	if a.AliyunDNS != b.AliyunDNS || !slices.Equal(a.Nameservers, b.Nameservers) || len(a.DNSHosts) != len(b.DNSHosts) {
		return false
	}
	for i := range a.DNSHosts {
		if a.DNSHosts[i].Host != b.DNSHosts[i].Host || !slices.Equal(a.DNSHosts[i].IPs, b.DNSHosts[i].IPs) {
			return false
		}
	}
	return true
}
