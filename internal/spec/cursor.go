package spec

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"

	"github.com/dnssync/dnssync/internal/model"
)

// cursor walks the validated value tree. Every accessor reports ok=false for
// values that are absent, of the wrong type or already rejected by the
// schema, so semantic checks run only on data that passed it and a problem
// is never reported twice.
type cursor struct {
	d   *doc
	ptr string
	v   any
}

func (d *doc) cursor() cursor { return cursor{d: d, v: d.root} }

// get returns the member key of an object.
func (c cursor) get(key string) (cursor, bool) {
	m, ok := c.v.(map[string]any)
	if !ok {
		return cursor{}, false
	}
	v, ok := m[key]
	ptr := c.ptr + "/" + escapePtr(key)
	if !ok || c.d.bad[ptr] {
		return cursor{}, false
	}
	return cursor{d: c.d, ptr: ptr, v: v}, true
}

// has reports whether key is present (even if rejected).
func (c cursor) has(key string) bool {
	m, ok := c.v.(map[string]any)
	if !ok {
		return false
	}
	_, ok = m[key]
	return ok
}

// keys returns an object's member names, sorted.
func (c cursor) keys() []string {
	m, _ := c.v.(map[string]any)
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// items returns the accepted elements of an array.
func (c cursor) items() []cursor {
	s, _ := c.v.([]any)
	out := make([]cursor, 0, len(s))
	for i, v := range s {
		ptr := c.ptr + "/" + strconv.Itoa(i)
		if !c.d.bad[ptr] {
			out = append(out, cursor{d: c.d, ptr: ptr, v: v})
		}
	}
	return out
}

func (c cursor) str() (string, bool) {
	s, ok := c.v.(string)
	return s, ok
}

func (c cursor) boolean() (bool, bool) {
	b, ok := c.v.(bool)
	return b, ok
}

func (c cursor) integer() (int, bool) {
	n, ok := c.v.(json.Number)
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
	n, ok := c.v.(json.Number)
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
func (c cursor) pos() model.Pos    { return c.d.valuePos(c.ptr) }
func (c cursor) keyPos() model.Pos { return c.d.keyPos(c.ptr) }

// fail and warn attach a problem to this value.
func (c cursor) fail(p *problem)  { c.d.add(c.pos(), p.rule, p.msg) }
func (c cursor) warnp(p *problem) { c.d.warn(c.pos(), p.rule, p.msg) }
func (c cursor) errorf(rule, msg string) {
	c.d.add(c.pos(), rule, msg)
}
