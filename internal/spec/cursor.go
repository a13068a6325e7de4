package spec

import (
	"encoding/json"
	"iter"
	"math"
	"slices"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/model"
)

// cursor walks the validated document. It reads the YAML node tree the
// way convert built the schema's value tree (aliases followed, the first of
// duplicate keys, YAML scalars typed by their tags), so it sees exactly the
// values the schema saw. Every accessor reports ok=false for values that
// are absent, of the wrong type or already rejected by the schema, so
// semantic checks run only on data that passed it and a problem is never
// reported twice.
type cursor struct {
	d   *doc
	n   *yaml.Node // the value, aliases followed; nil: null (an alias to nothing)
	key *yaml.Node // the key that introduces it; nil for the root and items
	// The value's JSON pointer is at, or at/tok for an object member
	// (member set). Members' pointers are only built when needed — to look
	// one up in d.bad, which is nearly always empty, or for a message — as
	// a large zone would otherwise build several strings per record.
	at     string
	tok    string
	member bool
}

func (d *doc) cursor() cursor { return cursor{d: d, n: d.top} }

// ptr is the JSON pointer of the value.
func (c cursor) ptr() string {
	if !c.member {
		return c.at
	}
	return c.at + "/" + escapePtr(c.tok)
}

// kind is the value's node kind; 0 for null.
func (c cursor) kind() yaml.Kind {
	if c.n == nil {
		return 0
	}
	return c.n.Kind
}

// get returns the member key of an object.
func (c cursor) get(key string) (cursor, bool) {
	if c.kind() != yaml.MappingNode {
		return cursor{}, false
	}
	k, v, ok := memberEntry(c.n, key)
	if !ok {
		return cursor{}, false
	}
	m := cursor{d: c.d, n: v, key: k, at: c.ptr(), tok: key, member: true}
	if len(c.d.bad) > 0 && c.d.bad[m.ptr()] {
		return cursor{}, false
	}
	return m, true
}

// memberEntry is member that also tells a key whose value is an alias
// without target (null) from an absent key.
func memberEntry(m *yaml.Node, name string) (k, v *yaml.Node, ok bool) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := mappingKey(m.Content[i]); k != nil && k.Value == name {
			return k, followAlias(m.Content[i+1]), true
		}
	}
	return nil, nil, false
}

// has reports whether key is present (even if rejected).
func (c cursor) has(key string) bool {
	if c.kind() != yaml.MappingNode {
		return false
	}
	_, _, ok := memberEntry(c.n, key)
	return ok
}

// keys returns an object's member names, sorted.
func (c cursor) keys() []string {
	if c.kind() != yaml.MappingNode {
		return []string{}
	}
	ks := make([]string, 0, len(c.n.Content)/2)
	for i := 0; i+1 < len(c.n.Content); i += 2 {
		if k := mappingKey(c.n.Content[i]); k != nil {
			ks = append(ks, k.Value)
		}
	}
	slices.Sort(ks)
	return slices.Compact(ks)
}

// items returns the accepted elements of an array.
func (c cursor) items() []cursor {
	if c.kind() != yaml.SequenceNode {
		return []cursor{}
	}
	out := make([]cursor, 0, len(c.n.Content))
	for _, it := range c.all() {
		out = append(out, it)
	}
	return out
}

// all yields the accepted elements of an array with their indexes.
func (c cursor) all() iter.Seq2[int, cursor] {
	return func(yield func(int, cursor) bool) {
		if c.kind() != yaml.SequenceNode {
			return
		}
		base := c.ptr() + "/"
		for i, v := range c.n.Content {
			if v == nil {
				continue // released (zoneDecoder.dns)
			}
			ptr := base + strconv.Itoa(i)
			if len(c.d.bad) > 0 && c.d.bad[ptr] {
				continue
			}
			if !yield(i, cursor{d: c.d, at: ptr, n: followAlias(v)}) {
				return
			}
		}
	}
}

// scalar is the value of a scalar as the schema saw it; nil otherwise.
func (c cursor) scalar() any {
	if c.kind() != yaml.ScalarNode {
		return nil
	}
	return scalar(c.n)
}

func (c cursor) str() (string, bool) {
	if c.kind() != yaml.ScalarNode {
		return "", false
	}
	return scalarString(c.n)
}

func (c cursor) boolean() (bool, bool) {
	b, ok := c.scalar().(bool)
	return b, ok
}

func (c cursor) integer() (int, bool) {
	n, ok := c.scalar().(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || i > math.MaxInt32 || i < math.MinInt32 {
		return 0, false
	}
	return int(i), true
}

func (c cursor) number() (float64, bool) {
	n, ok := c.scalar().(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

// strField, intField, boolField read optional members.
func (c cursor) strField(key string) (string, cursor, bool) {
	f, ok := c.get(key)
	if !ok {
		return "", cursor{}, false
	}
	s, ok := f.str()
	return s, f, ok
}

func (c cursor) intField(key string) (int, cursor, bool) {
	f, ok := c.get(key)
	if !ok {
		return 0, cursor{}, false
	}
	n, ok := f.integer()
	return n, f, ok
}

func (c cursor) boolField(key string) (bool, cursor, bool) {
	f, ok := c.get(key)
	if !ok {
		return false, cursor{}, false
	}
	b, ok := f.boolean()
	return b, f, ok
}

func (c cursor) strings() []string {
	var out []string
	for _, it := range c.items() {
		if s, ok := it.str(); ok {
			out = append(out, s)
		}
	}
	return out
}

// pos is the position of the value; keyPos of the key that introduces it.
// A null from an alias without target has no node: its parent's position.
func (c cursor) pos() model.Pos {
	if c.n == nil {
		return c.d.valuePos(c.ptr())
	}
	return c.d.pos(c.n)
}

func (c cursor) keyPos() model.Pos {
	if c.n == nil || c.key == nil {
		return c.d.keyPos(c.ptr())
	}
	return c.d.pos(c.key)
}

// fail and warn attach a problem to this value.
func (c cursor) fail(p *problem)  { c.d.add(c.pos(), p.rule, p.msg) }
func (c cursor) warnp(p *problem) { c.d.warn(c.pos(), p.rule, p.msg) }
func (c cursor) errorf(rule, msg string) {
	c.d.add(c.pos(), rule, msg)
}
