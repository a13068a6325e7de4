package dnspodpack

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

// Sim is a simulated account of either API: batches read into effects by
// the provider's reader and replayed on an Account. It is what
// internal/simulate drives (simulate.Model).
type Sim struct {
	acct *Account
	read func(plan.Batch) (Effect, error)
}

// NewSim returns the simulator replaying on acct the batches read reads.
func NewSim(acct *Account, read func(plan.Batch) (Effect, error)) *Sim {
	return &Sim{acct: acct, read: read}
}

// Apply runs one batch item by item against the rules.
func (s *Sim) Apply(b plan.Batch) error {
	e, err := s.read(b)
	if err != nil {
		return err
	}
	return s.acct.Run(b.Domains, e)
}

// CheckStage proves that batches of one stage may run concurrently
// (Account.CheckStage).
func (s *Sim) CheckStage(bs []plan.Batch) error { return s.acct.CheckStage(bs, s.read) }

// Export writes the simulated zones into live's domains.
func (s *Sim) Export(live *model.Live) { s.acct.Export(live) }

// Account is the replay model both DNSPod simulators share: every zone of
// a live state under the rule engine the emulators enforce (dnspodrules),
// changed item by item as the service changes them. A provider's
// simulator reads its payloads into Effects and checks their shapes; the
// account runs them.
type Account struct {
	zones map[string]*SimZone
}

// SimZone is one simulated zone.
type SimZone struct {
	Name  string
	Meta  model.LiveDNS // metadata only; records live in Zone
	Rules dnspodrules.Options
	Zone  *dnspodrules.Zone
}

// NewAccount loads the zones of live, each under the rules rulesOf gives
// for its live state; alloc names created records.
func NewAccount(live *model.Live, rulesOf func(*model.LiveDNS) dnspodrules.Options, alloc func() string) *Account {
	a := &Account{zones: map[string]*SimZone{}}
	for _, ld := range live.Domains {
		if ld.DNS == nil {
			continue
		}
		if _, dup := a.zones[ld.Name]; dup {
			continue
		}
		meta := *ld.DNS
		meta.Records = nil
		zr := rulesOf(ld.DNS)
		a.zones[ld.Name] = &SimZone{Name: ld.Name, Meta: meta, Rules: zr, Zone: dnspodrules.NewZone(zr, alloc, ld.DNS.Records...)}
	}
	return a
}

// Export writes the simulated zones into live's domains.
func (a *Account) Export(live *model.Live) {
	for i := range live.Domains {
		d := &live.Domains[i]
		if z := a.zones[d.Name]; z != nil {
			meta := z.Meta
			meta.Records = z.Zone.Records()
			d.DNS = &meta
		}
	}
}

// Zone returns the simulated zone of domain name.
func (a *Account) Zone(name string) (*SimZone, error) {
	d := a.zones[name]
	if d == nil {
		return nil, fmt.Errorf("domain %s has no live zone", name)
	}
	return d, nil
}

// CheckIDs verifies that ids are the live ids of domains, in order.
func (a *Account) CheckIDs(domains, ids []string) error {
	if len(ids) != len(domains) {
		return fmt.Errorf("%d domain ids for %d domains", len(ids), len(domains))
	}
	for i, n := range domains {
		d, err := a.Zone(n)
		if err != nil {
			return err
		}
		if d.Meta.DomainID != ids[i] {
			return fmt.Errorf("domain %s has id %q, batch says %q", n, d.Meta.DomainID, ids[i])
		}
	}
	return nil
}

// Owner finds the domain among domains that holds record id.
func (a *Account) Owner(domains []string, id string) (*SimZone, error) {
	var found *SimZone
	for _, n := range domains {
		d, err := a.Zone(n)
		if err != nil {
			return nil, err
		}
		if _, ok := d.Zone.Get(id); ok {
			if found != nil {
				return nil, fmt.Errorf("record id %s exists in %s and %s", id, found.Name, n)
			}
			found = d
		}
	}
	if found == nil {
		return nil, fmt.Errorf("record id %s is in none of %v", id, domains)
	}
	return found, nil
}

// Effect is what one batch does to the records of its domains: creates
// Creates in each domain, sets Set on the records SetIDs, replaces the
// records Replaces name by ID with them, or removes Removes.
type Effect struct {
	Creates  []model.Record
	Set      Item
	SetIDs   []string
	Replaces []model.Record
	Removes  []string
}

// Run applies e to domains item by item against the rules.
func (a *Account) Run(domains []string, e Effect) error {
	for _, n := range domains {
		if len(e.Creates) == 0 {
			break
		}
		d, err := a.Zone(n)
		if err != nil {
			return err
		}
		for _, r := range e.Creates {
			r.ID = ""
			if _, re := d.Zone.Create(r); re != nil {
				return fmt.Errorf("%s: create %s: %w", n, r, re)
			}
		}
	}
	for _, id := range e.SetIDs {
		d, err := a.Owner(domains, id)
		if err != nil {
			return err
		}
		s := e.Set
		if re := d.Zone.Set(id, s.Field, s.To, s.Value, s.MX); re != nil {
			return fmt.Errorf("%s: set %s=%s on %s: %w", d.Name, s.Field, s.To, id, re)
		}
	}
	for _, r := range e.Replaces {
		d, err := a.Owner(domains, r.ID)
		if err != nil {
			return err
		}
		if re := d.Zone.Replace(r.ID, r); re != nil {
			return fmt.Errorf("%s: replace %s by %s: %w", d.Name, r.ID, r, re)
		}
	}
	for _, id := range e.Removes {
		d, err := a.Owner(domains, id)
		if err != nil {
			return err
		}
		if re := d.Zone.Remove(id); re != nil {
			return fmt.Errorf("%s: remove %s: %w", d.Name, id, re)
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
	apply  func(model.Record) (model.Record, *dnspodrules.Error)
}

type recRef struct{ domain, id string }

// CheckStage proves that batches bs of one stage may run concurrently, in
// any order and interleaving; effect reads a batch:
//
//   - a record touched by several batches is never removed or replaced
//     whole by one of them, and they set different fields (so the end
//     result does not depend on their order);
//   - every cell touched by several batches is compatible over all the
//     record versions that may appear in it during the stage: the records
//     there now, each touched record under every subset of its changes,
//     and the records created into it. A cell touched by one batch only
//     sees that batch's items in order, which Run checks.
func (a *Account) CheckStage(bs []plan.Batch, effect func(plan.Batch) (Effect, error)) error {
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
		e, err := effect(b)
		if err != nil {
			return err
		}
		record := func(id string, t touch) error {
			d, err := a.Owner(b.Domains, id)
			if err != nil {
				return fmt.Errorf("batch %s: %w", b.ID, err)
			}
			cur, _ := d.Zone.Get(id)
			add(CellOf(d.Name, cur), bi)
			if !t.remove {
				aft, re := t.apply(cur)
				if re != nil {
					return fmt.Errorf("batch %s: %w", b.ID, re)
				}
				add(CellOf(d.Name, aft), bi)
			}
			k := recRef{d.Name, id}
			touches[k] = append(touches[k], t)
			return nil
		}
		s := e.Set
		for _, id := range e.SetIDs {
			t := touch{batch: bi, field: s.Field, sig: s.To + "\x00" + s.Value + "\x00" + strconv.Itoa(s.MX), apply: s.Apply}
			if err := record(id, t); err != nil {
				return err
			}
		}
		for _, r := range e.Replaces {
			t := touch{batch: bi, field: "*", sig: r.String(), apply: func(model.Record) (model.Record, *dnspodrules.Error) { return r, nil }}
			if err := record(r.ID, t); err != nil {
				return err
			}
		}
		for _, id := range e.Removes {
			if err := record(id, touch{batch: bi, remove: true}); err != nil {
				return err
			}
		}
		for _, n := range b.Domains {
			for i, r := range e.Creates {
				c := CellOf(n, r)
				add(c, bi)
				r.ID = "new-" + strconv.Itoa(bi) + "-" + n + "-" + strconv.Itoa(i)
				creates[c] = append(creates[c], r)
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
			switch {
			case t.remove:
				return fmt.Errorf("record %s of %s is removed by batch %s while another batch of the stage touches it",
					k.id, k.domain, bs[t.batch].ID)
			case t.field == "*":
				return fmt.Errorf("record %s of %s is replaced by batch %s while another batch of the stage touches it",
					k.id, k.domain, bs[t.batch].ID)
			}
			if p, ok := seen[t.field]; ok && p.sig != t.sig {
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
	touchedIn := map[string][]recRef{}
	for _, k := range refs {
		touchedIn[k.domain] = append(touchedIn[k.domain], k)
	}
	for _, c := range shared {
		if len(cells[c]) < 2 {
			continue
		}
		d, err := a.Zone(c.Domain)
		if err != nil {
			return err
		}
		idx := index[c.Domain]
		if idx == nil {
			idx = map[model.NameLine][]model.Record{}
			for _, r := range d.Zone.Records() {
				idx[r.NameLine()] = append(idx[r.NameLine()], r)
			}
			index[c.Domain] = idx
		}
		nl := model.NameLine{Name: c.Name, Line: c.Line}
		vs := slices.Clone(idx[nl])
		for _, k := range touchedIn[c.Domain] {
			cur, _ := d.Zone.Get(k.id)
			// Removals add no version: the record is among the current ones.
			ts := slices.DeleteFunc(slices.Clone(touches[k]), func(t touch) bool { return t.remove })
			for mask := 1; mask < 1<<len(ts); mask++ {
				v := cur
				for i, t := range ts {
					if mask&(1<<i) != 0 {
						v, _ = t.apply(v)
					}
				}
				if v.NameLine() == nl {
					v.ID = k.id
					vs = append(vs, v)
				}
			}
		}
		vs = append(vs, creates[c]...)
		if err := Compatible(d.Rules, vs); err != nil {
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
