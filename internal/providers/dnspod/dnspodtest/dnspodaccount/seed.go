package dnspodaccount

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/sandbox/emulator"
)

// SeedZone is one domain of a seed section with its records (the system
// apex NS rows are added by the emulator).
type SeedZone struct {
	Name    string
	Grade   string         // as the section's Grade function returned it
	Records []model.Record // Pos set
	Pos     model.Pos
}

// SeedFormat is how one API's section of a seed file spells what differs
// between the APIs.
type SeedFormat struct {
	// Section is the seed file's top-level key ("dnspod").
	Section string
	// Grade checks and normalises a grade as the section writes it; ok is
	// false when it is not one, and GradeHint then says what is.
	Grade     func(string) (grade string, ok bool)
	GradeHint string
	// DefaultGrade is the grade of a domain that gives none.
	DefaultGrade string
}

// ReadSeed reads a section of the DNSPod format: {domains: [...]}, each
// domain {name, grade, ttl, records}, each record {name, type, value or
// values, line, ttl, mx, enabled}. Problems are reported through r at
// their nodes.
func ReadSeed(r *emulator.SeedReader, n *yaml.Node, api SeedFormat) []SeedZone {
	f, ok := r.Fields(n, api.Section, "domains")
	if !ok || f["domains"] == nil {
		return nil
	}
	items, _ := r.List(f["domains"], api.Section+".domains")
	var out []SeedZone
	seen := map[string]bool{}
	for _, it := range items {
		z, ok := readSeedZone(r, it, api)
		if !ok {
			continue
		}
		if seen[z.Name] {
			r.Errf(it, "%s domain %s is listed twice", api.Section, z.Name)
		}
		seen[z.Name] = true
		out = append(out, z)
	}
	return out
}

func readSeedZone(r *emulator.SeedReader, n *yaml.Node, api SeedFormat) (SeedZone, bool) {
	z := SeedZone{Pos: r.Pos(n), Grade: api.DefaultGrade}
	f, ok := r.Fields(n, "a "+api.Section+" domain", "name", "grade", "ttl", "records")
	if !ok {
		return z, false
	}
	if f["name"] == nil {
		r.Errf(n, "%s domain needs a name", api.Section)
		return z, false
	}
	if z.Name, ok = r.DomainName(f["name"], "name"); !ok {
		return z, false
	}
	if v := f["grade"]; v != nil {
		if g, ok := r.Str(v, "grade"); ok {
			if ng, ok := api.Grade(g); ok {
				z.Grade = ng
			} else {
				r.Errf(v, "grade %q is not a DNSPod grade (%s)", g, api.GradeHint)
			}
		}
	}
	ttl := 600
	if v := f["ttl"]; v != nil {
		ttl, _ = r.Integer(v, "ttl", 1, 604800)
	}
	if v := f["records"]; v != nil {
		items, _ := r.List(v, "records")
		for _, it := range items {
			z.Records = append(z.Records, readSeedRecords(r, it, ttl)...)
		}
	}
	return z, true
}

// readSeedRecords reads one record entry; "values" makes one record per
// value.
func readSeedRecords(r *emulator.SeedReader, n *yaml.Node, ttl int) []model.Record {
	f, ok := r.Fields(n, "a record", "name", "type", "value", "values", "line", "ttl", "mx", "enabled")
	if !ok {
		return nil
	}
	base := model.Record{Name: "@", Line: model.DefaultLine, TTL: ttl, Enabled: true, Pos: r.Pos(n)}
	if v := f["name"]; v != nil {
		if s, ok := r.Str(v, "name"); ok {
			name, err := seedRecordName(s)
			if err != nil {
				r.Errf(v, "record name %q: %v", s, err)
			}
			base.Name = name
		}
	}
	if f["type"] == nil {
		r.Errf(n, "record needs a type")
		return nil
	}
	t, ok := r.Str(f["type"], "type")
	if !ok {
		return nil
	}
	base.Type = strings.ToUpper(t)
	if v := f["line"]; v != nil {
		base.Line, _ = r.Str(v, "line")
	}
	if v := f["ttl"]; v != nil {
		base.TTL, _ = r.Integer(v, "ttl", 1, 604800)
	}
	if v := f["mx"]; v != nil {
		base.MX, _ = r.Integer(v, "mx", 0, 65535)
	}
	if v := f["enabled"]; v != nil {
		base.Enabled, _ = r.Boolean(v, "enabled")
	}
	var vals []string
	var nodes []*yaml.Node
	switch {
	case f["value"] != nil && f["values"] != nil:
		r.Errf(n, "record: give value or values, not both")
		return nil
	case f["value"] != nil:
		v, ok := r.Str(f["value"], "value")
		if !ok {
			return nil
		}
		vals, nodes = []string{v}, []*yaml.Node{f["value"]}
	case f["values"] != nil:
		if vals, nodes, ok = r.Strs(f["values"], "values"); !ok {
			return nil
		}
		if len(vals) == 0 {
			r.Errf(f["values"], "values must not be empty")
			return nil
		}
	default:
		r.Errf(n, "record needs a value (or values)")
		return nil
	}
	out := make([]model.Record, 0, len(vals))
	for i, v := range vals {
		rec := base
		rec.Value = v
		if len(vals) > 1 {
			rec.Pos = r.Pos(nodes[i])
		}
		out = append(out, rec)
	}
	return out
}

// seedRecordName converts a relative record name to lower-case A-labels
// label by label, so "*" and "_service" labels pass through to the rule
// engine.
func seedRecordName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "@" {
		return "@", nil
	}
	labels := strings.Split(s, ".")
	for i, l := range labels {
		ascii := true
		for j := 0; j < len(l); j++ {
			ascii = ascii && l[j] < 0x80
		}
		if ascii {
			labels[i] = strings.ToLower(l)
			continue
		}
		a, err := idna.Lookup.ToASCII(l)
		if err != nil {
			return "", err
		}
		labels[i] = a
	}
	return strings.Join(labels, "."), nil
}

// describe names a seed record in a problem.
func describe(r model.Record) string {
	s := r.Name + " " + r.Type + " " + strconv.Quote(r.Value)
	if r.Line != model.DefaultLine {
		s += " line " + r.Line
	}
	return s
}

// seedMark is how a seed section left a domain, for a second section that
// lists it: the account is one, so both must describe the same zone.
type seedMark struct {
	section string
	grade   string // account spelling
}

// Seed reads f's section and adds its domains to the account and its
// records through f, so that the API's rules (the grade's minimum TTL and
// lines, value syntax, CNAME beside other data, duplicates) reject a bad
// seed with the position of the record. A domain another section of the
// same file seeded already — the two APIs serve one account — is not added
// again; it must have the same grade and records there, or the difference
// is reported.
func (a *Account) Seed(r *emulator.SeedReader, section *yaml.Node, f Frontend) {
	api := f.SeedFormat()
	for _, z := range ReadSeed(r, section, api) {
		if prev, ok := a.seededBy(z.Name); ok && prev.section != api.Section {
			a.compareSeed(r, z, prev, api.Section, f)
			continue
		}
		g, _ := Grade(z.Grade)
		if _, err := a.CreateDomain(z.Name, g); err != nil {
			r.Report(z.Pos, err.Error())
			continue
		}
		a.markSeeded(z.Name, seedMark{section: api.Section, grade: g})
		for _, rec := range z.Records {
			if _, err := f.AddRecord(z.Name, rec); err != nil {
				r.Report(rec.Pos, fmt.Sprintf("%s: record %s: %v", z.Name, describe(rec), err))
			}
		}
	}
}

func (a *Account) seededBy(name string) (seedMark, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	m, ok := a.seeded[name]
	return m, ok
}

func (a *Account) markSeeded(name string, m seedMark) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seeded[name] = m
}

// compareSeed reports where z, from section (f's), describes the domain
// prev's section seeded differently.
func (a *Account) compareSeed(r *emulator.SeedReader, z SeedZone, prev seedMark, section string, f Frontend) {
	if g, _ := Grade(z.Grade); g != prev.grade {
		r.Report(z.Pos, fmt.Sprintf("%s domain %s: grade %s, but the %s section gives %s; both sections seed one DNSPod account",
			section, z.Name, z.Grade, prev.section, prev.grade))
		return
	}
	type item struct {
		key     model.Key
		ttl     int
		enabled bool
	}
	have := map[item]int{}
	for _, rec := range f.Records(z.Name) {
		if !rec.System {
			have[item{rec.Key(), rec.TTL, rec.Enabled}]++
		}
	}
	for _, rec := range z.Records {
		k := item{rec.Key(), rec.TTL, rec.Enabled}
		if have[k] == 0 {
			r.Report(rec.Pos, fmt.Sprintf("%s: record %s (ttl %d) is not in the %s section's entry of the domain; both sections seed one DNSPod account",
				z.Name, describe(rec), rec.TTL, prev.section))
			continue
		}
		have[k]--
	}
	var extra []string
	for k, n := range have {
		for range n {
			extra = append(extra, describe(model.Record{Name: k.key.Name, Type: k.key.Type, Line: k.key.Line, Value: k.key.Value}))
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		r.Report(z.Pos, fmt.Sprintf("%s domain %s lacks records the %s section gives it (%s); both sections seed one DNSPod account",
			section, z.Name, prev.section, strings.Join(extra, ", ")))
	}
}
