package spec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/model"
)

// maxNodes bounds how many values aliases may add beyond the nodes written
// in the file (aliases can multiply a small file into a huge tree); a large
// zone written out in full is never refused for its size.
const maxNodes = 200000

// doc is one parsed YAML file: its YAML node tree, which the decoder walks
// and which gives every value its line and column, and the plain value tree
// the schema validates. Positions are looked up in the node tree only when
// something asks for one (a record's declaration, a diagnostic), so no
// table of every node's JSON pointer is built.
type doc struct {
	file  string
	top   *yaml.Node      // the document's value, aliases followed (nil: none)
	root  any             // plain value tree for the schema; dropped after validation
	slow  []recordItem    // dns.records entries the fast path left to the schema
	bad   map[string]bool // pointers the schema rejected: skipped by the decoder
	diags Diagnostics
	ok    bool // parsed into root; false after a syntax error or for an empty file
	// fastRecords: dns.records entries are checked by fastRecord, and
	// only those it does not accept are converted and validated (d.slow).
	fastRecords bool

	// stream: dns.records is read run by run (stream.go); the skeleton's
	// placeholder stands for it. streamErr is why reading stopped early.
	stream    *recordStream
	streamErr error
	schemas   *Schemas
	cancelled error // the context's error, when it stopped the parse
}

// ctxReader fails once ctx is done. yaml.v3 reads its input 512 bytes at a
// time, so a parse over it stops soon after: yaml.v3 itself takes no
// context, and a large document takes seconds to parse.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// recordItem is one dns.records entry left to the schema, as a plain value.
type recordItem struct {
	index int
	value any
}

// parseYAML parses data. d.ok is false (and d.diags says why) when the file
// is not a single, well-formed, non-empty YAML document. fastRecords says
// whether the file is a zone file whose records the zone schema's fast path
// may check (see fastRecord).
func parseYAML(file string, data []byte, fastRecords bool) *doc {
	return parseYAMLContext(context.Background(), file, data, fastRecords)
}

// parseYAMLContext is parseYAML that stops when ctx is done; d.cancelled
// then holds ctx's error and d.diags nothing about it.
func parseYAMLContext(ctx context.Context, file string, data []byte, fastRecords bool) *doc {
	d := &doc{file: file, bad: map[string]bool{}, fastRecords: fastRecords}
	dec := yaml.NewDecoder(ctxReader{ctx, bytes.NewReader(data)})
	var top yaml.Node
	if err := dec.Decode(&top); err != nil {
		if ctx.Err() != nil {
			d.cancelled = ctx.Err()
			return d
		}
		if errors.Is(err, io.EOF) {
			d.add(model.Pos{File: file, Line: 1, Col: 1}, RuleEmptyFile, "file is empty: it declares nothing")
			return d
		}
		d.addYAMLError(err, data)
		return d
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); ctx.Err() != nil {
		d.cancelled = ctx.Err()
		return d
	} else if err == nil {
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
	v, ok := d.convert(root, &budget, 0, atRoot)
	if !ok {
		d.slow = nil
		return d
	}
	d.top, d.root, d.ok = followAlias(root), v, true
	return d
}

func (d *doc) addYAMLError(err error, data []byte) {
	line, col, msg := locateYAMLError(data, err)
	d.add(model.Pos{File: d.file, Line: line, Col: col}, RuleYAMLSyntax, "YAML syntax: "+msg)
}

func (d *doc) add(pos model.Pos, rule, msg string) {
	d.diags = append(d.diags, Diagnostic{Pos: pos, Rule: rule, Severity: SeverityError, Message: clipMessage(msg)})
}

func (d *doc) warn(pos model.Pos, rule, msg string) {
	d.diags = append(d.diags, Diagnostic{Pos: pos, Rule: rule, Severity: SeverityWarning, Message: clipMessage(msg)})
}

func (d *doc) pos(n *yaml.Node) model.Pos {
	if n == nil {
		return model.Pos{File: d.file, Line: 1, Col: 1}
	}
	return model.Pos{File: d.file, Line: max(n.Line, 1), Col: n.Column}
}

// valueCount is how many values convert visits in n, which holds no alias:
// the node itself and, in collections, its items or mapping values.
func valueCount(n *yaml.Node) int {
	c := 1
	switch n.Kind {
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			c += valueCount(n.Content[i])
		}
	case yaml.SequenceNode:
		for _, k := range n.Content {
			c += valueCount(k)
		}
	}
	return c
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

// where says which part of a zone file convert is in, so that it can hand
// the entries of dns.records to the fast path.
type where uint8

const (
	elsewhere where = iota
	atRoot
	atDNS
	atRecords
)

// child is where the member key of a mapping at w leads.
func (w where) child(key string) where {
	switch {
	case w == atRoot && key == "dns":
		return atDNS
	case w == atDNS && key == "records":
		return atRecords
	}
	return elsewhere
}

// followAlias returns the node an alias stands for (n itself if it is none);
// nil for an alias without a target.
func followAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil
		}
		n = n.Alias
	}
	return n
}

// mappingKey returns the key node of a mapping entry, aliases followed, or
// nil when convert skips the entry for its key (not a plain scalar, or a
// merge key); duplicates are the caller's business.
func mappingKey(k *yaml.Node) *yaml.Node {
	for k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
		return nil
	}
	return k
}

// convert builds the plain value of n (map[string]any, []any, string,
// json.Number, float64, bool, nil) for the schema and reports the keys
// the value tree cannot hold. In a zone file's dns.records, entries that
// fastRecord accepts are left out of the tree (the array is given to the
// schema empty) and the others are kept aside in d.slow.
func (d *doc) convert(n *yaml.Node, budget *int, depth int, w where) (any, bool) {
	*budget--
	if *budget < 0 || depth > 200 {
		d.add(d.pos(n), RuleYAMLSyntax, "document too large or too deeply nested (aliases expand to too many values)")
		return nil, false
	}
	if n = followAlias(n); n == nil {
		return nil, true
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		var seen map[string]*yaml.Node
		if len(n.Content) > 2 {
			seen = make(map[string]*yaml.Node, len(n.Content)/2)
		}
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
			if seen != nil {
				seen[k.Value] = k
			}
			cv, ok := d.convert(v, budget, depth+1, w.child(k.Value))
			if !ok {
				return nil, false
			}
			m[k.Value] = cv
		}
		return m, true
	case yaml.SequenceNode:
		if w == atRecords && d.fastRecords {
			return d.convertRecords(n, budget, depth)
		}
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			cv, ok := d.convert(c, budget, depth+1, elsewhere)
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

// convertRecords is convert for the dns.records sequence of a zone file.
// The entries fastRecord accepts are valid against the record schema by
// construction and need no plain value; the rest are converted (with the
// same diagnostics as anywhere else) and kept in d.slow for validate. The
// returned array is empty: validate checks the entries one by one.
func (d *doc) convertRecords(n *yaml.Node, budget *int, depth int) (any, bool) {
	for i, c := range n.Content {
		if fastRecord(c) {
			// An accepted entry holds no alias: it costs the values
			// convert would have visited. Should it exhaust the budget,
			// convert it after all, to report the very node.
			if cost := valueCount(c); *budget >= cost {
				*budget -= cost
				continue
			}
		}
		cv, ok := d.convert(c, budget, depth+1, elsewhere)
		if !ok {
			return nil, false
		}
		d.slow = append(d.slow, recordItem{index: i, value: cv})
	}
	return []any{}, true
}

// scalarString is scalar(n).(string) without putting the string in an
// interface (which allocates), for the many string fields of a zone.
func scalarString(n *yaml.Node) (string, bool) {
	switch n.ShortTag() {
	case "!!null", "!!bool", "!!int", "!!float":
		s, ok := scalar(n).(string)
		return s, ok
	}
	return n.Value, true
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
		if plainDecimal(n.Value) {
			// What Decode would read, without its reflection.
			if _, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
				return json.Number(n.Value)
			}
			if _, err := strconv.ParseUint(n.Value, 10, 64); err == nil {
				return json.Number(n.Value)
			}
		}
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

// plainDecimal reports whether s is an integer in plain decimal: an optional
// minus and digits without a leading zero, not -0 (YAML reads 012 as
// octal, +1 and 1_000 in other ways: those take the general path).
func plainDecimal(s string) bool {
	neg := s != "" && s[0] == '-'
	if neg {
		s = s[1:]
	}
	if s == "" || (s[0] == '0' && (len(s) > 1 || neg)) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func escapePtr(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func unescapePtr(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

// lookup follows ptr through the node tree the way convert walks it
// (aliases followed, the first of duplicate keys, skipped keys invisible)
// and returns the deepest node it reaches, the key that introduces that
// node (nil for the root and for sequence items) and whether it reached
// the end of ptr.
func (d *doc) lookup(ptr string) (key, val *yaml.Node, all bool) {
	val = d.top
	if val == nil {
		return nil, nil, false
	}
	for ptr != "" {
		ptr = ptr[1:]
		tok := ptr
		if i := strings.IndexByte(ptr, '/'); i >= 0 {
			tok, ptr = ptr[:i], ptr[i:]
		} else {
			ptr = ""
		}
		var k, v *yaml.Node
		switch val.Kind {
		case yaml.MappingNode:
			k, v, _ = memberEntry(val, unescapePtr(tok))
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(val.Content) && strconv.Itoa(i) == tok && val.Content[i] != nil {
				v = followAlias(val.Content[i])
			}
		}
		if v == nil {
			return key, val, false
		}
		key, val = k, v
	}
	return key, val, true
}

// valuePos is the position of the value at ptr (or the nearest ancestor
// that has one).
func (d *doc) valuePos(ptr string) model.Pos {
	_, v, _ := d.lookup(ptr)
	return d.pos(v)
}

// keyPos is the position of the key that introduces ptr, else of its value.
func (d *doc) keyPos(ptr string) model.Pos {
	k, v, all := d.lookup(ptr)
	if all && k != nil {
		return d.pos(k)
	}
	return d.pos(v)
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
