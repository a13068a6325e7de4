package tencentcloud

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

// Sim is a simulated Tencent Cloud account: every zone of a live state
// under the rule engine the emulator enforces (dnspodrules). It replays
// plan batches item by item (internal/simulate drives it), so a plan it
// accepts is one the emulator accepts.
type Sim struct {
	zones map[string]*simZone
}

type simZone struct {
	name  string
	meta  model.LiveDNS // metadata only; records live in zone
	rules dnspodrules.Options
	zone  *dnspodrules.Zone
}

// NewSim loads the zones of live under rules (with each zone's grade
// minimum TTL and lines, as the planner uses them); alloc names created
// records.
func NewSim(live *model.Live, rules dnspodrules.Options, alloc func() string) *Sim {
	s := &Sim{zones: map[string]*simZone{}}
	for _, ld := range live.Domains {
		if ld.DNS == nil {
			continue
		}
		if _, dup := s.zones[ld.Name]; dup {
			continue
		}
		meta := *ld.DNS
		meta.Records = nil
		zr := zoneRules(rules, ld.DNS)
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

// DecodePayload reads a batch's payload.
func DecodePayload(b plan.Batch) (Payload, error) {
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

// checkIDs verifies that DomainIDs match the live domain ids.
func (sim *Sim) checkIDs(b plan.Batch, p Payload) error {
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
func (sim *Sim) owner(b plan.Batch, id string) (*simZone, error) {
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

// shape checks what each operation must carry.
func shape(b plan.Batch, p Payload) error {
	one := func(what string, n int) error {
		if n != 1 || len(b.Domains) != 1 {
			return fmt.Errorf("%s needs one %s and one domain, has %d and %d", b.Op, what, n, len(b.Domains))
		}
		return nil
	}
	switch b.Op {
	case OpCreate:
		return one("record", len(p.Records))
	case OpModify:
		return one("record", len(p.Records))
	case OpDelete:
		return one("record id", len(p.RecordIDs))
	case OpCreateBatch:
		for _, r := range p.Records {
			if !r.Enabled {
				return fmt.Errorf("CreateRecordBatch cannot create the paused record %s", r)
			}
		}
	case OpModifyBatch, OpModifyV3, OpDeleteBatch:
	default:
		return fmt.Errorf("unknown operation %q", b.Op)
	}
	return nil
}

// Apply runs one batch item by item against the rules.
func (sim *Sim) Apply(b plan.Batch) error {
	p, err := DecodePayload(b)
	if err != nil {
		return err
	}
	if err := shape(b, p); err != nil {
		return err
	}
	if err := sim.checkIDs(b, p); err != nil {
		return err
	}
	switch b.Op {
	case OpCreateBatch, OpCreate:
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
	case OpModifyBatch:
		for _, id := range p.RecordIDs {
			d, err := sim.owner(b, id)
			if err != nil {
				return err
			}
			if e := d.zone.Set(id, p.Field, p.To, p.Value, p.MX); e != nil {
				return fmt.Errorf("%s: set %s=%s on %s: %w", d.name, p.Field, p.To, id, e)
			}
		}
	case OpModifyV3, OpModify:
		for _, r := range p.Records {
			d, err := sim.owner(b, r.ID)
			if err != nil {
				return err
			}
			if e := d.zone.Replace(r.ID, r); e != nil {
				return fmt.Errorf("%s: replace %s by %s: %w", d.name, r.ID, r, e)
			}
		}
	case OpDeleteBatch, OpDelete:
		for _, id := range p.RecordIDs {
			d, err := sim.owner(b, id)
			if err != nil {
				return err
			}
			if e := d.zone.Remove(id); e != nil {
				return fmt.Errorf("%s: remove %s: %w", d.name, id, e)
			}
		}
	}
	return nil
}

// touch is one batch's effect on one existing record within a stage.
type touch struct {
	batch  int
	remove bool
	field  string // "*" for a whole-record replacement
	sig    string // the new value, to tell equal changes from different ones
	apply  func(model.Record) model.Record
}

type recRef struct{ domain, id string }

// CheckStage proves that this account's batches of one stage may run
// concurrently, in any order and interleaving:
//
//   - a record touched by several batches is never removed or replaced
//     whole by one of them, and they set different fields;
//   - every cell touched by several batches is compatible over all the
//     record versions that may appear in it during the stage: the records
//     there now, each touched record under every subset of its changes,
//     and the records created into it. A cell touched by one batch only
//     sees that batch's items in order, which Apply checks.
func (sim *Sim) CheckStage(bs []plan.Batch) error {
	touches := map[recRef][]touch{}
	cells := map[dnspod.Cell]map[int]bool{}
	creates := map[dnspod.Cell][]model.Record{}
	add := func(c dnspod.Cell, bi int) {
		if cells[c] == nil {
			cells[c] = map[int]bool{}
		}
		cells[c][bi] = true
	}
	for bi, b := range bs {
		p, err := DecodePayload(b)
		if err != nil {
			return err
		}
		record := func(id string, t touch) error {
			d, err := sim.owner(b, id)
			if err != nil {
				return fmt.Errorf("batch %s: %w", b.ID, err)
			}
			cur, _ := d.zone.Get(id)
			add(dnspod.CellOf(d.name, cur), bi)
			if !t.remove {
				add(dnspod.CellOf(d.name, t.apply(cur)), bi)
			}
			k := recRef{d.name, id}
			touches[k] = append(touches[k], t)
			return nil
		}
		switch b.Op {
		case OpModifyBatch:
			for _, id := range p.RecordIDs {
				t := touch{batch: bi, field: p.Field, sig: p.To + "\x00" + p.Value + "\x00" + strconv.Itoa(p.MX),
					apply: func(r model.Record) model.Record {
						v, _ := dnspodrules.Apply(r, p.Field, p.To, p.Value, p.MX)
						return v
					}}
				if err := record(id, t); err != nil {
					return err
				}
			}
		case OpModifyV3, OpModify:
			for _, r := range p.Records {
				t := touch{batch: bi, field: "*", sig: r.String(), apply: func(model.Record) model.Record { return r }}
				if err := record(r.ID, t); err != nil {
					return err
				}
			}
		case OpDeleteBatch, OpDelete:
			for _, id := range p.RecordIDs {
				if err := record(id, touch{batch: bi, remove: true}); err != nil {
					return err
				}
			}
		case OpCreateBatch, OpCreate:
			for _, n := range b.Domains {
				for i, r := range p.Records {
					c := dnspod.CellOf(n, r)
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
			if t.remove || t.field == "*" {
				return fmt.Errorf("record %s of %s is removed or replaced by batch %s while another batch of the stage touches it",
					k.id, k.domain, bs[t.batch].ID)
			}
			if p, ok := seen[t.field]; ok && p.sig != t.sig {
				return fmt.Errorf("batches %s and %s set %s of record %s (%s) to different values",
					bs[p.batch].ID, bs[t.batch].ID, t.field, k.id, k.domain)
			}
			seen[t.field] = t
		}
	}

	shared := slices.SortedFunc(maps.Keys(cells), func(a, b dnspod.Cell) int {
		return cmp.Or(cmp.Compare(a.Domain, b.Domain), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Line, b.Line))
	})
	index := map[string]map[model.NameLine][]model.Record{}
	touchedIn := map[string][]recRef{}
	for _, k := range refs {
		touchedIn[k.domain] = append(touchedIn[k.domain], k)
	}
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
		vs := slices.Clone(idx[nl])
		for _, k := range touchedIn[c.Domain] {
			cur, _ := d.zone.Get(k.id)
			// Removals add no version: the record is among the current ones.
			ts := slices.DeleteFunc(slices.Clone(touches[k]), func(t touch) bool { return t.remove })
			for mask := 1; mask < 1<<len(ts); mask++ {
				v := cur
				for i, t := range ts {
					if mask&(1<<i) != 0 {
						v = t.apply(v)
					}
				}
				if v.NameLine() == nl {
					v.ID = k.id
					vs = append(vs, v)
				}
			}
		}
		vs = append(vs, creates[c]...)
		if err := dnspod.Compatible(d.rules, vs); err != nil {
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
