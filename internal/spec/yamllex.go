package spec

// A line-by-line YAML tokenizer, far simpler than a parser: it finds where
// tokens start on a line and whether a construct (a quoted scalar, a flow
// collection, a plain or block scalar) goes on past the line's end. The
// record stream uses it to cut a zone file's dns.records into runs of
// whole entries without building the node tree (stream.go); the syntax
// error locator uses it to find the column yaml.v3 does not report
// (yamlerr.go). yaml.v3 stays the parser: whatever this lexer
// misjudges makes a cut that yaml.v3 then rejects, and the loader falls
// back to parsing the whole document.

// tokKind is the kind of a token start.
type tokKind uint8

const (
	tEntry       tokKind = iota + 1 // "-" block sequence entry
	tKey                            // "?" explicit key
	tValue                          // ":" value indicator
	tFlowOpen                       // "[" or "{"
	tFlowClose                      // "]" or "}"
	tFlowEntry                      // ","
	tDQuote                         // double-quoted scalar
	tSQuote                         // single-quoted scalar
	tPlain                          // plain scalar
	tAnchor                         // "&name"
	tAlias                          // "*name"
	tTag                            // "!tag"
	tBlockScalar                    // "|" or ">" header
	tComment                        // "#…"
	tDirective                      // "%…" at the start of a line
	tBad                            // a character that cannot start a token ("@", "`", "%")
)

// token is one token start on a line. Offsets are byte offsets into the
// line; end is where the token's text ends (for scalars: trailing blanks
// excluded; for a quoted scalar not closed on the line: the line's end).
type token struct {
	kind       tokKind
	start, end int
	ch         byte // the indicator character, or the quote
	closed     bool // quoted scalars and flow openers: closed on this line
	inFlow     bool // inside a flow collection
}

// lexState is what a line leaves open for the next one.
type lexState struct {
	quote byte // '"' or '\'': a quoted scalar goes on
	flow  int  // flow collections open
	// cont >= 0: the line ended in a block-context plain scalar owned by
	// a node at column cont, so a later line indented more continues it.
	cont int
	// block >= 0: a block scalar header ended the line; lines indented
	// more than column block (and blank lines) are its content.
	block int
}

func newLexState() lexState { return lexState{cont: -1, block: -1} }

// open reports whether a quoted scalar, a flow collection or a block
// scalar goes on past the line. (A plain scalar may or may not: the next
// line's indentation decides, and lexLine marks it inScalar if it does.)
func (s lexState) open() bool { return s.quote != 0 || s.flow > 0 || s.block >= 0 }

// lineInfo is the result of lexing one line.
type lineInfo struct {
	indent int  // leading spaces
	blank  bool // nothing but blanks or a comment (or block scalar content)
	tab    bool // a tab in the leading whitespace
	// inScalar: the line is the content or continuation of a scalar begun
	// on an earlier line (quoted, plain or block); its tokens are not lexed.
	inScalar bool
	toks     []token
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

func isFlowInd(c byte) bool { return c == ',' || c == '[' || c == ']' || c == '{' || c == '}' }

// blankAt reports whether line[i] is a blank or past the end.
func blankAt(line []byte, i int) bool { return i >= len(line) || isBlank(line[i]) }

// lexLine lexes line (without its line break) in state st and returns
// what it found and the state the next line starts in. toks is reused
// when not nil.
func lexLine(line []byte, st lexState, toks []token) (lineInfo, lexState) {
	li := lineInfo{toks: toks[:0]}
	for li.indent < len(line) && line[li.indent] == ' ' {
		li.indent++
	}
	rest := li.indent
	for rest < len(line) && isBlank(line[rest]) {
		if line[rest] == '\t' {
			li.tab = true
		}
		rest++
	}
	empty := rest == len(line)

	switch {
	case st.block >= 0:
		if empty || li.indent > st.block {
			li.blank, li.inScalar = true, true
			return li, st
		}
		st.block = -1
	case st.cont >= 0 && !empty:
		if li.indent > st.cont && line[rest] != '#' {
			// The plain scalar goes on: its text runs to ": " or " #".
			li.inScalar = true
			i := plainEnd(line, rest, false)
			if i == len(line) {
				return li, st
			}
			st.cont = -1
			return lexTokens(line, i, st, li)
		}
		st.cont = -1
	case st.quote != 0:
		li.inScalar = true
		i, closed := quotedEnd(line, 0, st.quote)
		if !closed {
			return li, st
		}
		st.quote = 0
		return lexTokens(line, i, st, li)
	}
	if empty || (line[rest] == '#' && st.flow == 0) {
		li.blank = true
		return li, st
	}
	st.cont = -1
	return lexTokens(line, li.indent, st, li)
}

// lexTokens lexes line from offset i on.
func lexTokens(line []byte, i int, st lexState, li lineInfo) (lineInfo, lexState) {
	owner := -1   // column of the node owning the next scalar (see lexState.cont)
	lastKey := -1 // start of the last scalar, alias or flow collection: a key candidate
	add := func(k tokKind, start, end int, closed bool) {
		li.toks = append(li.toks, token{kind: k, start: start, end: end, ch: line[start], closed: closed, inFlow: st.flow > 0})
	}
	for {
		for i < len(line) && isBlank(line[i]) {
			i++
		}
		if i >= len(line) {
			return li, st
		}
		switch c := line[i]; {
		case c == '#':
			// Where a token may start, "#" always starts a comment (even
			// right after ","); inside a plain scalar it needs a blank
			// before it (plainEnd).
			add(tComment, i, len(line), true)
			return li, st
		case c == '%' && i == 0:
			add(tDirective, i, len(line), true)
			return li, st
		case c == '-' && blankAt(line, i+1):
			// In a flow collection it is an error, which the parser reports.
			add(tEntry, i, i+1, true)
			owner = i
			i++
		case c == '?' && (st.flow > 0 || blankAt(line, i+1)):
			add(tKey, i, i+1, true)
			i++
		case c == ':' && (st.flow > 0 || blankAt(line, i+1)):
			add(tValue, i, i+1, true)
			if lastKey >= 0 {
				owner = lastKey
			}
			i++
		case c == '[' || c == '{':
			add(tFlowOpen, i, i+1, false)
			lastKey = i
			st.flow++
			i++
		case c == ']' || c == '}':
			add(tFlowClose, i, i+1, true)
			if st.flow > 0 {
				st.flow--
			}
			// Close the innermost opener of this line still open.
			for k := len(li.toks) - 2; k >= 0; k-- {
				if t := &li.toks[k]; t.kind == tFlowOpen && !t.closed {
					t.closed = true
					break
				}
			}
			i++
		case c == ',':
			// Outside a flow collection it is an error, which the parser
			// reports.
			add(tFlowEntry, i, i+1, true)
			i++
		case c == '"' || c == '\'':
			end, closed := quotedEnd(line, i+1, c)
			k := tDQuote
			if c == '\'' {
				k = tSQuote
			}
			add(k, i, end, closed)
			lastKey = i
			if !closed {
				st.quote = c
				return li, st
			}
			i = end
		case c == '&' || c == '*' || c == '!':
			end := i + 1
			for end < len(line) && !isBlank(line[end]) && !(st.flow > 0 && isFlowInd(line[end])) {
				end++
			}
			k := tTag
			switch c {
			case '&':
				k = tAnchor
			case '*':
				k, lastKey = tAlias, i
			}
			add(k, i, end, true)
			i = end
		case (c == '|' || c == '>') && st.flow > 0:
			add(tBad, i, i+1, true)
			return li, st
		case c == '|' || c == '>':
			add(tBlockScalar, i, len(line), true)
			st.block = owner
			if owner < 0 {
				st.block = li.indent - 1
			}
			return li, st
		case c == '@' || c == '`' || c == '%':
			add(tBad, i, i+1, true)
			return li, st
		default:
			end := plainEnd(line, i, st.flow > 0)
			add(tPlain, i, end, true)
			lastKey = i
			j := end
			for j < len(line) && isBlank(line[j]) {
				j++
			}
			if st.flow == 0 && j == len(line) {
				// The scalar ends the line and may go on on the next
				// (a comment after it would end it).
				st.cont = owner
				if owner < 0 {
					st.cont = i
				}
			}
			i = end
		}
	}
}

// plainEnd returns where a plain scalar starting at i ends (trailing
// blanks excluded), as yaml.v3 scans one: before ": " (or ":" at the end),
// before " #" or the line's end, and in a flow collection also before
// ",", "?", "[", "]", "{" or "}".
func plainEnd(line []byte, i int, flow bool) int {
	end := i
	for j := i; j < len(line); j++ {
		c := line[j]
		switch {
		case c == ':' && blankAt(line, j+1):
			return end
		case c == '#' && j > i && isBlank(line[j-1]):
			return end
		case flow && (isFlowInd(c) || c == '?'):
			return end
		case !isBlank(c):
			end = j + 1
		}
	}
	return end
}

// quotedEnd scans a quoted scalar's text from i for its closing quote q
// and returns the offset after it; closed is false when the line ends
// first.
func quotedEnd(line []byte, i int, q byte) (end int, closed bool) {
	for ; i < len(line); i++ {
		c := line[i]
		switch {
		case q == '"' && c == '\\':
			i++
		case c == q && q == '\'' && i+1 < len(line) && line[i+1] == '\'':
			i++
		case c == q:
			return i + 1, true
		}
	}
	return len(line), false
}
