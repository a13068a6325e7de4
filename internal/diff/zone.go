package diff

import (
	"path"
	"slices"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
	"github.com/dnssync/dnssync/internal/simulate"
)

// zone is one managed DNS side under diff: its live records (all of them,
// system and ignored rows included, because they still take part in the
// provider's conflict rules), the desired records it manages, and the
// outcome of matching.
type zone struct {
	idx      int // position in domain order: the planner's tie-breaker
	name     string
	provider string
	domainID string
	policy   model.Policy
	rules    dnspodrules.Options
	checker  *dnspodrules.Zone // empty zone, only for CheckRecord

	live    []model.Record // canonical order
	desired []model.Record // managed desired records, canonical order, unique keys

	existing     int  // live records under management (thresholds)
	emptyDesired bool // the file lists no records at all
	thresholds   model.Thresholds

	updates []match // exact key matches whose TTL or status differ
	leftL   []int   // live records with no desired counterpart that policy lets go
	leftD   []int   // desired records with no live counterpart

	pairOf []int  // per desired index: paired live index, or -1
	kindOf []int  // per desired index: pairing kind
	lUsed  []bool // per live index: already paired
}

type match struct{ l, d int }

func ignored(ig []model.Ignore, r model.Record) bool {
	for _, i := range ig {
		if i.Type != "" && i.Type != r.Type {
			continue
		}
		if i.Name != "" {
			if ok, _ := path.Match(i.Name, r.Name); !ok {
				continue
			}
		}
		if i.Value != "" {
			if ok, _ := path.Match(i.Value, r.Value); !ok {
				continue
			}
		}
		return true
	}
	return false
}

func canonical(rs []model.Record) []model.Record {
	out := slices.Clone(rs)
	for i := range out {
		if out[i].Line == "" {
			out[i].Line = model.DefaultLine
		}
	}
	if !slices.IsSortedFunc(out, cmpRecord) {
		slices.SortStableFunc(out, cmpRecord)
	}
	return out
}

// cmpRecord is model.RecordLess as a three-way comparison, with TTL and
// status as final tie-breakers so that equal-keyed inputs sort the same
// whatever their input order.
func cmpRecord(a, b model.Record) int {
	switch {
	case model.RecordLess(a, b):
		return -1
	case model.RecordLess(b, a):
		return 1
	case a.TTL != b.TTL:
		return a.TTL - b.TTL
	case a.Enabled != b.Enabled:
		if a.Enabled {
			return 1
		}
		return -1
	}
	return 0
}

func newZone(idx int, dd *model.Domain, ld *model.LiveDNS, rules dnspodrules.Options) *zone {
	spec := dd.DNS
	z := &zone{idx: idx, name: dd.Name, provider: spec.Provider, domainID: ld.DomainID, policy: spec.Policy,
		rules: simulate.ZoneRules(rules, ld), thresholds: spec.Thresholds, emptyDesired: len(spec.Records) == 0}
	if z.policy == "" {
		z.policy = model.PolicySync
	}
	z.checker = dnspodrules.NewZone(z.rules, func() string { return "" })
	z.live = canonical(ld.Records)

	system := map[model.Key]bool{}
	managed := make([]bool, len(z.live))
	for i, r := range z.live {
		switch {
		case r.System:
			system[r.Key()] = true
		case !ignored(spec.Ignore, r):
			managed[i] = true
			z.existing++
		}
	}
	// Filtered in place, with the map sized once: canonical returns a
	// copy, and a large zone's records are worth not copying twice.
	seen := make(map[model.Key]bool, len(spec.Records))
	z.desired = canonical(spec.Records)
	kept := z.desired[:0]
	for _, r := range z.desired {
		k := r.Key()
		if seen[k] || system[k] || ignored(spec.Ignore, r) {
			continue
		}
		seen[k] = true
		r.ID, r.System = "", false
		kept = append(kept, r)
	}
	z.desired = kept

	byKey := make(map[model.Key]int, z.existing)
	for i, r := range z.live {
		if managed[i] {
			if _, dup := byKey[r.Key()]; !dup {
				byKey[r.Key()] = i
			}
		}
	}
	matched := make([]bool, len(z.live))
	for di, d := range z.desired {
		li, ok := byKey[d.Key()]
		if !ok {
			z.leftD = append(z.leftD, di)
			continue
		}
		matched[li] = true
		delete(byKey, d.Key())
		l := z.live[li]
		if z.policy != model.PolicyCreateOnly && (l.TTL != d.TTL || l.Enabled != d.Enabled) {
			z.updates = append(z.updates, match{li, di})
		}
	}
	if z.policy != model.PolicyCreateOnly {
		// Upsert-only changes record sets the files mention and leaves
		// every other (name, type, line) alone.
		type rrset struct{ name, typ, line string }
		var keep map[rrset]bool
		if z.policy == model.PolicyUpsertOnly {
			keep = map[rrset]bool{}
			for _, d := range z.desired {
				keep[rrset{d.Name, d.Type, d.Line}] = true
			}
		}
		for i, r := range z.live {
			if managed[i] && !matched[i] && (keep == nil || keep[rrset{r.Name, r.Type, r.Line}]) {
				z.leftL = append(z.leftL, i)
			}
		}
	}
	z.resetPairs()
	return z
}

func (z *zone) resetPairs() {
	z.pairOf = make([]int, len(z.desired))
	z.kindOf = make([]int, len(z.desired))
	for i := range z.pairOf {
		z.pairOf[i] = -1
	}
	z.lUsed = make([]bool, len(z.live))
}
