package spec

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/dnssync/dnssync"
)

const schemaURL = "https://github.com/dnssync/dnssync/schema.json"

// Schemas holds the compiled schema for each file kind. Compiling takes a
// few milliseconds, so a Config keeps one and every zone load reuses it.
type Schemas struct {
	config, zone *jsonschema.Schema
	record       *jsonschema.Schema // one dns.records entry, for the fast path
	// fastRecords: the embedded schema's dns.records is the one fastRecord
	// implements, so zone files may take the fast path.
	fastRecords bool
	printer     *message.Printer // renders schema error kinds
}

// CompileSchemas compiles the embedded schema.json.
func CompileSchemas() (*Schemas, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(dnssync.Schema()))
	if err != nil {
		return nil, fmt.Errorf("embedded schema.json: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, fmt.Errorf("embedded schema.json: %w", err)
	}
	s := Schemas{printer: message.NewPrinter(language.English)}
	if s.config, err = c.Compile(schemaURL + "#/$defs/config"); err != nil {
		return nil, fmt.Errorf("compile config schema: %w", err)
	}
	if s.zone, err = c.Compile(schemaURL + "#/$defs/zone"); err != nil {
		return nil, fmt.Errorf("compile zone schema: %w", err)
	}
	if s.record, err = c.Compile(schemaURL + "#/$defs/record"); err != nil {
		return nil, fmt.Errorf("compile record schema: %w", err)
	}
	s.fastRecords = fastRecordsMatch(doc)
	return &s, nil
}

// validate checks d.root against sch, and the dns.records entries the
// fast path left over against rec, and turns every leaf error into a
// positioned diagnostic; the rejected pointers go into d.bad so that the
// decoder skips them instead of reporting them a second time. The value
// tree is not needed afterwards and is dropped.
func (d *doc) validate(sch, rec *jsonschema.Schema, p *message.Printer) {
	d.validateValue(sch, d.root, "", p)
	for _, it := range d.slow {
		d.validateValue(rec, it.value, "/dns/records/"+strconv.Itoa(it.index), p)
	}
	d.root, d.slow = nil, nil
}

// validateValue validates v, found at pointer at, against sch.
func (d *doc) validateValue(sch *jsonschema.Schema, v any, at string, p *message.Printer) {
	err := sch.Validate(v)
	if err == nil {
		return
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		d.add(d.pos(nil), RuleSchema, err.Error())
		return
	}
	for _, leaf := range leaves(ve, nil) {
		d.schemaError(leaf, at, p)
	}
}

func leaves(e *jsonschema.ValidationError, out []*jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return append(out, e)
	}
	for _, c := range e.Causes {
		out = leaves(c, out)
	}
	return out
}

func (d *doc) schemaError(e *jsonschema.ValidationError, at string, p *message.Printer) {
	ptr := at
	for _, tok := range e.InstanceLocation {
		ptr += "/" + escapePtr(tok)
	}
	where := humanPath(ptr)
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			pp := ptr + "/" + escapePtr(p)
			d.bad[pp] = true
			in := ""
			if ptr != "" {
				in = " in " + where
			}
			d.add(d.keyPos(pp), RuleUnknownKey, fmt.Sprintf("unknown key %q%s", p, in))
		}
		return
	case *kind.Type:
		d.bad[ptr] = true
		d.add(d.valuePos(ptr), RuleSchemaType, fmt.Sprintf("%s: got %s, want %s%s", where, k.Got, strings.Join(k.Want, " or "), quoteHint(k)))
		return
	case *kind.Required:
		d.bad[ptr] = true
		missing := slices.Clone(k.Missing)
		for i, m := range missing {
			missing[i] = fmt.Sprintf("%q", m)
		}
		d.add(d.valuePos(ptr), RuleMissingKey, fmt.Sprintf("%s: missing required key %s", where, strings.Join(missing, ", ")))
		return
	}
	d.bad[ptr] = true
	d.add(d.valuePos(ptr), RuleSchema, fmt.Sprintf("%s: %s", where, e.ErrorKind.LocalizedString(p)))
}

// quoteHint helps with YAML's implicit typing (a TXT value of 123 or a
// label like 2024 is a number unless quoted).
func quoteHint(k *kind.Type) string {
	if slices.Contains(k.Want, "string") && (k.Got == "number" || k.Got == "integer" || k.Got == "boolean" || k.Got == "null") {
		return " (quote the value to make it a string)"
	}
	return ""
}
