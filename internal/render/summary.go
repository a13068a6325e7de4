package render

import (
	"sort"
	"strconv"
	"strings"

	"github.com/dnssync/dnssync/internal/plan"
)

// Counts tallies the changes of one domain (or of a whole plan) by kind,
// counting semantic changes (plan.CountChanges): a record replaced by a
// create and a delete of the same name, type and line is one update.
type Counts plan.Counts

// Records is the number of record changes.
func (c Counts) Records() int { return c.Creates + c.Updates + c.Deletes }

// Hosts is the number of DNS host (glue) changes, synchronisations included.
func (c Counts) Hosts() int { return c.HostCreates + c.HostModifies + c.HostDeletes + c.HostSyncs }

// Total is the number of changes.
func (c Counts) Total() int { return c.Records() + c.Nameservers + c.Hosts() + c.Other }

// String is a short phrase such as "2 to create, 1 to update,
// 1 nameserver change, 3 glue changes"; "no changes" when empty.
func (c Counts) String() string {
	var parts []string
	add := func(n int, s string) {
		if n > 0 {
			parts = append(parts, strconv.Itoa(n)+" "+s)
		}
	}
	add(c.Creates, "to create")
	add(c.Updates, "to update")
	add(c.Deletes, "to delete")
	if c.Nameservers > 0 {
		parts = append(parts, plural(c.Nameservers, "nameserver change", "nameserver changes"))
	}
	if c.Hosts() > 0 {
		parts = append(parts, plural(c.Hosts(), "glue change", "glue changes"))
	}
	add(c.Other, "other")
	if len(parts) == 0 {
		return "no changes"
	}
	return strings.Join(parts, ", ")
}

// DomainSummary is what a plan does to one domain.
type DomainSummary struct {
	Domain   string `json:"domain"`  // canonical (punycode) name
	Unicode  string `json:"unicode"` // for people; equal to Domain unless an IDN
	Counts   Counts `json:"counts"`
	Refusals int    `json:"refusals"` // safety refusals naming this domain
}

// Summary condenses a plan for one-line reports, exit codes, PR tables and
// metrics: per-domain counts sorted by domain name, and totals.
type Summary struct {
	Domains  []DomainSummary `json:"domains"`
	Total    Counts          `json:"total"`
	Refusals int             `json:"refusals"`
	Cost     plan.Cost       `json:"cost"`
}

// Empty reports whether the plan changes nothing.
func (s Summary) Empty() bool { return s.Total.Total() == 0 }

// String is a one-line summary, e.g. "2 domains: 3 to create, 1 to delete;
// 1 refusal".
func (s Summary) String() string {
	var b strings.Builder
	if s.Empty() {
		b.WriteString("no changes")
	} else {
		b.WriteString(plural(s.changedDomains(), "domain", "domains") + ": " + s.Total.String())
	}
	if s.Refusals > 0 {
		b.WriteString("; " + plural(s.Refusals, "refusal", "refusals"))
	}
	return b.String()
}

func (s Summary) changedDomains() int {
	n := 0
	for _, d := range s.Domains {
		if d.Counts.Total() > 0 {
			n++
		}
	}
	return n
}

// Summarize counts p's changes per domain. Domains named only by a refusal
// are listed too, with zero counts.
func Summarize(p *plan.Plan) Summary {
	byName := map[string]*DomainSummary{}
	get := func(name string) *DomainSummary {
		d, ok := byName[name]
		if !ok {
			d = &DomainSummary{Domain: name, Unicode: unicodeName(name)}
			byName[name] = d
		}
		return d
	}
	s := Summary{Cost: p.Cost, Refusals: len(p.Refusals)}
	counts := p.Summary
	if counts == nil {
		counts = plan.Summarize(p.Changes)
	}
	for _, d := range counts.Domains {
		get(d.Domain).Counts = Counts(d.Counts)
	}
	for _, r := range p.Refusals {
		get(r.Domain).Refusals++
	}
	s.Domains = make([]DomainSummary, 0, len(byName))
	for _, d := range byName {
		s.Domains = append(s.Domains, *d)
		t := plan.Counts(s.Total)
		t.Plus(plan.Counts(d.Counts))
		s.Total = Counts(t)
	}
	sort.Slice(s.Domains, func(i, j int) bool { return s.Domains[i].Domain < s.Domains[j].Domain })
	return s
}
