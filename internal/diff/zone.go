package diff

import (
	"path"
	"slices"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
)

// zone is one managed DNS side under diff: the neutral difference handed
// to the provider's planner and what the safety checks need besides.
type zone struct {
	diff         *providers.ZoneDiff
	emptyDesired bool // the file lists no records at all
	thresholds   model.Thresholds
}

// Ignored reports whether r matches one of the ignore rules.
func Ignored(ig []model.Ignore, r model.Record) bool {
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
	if !slices.IsSortedFunc(out, CmpRecord) {
		slices.SortStableFunc(out, CmpRecord)
	}
	return out
}

// CmpRecord is model.RecordLess as a three-way comparison, with TTL and
// status as final tie-breakers so that equal-keyed inputs sort the same
// whatever their input order.
func CmpRecord(a, b model.Record) int {
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

// newZone matches one zone's desired records against its live ones by
// identity (model.Key): exact matches whose TTL or status differ become
// updates; the rest are leftovers on either side, which the provider's
// planner realises as it sees fit (modify in place, or create and remove).
// System rows and ignored records are never managed, but stay in Records
// because they still take part in the provider's rules.
func newZone(idx int, dd *model.Domain, ld *model.LiveDNS) *zone {
	spec := dd.DNS
	zd := &providers.ZoneDiff{Index: idx, Domain: dd.Name, Provider: spec.Provider, Live: ld, Policy: spec.Policy}
	if zd.Policy == "" {
		zd.Policy = model.PolicySync
	}
	z := &zone{diff: zd, thresholds: spec.Thresholds, emptyDesired: len(spec.Records) == 0}
	zd.Records = canonical(ld.Records)

	system := map[model.Key]bool{}
	managed := make([]bool, len(zd.Records))
	for i, r := range zd.Records {
		switch {
		case r.System:
			system[r.Key()] = true
		case !Ignored(spec.Ignore, r):
			managed[i] = true
			zd.Existing++
		}
	}
	// Filtered in place, with the map sized once: canonical returns a
	// copy, and a large zone's records are worth not copying twice.
	seen := make(map[model.Key]bool, len(spec.Records))
	all := canonical(spec.Records)
	kept := all[:0]
	for _, r := range all {
		k := r.Key()
		if seen[k] || system[k] || Ignored(spec.Ignore, r) {
			continue
		}
		seen[k] = true
		r.ID, r.System = "", false
		kept = append(kept, r)
	}
	zd.Desired = kept

	byKey := make(map[model.Key]int, zd.Existing)
	for i, r := range zd.Records {
		if managed[i] {
			if _, dup := byKey[r.Key()]; !dup {
				byKey[r.Key()] = i
			}
		}
	}
	matched := make([]bool, len(zd.Records))
	for di, d := range zd.Desired {
		li, ok := byKey[d.Key()]
		if !ok {
			zd.LeftDesired = append(zd.LeftDesired, di)
			continue
		}
		matched[li] = true
		delete(byKey, d.Key())
		l := zd.Records[li]
		if zd.Policy != model.PolicyCreateOnly && (l.TTL != d.TTL || l.Enabled != d.Enabled) {
			zd.Updates = append(zd.Updates, providers.Match{Live: li, Desired: di})
		}
	}
	if zd.Policy != model.PolicyCreateOnly {
		// Upsert-only changes record sets the files mention and leaves
		// every other (name, type, line) alone.
		type rrset struct{ name, typ, line string }
		var keep map[rrset]bool
		if zd.Policy == model.PolicyUpsertOnly {
			keep = map[rrset]bool{}
			for _, d := range zd.Desired {
				keep[rrset{d.Name, d.Type, d.Line}] = true
			}
		}
		for i, r := range zd.Records {
			if managed[i] && !matched[i] && (keep == nil || keep[rrset{r.Name, r.Type, r.Line}]) {
				zd.LeftLive = append(zd.LeftLive, i)
			}
		}
	}
	return z
}
