package diff

import (
	"path"
	"slices"
	"strings"

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

// canonical returns rs with the default line filled in, in canonical
// order. Input that already is (the loader's and the readers' output) is
// returned as it is, not copied: planners only read a zone's records.
func canonical(rs []model.Record) []model.Record {
	ok := true
	for i := range rs {
		if rs[i].Line == "" {
			ok = false
			break
		}
	}
	if ok && slices.IsSortedFunc(rs, model.CmpRecord) {
		return rs
	}
	out := slices.Clone(rs)
	for i := range out {
		if out[i].Line == "" {
			out[i].Line = model.DefaultLine
		}
	}
	if !slices.IsSortedFunc(out, model.CmpRecord) {
		slices.SortStableFunc(out, model.CmpRecord)
	}
	return out
}

// canonicalValues reports whether every value is in the form Key compares
// (model.CompareValue): then canonical order sorts records by their keys.
func canonicalValues(rs []model.Record) bool {
	for i := range rs {
		if r := &rs[i]; model.CompareValue(r.Type, r.Value) != r.Value {
			return false
		}
	}
	return true
}

// cmpKey orders records by identity (name with the apex first, type,
// line, value, priority), as canonical order does for canonical values.
func cmpKey(a, b *model.Record) int {
	if a.Name != b.Name && (a.Name == "@" || b.Name == "@") {
		if a.Name == "@" {
			return -1
		}
		return 1
	}
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	if c := strings.Compare(a.Type, b.Type); c != 0 {
		return c
	}
	if c := strings.Compare(a.Line, b.Line); c != 0 {
		return c
	}
	if c := strings.Compare(a.Value, b.Value); c != 0 {
		return c
	}
	return a.MX - b.MX
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

	managed := make([]bool, len(zd.Records))
	for i := range zd.Records {
		if r := &zd.Records[i]; !r.System && !Ignored(spec.Ignore, *r) {
			managed[i] = true
			zd.Existing++
		}
	}
	desired := canonical(spec.Records)
	var matched []bool
	if canonicalValues(zd.Records) && canonicalValues(desired) {
		matched = z.mergeMatch(desired, managed, spec.Ignore)
	} else {
		matched = z.mapMatch(desired, managed, spec.Ignore)
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

// mergeMatch matches desired records against live ones (both in canonical
// order with canonical values, so equal keys are adjacent) in one pass
// over both: desired records equal to a system row, ignored or repeating
// an earlier key are dropped; the first managed live record of a key
// matches its desired record. It returns which live records matched.
func (z *zone) mergeMatch(desired []model.Record, managed []bool, ignore []model.Ignore) []bool {
	zd := z.diff
	live := zd.Records
	matched := make([]bool, len(live))
	zd.Desired = make([]model.Record, 0, len(desired))
	i := 0
	for j := 0; j < len(desired); {
		d := &desired[j]
		for i < len(live) && cmpKey(&live[i], d) < 0 {
			i++
		}
		// The live records of d's key: live[i:k].
		k := i
		system, first := false, -1
		for ; k < len(live) && cmpKey(&live[k], d) == 0; k++ {
			if live[k].System {
				system = true
			}
			if first < 0 && managed[k] {
				first = k
			}
		}
		next := j + 1
		for next < len(desired) && cmpKey(&desired[next], d) == 0 {
			next++ // later records of the same key are duplicates
		}
		if !system && !Ignored(ignore, *d) {
			r := *d
			r.ID, r.System = "", false
			di := len(zd.Desired)
			zd.Desired = append(zd.Desired, r)
			if first < 0 {
				zd.LeftDesired = append(zd.LeftDesired, di)
			} else {
				matched[first] = true
				if l := &live[first]; zd.Policy != model.PolicyCreateOnly && (l.TTL != r.TTL || l.Enabled != r.Enabled) {
					zd.Updates = append(zd.Updates, providers.Match{Live: first, Desired: di})
				}
			}
		}
		j = next
	}
	return matched
}

// mapMatch is mergeMatch for records whose values are not all canonical
// (raw provider data): it keys maps by identity instead.
func (z *zone) mapMatch(desired []model.Record, managed []bool, ignore []model.Ignore) []bool {
	zd := z.diff
	system := map[model.Key]bool{}
	for _, r := range zd.Records {
		if r.System {
			system[r.Key()] = true
		}
	}
	seen := map[model.Key]bool{}
	for _, r := range desired {
		k := r.Key()
		if seen[k] || system[k] || Ignored(ignore, r) {
			continue
		}
		seen[k] = true
		r.ID, r.System = "", false
		zd.Desired = append(zd.Desired, r)
	}
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
	return matched
}
