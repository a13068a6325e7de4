package render

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
)

// The plan file is the JSON form of plan.Plan, indented, versioned by its
// "version" field and described by plan.schema.json (docs/PLAN-FORMAT.md
// explains every field). Writing checks the document against the schema and
// the references between batches and changes, so a plan that `plan -out`
// wrote is one that `apply` will read.

//go:embed plan.schema.json
var planSchema string

const planSchemaURL = "https://github.com/dnssync/dnssync/internal/render/plan.schema.json"

// ErrUnsupportedVersion is returned by ReadPlanFile for a plan file of
// another format version (or none).
var ErrUnsupportedVersion = errors.New("unsupported plan format version")

// ErrInvalidPlan is returned for a plan document that is not valid JSON,
// breaks the schema, or whose batches name changes that do not exist.
var ErrInvalidPlan = errors.New("invalid plan")

// PlanSchema returns the JSON Schema of the plan file (a copy).
func PlanSchema() []byte { return []byte(planSchema) }

// WritePlanFile writes p as a plan file: indented JSON, HTML characters
// unescaped, nil lists as [] so that every required field is present. A plan
// without a version gets plan.FormatVersion; a plan of another version, or
// one that does not pass the schema, is an error and nothing is written.
func WritePlanFile(w io.Writer, p *plan.Plan) error {
	q := normalize(p)
	switch q.Version {
	case 0:
		q.Version = plan.FormatVersion
	case plan.FormatVersion:
	default:
		return fmt.Errorf("write plan: %w: plan has version %d, this dnssync writes %d",
			ErrUnsupportedVersion, q.Version, plan.FormatVersion)
	}
	// ReadPlanFile checks the version, the schema, a strict decode and the
	// references. The version is the one just set, and the encoding of
	// plan.Plan decodes strictly into plan.Plan (no field or value of its
	// own types is foreign to them; TestRoundTripRandomPlans keeps it so),
	// so the schema and the references are what is left to check. When
	// the typed plan passes the schema (validParts), the file is written as
	// it is encoded; otherwise it is encoded first and validated as bytes,
	// which also words any error.
	if s, err := compiledParts(); err == nil && s.fast && validParts(s, &q) {
		if err := checkRefs(&q, jsonText); err != nil {
			return fmt.Errorf("write plan: %w", err)
		}
		if err := streamPlan(w, &q); err != nil {
			return fmt.Errorf("write plan: %w", err)
		}
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&q); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	if err := validateSchema(buf.Bytes()); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	if err := checkRefs(&q, jsonText); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}

// ReadPlanFile reads a plan file written by WritePlanFile. It refuses other
// format versions (ErrUnsupportedVersion) before looking at anything else,
// and documents that break the schema or refer to unknown changes
// (ErrInvalidPlan): apply must run exactly what was reviewed, or nothing.
func ReadPlanFile(r io.Reader) (*plan.Plan, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	p, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	return p, nil
}

// decode checks, in this order, the version, the schema, a strict decode
// and the references between batches and changes.
func decode(b []byte) (*plan.Plan, error) {
	var head struct {
		Version json.RawMessage `json:"version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("%w: not a single JSON object: %w", ErrInvalidPlan, err)
	}
	if head.Version == nil {
		return nil, fmt.Errorf("%w: no \"version\" field; this is not a dnssync plan file", ErrUnsupportedVersion)
	}
	var version int
	if err := json.Unmarshal(head.Version, &version); err != nil {
		return nil, fmt.Errorf("%w: \"version\" is %s, not an integer", ErrUnsupportedVersion, head.Version)
	}
	if version != plan.FormatVersion {
		return nil, fmt.Errorf("%w: the plan file has format version %d, this dnssync reads version %d; "+
			"run plan again with this dnssync", ErrUnsupportedVersion, version, plan.FormatVersion)
	}

	if err := validateSchema(b); err != nil {
		return nil, err
	}

	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p plan.Plan
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPlan, err)
	}
	if err := checkRefs(&p, nil); err != nil {
		return nil, err
	}
	// The file indents payloads; keep them compact in memory, as the
	// planner made them, so a plan read back equals the plan written.
	for i := range p.Stages {
		for j := range p.Stages[i].Batches {
			b := &p.Stages[i].Batches[j]
			var c bytes.Buffer
			if err := json.Compact(&c, b.Payload); err != nil {
				return nil, fmt.Errorf("%w: batch %s: payload: %w", ErrInvalidPlan, b.ID, err)
			}
			b.Payload = c.Bytes()
		}
	}
	return &p, nil
}

// compiledSchema compiles the embedded schema once per process: compiling
// costs about 10 ms (the 2020-12 meta-schema is checked too), reading or
// writing a plan a fraction of that. The value never changes after the first
// call, so this is a memo of a constant, not shared mutable state.
var compiledSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(planSchema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(planSchemaURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(planSchemaURL)
})

func validateSchema(b []byte) error {
	sch, err := compiledSchema()
	if err != nil {
		return fmt.Errorf("plan schema: %w", err) // embedded: only a broken build gets here
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidPlan, err)
	}
	if err := sch.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return fmt.Errorf("%w: %s", ErrInvalidPlan, schemaProblems(ve))
		}
		return fmt.Errorf("%w: %w", ErrInvalidPlan, err)
	}
	return nil
}

// schemaProblems lists the leaf errors of a validation failure, one
// "at /json/pointer: message" per problem, in the order the validator
// reports them.
func schemaProblems(ve *jsonschema.ValidationError) string {
	pr := message.NewPrinter(language.English)
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, "at /"+strings.Join(e.InstanceLocation, "/")+": "+e.ErrorKind.LocalizedString(pr))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return strings.Join(out, "; ")
}

// checkRefs: change and batch ids are unique, and every change a batch
// names exists. as, when not nil, maps each id to the form it is compared
// in (jsonText for a plan about to be written).
func checkRefs(p *plan.Plan, as func(string) string) error {
	if as == nil {
		as = func(s string) string { return s }
	}
	changes := make(map[string]bool, len(p.Changes))
	for _, c := range p.Changes {
		id := as(c.ID)
		if changes[id] {
			return fmt.Errorf("%w: change id %q appears twice", ErrInvalidPlan, id)
		}
		changes[id] = true
	}
	batches := map[string]bool{}
	for _, s := range p.Stages {
		for _, b := range s.Batches {
			bid := as(b.ID)
			if batches[bid] {
				return fmt.Errorf("%w: batch id %q appears twice", ErrInvalidPlan, bid)
			}
			batches[bid] = true
			for _, id := range b.Changes {
				if id := as(id); !changes[id] {
					return fmt.Errorf("%w: batch %s names change %q, which the plan does not have", ErrInvalidPlan, bid, id)
				}
			}
		}
	}
	return nil
}

// normalize returns a copy of p whose lists that the format requires are
// non-nil, so that they are written as [] rather than null. p is not changed.
func normalize(p *plan.Plan) plan.Plan {
	q := *p
	q.Changes = make([]plan.Change, len(p.Changes))
	for i, c := range p.Changes {
		c.HostBefore = hostWithIPs(c.HostBefore)
		c.HostAfter = hostWithIPs(c.HostAfter)
		q.Changes[i] = c
	}
	q.Stages = make([]plan.Stage, len(p.Stages))
	for i, s := range p.Stages {
		bs := make([]plan.Batch, len(s.Batches))
		for j, b := range s.Batches {
			b.Domains = nonNil(b.Domains)
			b.Changes = nonNil(b.Changes)
			if len(b.Payload) == 0 {
				b.Payload = json.RawMessage("{}")
			}
			bs[j] = b
		}
		s.Batches = bs
		q.Stages[i] = s
	}
	return q
}

func hostWithIPs(h *model.DNSHost) *model.DNSHost {
	if h == nil || h.IPs != nil {
		return h
	}
	c := *h
	c.IPs = []string{}
	return &c
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
