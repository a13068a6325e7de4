// Package model holds the provider-neutral vocabulary shared by every stage of
// a dnssync pass: desired state (from internal/spec), live state (from the
// provider readers) and the items they are made of. It has no behaviour beyond
// small canonicalisation helpers, so that spec, diff, providers and apply can
// all speak about the same records without importing each other.
//
// Canonical form (produced by spec normalisation and by provider readers):
//   - names are lower-case, punycode (A-labels), relative to the zone; "@" is
//     the apex; wildcards keep their "*" label;
//   - CNAME, MX, NS, PTR and SRV targets are absolute with one trailing dot;
//   - TXT values are stored unquoted (the text itself);
//   - nameserver and DNS host names are lower-case without a trailing dot;
//   - IP lists are sorted by their canonical textual form.
package model

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Pos is where an item was declared: file, 1-based line and column. The zero
// Pos means "not from a file" (live state, generated items).
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// IsZero reports whether p carries no position.
func (p Pos) IsZero() bool { return p.File == "" && p.Line == 0 }

// String renders file:line:col (or the parts that are known).
func (p Pos) String() string {
	switch {
	case p.IsZero():
		return "-"
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	}
}

// Record types dnssync manages.
const (
	TypeA     = "A"
	TypeAAAA  = "AAAA"
	TypeCNAME = "CNAME"
	TypeMX    = "MX"
	TypeTXT   = "TXT"
	TypeNS    = "NS"
	TypeSRV   = "SRV"
	TypeCAA   = "CAA"
	TypePTR   = "PTR"
)

// DefaultLine is DNSPod's default resolution line (name as used on the CN API).
const DefaultLine = "默认"

// Record is one DNS record in canonical form.
type Record struct {
	Name    string `json:"name"`             // relative, lower-case punycode, "@" = apex
	Type    string `json:"type"`             // upper-case
	Line    string `json:"line"`             // provider line name; DefaultLine when unset
	Value   string `json:"value"`            // canonical value (see package doc)
	MX      int    `json:"mx,omitempty"`     // MX priority, 0 for other types
	TTL     int    `json:"ttl"`              // seconds
	Enabled bool   `json:"enabled"`          // false = paused at the provider
	ID      string `json:"id,omitempty"`     // provider record id (live only)
	Pos     Pos    `json:"pos,omitempty"`    // declaration (desired only)
	System  bool   `json:"system,omitempty"` // provider-managed row (apex NS); never changed
}

// Key identifies a record's data independent of TTL/enabled/id: two records
// with the same Key are duplicates at the provider.
type Key struct {
	Name, Type, Line, Value string
	MX                      int
}

// Key returns r's identity key. Targets are compared dot-insensitively and
// case-insensitively, which the canonical form already guarantees for
// records that went through normalisation; Key applies it again so that
// callers holding raw provider data get the same answer.
func (r Record) Key() Key {
	return Key{Name: r.Name, Type: r.Type, Line: r.Line, Value: CompareValue(r.Type, r.Value), MX: r.MX}
}

// NameLine is the (name, line) pair on which the conflict rules act.
type NameLine struct{ Name, Line string }

// NameLine returns r's (name, line).
func (r Record) NameLine() NameLine { return NameLine{r.Name, r.Line} }

// String is a short human form: "www A 192.0.2.1 (默认, ttl 600)".
func (r Record) String() string {
	v := r.Value
	if r.Type == TypeTXT {
		v = fmt.Sprintf("%q", v)
	}
	if r.Type == TypeMX {
		v = fmt.Sprintf("%d %s", r.MX, v)
	}
	s := fmt.Sprintf("%s %s %s", r.Name, r.Type, v)
	var extra []string
	if r.Line != "" && r.Line != DefaultLine {
		extra = append(extra, "line "+r.Line)
	}
	extra = append(extra, fmt.Sprintf("ttl %d", r.TTL))
	if !r.Enabled {
		extra = append(extra, "disabled")
	}
	return s + " (" + strings.Join(extra, ", ") + ")"
}

// IsTargetType reports whether values of type t are domain names.
func IsTargetType(t string) bool {
	return t == TypeCNAME || t == TypeMX || t == TypeNS || t == TypePTR
}

// CompareValue returns the form of v used for equality: targets lower-cased
// with exactly one trailing dot; SRV targets likewise; CAA tags lower-cased;
// other values as is.
func CompareValue(typ, v string) string {
	switch typ {
	case TypeCNAME, TypeMX, TypeNS, TypePTR:
		return Fqdn(strings.ToLower(v))
	case TypeSRV:
		f := strings.Fields(v)
		if len(f) == 4 {
			f[3] = Fqdn(strings.ToLower(f[3]))
			return strings.Join(f, " ")
		}
	case TypeCAA:
		return CanonicalCAA(v)
	}
	return v
}

// CanonicalCAA returns a CAA value `flags tag value` with its tag in lower
// case: RFC 8659 §4.1 makes tags case-insensitive, so "0 ISSUE ..." and
// "0 issue ..." are one record. The value itself is case-sensitive and
// kept as it is; a value that is not three fields is returned unchanged.
func CanonicalCAA(v string) string {
	flags, rest, ok := strings.Cut(v, " ")
	if !ok {
		return v
	}
	tag, val, ok := strings.Cut(rest, " ")
	if !ok {
		return v
	}
	for i := 0; i < len(tag); i++ {
		if c := tag[i]; c >= 'A' && c <= 'Z' {
			return flags + " " + strings.ToLower(tag) + " " + val
		}
	}
	return v
}

// Fqdn returns name with exactly one trailing dot ("." stays ".").
func Fqdn(name string) string {
	name = strings.TrimRight(name, ".")
	return name + "."
}

// Host returns a host name lower-cased without trailing dot.
func Host(name string) string { return strings.ToLower(strings.TrimRight(name, ".")) }

// DNSHost is a registrar DNS host (glue): a name server inside the domain and
// its addresses.
type DNSHost struct {
	Host string   `json:"host"` // FQDN, lower-case, no trailing dot
	IPs  []string `json:"ips"`  // sorted canonical addresses
	Pos  Pos      `json:"pos,omitempty"`
}

// Registrar is the delegation of one domain as managed at the registrar.
type Registrar struct {
	Provider    string    `json:"provider"`
	Nameservers []string  `json:"nameservers,omitempty"` // sorted, canonical Host form
	AliyunDNS   bool      `json:"aliyun_dns,omitempty"`  // use the registrar's own DNS
	DNSHosts    []DNSHost `json:"dns_hosts,omitempty"`   // sorted by Host
	// ManageHosts is true when the file declares dns_hosts (even empty):
	// then hosts not declared are deleted; when false, hosts are left alone.
	ManageHosts bool `json:"manage_hosts,omitempty"`
	Pos         Pos  `json:"pos,omitempty"`
	NSPos       Pos  `json:"ns_pos,omitempty"`
}

// Policy decides which kinds of record changes may be made.
type Policy string

// Policies as in external-dns.
const (
	PolicySync       Policy = "sync"        // create, update, delete
	PolicyUpsertOnly Policy = "upsert-only" // create, update
	PolicyCreateOnly Policy = "create-only" // create
)

// Ignore matches live records that dnssync must never touch. Empty fields
// match anything; Name and Value are shell globs (path.Match syntax).
type Ignore struct {
	Name  string `json:"name,omitempty"`
	Type  string `json:"type,omitempty"`
	Value string `json:"value,omitempty"`
	Pos   Pos    `json:"pos,omitempty"`
}

// Thresholds are the octoDNS-style safety limits. A zero value in a field
// means "use the default".
type Thresholds struct {
	UpdatePercent float64 `json:"update_percent"` // refuse when updates/existing > this (0..100)
	DeletePercent float64 `json:"delete_percent"` // refuse when deletes/existing > this
	MinExisting   int     `json:"min_existing"`   // only checked when the zone has at least this many records
}

// DefaultThresholds returns octoDNS's defaults: 30% updates, 30% deletes,
// checked from 10 existing records.
func DefaultThresholds() Thresholds {
	return Thresholds{UpdatePercent: 30, DeletePercent: 30, MinExisting: 10}
}

// DNS is the record side of a domain as managed at the DNS provider.
type DNS struct {
	Provider   string     `json:"provider"`
	TTL        int        `json:"ttl"` // zone default
	Policy     Policy     `json:"policy"`
	Ignore     []Ignore   `json:"ignore,omitempty"`
	Records    []Record   `json:"records"` // canonical order (SortRecords)
	Thresholds Thresholds `json:"thresholds"`
	Pos        Pos        `json:"pos,omitempty"`
}

// Domain is the desired state of one domain, from one zone file.
type Domain struct {
	Name      string     `json:"name"`                // punycode, lower-case, no trailing dot
	Unicode   string     `json:"unicode"`             // for people
	File      string     `json:"file"`                // zone file it came from
	Registrar *Registrar `json:"registrar,omitempty"` // nil: delegation not managed
	DNS       *DNS       `json:"dns,omitempty"`       // nil: records not managed
	Pos       Pos        `json:"pos,omitempty"`
}

// Desired is the whole desired state, domains sorted by Name.
type Desired struct {
	Domains []Domain `json:"domains"`
}

// Domain returns the desired domain called name, or nil.
func (d *Desired) Domain(name string) *Domain {
	i := sort.Search(len(d.Domains), func(i int) bool { return d.Domains[i].Name >= name })
	if i < len(d.Domains) && d.Domains[i].Name == name {
		return &d.Domains[i]
	}
	return nil
}

// LiveRegistrar is the delegation as the registrar reports it.
type LiveRegistrar struct {
	InstanceID  string    `json:"instance_id,omitempty"`
	Nameservers []string  `json:"nameservers"` // sorted, canonical Host form
	AliyunDNS   bool      `json:"aliyun_dns"`
	DNSHosts    []DNSHost `json:"dns_hosts"` // sorted by Host
}

// LiveDNS is the zone as the DNS provider reports it.
type LiveDNS struct {
	DomainID string `json:"domain_id,omitempty"`
	Grade    string `json:"grade,omitempty"`
	MinTTL   int    `json:"min_ttl,omitempty"`
	// Lines are the line names the provider offers this zone's grade, as
	// it reported them; nil when it does not say (then the configured
	// lines apply).
	Lines   []string `json:"lines,omitempty"`
	Records []Record `json:"records"` // canonical order, System rows included
}

// LiveDomain is the live state of one domain; a nil side was not read
// (not managed) and an Exists=false side means the provider does not know it.
type LiveDomain struct {
	Name      string         `json:"name"`
	Registrar *LiveRegistrar `json:"registrar,omitempty"`
	DNS       *LiveDNS       `json:"dns,omitempty"`
}

// Live is the live state of every managed domain, sorted by Name.
type Live struct {
	Domains []LiveDomain `json:"domains"`
}

// Domain returns the live domain called name, or nil.
func (l *Live) Domain(name string) *LiveDomain {
	i := sort.Search(len(l.Domains), func(i int) bool { return l.Domains[i].Name >= name })
	if i < len(l.Domains) && l.Domains[i].Name == name {
		return &l.Domains[i]
	}
	return nil
}

// SortRecords puts records in the canonical deterministic order: name (apex
// first), type, line, value, mx, id.
func SortRecords(rs []Record) {
	// Zone files and provider listings usually come in this order
	// already: one pass to see it is cheaper than a stable sort's merges.
	if slices.IsSortedFunc(rs, CompareRecords) {
		return
	}
	slices.SortStableFunc(rs, CompareRecords)
}

// CompareRecords is the canonical record order as a three-way comparison:
// name (apex first), type, line, value, mx, id.
func CompareRecords(a, b Record) int {
	if a.Name != b.Name && (a.Name == "@" || b.Name == "@") {
		if a.Name == "@" {
			return -1
		}
		return 1
	}
	return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Type, b.Type), cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Value, b.Value), cmp.Compare(a.MX, b.MX), cmp.Compare(a.ID, b.ID))
}

// RecordLess is the canonical record order.
func RecordLess(a, b Record) bool { return CompareRecords(a, b) < 0 }

// CmpRecord is the canonical record order (CompareRecords) with TTL and
// status as final tie-breakers, so that equal-keyed inputs sort the same
// whatever their input order.
func CmpRecord(a, b Record) int {
	if c := CompareRecords(a, b); c != 0 {
		return c
	}
	switch {
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

// ChangedFields names what differs between a record before and after an
// update, in a fixed order: name, type, line, value, mx, ttl, enabled.
func ChangedFields(b, a Record) []string {
	var f []string
	if b.Name != a.Name {
		f = append(f, "name")
	}
	if b.Type != a.Type {
		f = append(f, "type")
	}
	if b.Line != a.Line {
		f = append(f, "line")
	}
	if CompareValue(b.Type, b.Value) != CompareValue(a.Type, a.Value) {
		f = append(f, "value")
	}
	if b.MX != a.MX {
		f = append(f, "mx")
	}
	if b.TTL != a.TTL {
		f = append(f, "ttl")
	}
	if b.Enabled != a.Enabled {
		f = append(f, "enabled")
	}
	return f
}
