package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/model"
)

// maxNodes bounds how many values aliases may add beyond the nodes written
// in the file (aliases can multiply a small file into a huge tree); a large
// zone written out in full is never refused for its size.
const maxNodes = 200000

// doc is one parsed YAML file: the plain value tree the schema validates and,
// for every JSON pointer into it, the YAML nodes that hold it, so that schema
// errors and semantic problems can name line and column.
type doc struct {
	file  string
	root  any
	nodes map[string]nodeRef // JSON pointer → nodes
	bad   map[string]bool    // pointers the schema rejected: skipped by the decoder
	diags Diagnostics
	ok    bool // parsed into root; false after a syntax error or for an empty file
}

type nodeRef struct {
	key   *yaml.Node // nil for the root and for sequence items
	value *yaml.Node
}

var yamlLineRE = regexp.MustCompile(`line (\d+)(?::(\d+))?`)

// parseYAML parses data. d.ok is false (and d.diags says why) when the file
// is not a single, well-formed, non-empty YAML document.
func parseYAML(file string, data []byte) *doc {
	d := &doc{file: file, nodes: map[string]nodeRef{}, bad: map[string]bool{}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var top yaml.Node
	if err := dec.Decode(&top); err != nil {
		if errors.Is(err, io.EOF) {
			d.add(model.Pos{File: file, Line: 1, Col: 1}, RuleEmptyFile, "file is empty: it declares nothing")
			return d
		}
		d.addYAMLError(err, data)
		return d
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.add(d.pos(&extra), RuleYAMLSyntax, "more than one YAML document in the file; put each domain in its own file")
		return d
	} else if !errors.Is(err, io.EOF) {
		d.addYAMLError(err, data)
		return d
	}
	root := &top
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			d.add(model.Pos{File: file, Line: 1, Col: 1}, RuleEmptyFile, "file is empty: it declares nothing")
			return d
		}
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		d.add(d.pos(root), RuleEmptyFile, "file is empty: it declares nothing")
		return d
	}
	budget := maxNodes + countNodes(root)
	v, ok := d.convert(root, nil, "", &budget, 0)
	if !ok {
		return d
	}
	d.root, d.ok = v, true
	return d
}

var unknownAnchorRE = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

func (d *doc) addYAMLError(err error, data []byte) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	pos := model.Pos{File: d.file, Line: 1}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		if m[2] != "" {
			pos.Col, _ = strconv.Atoi(m[2])
		}
		msg = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(msg, m[0]), ":"))
		if isParserProblem(msg) {
			// yaml.v3 reports parser (not scanner) errors with a 0-based
			// line: the start of the construct being parsed.
			pos.Line++
		}
	}
	if m := unknownAnchorRE.FindStringSubmatch(msg); m != nil {
		// yaml.v3 gives no line for this one; find the alias.
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			pos.Line = 1 + bytes.Count(data[:i], []byte("\n"))
			pos.Col = 1 + i - (bytes.LastIndexByte(data[:i], '\n') + 1)
		}
	}
	if pos.Line < 1 {
		pos.Line = 1
	}
	d.add(pos, RuleYAMLSyntax, "YAML syntax: "+msg)
}

// isParserProblem reports whether msg is one of yaml.v3's parser error
// texts (parserc.go), whose line numbers are off by one.
func isParserProblem(msg string) bool {
	for _, p := range []string{"did not find expected ',' or ']'", "did not find expected ',' or '}'",
		"did not find expected '-' indicator", "did not find expected <document start>", "did not find expected <stream-start>",
		"did not find expected key", "did not find expected node content", "found duplicate %TAG directive",
		"found duplicate %YAML directive", "found incompatible YAML document", "found undefined tag handle"} {
		if msg == p {
			return true
		}
	}
	return false
}

func (d *doc) add(pos model.Pos, rule, msg string) {
	d.diags = append(d.diags, Diagnostic{Pos: pos, Rule: rule, Severity: SeverityError, Message: msg})
}

func (d *doc) warn(pos model.Pos, rule, msg string) {
	d.diags = append(d.diags, Diagnostic{Pos: pos, Rule: rule, Severity: SeverityWarning, Message: msg})
}

func (d *doc) pos(n *yaml.Node) model.Pos {
	if n == nil {
		return model.Pos{File: d.file, Line: 1, Col: 1}
	}
	return model.Pos{File: d.file, Line: max(n.Line, 1), Col: n.Column}
}

// countNodes counts the nodes written in the file, not following aliases.
func countNodes(n *yaml.Node) int {
	c := 1
	if n.Kind != yaml.AliasNode {
		for _, k := range n.Content {
			c += countNodes(k)
		}
	}
	return c
}

// convert builds the plain value of n (map[string]any, []any, string,
// json.Number, float64, bool, nil) and records node positions by pointer.
func (d *doc) convert(n, key *yaml.Node, ptr string, budget *int, depth int) (any, bool) {
	*budget--
	if *budget < 0 || depth > 200 {
		d.add(d.pos(n), RuleYAMLSyntax, "document too large or too deeply nested (aliases expand to too many values)")
		return nil, false
	}
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil, true
		}
		n = n.Alias
	}
	d.nodes[ptr] = nodeRef{key: key, value: n}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			for k.Kind == yaml.AliasNode && k.Alias != nil {
				k = k.Alias
			}
			if k.Kind != yaml.ScalarNode {
				d.add(d.pos(k), RuleSchemaType, "a mapping key must be a plain string")
				continue
			}
			if k.Tag == "!!merge" {
				d.add(d.pos(k), RuleUnknownKey, "merge keys (<<) are not supported; repeat the fields instead")
				continue
			}
			if first, dup := seen[k.Value]; dup {
				d.add(d.pos(k), RuleDuplicateKey, "key "+strconv.Quote(k.Value)+" is already defined at line "+strconv.Itoa(first.Line))
				continue
			}
			seen[k.Value] = k
			cv, ok := d.convert(v, k, ptr+"/"+escapePtr(k.Value), budget, depth+1)
			if !ok {
				return nil, false
			}
			m[k.Value] = cv
		}
		return m, true
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			cv, ok := d.convert(c, nil, ptr+"/"+strconv.Itoa(i), budget, depth+1)
			if !ok {
				return nil, false
			}
			s = append(s, cv)
		}
		return s, true
	case yaml.ScalarNode:
		return scalar(n), true
	}
	return nil, true
}

// scalar converts a YAML scalar by its resolved tag. Numbers become
// json.Number so that the schema sees integers as integers.
func scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			return json.Number(strconv.FormatInt(i, 10))
		}
		var u uint64
		if n.Decode(&u) == nil {
			return json.Number(strconv.FormatUint(u, 10))
		}
		// Too large for 64 bits: still a number to the schema.
		return json.Number("1e100")
	case "!!float":
		var f float64
		if n.Decode(&f) == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
		}
	}
	return n.Value
}

func escapePtr(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func unescapePtr(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

// valuePos is the position of the value at ptr (or the nearest ancestor
// that has one).
func (d *doc) valuePos(ptr string) model.Pos {
	for {
		if r, ok := d.nodes[ptr]; ok {
			return d.pos(r.value)
		}
		i := strings.LastIndexByte(ptr, '/')
		if i < 0 {
			return d.pos(nil)
		}
		ptr = ptr[:i]
	}
}

// keyPos is the position of the key that introduces ptr, else of its value.
func (d *doc) keyPos(ptr string) model.Pos {
	if r, ok := d.nodes[ptr]; ok && r.key != nil {
		return d.pos(r.key)
	}
	return d.valuePos(ptr)
}

// humanPath renders a pointer as dns.records[3].ttl for messages.
func humanPath(ptr string) string {
	if ptr == "" {
		return "(top level)"
	}
	var b strings.Builder
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = unescapePtr(tok)
		if _, err := strconv.Atoi(tok); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}
