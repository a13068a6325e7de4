package simulate

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

// checkStage proves that the batches of one stage may run concurrently:
//
//   - at the registrar, no two batches touch the same domain (Alibaba
//     refuses a second task on a domain while one is in progress);
//   - at DNSPod, a record touched by several batches is never removed by
//     one of them, and they set different fields (so the end result does
//     not depend on their order);
//   - every cell touched by several batches is Compatible over all the
//     record versions that may appear in it during the stage: the records
//     there now, each touched record under every subset of its changes,
//     and the records created into it. A cell touched by one batch only
//     sees that batch's items in order, which apply checks.
func (st *state) checkStage(s plan.Stage) error {
	reg := map[string]string{}
	for _, b := range s.Batches {
		if isDNSPod(b.Op) {
			continue
		}
		for _, n := range b.Domains {
			if prev, ok := reg[n]; ok {
				return fmt.Errorf("batches %s and %s both start a registrar task for %s", prev, b.ID, n)
			}
			reg[n] = b.ID
		}
	}

	touches := map[recRef][]touch{}
	cells := map[Cell]map[int]bool{}
	creates := map[Cell][]model.Record{}
	add := func(c Cell, bi int) {
		if cells[c] == nil {
			cells[c] = map[int]bool{}
		}
		cells[c][bi] = true
	}
	for bi, b := range s.Batches {
		switch b.Op {
		case plan.DNSPodModify, plan.DNSPodRemove:
			for _, id := range b.RecordIDs {
				d, err := st.owner(b, id)
				if err != nil {
					return fmt.Errorf("batch %s: %w", b.ID, err)
				}
				cur, _ := d.zone.Get(id)
				add(CellOf(d.name, cur), bi)
				t := touch{batch: bi, remove: b.Op == plan.DNSPodRemove}
				if !t.remove {
					t.field, t.to, t.value, t.mx = b.Field, b.To, b.Value, b.MX
					aft, e := dnspodrules.Apply(cur, b.Field, b.To, b.Value, b.MX)
					if e != nil {
						return fmt.Errorf("batch %s: %w", b.ID, e)
					}
					add(CellOf(d.name, aft), bi)
				}
				k := recRef{d.name, id}
				touches[k] = append(touches[k], t)
			}
		case plan.DNSPodCreate:
			for _, n := range b.Domains {
				for i, r := range b.Records {
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
					k.id, k.domain, s.Batches[t.batch].ID)
			}
			if p, ok := seen[t.field]; ok && (p.to != t.to || p.value != t.value || p.mx != t.mx) {
				return fmt.Errorf("batches %s and %s set %s of record %s (%s) to different values",
					s.Batches[p.batch].ID, s.Batches[t.batch].ID, t.field, k.id, k.domain)
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
		d, err := st.zoneOf(c.Domain)
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
		if err := Compatible(d.rules, versions); err != nil {
			ids := slices.Sorted(maps.Keys(cells[c]))
			var names []string
			for _, bi := range ids {
				names = append(names, s.Batches[bi].ID)
			}
			return fmt.Errorf("batches %v share %s %s (line %s) and could conflict: %w", names, c.Domain, c.Name, c.Line, err)
		}
	}
	return nil
}
