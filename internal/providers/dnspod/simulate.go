package dnspod

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

// Cell is where DNSPod's coexistence rules act: one (domain, name, line).
// Records in different cells never constrain each other.
type Cell struct {
	Domain, Name, Line string
}

// CellOf returns r's cell in domain.
func CellOf(domain string, r model.Record) Cell { return Cell{domain, r.Name, r.Line} }

// compatible reports whether every record version in versions could stand
// in one cell at the same time as any choice of the others: no duplicates,
// no conflicts, round-robin limits kept. Versions sharing an ID are
// alternatives (one record before and after a change) and are never
// compared with each other. Because the rules are pairwise (and the
// round-robin count only grows with more records), a compatible set stays
// compatible in every subset, so changes whose versions are compatible may
// be applied in any order and interleaving. TTLs are clamped into the
// grade's range first: only coexistence is judged here.
func compatible(rules dnspodrules.Options, versions []model.Record) error {
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

// Sim is a simulated DNSPod account: every zone of a live state under the
// same rule engine the emulator enforces. It replays plan batches item by
// item (internal/simulate drives it), so a plan it accepts is one the
// emulator accepts.
type Sim struct {
	rules dnspodrules.Options
	zones map[string]*simZone
}

type simZone struct {
	name  string
	meta  model.LiveDNS // metadata only; records live in zone
	rules dnspodrules.Options
	zone  *dnspodrules.Zone
}

// NewSim loads the zones of live under rules; alloc names created records.
func NewSim(live *model.Live, rules dnspodrules.Options, alloc func() string) *Sim {
	s := &Sim{rules: rules, zones: map[string]*simZone{}}
	for _, ld := range live.Domains {
		if ld.DNS == nil {
			continue
		}
		if _, dup := s.zones[ld.Name]; dup {
			continue
		}
		meta := *ld.DNS
		meta.Records = nil
		zr := ZoneRules(rules, ld.DNS)
		s.zones[ld.Name] = &simZone{name: ld.Name, meta: meta, rules: zr, zone: dnspodrules.NewZone(zr, alloc, ld.DNS.Records...)}
	}
	return s
}

// Export writes the simulated zones into live's domains.
func (sim *Sim) Export(live *model.Live) {
	for i := range live.Domains {
		d := &live.Domains[i]
		if z := sim.zones[d.Name]; z != nil {
			meta := z.meta
			meta.Records = z.zone.Records()
			d.DNS = &meta
		}
	}
}

func decode(b plan.Batch) (Payload, error) {
	var p Payload
	err := providers.DecodePayload(b, &p)
	return p, err
}

func (sim *Sim) zoneOf(name string) (*simZone, error) {
	d := sim.zones[name]
	if d == nil {
		return nil, fmt.Errorf("domain %s has no live zone", name)
	}
	return d, nil
}

// checkIDs verifies that DomainIDs (when given) match the live domain ids.
func (sim *Sim) checkIDs(b plan.Batch, p Payload) error {
	if len(p.DomainIDs) == 0 {
		return nil
	}
	if len(p.DomainIDs) != len(b.Domains) {
		return fmt.Errorf("%d domain ids for %d domains", len(p.DomainIDs), len(b.Domains))
	}
	for i, n := range b.Domains {
		d, err := sim.zoneOf(n)
		if err != nil {
			return err
		}
		if d.meta.DomainID != p.DomainIDs[i] {
			return fmt.Errorf("domain %s has id %q, batch says %q", n, d.meta.DomainID, p.DomainIDs[i])
		}
	}
	return nil
}

// owner finds the domain among b.Domains that holds record id.
func (sim *Sim) owner(b plan.Batch, _ Payload, id string) (*simZone, error) {
	var found *simZone
	for _, n := range b.Domains {
		d, err := sim.zoneOf(n)
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

// Apply runs one batch item by item against the rules.
func (sim *Sim) Apply(b plan.Batch) error {
	p, err := decode(b)
	if err != nil {
		return err
	}
	if err := sim.checkIDs(b, p); err != nil {
		return err
	}
	switch b.Op {
	case OpCreate:
		for _, n := range b.Domains {
			d, err := sim.zoneOf(n)
			if err != nil {
				return err
			}
			for _, r := range p.Records {
				r.ID = ""
				if _, e := d.zone.Create(r); e != nil {
					return fmt.Errorf("%s: create %s: %w", n, r, e)
				}
			}
		}
	case OpModify:
		for _, id := range p.RecordIDs {
			d, err := sim.owner(b, p, id)
			if err != nil {
				return err
			}
			if e := d.zone.Set(id, p.Field, p.To, p.Value, p.MX); e != nil {
				return fmt.Errorf("%s: set %s=%s on %s: %w", d.name, p.Field, p.To, id, e)
			}
		}
	case OpRemove:
		if len(p.RecordIDs) != 1 || len(b.Domains) != 1 {
			return fmt.Errorf("Record.Remove needs one record and one domain")
		}
		d, err := sim.owner(b, p, p.RecordIDs[0])
		if err != nil {
			return err
		}
		if e := d.zone.Remove(p.RecordIDs[0]); e != nil {
			return fmt.Errorf("%s: remove %s: %w", d.name, p.RecordIDs[0], e)
		}
	default:
		return fmt.Errorf("unknown operation %q", b.Op)
	}
	return nil
}

// touch is one batch's effect on one existing record within a stage.
type touch struct {
	batch  int
	remove bool
	field  string
	to     string
	value  string
	mx     int
}

type recRef struct{ domain, id string }

// CheckStage proves that this account's batches of one stage may run
// concurrently:
//
//   - a record touched by several batches is never removed by one of them,
//     and they set different fields (so the end result does not depend on
//     their order);
//   - every cell touched by several batches is compatible over all the
//     record versions that may appear in it during the stage: the records
//     there now, each touched record under every subset of its changes,
//     and the records created into it. A cell touched by one batch only
//     sees that batch's items in order, which Apply checks.
func (sim *Sim) CheckStage(bs []plan.Batch) error {
	touches := map[recRef][]touch{}
	cells := map[Cell]map[int]bool{}
	creates := map[Cell][]model.Record{}
	add := func(c Cell, bi int) {
		if cells[c] == nil {
			cells[c] = map[int]bool{}
		}
		cells[c][bi] = true
	}
	for bi, b := range bs {
		p, err := decode(b)
		if err != nil {
			return err
		}
		switch b.Op {
		case OpModify, OpRemove:
			for _, id := range p.RecordIDs {
				d, err := sim.owner(b, p, id)
				if err != nil {
					return fmt.Errorf("batch %s: %w", b.ID, err)
				}
				cur, _ := d.zone.Get(id)
				add(CellOf(d.name, cur), bi)
				t := touch{batch: bi, remove: b.Op == OpRemove}
				if !t.remove {
					t.field, t.to, t.value, t.mx = p.Field, p.To, p.Value, p.MX
					aft, e := dnspodrules.Apply(cur, p.Field, p.To, p.Value, p.MX)
					if e != nil {
						return fmt.Errorf("batch %s: %w", b.ID, e)
					}
					add(CellOf(d.name, aft), bi)
				}
				k := recRef{d.name, id}
				touches[k] = append(touches[k], t)
			}
		case OpCreate:
			for _, n := range b.Domains {
				for i, r := range p.Records {
					c := CellOf(n, r)
					add(c, bi)
					r.ID = "new-" + strconv.Itoa(bi) + "-" + n + "-" + strconv.Itoa(i)
					creates[c] = append(creates[c], r)
				}
			}
		}
	}

	refs := slices.SortedFunc(maps.Keys(touches), func(a, b recRef) int {
		return cmp.Or(cmp.Compare(a.domain, b.domain), cmp.Compare(a.id, b.id))
	})
	for _, k := range refs {
		ts := touches[k]
		if len(ts) < 2 {
			continue
		}
		if len(ts) > 6 {
			return fmt.Errorf("record %s of %s is touched by %d batches of one stage", k.id, k.domain, len(ts))
		}
		seen := map[string]touch{}
		for _, t := range ts {
			if t.remove {
				return fmt.Errorf("record %s of %s is removed by batch %s while another batch of the stage touches it",
					k.id, k.domain, bs[t.batch].ID)
			}
			if p, ok := seen[t.field]; ok && (p.to != t.to || p.value != t.value || p.mx != t.mx) {
				return fmt.Errorf("batches %s and %s set %s of record %s (%s) to different values",
					bs[p.batch].ID, bs[t.batch].ID, t.field, k.id, k.domain)
			}
			seen[t.field] = t
		}
	}

	shared := slices.SortedFunc(maps.Keys(cells), func(a, b Cell) int {
		return cmp.Or(cmp.Compare(a.Domain, b.Domain), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Line, b.Line))
	})
	index := map[string]map[model.NameLine][]model.Record{}
	for _, c := range shared {
		if len(cells[c]) < 2 {
			continue
		}
		d, err := sim.zoneOf(c.Domain)
		if err != nil {
			return err
		}
		idx := index[c.Domain]
		if idx == nil {
			idx = map[model.NameLine][]model.Record{}
			for _, r := range d.zone.Records() {
				idx[r.NameLine()] = append(idx[r.NameLine()], r)
			}
			index[c.Domain] = idx
		}
		nl := model.NameLine{Name: c.Name, Line: c.Line}
		versions := slices.Clone(idx[nl])
		for _, k := range refs {
			if k.domain != c.Domain {
				continue
			}
			cur, _ := d.zone.Get(k.id)
			// Removals add no version: the record is among the current ones.
			ts := slices.DeleteFunc(slices.Clone(touches[k]), func(t touch) bool { return t.remove })
			for mask := 1; mask < 1<<len(ts); mask++ {
				v := cur
				for i, t := range ts {
					if mask&(1<<i) != 0 {
						v, _ = dnspodrules.Apply(v, t.field, t.to, t.value, t.mx)
					}
				}
				if v.NameLine() == nl {
					versions = append(versions, v)
				}
			}
		}
		versions = append(versions, creates[c]...)
		if err := compatible(d.rules, versions); err != nil {
			ids := slices.Sorted(maps.Keys(cells[c]))
			var names []string
			for _, bi := range ids {
				names = append(names, bs[bi].ID)
			}
			return fmt.Errorf("batches %v share %s %s (line %s) and could conflict: %w", names, c.Domain, c.Name, c.Line, err)
		}
	}
	return nil
}
