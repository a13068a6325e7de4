// Package dnspodrules is DNSPod's record rule engine: which single records
// are acceptable (name, type, line, value, MX, TTL) and which combinations of
// records may coexist in one zone (CNAME conflicts, duplicates, apex NS on the
// default line, round-robin limits), with DNSPod's own error codes.
//
// It is shared on purpose: the DNSPod emulator (dnspodtest) enforces these
// rules on every write, and the planner's simulator (internal/diff) replays a
// plan against the same engine, so a plan that passes simulation is one the
// emulator accepts item by item. Where the real service's rule is UNVERIFIED
// (see docs/providers/dnspod.md) the behaviour is an Option.
package dnspodrules

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/dnssync/dnssync/internal/model"
)

// DNSPod error codes used by the engine (spec §3.9–§3.11).
const (
	CodeNoPermission = 7      // changing a provider-managed (system) row; code UNVERIFIED
	CodeRecordID     = 8      // unknown record id
	CodeValue        = 17     // record value incorrect
	CodeSubDomain    = 22     // invalid sub-domain
	CodeWildcard     = 24     // wildcard error
	CodeRoundRobin   = 25     // round-robin count over limit (non A/CNAME)
	CodeLine         = 26     // line not allowed
	CodeType         = 27     // record type error
	CodeTTLModify    = 29     // TTL too small (Record.Modify, 2016 doc)
	CodeMX           = 30     // MX priority out of range
	CodeConflict     = 31     // conflicting records (CNAME beside other data)
	CodeTTL          = 32     // TTL out of range for the grade (create)
	CodeApexNSLine   = 36     // NS at @ only on the default line
	CodeDuplicate    = 104    // record already exists
	CodeRoundRobinA  = 500025 // A round-robin over limit
	CodeRoundRobinCN = 500026 // CNAME round-robin over limit
	CodeParam        = 6      // missing or bad parameter
)

// Error is a rule violation with DNSPod's code and an English message.
type Error struct {
	Code    int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("dnspod code %d: %s", e.Code, e.Message) }

func errf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Options tune the rules to a domain's grade and to behaviours the public
// documentation leaves open.
type Options struct {
	MinTTL int      // grade minimum TTL; 0 means 600 (free grade)
	MaxTTL int      // 0 means 604800
	Lines  []string // accepted line names; nil means DefaultLines()
	// ApexCNAMEAllowsMXTXT tolerates MX and TXT next to a CNAME at "@"
	// (DNSPod accepted that historically; UNVERIFIED today).
	ApexCNAMEAllowsMXTXT bool
	// RoundRobinLimit caps enabled records of one (name, type, line);
	// 0 means unlimited. Free grade examples show 2 (UNVERIFIED).
	RoundRobinLimit int
	// MinMX and MaxMX bound MX priorities. MaxMX 0 means the legacy API's
	// range (LegacyMinMX–LegacyMaxMX, MinMX ignored), so that the zero
	// value keeps the legacy rules; API 3.0 documents a wider one
	// (APIv3Options).
	MinMX, MaxMX int
}

// MX priority ranges as each API documents them: the legacy API 1–20
// (legacy spec §3.9, code 30); API 3.0 0–65535 (API 3.0 spec §4, and the
// MX parameter of ModifyRecordBatch, §3.10).
const (
	LegacyMinMX = 1
	LegacyMaxMX = 20
	APIv3MinMX  = 0
	APIv3MaxMX  = 65535
)

// DefaultOptions are the emulator's and simulator's defaults: the legacy
// API's rules.
func DefaultOptions() Options {
	return Options{MinTTL: 600, MaxTTL: 604800, ApexCNAMEAllowsMXTXT: true}
}

// APIv3Options are DefaultOptions with API 3.0's MX range.
func APIv3Options() Options {
	o := DefaultOptions()
	o.MinMX, o.MaxMX = APIv3MinMX, APIv3MaxMX
	return o
}

// MXRange returns the MX priorities the rules accept, inclusive.
func (o Options) MXRange() (lo, hi int) {
	if o.MaxMX == 0 {
		return LegacyMinMX, LegacyMaxMX
	}
	return o.MinMX, o.MaxMX
}

// DefaultLines are the CN line names of spec §3.6 (free and paid grades).
func DefaultLines() []string {
	return []string{model.DefaultLine, "国内", "国外", "电信", "联通", "教育网", "移动",
		"百度", "谷歌", "有道", "必应", "搜搜", "搜狗", "奇虎", "搜索引擎"}
}

// LineIDs maps CN line names to their record_line_id (spec §3.6).
func LineIDs() map[string]string {
	return map[string]string{model.DefaultLine: "0", "国内": "7=0", "国外": "3=0", "电信": "10=0",
		"联通": "10=1", "教育网": "10=2", "移动": "10=3", "百度": "90=0", "谷歌": "90=1",
		"有道": "90=2", "必应": "90=3", "搜搜": "90=4", "搜狗": "90=5", "奇虎": "90=6", "搜索引擎": "80=0"}
}

// Types are the record types the engine accepts.
func Types() []string {
	return []string{model.TypeA, model.TypeAAAA, model.TypeCAA, model.TypeCNAME, model.TypeMX,
		model.TypeNS, model.TypeSRV, model.TypeTXT}
}

// Zone is one domain's records under the rules. It is not safe for
// concurrent use; the emulator guards it with its own lock.
type Zone struct {
	opts  Options
	lines map[string]bool
	alloc func() string
	recs  map[string]model.Record
	// byNL indexes record ids by (name, line), the scope of every
	// coexistence rule, so checks cost the size of one name, not the zone.
	byNL map[model.NameLine][]string
	// sorted caches Records' canonical order until the next change; list
	// calls page through it many times between writes.
	sorted []model.Record
	byID   []model.Record // RecordsByID's cache, same lifetime
}

// NewZone returns a zone holding recs (taken as they are: existing state is
// not re-validated; use Violations for that). Records without an ID get one
// from alloc, which also numbers later creates.
func NewZone(opts Options, alloc func() string, recs ...model.Record) *Zone {
	if opts.MinTTL == 0 {
		opts.MinTTL = 600
	}
	if opts.MaxTTL == 0 {
		opts.MaxTTL = 604800
	}
	lines := opts.Lines
	if lines == nil {
		lines = DefaultLines()
	}
	z := &Zone{opts: opts, lines: map[string]bool{}, alloc: alloc,
		recs: make(map[string]model.Record, len(recs)), byNL: make(map[model.NameLine][]string, len(recs))}
	for _, l := range lines {
		z.lines[l] = true
	}
	for _, r := range recs {
		if r.ID == "" {
			r.ID = alloc()
		}
		z.put(r)
	}
	return z
}

// put stores r (replacing any record with its id) and keeps the index.
func (z *Zone) put(r model.Record) {
	z.sorted, z.byID = nil, nil
	if old, ok := z.recs[r.ID]; ok {
		z.unindex(old)
	}
	z.recs[r.ID] = r
	nl := r.NameLine()
	ids := append(z.byNL[nl], r.ID)
	sort.Strings(ids) // buckets are small; sorted ids make checks deterministic
	z.byNL[nl] = ids
}

func (z *Zone) unindex(r model.Record) {
	z.sorted, z.byID = nil, nil
	nl := r.NameLine()
	ids := z.byNL[nl]
	for i, id := range ids {
		if id == r.ID {
			ids = append(ids[:i:i], ids[i+1:]...)
			break
		}
	}
	if len(ids) == 0 {
		delete(z.byNL, nl)
	} else {
		z.byNL[nl] = ids
	}
}

// Clone returns an independent copy sharing the allocator.
func (z *Zone) Clone() *Zone {
	c := &Zone{opts: z.opts, lines: z.lines, alloc: z.alloc,
		recs: make(map[string]model.Record, len(z.recs)), byNL: make(map[model.NameLine][]string, len(z.byNL))}
	for id, r := range z.recs {
		c.recs[id] = r
	}
	for nl, ids := range z.byNL {
		c.byNL[nl] = append([]string(nil), ids...)
	}
	return c
}

// Len is the number of records, system rows included.
func (z *Zone) Len() int { return len(z.recs) }

// Get returns the record with id.
func (z *Zone) Get(id string) (model.Record, bool) {
	r, ok := z.recs[id]
	return r, ok
}

// Records returns all records in canonical order.
func (z *Zone) Records() []model.Record {
	if z.sorted == nil {
		out := make([]model.Record, 0, len(z.recs))
		for _, r := range z.recs {
			out = append(out, r)
		}
		model.SortRecords(out)
		z.sorted = out
	}
	return slices.Clone(z.sorted)
}

// RecordsByID returns all records ordered by numeric id (shorter ids
// first, then byte order, which is numeric order for decimal ids without
// leading zeros), as DNSPod lists them. The slice is shared and valid until
// the next change: callers must not modify it.
func (z *Zone) RecordsByID() []model.Record {
	if z.byID == nil {
		out := make([]model.Record, 0, len(z.recs))
		for _, r := range z.recs {
			out = append(out, r)
		}
		slices.SortFunc(out, func(a, b model.Record) int {
			if len(a.ID) != len(b.ID) {
				return len(a.ID) - len(b.ID)
			}
			return strings.Compare(a.ID, b.ID)
		})
		z.byID = out
	}
	return z.byID
}

// Create validates r against the zone and adds it (Record.Create,
// Batch.Record.Create items). It returns the new id.
func (z *Zone) Create(r model.Record) (string, *Error) {
	if e := z.Check(r, "", CodeTTL); e != nil {
		return "", e
	}
	r.ID = z.alloc()
	r.System = false
	z.put(r)
	return r.ID, nil
}

// Replace is Record.Modify: the record with id becomes r.
func (z *Zone) Replace(id string, r model.Record) *Error {
	old, ok := z.recs[id]
	if !ok {
		return errf(CodeRecordID, "record id %s does not exist", id)
	}
	if old.System {
		return errf(CodeNoPermission, "record %s is managed by the system and cannot be changed", id)
	}
	r.ID = id
	if e := z.Check(r, id, CodeTTLModify); e != nil {
		return e
	}
	z.put(r)
	return nil
}

// Set is one item of Batch.Record.Modify: change one field of the record
// with id to `to`. For field "record_type", value (and mx for MX) come
// with it.
func (z *Zone) Set(id, field, to, value string, mx int) *Error {
	old, ok := z.recs[id]
	if !ok {
		return errf(CodeRecordID, "record id %s does not exist", id)
	}
	if old.System {
		return errf(CodeNoPermission, "record %s is managed by the system and cannot be changed", id)
	}
	r, e := Apply(old, field, to, value, mx)
	if e != nil {
		return e
	}
	if e := z.Check(r, id, CodeTTLModify); e != nil {
		return e
	}
	z.put(r)
	return nil
}

// The fields one Batch.Record.Modify item (API 3.0: ModifyRecordBatch)
// changes, as Set and Apply name them. Status takes "enable" or
// "disable"; area takes the line by name.
const (
	FieldSubDomain  = "sub_domain"
	FieldRecordType = "record_type" // carries the value, and the MX priority for MX
	FieldArea       = "area"
	FieldValue      = "value"
	FieldMX         = "mx"
	FieldTTL        = "ttl"
	FieldStatus     = "status"
)

// Apply returns r with one Batch.Record.Modify field change applied,
// without any zone rule check.
func Apply(r model.Record, field, to, value string, mx int) (model.Record, *Error) {
	switch field {
	case FieldSubDomain:
		if to == "" {
			to = "@"
		}
		r.Name = strings.ToLower(to)
	case FieldRecordType:
		r.Type = strings.ToUpper(to)
		if value == "" {
			return r, errf(CodeParam, "value is required when changing record_type")
		}
		r.Value = value
		r.MX = 0
		if r.Type == model.TypeMX {
			r.MX = mx
		}
	case FieldArea:
		r.Line = to
	case FieldValue:
		r.Value = to
	case FieldMX:
		n, err := strconv.Atoi(to)
		if err != nil {
			return r, errf(CodeMX, "mx %q is not a number", to)
		}
		r.MX = n
	case FieldTTL:
		n, err := strconv.Atoi(to)
		if err != nil {
			return r, errf(CodeTTL, "ttl %q is not a number", to)
		}
		r.TTL = n
	case FieldStatus:
		switch to {
		case "enable":
			r.Enabled = true
		case "disable":
			r.Enabled = false
		default:
			return r, errf(CodeParam, "status must be enable or disable, not %q", to)
		}
	default:
		return r, errf(CodeParam, "change %q is not one of sub_domain, record_type, area, value, mx, ttl, status", field)
	}
	return r, nil
}

// Remove deletes the record with id (Record.Remove).
func (z *Zone) Remove(id string) *Error {
	old, ok := z.recs[id]
	if !ok {
		return errf(CodeRecordID, "record id %s does not exist", id)
	}
	if old.System {
		return errf(CodeNoPermission, "record %s is managed by the system and cannot be removed", id)
	}
	z.unindex(old)
	delete(z.recs, id)
	return nil
}

// Check validates r as it would stand in the zone, ignoring the record
// with id self (the record being modified). ttlCode is the code for a TTL
// below the grade minimum (32 on create, 29 on modify).
func (z *Zone) Check(r model.Record, self string, ttlCode int) *Error {
	if e := z.CheckRecord(r, ttlCode); e != nil {
		return e
	}
	return z.checkAgainst(r, self)
}

// CheckRecord validates r on its own: name, type, line, value, MX, TTL.
func (z *Zone) CheckRecord(r model.Record, ttlCode int) *Error {
	if e := checkName(r.Name); e != nil {
		return e
	}
	if !contains(Types(), r.Type) {
		return errf(CodeType, "record type %q is not supported", r.Type)
	}
	if !z.lines[r.Line] {
		return errf(CodeLine, "line %q is not available", r.Line)
	}
	if e := checkValue(r); e != nil {
		return e
	}
	if lo, hi := z.opts.MXRange(); r.Type == model.TypeMX && (r.MX < lo || r.MX > hi) {
		return errf(CodeMX, "MX priority %d is outside %d-%d", r.MX, lo, hi)
	}
	if r.TTL < z.opts.MinTTL || r.TTL > z.opts.MaxTTL {
		return errf(ttlCode, "TTL %d is outside %d-%d for this grade", r.TTL, z.opts.MinTTL, z.opts.MaxTTL)
	}
	if r.Type == model.TypeNS && r.Name == "@" && r.Line != model.DefaultLine {
		return errf(CodeApexNSLine, "NS records at @ can only use the default line")
	}
	return nil
}

// checkAgainst applies the coexistence rules between r and the other records.
func (z *Zone) checkAgainst(r model.Record, self string) *Error {
	key := r.Key()
	same := 0
	for _, id := range z.byNL[r.NameLine()] {
		o := z.recs[id]
		if id == self {
			continue
		}
		if o.Key() == key {
			return errf(CodeDuplicate, "record already exists (id %s)", id)
		}
		if o.System {
			continue
		}
		if z.conflicts(r, o) {
			return errf(CodeConflict, "%s record conflicts with %s record %s on %s (line %s)", r.Type, o.Type, id, r.Name, r.Line)
		}
		if o.Type == r.Type && o.Enabled {
			same++
		}
	}
	if lim := z.opts.RoundRobinLimit; lim > 0 && r.Enabled && same+1 > lim {
		code := CodeRoundRobin
		switch r.Type {
		case model.TypeA:
			code = CodeRoundRobinA
		case model.TypeCNAME:
			code = CodeRoundRobinCN
		}
		return errf(code, "more than %d %s records on %s (line %s)", lim, r.Type, r.Name, r.Line)
	}
	return nil
}

// conflicts reports whether a and b may not share a name and line: a CNAME
// excludes every other type (DNSPod's documented A/CNAME rule extended to
// all data, as DNS requires), except MX/TXT at the apex when tolerated.
func (z *Zone) conflicts(a, b model.Record) bool {
	if a.Type == b.Type {
		return false
	}
	if a.Type != model.TypeCNAME && b.Type != model.TypeCNAME {
		return false
	}
	other := a.Type
	if other == model.TypeCNAME {
		other = b.Type
	}
	if z.opts.ApexCNAMEAllowsMXTXT && a.Name == "@" && (other == model.TypeMX || other == model.TypeTXT) {
		return false
	}
	return true
}

// Violation is a coexistence rule broken by existing state.
type Violation struct {
	ID  string
	Err *Error
}

// Violations checks every record against the others (conflicts,
// duplicates, limits); the result is sorted by id.
func (z *Zone) Violations() []Violation {
	ids := make([]string, 0, len(z.recs))
	for id := range z.recs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []Violation
	for _, id := range ids {
		r := z.recs[id]
		if r.System {
			continue
		}
		if e := z.checkAgainst(r, id); e != nil {
			out = append(out, Violation{ID: id, Err: e})
		}
	}
	return out
}

func checkName(name string) *Error {
	if name == "@" {
		return nil
	}
	if name == "" || len(name) > 253 {
		return errf(CodeSubDomain, "sub_domain %q is invalid", name)
	}
	labels := strings.Split(name, ".")
	for i, l := range labels {
		if l == "*" {
			if i != 0 {
				return errf(CodeWildcard, "wildcard must be the leftmost label in %q", name)
			}
			continue
		}
		if l == "" || len(l) > 63 {
			return errf(CodeSubDomain, "sub_domain %q has an empty or too long label", name)
		}
		for _, c := range l {
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			case c == '*':
				return errf(CodeWildcard, "wildcard must be a whole label in %q", name)
			default:
				return errf(CodeSubDomain, "sub_domain %q contains %q", name, c)
			}
		}
	}
	return nil
}

func checkValue(r model.Record) *Error {
	v := r.Value
	switch r.Type {
	case model.TypeA:
		a, err := netip.ParseAddr(v)
		if err != nil || !a.Is4() {
			return errf(CodeValue, "A value %q is not an IPv4 address", v)
		}
	case model.TypeAAAA:
		a, err := netip.ParseAddr(v)
		if err != nil || !a.Is6() || a.Is4In6() {
			return errf(CodeValue, "AAAA value %q is not an IPv6 address", v)
		}
	case model.TypeCNAME, model.TypeMX, model.TypeNS:
		if !isHostname(v) {
			return errf(CodeValue, "%s value %q is not a host name", r.Type, v)
		}
	case model.TypeTXT:
		if v == "" {
			return errf(CodeValue, "TXT value is empty")
		}
	case model.TypeSRV:
		f := strings.Fields(v)
		if len(f) != 4 || !isUint16(f[0]) || !isUint16(f[1]) || !isUint16(f[2]) || !(f[3] == "." || isHostname(f[3])) {
			return errf(CodeValue, "SRV value %q is not \"priority weight port target\"", v)
		}
	case model.TypeCAA:
		f := strings.SplitN(v, " ", 3)
		if len(f) != 3 || !isUint8(f[0]) || f[1] == "" {
			return errf(CodeValue, "CAA value %q is not \"flags tag value\"", v)
		}
	}
	return nil
}

func isHostname(v string) bool {
	v = strings.TrimSuffix(v, ".")
	if v == "" || len(v) > 253 {
		return false
	}
	for _, l := range strings.Split(v, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

func isUint16(s string) bool { n, err := strconv.ParseUint(s, 10, 16); return err == nil && n <= 65535 }
func isUint8(s string) bool  { n, err := strconv.ParseUint(s, 10, 8); return err == nil && n <= 255 }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
