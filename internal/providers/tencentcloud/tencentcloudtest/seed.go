package tencentcloudtest

import (
	"strconv"
	"strings"

	"golang.org/x/net/idna"
	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/sandbox/emulator"
)

// seedZone is one domain of a seed file's tencentcloud section with its records
// (the system apex NS rows are added by the emulator).
type seedZone struct {
	Name    string
	Grade   string
	Records []model.Record // Pos set
	Pos     model.Pos
}

// readSeed reads the tencentcloud section: {domains: [...]}.
func readSeed(r *emulator.SeedReader, n *yaml.Node) []seedZone {
	f, ok := r.Fields(n, "tencentcloud", "domains")
	if !ok || f["domains"] == nil {
		return nil
	}
	items, _ := r.List(f["domains"], "tencentcloud.domains")
	var out []seedZone
	seen := map[string]bool{}
	for _, it := range items {
		z, ok := readSeedZone(r, it)
		if !ok {
			continue
		}
		if seen[z.Name] {
			r.Errf(it, "tencentcloud domain %s is listed twice", z.Name)
		}
		seen[z.Name] = true
		out = append(out, z)
	}
	return out
}

func readSeedZone(r *emulator.SeedReader, n *yaml.Node) (seedZone, bool) {
	z := seedZone{Pos: r.Pos(n), Grade: "DP_FREE"}
	f, ok := r.Fields(n, "a tencentcloud domain", "name", "grade", "ttl", "records")
	if !ok {
		return z, false
	}
	if f["name"] == nil {
		r.Errf(n, "tencentcloud domain needs a name")
		return z, false
	}
	if z.Name, ok = r.DomainName(f["name"], "name"); !ok {
		return z, false
	}
	if v := f["grade"]; v != nil {
		if g, ok := r.Str(v, "grade"); ok {
			if up := seedGrade(g); contains(grades, up) {
				z.Grade = up
			} else {
				r.Errf(v, "grade %q is not a DNSPod grade (DP_Free, DP_Plus, DP_Extra, DP_Expert, DP_Ultra, any case, or the D_ forms)", g)
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

// seedGrade spells a grade as Tencent Cloud's domain objects do
// (DP_FREE), so that a dnspod seed's grades (DP_Free, D_Free) read the same.
func seedGrade(g string) string {
	g = strings.ToUpper(strings.TrimSpace(g))
	if strings.HasPrefix(g, "D_") {
		g = "DP_" + g[2:]
	}
	return g
}
