package spec

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// The entry fast path. A streamed run of dns.records entries is nearly
// always one flow mapping per line, as `dnssync import` writes them:
//
//	    - {name: www, type: A, value: "192.0.2.1", ttl: 600}
//
// yaml.v3 spent about 3 µs on each (its scanner, parser and composer),
// most of the loading of a large zone. fastEntries builds the nodes of such
// a run directly — the same nodes yaml.v3 builds, with the same kinds,
// styles, tags, values, lines and columns (counted in characters, as
// yaml.v3 counts them) — for a strict subset of YAML: keys plain words;
// values double-quoted without escapes, single-quoted without doubled
// quotes, or plain scalars whose tag it resolves as yaml.v3 does; no
// comments, anchors, tags, nested collections or empty values. Any line
// outside that subset leaves the whole run to yaml.v3, as before; a test
// compares the nodes of both over generated and mutated runs.

// fastEntries returns the nodes of the n entries of run r, or nil when a
// line is outside the subset (or the run does not hold n entries). The
// nodes come from rs.nodes and are valid until the next call: the stream
// lets go of a run's entries before it parses the next run.
func (rs *recordStream) fastEntries(r runText, n int) []*yaml.Node {
	a := &rs.nodes
	a.reset()
	out := make([]*yaml.Node, 0, n)
	text := r.text
	for line := r.line; len(text) > 0; line++ {
		var l []byte
		if nl := bytes.IndexByte(text, '\n'); nl >= 0 {
			l, text = text[:nl], text[nl+1:]
		} else {
			l, text = text, nil
		}
		l = bytes.TrimSuffix(l, []byte{'\r'})
		if spacesOnly(l) {
			continue
		}
		if len(out) == n {
			return nil
		}
		m := parseEntryLine(l, line, rs.indent, a)
		if m == nil {
			return nil
		}
		out = append(out, m)
	}
	if len(out) != n {
		return nil
	}
	return out
}

func spacesOnly(l []byte) bool {
	for _, c := range l {
		if c != ' ' {
			return false
		}
	}
	return true
}

// nodeArena hands out the nodes of one run, and the lists of their
// children, from blocks kept for the next run: a large zone's runs would
// otherwise allocate about 1 KB of nodes per record.
type nodeArena struct {
	blocks [][]yaml.Node
	b, i   int // next node: blocks[b][i]
	lists  [][]*yaml.Node
	lb, li int          // next list entry: lists[lb][li]
	pairs  []*yaml.Node // the current mapping's keys and values
}

// Block sizes, in nodes and in list entries.
const (
	arenaNodes = 1024
	arenaLists = 4096
)

func (a *nodeArena) reset() { a.b, a.i, a.lb, a.li = 0, 0, 0, 0 }

// node returns a zeroed node.
func (a *nodeArena) node() *yaml.Node {
	if a.b < len(a.blocks) && a.i == len(a.blocks[a.b]) {
		a.b, a.i = a.b+1, 0
	}
	if a.b == len(a.blocks) {
		a.blocks = append(a.blocks, make([]yaml.Node, arenaNodes))
	}
	n := &a.blocks[a.b][a.i]
	a.i++
	*n = yaml.Node{}
	return n
}

// list returns a copy of ns whose capacity is its length.
func (a *nodeArena) list(ns []*yaml.Node) []*yaml.Node {
	if len(ns) > arenaLists {
		return append([]*yaml.Node(nil), ns...)
	}
	if a.lb < len(a.lists) && a.li+len(ns) > arenaLists {
		a.lb, a.li = a.lb+1, 0
	}
	if a.lb == len(a.lists) {
		a.lists = append(a.lists, make([]*yaml.Node, arenaLists))
	}
	l := a.lists[a.lb][a.li : a.li+len(ns) : a.li+len(ns)]
	copy(l, ns)
	a.li += len(ns)
	return l
}

// parseEntryLine parses "<indent>- {k: v, …}" into its mapping node, or
// returns nil.
func parseEntryLine(l []byte, line, indent int, a *nodeArena) *yaml.Node {
	p := indent
	if len(l) < p+4 || !spacesOnly(l[:p]) || l[p] != '-' || l[p+1] != ' ' {
		return nil
	}
	p += 2
	for p < len(l) && l[p] == ' ' {
		p++
	}
	if p >= len(l) || l[p] != '{' {
		return nil
	}
	ascii := true
	for _, c := range l {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	col := func(at int) int {
		if ascii {
			return at + 1
		}
		return utf8.RuneCount(l[:at]) + 1
	}
	m := a.node()
	m.Kind, m.Style, m.Tag, m.Line, m.Column = yaml.MappingNode, yaml.FlowStyle, "!!map", line, col(p)
	ptrs := a.pairs[:0]
	p++
	for {
		for p < len(l) && l[p] == ' ' {
			p++
		}
		// The key: a plain word, then ": ".
		ks := p
		for p < len(l) && (l[p] >= 'a' && l[p] <= 'z' || l[p] >= 'A' && l[p] <= 'Z' || l[p] == '_' || p > ks && l[p] >= '0' && l[p] <= '9') {
			p++
		}
		if p == ks || p+1 >= len(l) || l[p] != ':' || l[p+1] != ' ' {
			return nil
		}
		key := keyString(l[ks:p])
		ktag, _ := plainTag(l[ks:p]) // a word: "!!str", or "!!bool"/"!!null" for true, null…
		for i := 0; i < len(ptrs); i += 2 {
			if ptrs[i].Value == key {
				return nil // a repeated key: left to yaml.v3 and the checks after it
			}
		}
		k := a.node()
		k.Kind, k.Tag, k.Value, k.Line, k.Column = yaml.ScalarNode, ktag, key, line, col(ks)
		p += 2
		for p < len(l) && l[p] == ' ' {
			p++
		}
		// The value.
		vs := p
		v := a.node()
		v.Kind, v.Line, v.Column = yaml.ScalarNode, line, col(vs)
		if p >= len(l) {
			return nil
		}
		switch c := l[p]; {
		case c == '"' || c == '\'':
			e := bytes.IndexByte(l[p+1:], c)
			if e < 0 {
				return nil
			}
			text := l[p+1 : p+1+e]
			p += e + 2
			if c == '"' && bytes.IndexByte(text, '\\') >= 0 || c == '\'' && p < len(l) && l[p] == '\'' || !printable(text) {
				return nil
			}
			v.Style, v.Tag, v.Value = yaml.DoubleQuotedStyle, "!!str", string(text)
			if c == '\'' {
				v.Style = yaml.SingleQuotedStyle
			}
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c >= utf8.RuneSelf:
			for p < len(l) && l[p] != ',' && l[p] != '}' {
				switch l[p] {
				case ':', '#', '?', '[', ']', '{', '"', '\'', '\t': // yaml.v3 ends a plain scalar at "?" in flow context
					return nil
				}
				p++
			}
			text := bytes.TrimRight(l[vs:p], " ")
			tag, ok := plainTag(text)
			if !ok || !printable(text) {
				return nil
			}
			v.Tag, v.Value = tag, valueString(text)
		default:
			return nil
		}
		ptrs = append(ptrs, k, v)
		for p < len(l) && l[p] == ' ' {
			p++
		}
		if p >= len(l) {
			return nil
		}
		if l[p] == '}' {
			p++
			break
		}
		if l[p] != ',' {
			return nil
		}
		p++
		for p < len(l) && l[p] == ' ' {
			p++
		}
		if p < len(l) && l[p] == '}' {
			return nil // a trailing comma
		}
	}
	if !spacesOnly(l[p:]) {
		return nil
	}
	m.Content = a.list(ptrs)
	a.pairs = ptrs[:0]
	return m
}

// printable reports whether yaml.v3 reads text as one line of ordinary
// characters: those it calls printable (tab, line breaks and the byte
// order mark excluded) but for the Unicode line and paragraph separators,
// in valid UTF-8.
func printable(text []byte) bool {
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' || // line breaks to YAML
			!(r >= 0xA0 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD && r != 0xFEFF) {
			return false
		}
		i += size
	}
	return true
}

// plainTag resolves a plain scalar as yaml.v3 does (its resolve), for the
// forms the fast path takes: words starting with a letter, "_" or a
// non-ASCII character, and numbers of digits and dots. ok is false for
// anything else.
func plainTag(text []byte) (tag string, ok bool) {
	switch string(text) {
	case "true", "True", "TRUE", "false", "False", "FALSE":
		return "!!bool", true
	case "null", "Null", "NULL":
		return "!!null", true
	}
	c := text[0]
	if c < '0' || c > '9' {
		// yaml.v3 looks only words starting with y, n, t, f, o or ~ up
		// in its table, whose words are above; the rest are strings.
		return "!!str", true
	}
	dots := 0
	for _, c := range text {
		switch {
		case c == '.':
			dots++
		case c < '0' || c > '9':
			return "", false
		}
	}
	// yaml.v3 tries a timestamp (which needs a "-"), then an integer
	// (strconv.ParseInt and ParseUint, base 0), then a float if the text
	// matches ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ and
	// strconv.ParseFloat takes it; else it is a string. Digits with at
	// most one dot, starting with a digit, always match that pattern; two
	// dots (an IPv4 address) are neither number.
	if dots > 1 {
		return "!!str", true
	}
	s := string(text)
	if dots == 0 {
		if _, err := strconv.ParseInt(s, 0, 64); err == nil {
			return "!!int", true
		}
		if _, err := strconv.ParseUint(s, 0, 64); err == nil {
			return "!!int", true
		}
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return "!!float", true
	}
	return "!!str", true
}

// keyString returns the record keys without allocating.
func keyString(b []byte) string {
	switch string(b) {
	case "name":
		return "name"
	case "type":
		return "type"
	case "value":
		return "value"
	case "values":
		return "values"
	case "ttl":
		return "ttl"
	case "mx":
		return "mx"
	case "line":
		return "line"
	case "enabled":
		return "enabled"
	}
	return string(b)
}

// valueString returns common record types without allocating.
func valueString(b []byte) string {
	switch string(b) {
	case "A":
		return "A"
	case "AAAA":
		return "AAAA"
	case "CNAME":
		return "CNAME"
	case "MX":
		return "MX"
	case "TXT":
		return "TXT"
	case "NS":
		return "NS"
	case "SRV":
		return "SRV"
	case "CAA":
		return "CAA"
	}
	return string(b)
}
