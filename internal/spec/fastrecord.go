package spec

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/schemaguard"
)

// The fast path for dns.records. A large zone holds tens of thousands of
// records, all of the same simple shape; turning each into a JSON-like map
// and running the general schema validator over it was most of the cost of
// loading such a file. fastRecord checks an entry against the record schema
// directly on the YAML nodes. It accepts only entries that are plainly
// valid; anything else (a schema error, an alias, an odd key, an integer in
// a form it does not parse) goes the general way — converted and validated
// against the compiled record schema, with the same diagnostics as before.
// The fast path is used only while the embedded schema says exactly what
// fastRecord implements (fastRecordsMatch); a changed schema turns it off
// until fastRecord is changed to match.

// fastRecordSchema is what fastRecord implements: the dns.records
// property, the definitions it uses, and the keywords of the zone and dns
// objects on the way (annotations left out).
const fastRecordSchema = `{
  "records": {"type": "array", "items": {"$ref": "#/$defs/record"}},
  "dns-ref": {"$ref": "#/$defs/dns"},
  "record": {
    "type": "object", "additionalProperties": false, "required": ["name", "type"],
    "properties": {
      "name": {"type": "string", "minLength": 1},
      "type": {"$ref": "#/$defs/rrtype"},
      "value": {"type": "string", "minLength": 1},
      "values": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
      "mx": {"type": "integer", "minimum": 0, "maximum": 65535},
      "ttl": {"$ref": "#/$defs/ttl"},
      "line": {"type": "string", "minLength": 1},
      "enabled": {"type": "boolean"}
    }
  },
  "rrtype": {"type": "string", "pattern": "^[A-Za-z]+$"},
  "ttl": {"type": "integer", "minimum": 1, "maximum": 2147483647}
}`

// fastRecordsMatch reports whether schema (schema.json as decoded by
// jsonschema.UnmarshalJSON) still describes records as fastRecordSchema
// does, and whether nothing else in the zone or dns objects (allOf, if,
// patternProperties, …) could constrain dns.records.
func fastRecordsMatch(schema any) bool {
	defs, _ := dig(schema, "$defs").(map[string]any)
	for _, name := range []string{"zone", "dns"} {
		def, _ := defs[name].(map[string]any)
		if def == nil {
			return false
		}
		for k, v := range def {
			switch k {
			case "type", "required", "properties", "title", "description", "examples", "$comment":
			case "additionalProperties":
				if _, ok := v.(bool); !ok {
					return false
				}
			default:
				return false
			}
		}
	}
	got := map[string]any{
		"records": dig(defs, "dns", "properties", "records"),
		"dns-ref": dig(defs, "zone", "properties", "dns"),
		"record":  defs["record"],
		"rrtype":  defs["rrtype"],
		"ttl":     defs["ttl"],
	}
	a, err1 := json.Marshal(schemaguard.StripAnnotations(got))
	var want any
	dec := json.NewDecoder(bytes.NewReader([]byte(fastRecordSchema)))
	dec.UseNumber()
	err2 := dec.Decode(&want)
	b, err3 := json.Marshal(want)
	return err1 == nil && err2 == nil && err3 == nil && bytes.Equal(a, b)
}

// dig follows object members; nil when one is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// fastRecord reports whether the dns.records entry n is valid against the
// record schema, reading it as convert and the schema would. false means
// "not known to be valid": the entry then goes the general way.
func fastRecord(n *yaml.Node) bool {
	if n.Kind != yaml.MappingNode {
		return false
	}
	const name, typ = 1 << 0, 1 << 1
	var seen uint8
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
			return false
		}
		var bit uint8
		var ok bool
		switch k.Value {
		case "name":
			bit, ok = name, nonEmptyString(v)
		case "type":
			bit, ok = typ, rrtypeString(v)
		case "value":
			bit, ok = 1<<2, nonEmptyString(v)
		case "values":
			bit, ok = 1<<3, stringList(v)
		case "mx":
			bit, ok = 1<<4, intIn(v, 0, 65535)
		case "ttl":
			bit, ok = 1<<5, intIn(v, 1, math.MaxInt32)
		case "line":
			bit, ok = 1<<6, nonEmptyString(v)
		case "enabled":
			bit, ok = 1<<7, isBool(v)
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
	}
	return seen&(name|typ) == name|typ
}

func nonEmptyString(n *yaml.Node) bool {
	if n.Kind != yaml.ScalarNode {
		return false
	}
	s, ok := scalarString(n)
	return ok && s != ""
}

// rrtypeString: a string of ASCII letters (the pattern ^[A-Za-z]+$).
func rrtypeString(n *yaml.Node) bool {
	if !nonEmptyString(n) {
		return false
	}
	for i := 0; i < len(n.Value); i++ {
		if c := n.Value[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func stringList(n *yaml.Node) bool {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		return false
	}
	for _, c := range n.Content {
		if !nonEmptyString(c) {
			return false
		}
	}
	return true
}

func intIn(n *yaml.Node, lo, hi int64) bool {
	if n.Kind != yaml.ScalarNode {
		return false
	}
	num, ok := scalar(n).(json.Number)
	if !ok {
		return false
	}
	i, err := strconv.ParseInt(string(num), 10, 64)
	return err == nil && i >= lo && i <= hi
}

func isBool(n *yaml.Node) bool {
	if n.Kind != yaml.ScalarNode {
		return false
	}
	_, ok := scalar(n).(bool)
	return ok
}
