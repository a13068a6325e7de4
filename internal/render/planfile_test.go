package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers/aliyun"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
)

// compileSchema compiles plan.schema.json from the file on disk, apart from
// the package's own use of the embedded copy.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	sch, err := c.Compile("plan.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func TestGoldenJSONValidatesAgainstSchema(t *testing.T) {
	sch := compileSchema(t)
	for _, name := range []string{"full.json.golden", "empty.json.golden"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestPlanSchemaIsTheFileOnDisk(t *testing.T) {
	disk, err := os.ReadFile("plan.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(disk, PlanSchema()) {
		t.Error("PlanSchema() differs from plan.schema.json")
	}
}

// TestRoundTripRandomPlans: for many generated plans, write → read gives the
// same plan back (nil and empty lists are the same plan), the written
// document passes the schema, and writing the read plan gives the same bytes.
func TestRoundTripRandomPlans(t *testing.T) {
	sch := compileSchema(t)
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 0x706c616e))
		want := randomPlan(r)
		var first bytes.Buffer
		if err := WritePlanFile(&first, want); err != nil {
			t.Fatalf("seed %d: write: %v", seed, err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Fatalf("seed %d: written plan breaks the schema: %v", seed, err)
		}
		got, err := ReadPlanFile(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatalf("seed %d: read: %v\n%s", seed, err, first.String())
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("seed %d: round trip changed the plan (-want +got):\n%s", seed, diff)
		}
		var second bytes.Buffer
		if err := WritePlanFile(&second, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("seed %d: writing the read plan gives other bytes", seed)
		}
	}
}

func TestWritePlanFileSetsVersion(t *testing.T) {
	p := emptyPlan()
	p.Version = 0
	var buf bytes.Buffer
	if err := WritePlanFile(&buf, p); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPlanFile(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != plan.FormatVersion {
		t.Errorf("version = %d, want %d", got.Version, plan.FormatVersion)
	}
	if p.Version != 0 {
		t.Error("WritePlanFile changed the caller's plan")
	}
}

func TestWritePlanFileRefuses(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *plan.Plan)
		want   error
		substr string
	}{
		{"other version", func(p *plan.Plan) { p.Version = 3 }, ErrUnsupportedVersion, "version 3"},
		{"op not named by a provider", func(p *plan.Plan) { p.Stages[0].Batches[0].Op = "Record.Frobnicate" }, ErrInvalidPlan, "/stages/0/batches/0/op"},
		{"payload not an object", func(p *plan.Plan) { p.Stages[0].Batches[0].Payload = []byte(`"x"`) }, ErrInvalidPlan, "/stages/0/batches/0/payload"},
		{"unknown change kind", func(p *plan.Plan) { p.Changes[0].Kind = "record-rename" }, ErrInvalidPlan, "/changes/0/kind"},
		{"dangling change", func(p *plan.Plan) { p.Stages[0].Batches[0].Changes = []string{"nope#1"} }, ErrInvalidPlan, `"nope#1"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := fullPlan()
			tc.mutate(p)
			var buf bytes.Buffer
			err := WritePlanFile(&buf, p)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.substr) {
				t.Fatalf("err = %v, want %v mentioning %s", err, tc.want, tc.substr)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes of a plan it refused", buf.Len())
			}
		})
	}
}

func TestReadPlanFileRefuses(t *testing.T) {
	valid, err := os.ReadFile("testdata/full.json.golden")
	if err != nil {
		t.Fatal(err)
	}
	// edit decodes the golden plan file, lets f change it, encodes it again.
	edit := func(f func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal(valid, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	change := func(m map[string]any, i int) map[string]any { return m["changes"].([]any)[i].(map[string]any) }
	batch := func(m map[string]any, s, b int) map[string]any {
		return m["stages"].([]any)[s].(map[string]any)["batches"].([]any)[b].(map[string]any)
	}
	tests := []struct {
		name   string
		doc    string
		want   error
		substr string
	}{
		{"newer version", `{"version": 3, "whatever": true}`, ErrUnsupportedVersion, "format version 3, this dnssync reads version 2"},
		{"older version", `{"version": 1, "changes": []}`, ErrUnsupportedVersion, "run plan again"},
		{"no version", `{"domains": []}`, ErrUnsupportedVersion, `no "version" field`},
		{"version as text", `{"version": "1"}`, ErrUnsupportedVersion, `"version" is "1"`},
		{"not JSON", `zones: []`, ErrInvalidPlan, "not a single JSON object"},
		{"empty", ``, ErrInvalidPlan, "not a single JSON object"},
		{"unknown field", edit(func(m map[string]any) { m["comment"] = "hi" }), ErrInvalidPlan, "comment"},
		{"missing cost", edit(func(m map[string]any) { delete(m, "cost") }), ErrInvalidPlan, "cost"},
		{"delete without live record", edit(func(m map[string]any) {
			for _, c := range m["changes"].([]any) {
				if c := c.(map[string]any); c["kind"] == "record-delete" {
					delete(c, "before")
				}
			}
		}), ErrInvalidPlan, "before"},
		{"update field unknown", edit(func(m map[string]any) { change(m, 7)["fields"] = []any{"weight"} }), ErrInvalidPlan, "/changes/7/fields/0"},
		{"provider field outside the payload", edit(func(m map[string]any) { batch(m, 3, 0)["record_ids"] = []any{"1", "2"} }), ErrInvalidPlan, "record_ids"},
		{"batch without payload", edit(func(m map[string]any) { delete(batch(m, 2, 3), "payload") }), ErrInvalidPlan, "payload"},
		{"negative ttl", edit(func(m map[string]any) { change(m, 5)["after"].(map[string]any)["ttl"] = -1 }), ErrInvalidPlan, "/changes/5/after/ttl"},
		{"bad fingerprint", edit(func(m map[string]any) { m["fingerprint"] = "md5:00" }), ErrInvalidPlan, "/fingerprint"},
		{"duplicate change id", edit(func(m map[string]any) { change(m, 1)["id"] = change(m, 0)["id"] }), ErrInvalidPlan, "appears twice"},
		{"duplicate batch id", edit(func(m map[string]any) { batch(m, 1, 1)["id"] = "s1.b1" }), ErrInvalidPlan, `batch id "s1.b1" appears twice`},
		{"trailing data", string(valid) + `{"version": 2}`, ErrInvalidPlan, "after top-level value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ReadPlanFile(strings.NewReader(tc.doc))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.substr) {
				t.Fatalf("err = %v, want %v mentioning %s", err, tc.want, tc.substr)
			}
			if p != nil {
				t.Error("returned a plan together with an error")
			}
		})
	}
	if _, err := ReadPlanFile(bytes.NewReader(valid)); err != nil {
		t.Fatalf("the unedited golden plan must read: %v", err)
	}
}

// jsonFields lists the JSON names of t's fields.
func jsonFields(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// planTypes maps each Go type of the plan file to its schema definition
// ("" is the document root).
func planTypes() map[string]reflect.Type {
	return map[string]reflect.Type{
		"":        reflect.TypeFor[plan.Plan](),
		"change":  reflect.TypeFor[plan.Change](),
		"stage":   reflect.TypeFor[plan.Stage](),
		"batch":   reflect.TypeFor[plan.Batch](),
		"cost":    reflect.TypeFor[plan.Cost](),
		"refusal": reflect.TypeFor[plan.Refusal](),
		"record":  reflect.TypeFor[model.Record](),
		"host":    reflect.TypeFor[model.DNSHost](),
		"pos":     reflect.TypeFor[model.Pos](),
	}
}

// TestSchemaCoversEveryField: a field added to plan or model types must be
// added to the schema too (or ReadPlanFile would refuse plans that carry it).
func TestSchemaCoversEveryField(t *testing.T) {
	var schema struct {
		Properties map[string]any `json:"properties"`
		Defs       map[string]struct {
			Properties map[string]any `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(PlanSchema(), &schema); err != nil {
		t.Fatal(err)
	}
	for def, typ := range planTypes() {
		props := schema.Properties
		if def != "" {
			props = schema.Defs[def].Properties
		}
		var inSchema []string
		for k := range props {
			inSchema = append(inSchema, k)
		}
		sort.Strings(inSchema)
		if diff := cmp.Diff(jsonFields(typ), inSchema); diff != "" {
			t.Errorf("%s: Go fields and schema properties differ (-go +schema):\n%s", typ, diff)
		}
	}
}

// TestFormatDocCoversEveryField: docs/PLAN-FORMAT.md names every field in a
// table row of the object's section.
func TestFormatDocCoversEveryField(t *testing.T) {
	doc, err := os.ReadFile("../../docs/PLAN-FORMAT.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range planTypes() {
		for _, f := range jsonFields(typ) {
			if !bytes.Contains(doc, []byte(fmt.Sprintf("| `%s` |", f))) {
				t.Errorf("docs/PLAN-FORMAT.md has no table row for %s field `%s`", typ, f)
			}
		}
	}
}

// randomPlan builds a plan that the format accepts, with every field
// exercised and awkward strings (quotes, pipes, HTML, non-ASCII, control
// characters) in free-text places.
func randomPlan(r *rand.Rand) *plan.Plan {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	text := func() string {
		return pick("", "a", "say \"hi\" | cat", "<b>x</b>&amp;", "`tick`", "a\\|b", "默认", "münchen", "tab\there", "nl\nx", "\x1b[2J", "\u202eevil")
	}
	name := func() string { return pick("@", "www", "*", "_dmarc", "xn--bcher-kva", "a.b", "电信") }
	domain := func() string { return pick("example.com", "example.org", "xn--mnchen-3ya.de") }
	strs := func(min int) []string {
		n := min + r.IntN(3)
		if n == 0 && r.IntN(2) == 0 {
			return nil
		}
		out := make([]string, n)
		for i := range out {
			out[i] = pick("ns1.example.com", "192.0.2.1", "2001:db8::1", "1001", "x")
		}
		return out
	}
	pos := func() model.Pos {
		if r.IntN(3) == 0 {
			return model.Pos{}
		}
		return model.Pos{File: pick("zones/a.yaml", "zones/münchen.yaml"), Line: r.IntN(500), Col: r.IntN(40)}
	}
	record := func() *model.Record {
		return &model.Record{Name: name(), Type: pick("A", "AAAA", "CNAME", "MX", "TXT", "SRV"), Line: pick("", model.DefaultLine, "电信"),
			Value: text(), MX: r.IntN(21), TTL: r.IntN(86400), Enabled: r.IntN(2) == 0, ID: pick("", "1001", "2002"),
			Pos: pos(), System: r.IntN(5) == 0}
	}
	host := func() *model.DNSHost {
		return &model.DNSHost{Host: pick("ns1.example.com", "ns2.xn--mnchen-3ya.de"), IPs: strs(0), Pos: pos()}
	}
	maybeRecord := func(need bool) *model.Record {
		if need || r.IntN(3) == 0 {
			return record()
		}
		return nil
	}
	maybeHost := func(need bool) *model.DNSHost {
		if need || r.IntN(3) == 0 {
			return host()
		}
		return nil
	}
	kinds := []plan.ChangeKind{plan.RecordCreate, plan.RecordUpdate, plan.RecordDelete, plan.NameserversSet,
		plan.HostCreate, plan.HostModify, plan.HostDelete, plan.HostSynchronize}
	ops := []plan.Op{aliyun.OpModifyDomainDNS, aliyun.OpSyncDNSHost, aliyun.OpCreateDNSHost, aliyun.OpModifyDNSHost,
		aliyun.OpDeleteDNSHost, dnspod.OpCreate, dnspod.OpModify, dnspod.OpRemove}

	p := &plan.Plan{Version: plan.FormatVersion, Fingerprint: pick("", fixtureFingerprint)}
	var ids []string
	for i := range r.IntN(12) {
		k := kinds[r.IntN(len(kinds))]
		c := plan.Change{ID: fmt.Sprintf("c#%d", i), Domain: domain(), Kind: k, Provider: pick("", "dnspod", "aliyun"), Pos: pos(),
			Before:     maybeRecord(k == plan.RecordUpdate || k == plan.RecordDelete),
			After:      maybeRecord(k == plan.RecordCreate || k == plan.RecordUpdate),
			HostBefore: maybeHost(k == plan.HostModify || k == plan.HostDelete),
			HostAfter:  maybeHost(k == plan.HostCreate || k == plan.HostModify),
			NSBefore:   strs(0), NSAfter: strs(0),
			AliyunDNSBefore: r.IntN(2) == 0, AliyunDNSAfter: r.IntN(2) == 0,
		}
		for _, f := range fieldOrder() {
			if r.IntN(4) == 0 {
				c.Fields = append(c.Fields, f)
			}
		}
		ids = append(ids, c.ID)
		p.Changes = append(p.Changes, c)
	}
	nb := 0
	for s := range r.IntN(4) {
		st := plan.Stage{Name: text(), Replan: r.IntN(2) == 0}
		for range r.IntN(5) {
			nb++
			op := ops[r.IntN(len(ops))]
			prov := pick("dnspod", "aliyun", "阿里")
			domains := []string{domain()}
			var b plan.Batch
			if strings.HasPrefix(string(op), "aliyun:") {
				pl := aliyun.Payload{Nameservers: strs(0), AliyunDNS: r.IntN(2) == 0, Host: pick("", "ns1.example.com"), IPs: strs(0)}
				if op == aliyun.OpModifyDomainDNS {
					domains = append(domains, domain())
					pl.Nameservers = strs(1)
				} else {
					pl.Host = "ns1.example.com"
				}
				b = aliyun.NewBatch(prov, op, domains, pl)
			} else {
				pl := dnspod.Payload{DomainIDs: strs(0), RecordIDs: strs(0), To: text(), Value: text(), MX: r.IntN(21)}
				if r.IntN(2) == 0 {
					pl.Field = pick("sub_domain", "record_type", "area", "value", "mx", "ttl", "status")
				}
				for range r.IntN(3) {
					pl.Records = append(pl.Records, *record())
				}
				switch op {
				case dnspod.OpCreate:
					pl.Records = append(pl.Records, *record())
				case dnspod.OpModify:
					pl.RecordIDs, pl.Field = strs(1), "ttl"
					if pl.To == "" {
						pl.To = "600"
					}
				case dnspod.OpRemove:
					pl.RecordIDs = []string{"1001"}
				}
				b = dnspod.NewBatch(prov, op, domains, pl)
			}
			b.ID = fmt.Sprintf("s%d.b%d", s+1, nb)
			for _, id := range ids {
				if r.IntN(3) == 0 {
					b.Changes = append(b.Changes, id)
				}
			}
			st.Batches = append(st.Batches, b)
		}
		p.Stages = append(p.Stages, st)
	}
	p.Cost = plan.Cost{Batches: nb, APICalls: r.IntN(100), Tasks: r.IntN(nb + 1), LowerBound: r.IntN(nb + 1), PerRecordCalls: r.IntN(1000)}
	for range r.IntN(3) {
		p.Refusals = append(p.Refusals, plan.Refusal{Domain: domain(), Rule: pick("delete-threshold", "delegation"), Reason: text()})
	}
	if r.IntN(2) == 0 {
		p.Summary = plan.Summarize(p.Changes)
	}
	return p
}
