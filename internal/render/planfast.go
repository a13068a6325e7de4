package render

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/schemaguard"
)

// Checking a written plan against the schema. A plan of a large zone holds
// tens of thousands of changes and batches; parsing the whole document back
// into a JSON tree and running the general validator over it cost more than
// planning. The plan comes from our own types, so most of it is checked on
// the types: fastChange and fastBatch accept the record changes and DNSPod
// batches that the schema plainly accepts. The rest of the document (the
// plan without its changes and batches) and every change or batch they do
// not accept is validated with the compiled schema. Should any of that fail,
// the whole document is validated the general way, so that errors are
// reported exactly as before.
//
// The split is sound because the schema gives changes and batches no rule
// beyond their own definitions (arrays with "items" only), which
// planFastPathDigest pins together with the definitions fastChange and
// fastBatch implement. When plan.schema.json changes in those parts, the
// digest no longer matches and the fast path is off until the checks are
// reviewed (TestPlanFastPathOn says so).

// planFastPathDigest is the SHA-256 of fastPathParts of plan.schema.json.
const planFastPathDigest = "sha256:fd7f9026d38aa37681f67a6718c1c20a1e4fa2cbfeab3c0ead1325170aa02e01"

// fastPathParts returns the parts of the schema document the fast path
// relies on, annotations left out, as canonical JSON, and whether the
// document and its stage definition have no keywords that could constrain
// changes or batches from outside their definitions.
func fastPathParts(schema []byte) ([]byte, bool) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(schema))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, false
	}
	defs, _ := doc["$defs"].(map[string]any)
	stage, _ := defs["stage"].(map[string]any)
	for _, obj := range []map[string]any{doc, stage} {
		for k := range obj {
			switch k {
			case "$schema", "$id", "$defs", "type", "additionalProperties", "required", "properties", "title", "description", "$comment":
			default:
				return nil, false
			}
		}
	}
	prop := func(obj map[string]any, name string) any {
		p, _ := obj["properties"].(map[string]any)
		return p[name]
	}
	parts := map[string]any{
		"changes":       prop(doc, "changes"),
		"stages":        prop(doc, "stages"),
		"stage.batches": prop(stage, "batches"),
	}
	for _, name := range []string{"change", "batch", "record", "pos", "host", "name", "names", "count"} {
		parts[name] = defs[name]
	}
	b, err := json.Marshal(schemaguard.StripAnnotations(parts))
	return b, err == nil
}

// fastPathDigest is the digest of fastPathParts; "" when the schema's
// shape does not allow the split at all.
func fastPathDigest(schema []byte) string {
	b, ok := fastPathParts(schema)
	if !ok {
		return ""
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// planSchemas holds what checking a written plan needs, compiled once per
// process (a memo of constants, like compiledSchema).
type planSchemas struct {
	fast          bool // fastPathDigest matches: the split may be used
	change, batch *jsonschema.Schema
}

var compiledParts = sync.OnceValues(func() (*planSchemas, error) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(planSchema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(planSchemaURL, doc); err != nil {
		return nil, err
	}
	s := &planSchemas{fast: fastPathDigest([]byte(planSchema)) == planFastPathDigest}
	if s.change, err = c.Compile(planSchemaURL + "#/$defs/change"); err != nil {
		return nil, err
	}
	if s.batch, err = c.Compile(planSchemaURL + "#/$defs/batch"); err != nil {
		return nil, err
	}
	return s, nil
})

// validParts reports whether q passes the schema, checked as the plan
// without changes and batches plus each change and batch on its own.
func validParts(s *planSchemas, q *plan.Plan) bool {
	sch, err := compiledSchema()
	if err != nil {
		return false
	}
	rest := *q
	rest.Changes = []plan.Change{}
	rest.Stages = make([]plan.Stage, len(q.Stages))
	for i, st := range q.Stages {
		st.Batches = []plan.Batch{}
		rest.Stages[i] = st
	}
	if !valid(sch, rest) {
		return false
	}
	for i := range q.Changes {
		if !fastChange(&q.Changes[i]) && !valid(s.change, q.Changes[i]) {
			return false
		}
	}
	for _, st := range q.Stages {
		for i := range st.Batches {
			if !fastBatch(&st.Batches[i]) && !valid(s.batch, st.Batches[i]) {
				return false
			}
		}
	}
	return true
}

// valid validates the JSON encoding of v against sch.
func valid(sch *jsonschema.Schema, v any) bool {
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	return err == nil && sch.Validate(inst) == nil
}

// recordFields are the values of a change's "fields" (schema enum).
func recordField(f string) bool {
	switch f {
	case "name", "type", "line", "value", "mx", "ttl", "enabled":
		return true
	}
	return false
}

// fastChange reports whether the JSON encoding of c plainly passes the
// change definition. Only record changes are judged; false sends a change
// to the schema.
func fastChange(c *plan.Change) bool {
	if c.ID == "" || c.Domain == "" || !fastPos(c.Pos) || !names(c.NSBefore) || !names(c.NSAfter) ||
		!fastRecord(c.Before) || !fastRecord(c.After) || !fastHost(c.HostBefore) || !fastHost(c.HostAfter) {
		return false
	}
	for _, f := range c.Fields {
		if !recordField(f) {
			return false
		}
	}
	switch c.Kind {
	case plan.RecordCreate:
		return c.After != nil
	case plan.RecordUpdate:
		return c.Before != nil && c.After != nil
	case plan.RecordDelete:
		return c.Before != nil
	}
	return false
}

// fastBatch reports whether the JSON encoding of b plainly passes the
// batch definition: every field present, names non-empty, the operation
// named by its provider, a payload that is a JSON object.
func fastBatch(b *plan.Batch) bool {
	return b.ID != "" && len(b.Domains) > 0 && names(b.Domains) && b.Changes != nil && names(b.Changes) &&
		b.Items >= 0 && opName(string(b.Op)) && len(b.Payload) > 1 && b.Payload[0] == '{'
}

// opName: "<provider>:<operation>" as the schema's pattern has it.
func opName(op string) bool {
	prov, name, ok := strings.Cut(op, ":")
	if !ok || prov == "" || name == "" {
		return false
	}
	for _, r := range prov {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// fastRecord: nil (omitted) or a record the record definition accepts.
func fastRecord(r *model.Record) bool {
	return r == nil || r.Name != "" && r.Type != "" && r.MX >= 0 && r.TTL >= 0 && fastPos(r.Pos)
}

// fastHost: nil (omitted) or a host the host definition accepts.
func fastHost(h *model.DNSHost) bool {
	return h == nil || h.Host != "" && h.IPs != nil && fastPos(h.Pos)
}

// fastPos: line and column are counts (zero is omitted).
func fastPos(p model.Pos) bool { return p.Line >= 0 && p.Col >= 0 }

// names: every item is a non-empty string (the "name" definition).
func names(s []string) bool {
	for _, x := range s {
		if x == "" {
			return false
		}
	}
	return true
}

// jsonText is s as it reads back from JSON: encoding/json writes each byte
// of invalid UTF-8 as U+FFFD. Ids are compared in this form, as
// ReadPlanFile will see them.
func jsonText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+w])
		}
		i += w
	}
	return b.String()
}

// streamPlan writes q exactly as json.Encoder writes it (indented by two
// spaces, HTML characters as they are, a final newline), one change and
// one stage at a time, so that a plan of tens of thousands of changes is
// never held as text. The fields of plan.Plan are written in their order
// (TestStreamPlanBytes holds both to the encoder).
func streamPlan(w io.Writer, q *plan.Plan) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var one bytes.Buffer
	// value writes v as it appears in the document at depth 1 (prefix
	// "  ") or 2 ("    ").
	value := func(v any, prefix string) error {
		one.Reset()
		enc := json.NewEncoder(&one)
		enc.SetEscapeHTML(false)
		enc.SetIndent(prefix, "  ")
		if err := enc.Encode(v); err != nil {
			return err
		}
		_, err := bw.Write(bytes.TrimSuffix(one.Bytes(), []byte("\n")))
		return err
	}
	field := func(name string, v any, last bool) error {
		bw.WriteString("  \"" + name + "\": ")
		if err := value(v, "  "); err != nil {
			return err
		}
		if !last {
			bw.WriteByte(',')
		}
		return bw.WriteByte('\n')
	}
	// list writes a field holding an array element by element; fast, when
	// not nil, appends element i itself if it can.
	var scratch []byte
	list := func(name string, n int, item func(int) any, fast func([]byte, int) ([]byte, bool), last bool) error {
		bw.WriteString("  \"" + name + "\": ")
		if n == 0 {
			bw.WriteString("[]")
		} else {
			bw.WriteString("[\n")
			for i := range n {
				bw.WriteString("    ")
				written := false
				if fast != nil {
					if scratch, written = fast(scratch[:0], i); written {
						bw.Write(scratch)
					}
				}
				if !written {
					if err := value(item(i), "    "); err != nil {
						return err
					}
				}
				if i < n-1 {
					bw.WriteByte(',')
				}
				bw.WriteByte('\n')
			}
			bw.WriteString("  ]")
		}
		if !last {
			bw.WriteByte(',')
		}
		return bw.WriteByte('\n')
	}
	bw.WriteString("{\n")
	noRefusals := len(q.Refusals) == 0 // omitempty
	if err := field("version", q.Version, false); err != nil {
		return err
	}
	if err := field("fingerprint", q.Fingerprint, false); err != nil {
		return err
	}
	if err := field("desired_fingerprint", q.DesiredFingerprint, false); err != nil {
		return err
	}
	if err := list("changes", len(q.Changes), func(i int) any { return &q.Changes[i] },
		func(b []byte, i int) ([]byte, bool) { return appendChange(b, &q.Changes[i]) }, false); err != nil {
		return err
	}
	if err := list("stages", len(q.Stages), func(i int) any { return &q.Stages[i] }, nil, false); err != nil {
		return err
	}
	noSummary := q.Summary == nil // omitempty
	if err := field("cost", q.Cost, noRefusals && noSummary); err != nil {
		return err
	}
	if !noRefusals {
		if err := list("refusals", len(q.Refusals), func(i int) any { return &q.Refusals[i] }, nil, noSummary); err != nil {
			return err
		}
	}
	if !noSummary {
		if err := field("summary", q.Summary, true); err != nil {
			return err
		}
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// appendChange appends record change c as the plan file's encoder writes
// it at depth 2 (json.Encoder, no HTML escaping, indented by two spaces
// under the prefix "    "), and reports whether it could: a registrar
// change, or a string the encoder would escape, is left to the encoder.
// A 100,000-record plan holds tens of thousands of changes, and the
// encoder's reflection and second pass (indenting) were a tenth of the
// command's time. TestStreamPlanBytes compares the two over random plans.
func appendChange(b []byte, c *plan.Change) ([]byte, bool) {
	if c.NSBefore != nil || c.NSAfter != nil || c.AliyunDNSBefore || c.AliyunDNSAfter || c.HostBefore != nil || c.HostAfter != nil {
		return b, false
	}
	const in = "\n      " // fields of the change
	ok := true
	str := func(b []byte, s string) []byte {
		if !plainJSON(s) {
			ok = false
			return b
		}
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	pos := func(b []byte, p model.Pos, indent string) []byte {
		if p == (model.Pos{}) {
			return append(b, "{}"...)
		}
		b = append(b, '{')
		sep := ""
		if p.File != "" {
			b = append(b, indent+"  \"file\": "...)
			b = str(b, p.File)
			sep = ","
		}
		if p.Line != 0 {
			b = append(b, sep+indent+"  \"line\": "...)
			b = strconv.AppendInt(b, int64(p.Line), 10)
			sep = ","
		}
		if p.Col != 0 {
			b = append(b, sep+indent+"  \"col\": "...)
			b = strconv.AppendInt(b, int64(p.Col), 10)
		}
		return append(b, indent+"}"...)
	}
	record := func(b []byte, r *model.Record) []byte {
		const ri = "\n        " // fields of the record
		b = append(b, "{"+ri+"\"name\": "...)
		b = str(b, r.Name)
		b = append(b, ","+ri+"\"type\": "...)
		b = str(b, r.Type)
		b = append(b, ","+ri+"\"line\": "...)
		b = str(b, r.Line)
		b = append(b, ","+ri+"\"value\": "...)
		b = str(b, r.Value)
		if r.MX != 0 {
			b = append(b, ","+ri+"\"mx\": "...)
			b = strconv.AppendInt(b, int64(r.MX), 10)
		}
		b = append(b, ","+ri+"\"ttl\": "...)
		b = strconv.AppendInt(b, int64(r.TTL), 10)
		b = append(b, ","+ri+"\"enabled\": "...)
		b = strconv.AppendBool(b, r.Enabled)
		if r.ID != "" {
			b = append(b, ","+ri+"\"id\": "...)
			b = str(b, r.ID)
		}
		b = append(b, ","+ri+"\"pos\": "...)
		b = pos(b, r.Pos, ri)
		if r.System {
			b = append(b, ","+ri+"\"system\": true"...)
		}
		return append(b, "\n      }"...)
	}
	b = append(b, "{"+in+"\"id\": "...)
	b = str(b, c.ID)
	b = append(b, ","+in+"\"domain\": "...)
	b = str(b, c.Domain)
	b = append(b, ","+in+"\"kind\": "...)
	b = str(b, string(c.Kind))
	b = append(b, ","+in+"\"provider\": "...)
	b = str(b, c.Provider)
	b = append(b, ","+in+"\"pos\": "...)
	b = pos(b, c.Pos, in)
	if c.Before != nil {
		b = append(b, ","+in+"\"before\": "...)
		b = record(b, c.Before)
	}
	if c.After != nil {
		b = append(b, ","+in+"\"after\": "...)
		b = record(b, c.After)
	}
	if len(c.Fields) > 0 {
		b = append(b, ","+in+"\"fields\": ["...)
		for i, f := range c.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, "\n        "...)
			b = str(b, f)
		}
		b = append(b, "\n      ]"...)
	}
	b = append(b, "\n    }"...)
	return b, ok
}

// plainJSON reports whether encoding/json writes s as it is between
// quotes (without HTML escaping): printable ASCII but for the quote and
// the backslash, or valid UTF-8 without U+2028 and U+2029.
func plainJSON(s string) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' {
			return false
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	return ascii || utf8.ValidString(s) && !strings.ContainsRune(s, '\u2028') && !strings.ContainsRune(s, '\u2029')
}
