package spec

import (
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// yaml.v3 reports a syntax error as "yaml: line N: problem", with a line
// but never a column: the mark it took the line from (the start of the
// construct being parsed, or else the point of the problem) is not
// exposed. locateYAMLError recovers that line exactly as before and finds
// the column on it from the kind of problem, with the line lexer: the
// construct a parser problem names starts at a token of a known kind (the
// "{" of a flow mapping, the first key of a block mapping), and a scanner
// problem sits at a token that cannot be where it is (a second ": ", a
// character that cannot start a token).

var yamlLineRE = regexp.MustCompile(`line (\d+)(?::(\d+))?`)

var unknownAnchorRE = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// locateYAMLError turns a yaml.v3 parse error on data into a 1-based line
// and column (0 when no column could be found) and the message without
// its position.
func locateYAMLError(data []byte, err error) (line, col int, msg string) {
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	line = 1
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil && strings.HasPrefix(msg, m[0]) {
		line, _ = strconv.Atoi(m[1])
		if m[2] != "" {
			col, _ = strconv.Atoi(m[2])
		}
		msg = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(msg, m[0]), ":"))
		if isParserProblem(msg) {
			// yaml.v3 reports parser (not scanner) errors with a 0-based
			// line: the start of the construct being parsed.
			line++
		}
	}
	if m := unknownAnchorRE.FindStringSubmatch(msg); m != nil {
		// yaml.v3 gives no line for this one; find the alias.
		if l, c := unknownAlias(data, m[1]); l > 0 {
			return l, c, msg
		}
	}
	line = max(line, 1)
	if col == 0 {
		col = problemColumn(data, line, msg)
	}
	return line, col, msg
}

// unknownAlias finds the first alias *name before any anchor &name: the
// one yaml.v3 cannot resolve. It returns its line and column, or 0, 0.
func unknownAlias(data []byte, name string) (line, col int) {
	st := newLexState()
	var li lineInfo
	for n := 1; len(data) > 0; n++ {
		nl := bytes.IndexByte(data, '\n')
		l := data
		if nl >= 0 {
			l = data[:nl]
		}
		l = bytes.TrimSuffix(l, []byte{'\r'})
		li, st = lexLine(l, st, li.toks)
		for _, t := range li.toks {
			end := t.start + 1
			for end < t.end && isAnchorChar(l[end]) {
				end++
			}
			if (t.kind == tAlias || t.kind == tAnchor) && string(l[t.start+1:end]) == name {
				if t.kind == tAnchor {
					return 0, 0
				}
				return n, 1 + utf8.RuneCount(l[:t.start])
			}
		}
		if nl < 0 {
			break
		}
		data = data[nl+1:]
	}
	return 0, 0
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

// lineAt returns line n (1-based) of data without its line break, and the
// lexer state it starts in; ok is false past the end.
func lineAt(data []byte, n int) (line []byte, st lexState, ok bool) {
	st = newLexState()
	var toks []token
	for k := 1; ; k++ {
		nl := bytes.IndexByte(data, '\n')
		line = data
		if nl >= 0 {
			line = data[:nl]
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if k == n {
			return line, st, true
		}
		if nl < 0 {
			return nil, st, false
		}
		var li lineInfo
		li, st = lexLine(line, st, toks)
		toks = li.toks
		data = data[nl+1:]
	}
}

// problemColumn finds the column of the problem msg that yaml.v3 reported
// on line n of data; 0 when the line does not exist.
//
// yaml.v3 takes the line from the start of the construct it was in (a
// collection, a quoted scalar, an anchor) unless that construct starts on
// the first line, and then from the point of the problem; the column
// follows the same choice.
func problemColumn(data []byte, n int, msg string) int {
	line, st, ok := lineAt(data, n)
	if !ok {
		return 0
	}
	li, _ := lexLine(line, st, nil)
	toks := li.toks
	col := func(off int) int { return 1 + utf8.RuneCount(line[:off]) }
	first := func(match func(int, token) bool) int {
		for i, t := range toks {
			if match(i, t) {
				return col(t.start)
			}
		}
		return 0
	}
	kind := func(ks ...tokKind) func(int, token) bool {
		return func(_ int, t token) bool { return slices.Contains(ks, t.kind) }
	}
	// problemIn returns the column of the first token of kind k for which
	// bad finds a problem (an offset into the line, or -1): on the first
	// line the problem itself, elsewhere the token.
	problemIn := func(k tokKind, bad func(token) int) int {
		for _, t := range toks {
			if t.kind != k {
				continue
			}
			p := bad(t)
			if p < 0 {
				continue
			}
			if n == 1 {
				return col(p)
			}
			return col(t.start)
		}
		return 0
	}
	var c int
	switch msg {
	case "mapping values are not allowed in this context":
		// The ": " that cannot be a value indicator: on a line that goes
		// on with a scalar, the first; else one after a key that already
		// has a value.
		k := 0
		c = first(func(_ int, t token) bool {
			if t.kind != tValue || t.inFlow {
				return false
			}
			k++
			return li.inScalar || k == 2
		})
		if c == 0 {
			c = first(kind(tValue))
		}
	case "found character that cannot start any token":
		// A character no token starts with, or a tab where a token must
		// start: in the indentation or after an indicator.
		c = first(kind(tBad))
		if i := tabAfterIndicator(line, toks); i >= 0 && (c == 0 || col(i) < c) {
			c = col(i)
		}
		if li.tab && line[li.indent] == '\t' && (c == 0 || col(li.indent) < c) {
			c = col(li.indent)
		}
	case "block sequence entries are not allowed in this context":
		c = first(func(i int, t token) bool { return t.kind == tEntry && i > 0 && toks[i-1].kind != tEntry })
		if c == 0 {
			c = first(kind(tEntry))
		}
	case "mapping keys are not allowed in this context":
		c = first(kind(tKey))
	case "did not find expected ',' or '}'", "did not find expected ',' or ']'":
		open := byte('{')
		if strings.HasSuffix(msg, "']'") {
			open = '['
		}
		if i := flowProblem(toks, open); i >= 0 {
			c = col(i)
		}
	case "did not find expected '-' indicator":
		c = first(kind(tEntry))
	case "did not find expected key":
		// The first key of the block mapping; when the line holds none
		// (the mapping started on the first line), the token in its way.
		c = first(func(i int, t token) bool {
			if t.kind == tEntry || i > 0 && toks[i-1].kind != tEntry {
				return false
			}
			return t.kind == tValue || i+1 < len(toks) && toks[i+1].kind == tValue
		})
	case "did not find expected node content":
		if i := nodeMissing(toks); i >= 0 {
			c = col(i)
		}
	case "found unexpected end of stream", "found unexpected document indicator":
		// An unterminated quoted scalar.
		for i := len(toks) - 1; i >= 0 && c == 0; i-- {
			if t := toks[i]; (t.kind == tDQuote || t.kind == tSQuote) && !t.closed {
				c = col(t.start)
			}
		}
		if c == 0 {
			c = first(kind(tDQuote, tSQuote))
		}
	case "found unknown escape character", "did not find expected hexdecimal number":
		c = problemIn(tDQuote, func(t token) int { return badEscape(line[:t.end], t.start) })
		if c == 0 {
			// The escape is on a later line of the scalar.
			for i := len(toks) - 1; i >= 0 && c == 0; i-- {
				if t := toks[i]; t.kind == tDQuote && !t.closed {
					c = col(t.start)
				}
			}
		}
	case "did not find expected alphabetic or numeric character":
		c = problemIn(tAnchor, func(t token) int { return badAnchor(line, t) })
		if a := problemIn(tAlias, func(t token) int { return badAnchor(line, t) }); a > 0 && (c == 0 || a < c) {
			c = a
		}
	case "did not find expected comment or line break":
		c = problemIn(tBlockScalar, func(t token) int { return badBlockHeader(line, t) })
		if c == 0 {
			c = first(kind(tDirective))
		}
	case "did not find expected whitespace or line break", "did not find expected tag URI":
		c = problemIn(tTag, func(t token) int { return badTag(line, t) })
	case "found a tab character that violates indentation":
		// The plain scalar that a tab-indented line would continue; on
		// the line with the tab, the tab.
		if li.tab {
			c = col(li.indent)
		} else {
			for i := len(toks) - 1; i >= 0 && c == 0; i-- {
				if toks[i].kind == tPlain {
					c = col(toks[i].start)
				}
			}
		}
	case "could not find expected directive name", "found unexpected non-alphabetical character", "found unknown directive name":
		if n == 1 {
			c = 2
		}
	}
	if c == 0 {
		// The construct starts at the line's first token.
		c = first(func(int, token) bool { return true })
	}
	if c == 0 {
		c = 1 + utf8.RuneCount(line[:li.indent])
	}
	return c
}

// tabAfterIndicator returns the offset of a tab that directly follows a
// block indicator "-" or "?", where yaml.v3 expects a token and does not
// skip tabs; -1 if none.
func tabAfterIndicator(line []byte, toks []token) int {
	for _, t := range toks {
		switch t.kind {
		case tEntry, tKey:
			if !t.inFlow && t.end < len(line) && line[t.end] == '\t' {
				return t.end
			}
		}
	}
	return -1
}

// flowProblem returns the offset of the flow collection (opened with
// open) in which a token stands where a "," or the closing bracket must:
// it replays the collections of the line; when the line shows no such
// token, the innermost collection left open, else the first one. -1 if
// the line opens none.
func flowProblem(toks []token, open byte) int {
	type coll struct {
		start   int
		ch      byte
		needSep bool // a node was read: "," or the end must come next
		valued  bool // ... and it was a value after ":"
	}
	var stack []coll
	// node records a node in the innermost collection; it returns the
	// collection's start if the node may not stand there.
	node := func() int {
		if len(stack) == 0 {
			return -1
		}
		top := &stack[len(stack)-1]
		if top.needSep {
			return top.start
		}
		top.needSep = true
		return -1
	}
	for _, t := range toks {
		p := -1
		switch t.kind {
		case tFlowOpen:
			p = node()
			if p >= 0 {
				break
			}
			if len(stack) > 0 {
				stack[len(stack)-1].needSep = false // set again when it closes
			}
			stack = append(stack, coll{start: t.start, ch: t.ch})
		case tFlowClose:
			if len(stack) == 0 {
				continue
			}
			if top := stack[len(stack)-1]; (top.ch == '{') != (t.ch == '}') {
				p = top.start
				break
			}
			stack = stack[:len(stack)-1]
			p = node()
		case tFlowEntry:
			if len(stack) > 0 {
				stack[len(stack)-1].needSep, stack[len(stack)-1].valued = false, false
			}
		case tValue:
			if len(stack) > 0 {
				top := &stack[len(stack)-1]
				if top.needSep && top.valued {
					p = top.start
					break
				}
				top.needSep, top.valued = false, true
			}
		case tDQuote, tSQuote, tPlain, tAlias:
			p = node()
		}
		if p >= 0 && toksAt(toks, p).ch == open {
			return p
		}
	}
	for i := len(stack) - 1; i >= 0; i-- {
		if stack[i].ch == open {
			return stack[i].start
		}
	}
	for _, t := range toks {
		if t.kind == tFlowOpen && t.ch == open {
			return t.start
		}
	}
	return -1
}

// toksAt returns the token starting at offset off.
func toksAt(toks []token, off int) token {
	for _, t := range toks {
		if t.start == off {
			return t
		}
	}
	return token{}
}

// nodeMissing returns the offset of the first indicator standing where
// yaml.v3 expects a node (a key, a value, an entry), or -1.
func nodeMissing(toks []token) int {
	var stack []byte // open flow collections of the line
	for i, t := range toks {
		prev := tokKind(0)
		if i > 0 {
			prev = toks[i-1].kind
		}
		bad := false
		switch t.kind {
		case tFlowClose:
			switch {
			case !t.inFlow && len(stack) == 0:
				bad = true
			case len(stack) > 0 && (stack[len(stack)-1] == '{') != (t.ch == '}'):
				bad = true
			default:
				bad = prev == tKey
			}
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case tFlowEntry:
			bad = !t.inFlow || prev == tFlowEntry || prev == tFlowOpen || prev == tKey
		case tValue:
			bad = t.inFlow && (prev == tFlowOpen || prev == tFlowEntry || prev == tValue || prev == tEntry)
		case tEntry:
			bad = t.inFlow
		case tKey:
			bad = prev == tKey || t.inFlow && prev == tValue
		case tFlowOpen:
			stack = append(stack, t.ch)
		}
		if bad {
			return t.start
		}
	}
	return -1
}

// badEscape returns the offset of the first invalid escape in the
// double-quoted scalar starting at start (line cut at its end), or -1.
func badEscape(line []byte, start int) int {
	for i := start + 1; i < len(line); i++ {
		if line[i] != '\\' {
			continue
		}
		if i+1 >= len(line) {
			return -1 // an escaped line break
		}
		hex := 0
		switch line[i+1] {
		case '0', 'a', 'b', 't', '\t', 'n', 'v', 'f', 'r', 'e', ' ', '"', '\'', '\\', 'N', '_', 'L', 'P':
		case 'x':
			hex = 2
		case 'u':
			hex = 4
		case 'U':
			hex = 8
		default:
			return i
		}
		for k := 0; k < hex; k++ {
			if j := i + 2 + k; j >= len(line) || !isHex(line[j]) {
				return i
			}
		}
		i += 1 + hex
	}
	return -1
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f' }

// isAnchorChar: letters, digits, "-" and "_" (yaml.v3's is_alpha).
func isAnchorChar(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' || c == '-' || c == '_'
}

// badAnchor returns the offset at which the name of the anchor or alias
// token t goes wrong (yaml.v3 wants letters, digits, "-" and "_", then a
// blank or an indicator that may follow it), or -1.
func badAnchor(line []byte, t token) int {
	i := t.start + 1
	for i < len(line) && isAnchorChar(line[i]) {
		i++
	}
	if i < len(line) && strings.IndexByte(" \t?:,]}%@`", line[i]) < 0 || i == t.start+1 {
		return i
	}
	return -1
}

// badBlockHeader returns the offset of what spoils the block scalar
// header t ("|" or ">", indentation and chomping indicators, then
// nothing but a comment), or -1.
func badBlockHeader(line []byte, t token) int {
	i := t.start + 1
	for k := 0; k < 2 && i < len(line) && (line[i] == '+' || line[i] == '-' || line[i] >= '1' && line[i] <= '9'); k++ {
		i++
	}
	if i < len(line) && !isBlank(line[i]) {
		return i
	}
	for i < len(line) && isBlank(line[i]) {
		i++
	}
	if i < len(line) && line[i] != '#' {
		return i
	}
	return -1
}

// badTag returns the offset of the first character of the tag token t
// that cannot be part of a tag, or -1.
func badTag(line []byte, t token) int {
	for i := t.start + 1; i < len(line) && !isBlank(line[i]); i++ {
		if !isAnchorChar(line[i]) && strings.IndexByte(";/?:@&=+$,.%!~*'()[]", line[i]) < 0 {
			return i
		}
	}
	return -1
}
