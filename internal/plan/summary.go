package plan

import (
	"cmp"
	"slices"
)

// Counts tallies a plan's semantic changes by kind, as a person counts
// them: a record whose value (or other identity field) changes is one
// update, also when the provider carries it out as a create and a delete
// of the same name, type and line. How each change is carried out is the
// plan's stages and batches.
type Counts struct {
	Creates      int `json:"creates"`       // records created
	Updates      int `json:"updates"`       // records updated (in place, or replaced by create + delete)
	Deletes      int `json:"deletes"`       // records deleted
	Nameservers  int `json:"nameservers"`   // registrar nameserver-set changes
	HostCreates  int `json:"host_creates"`  // DNS hosts (glue) created
	HostModifies int `json:"host_modifies"` // DNS hosts whose addresses change
	HostDeletes  int `json:"host_deletes"`  // DNS hosts deleted
	HostSyncs    int `json:"host_syncs"`    // DNS hosts synchronised from the registry
	Other        int `json:"other"`         // change kinds this version does not know
}

// DomainCounts are the counts of one domain.
type DomainCounts struct {
	Domain string `json:"domain"`
	Counts Counts `json:"counts"`
}

// Summary counts a plan's changes per domain (sorted by name) and in
// total. It is derived from the changes: informative for people and
// scripts, never used to decide what to apply.
type Summary struct {
	Domains []DomainCounts `json:"domains"`
	Total   Counts         `json:"total"`
}

// Plus adds d to c.
func (c *Counts) Plus(d Counts) {
	c.Creates += d.Creates
	c.Updates += d.Updates
	c.Deletes += d.Deletes
	c.Nameservers += d.Nameservers
	c.HostCreates += d.HostCreates
	c.HostModifies += d.HostModifies
	c.HostDeletes += d.HostDeletes
	c.HostSyncs += d.HostSyncs
	c.Other += d.Other
}

// Replaced returns, among cs (the changes of one domain), the creates and
// deletes that together are one change of a record: a create and a delete
// of the same name, type and line, paired in the order given. Each pair
// holds the indices into cs of the create and of the delete.
func Replaced(cs []Change) [][2]int {
	type key struct{ name, typ, line string }
	type ends struct{ creates, deletes []int }
	var keys []key
	by := map[key]*ends{}
	for i := range cs {
		c := &cs[i]
		r := c.After
		switch {
		case c.Kind == RecordDelete:
			r = c.Before
		case c.Kind != RecordCreate:
			continue
		}
		if r == nil {
			continue
		}
		k := key{r.Name, r.Type, r.Line}
		e := by[k]
		if e == nil {
			e = &ends{}
			by[k] = e
			keys = append(keys, k)
		}
		if c.Kind == RecordCreate {
			e.creates = append(e.creates, i)
		} else {
			e.deletes = append(e.deletes, i)
		}
	}
	var out [][2]int
	for _, k := range keys {
		e := by[k]
		for i := 0; i < len(e.creates) && i < len(e.deletes); i++ {
			out = append(out, [2]int{e.creates[i], e.deletes[i]})
		}
	}
	return out
}

// CountChanges counts the changes of one domain: every kind once, except
// that each create + delete pair of Replaced is one update.
func CountChanges(cs []Change) Counts {
	var c Counts
	for i := range cs {
		switch cs[i].Kind {
		case RecordCreate:
			c.Creates++
		case RecordUpdate:
			c.Updates++
		case RecordDelete:
			c.Deletes++
		case NameserversSet:
			c.Nameservers++
		case HostCreate:
			c.HostCreates++
		case HostModify:
			c.HostModifies++
		case HostDelete:
			c.HostDeletes++
		case HostSynchronize:
			c.HostSyncs++
		default:
			c.Other++
		}
	}
	if c.Creates > 0 && c.Deletes > 0 {
		pairs := len(Replaced(cs))
		c.Creates -= pairs
		c.Deletes -= pairs
		c.Updates += pairs
	}
	return c
}

// Summarize counts changes per domain (see CountChanges) and in total.
func Summarize(changes []Change) *Summary {
	byDomain := map[string][]Change{}
	for _, c := range changes {
		byDomain[c.Domain] = append(byDomain[c.Domain], c)
	}
	s := &Summary{Domains: make([]DomainCounts, 0, len(byDomain))}
	for d, cs := range byDomain {
		s.Domains = append(s.Domains, DomainCounts{Domain: d, Counts: CountChanges(cs)})
	}
	slices.SortFunc(s.Domains, func(a, b DomainCounts) int { return cmp.Compare(a.Domain, b.Domain) })
	for _, d := range s.Domains {
		s.Total.Plus(d.Counts)
	}
	return s
}
