package spec

import (
	"bytes"
	"context"
	"io"
	"iter"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/model"
)

// The record stream. yaml.v3 builds the node tree of a whole document
// before it returns any of it, and a node costs about 150 bytes: a zone of
// 600,000 records (50 MB) made a tree of over 1 GB, and parsing it could
// not be interrupted. Nearly all of such a file is the block sequence
// dns.records, whose entries stand on their own. So the loader cuts that
// sequence out of the text (findRecords, with the line lexer), parses the
// rest of the file — the skeleton, in which the sequence is an empty
// "[]" on the records line and every line keeps its number — and then
// parses the entries in runs of a few hundred, with the same indentation
// and their own line numbers, decoding each entry and letting its nodes go
// before the next run. The context is checked between runs.
//
// Only the plain shape is streamed: a top-level "dns:" key whose block
// mapping has a "records:" key with nothing after it on the line, followed
// by a block sequence, in a file without directives, tabs in indentation,
// or line breaks other than \n and \r\n. Anything else — and any run that
// holds an anchor or an alias, or that yaml.v3 does not read as exactly the
// entries the lexer found — is parsed as one document, as before.

// streamRun bounds one parsed run of entries.
const (
	streamRunEntries = 512
	streamRunBytes   = 256 << 10
)

// recordStream is the dns.records sequence of one file, located.
type recordStream struct {
	data   []byte
	starts []int // offsets of the entries' first lines
	end    int   // offset where the sequence's lines end
	line   int   // line number of starts[0]
	indent int   // column (0-based) of the entries' "-"
	// clean: no line of the sequence continues a construct from the line
	// before (a quoted or plain scalar, a flow collection, a block
	// scalar), so every cut is certainly between entries and a syntax
	// error in a run is the file's own.
	clean bool

	keyLine int // line of "records:" (1-based)
	bracket int // offset in data where " []" goes, after "records:"
	col     int // column (1-based) of that "[" in the skeleton

	placeholder *yaml.Node // the skeleton's "[]", filled run by run
	nodes       nodeArena  // the nodes of the run fastEntries parsed last
	run         int        // entries per run; 0: streamRunEntries (tests cut finer)
	read        bool       // streamedRecords ran
}

// findRecords locates a block sequence under the top-level dns.records;
// nil when the file does not have that plain shape, or when ctx is done
// (it looks every checkBytes).
func findRecords(ctx context.Context, data []byte) *recordStream {
	const (
		seekDNS = iota
		seekRecords
		entries
	)
	rs := &recordStream{data: data, clean: true, indent: -1}
	phase, dnsIndent := seekDNS, -1
	st := newLexState()
	var toks []token
	lineNo := 0
	check := checkBytes
	for off := 0; off < len(data); {
		if off >= check {
			if ctx.Err() != nil {
				return nil
			}
			check = off + checkBytes
		}
		lineNo++
		nl := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if nl >= 0 {
			next = off + nl + 1
		}
		end := next
		if nl >= 0 {
			end = off + nl
		}
		line := bytes.TrimSuffix(data[off:end], []byte{'\r'})
		atStart := !st.open()
		li, after := lexLine(line, st, toks)
		toks = li.toks
		if li.tab {
			return nil
		}
		for _, t := range li.toks {
			if t.kind == tDirective {
				return nil
			}
		}
		structural := atStart && !li.blank && !li.inScalar
		switch phase {
		case seekDNS:
			if structural && li.indent == 0 && keyLine(line, li, "dns") {
				phase = seekRecords
			}
		case seekRecords:
			if !structural {
				break
			}
			if li.indent == 0 {
				return nil // dns ended without records
			}
			if dnsIndent < 0 {
				dnsIndent = li.indent
			}
			if li.indent == dnsIndent && keyLine(line, li, "records") {
				phase = entries
				rs.keyLine = lineNo
				colon := li.toks[1].start
				rs.bracket = off + colon + 1
				rs.col = colon + 3
			}
		case entries:
			if !structural {
				if rs.indent >= 0 && !li.blank {
					rs.clean = false
				}
				break
			}
			entry := li.toks[0].kind == tEntry
			switch {
			case rs.indent < 0:
				if !entry || li.indent < dnsIndent {
					return nil // records holds no block sequence
				}
				rs.indent, rs.line = li.indent, lineNo
				rs.starts = append(rs.starts, off)
				if rs.indent == dnsIndent {
					// An indentless sequence ends where the mapping goes
					// on: yaml.v3 names that mapping in errors within,
					// which a run cannot see.
					rs.clean = false
				}
			case li.indent == rs.indent && entry:
				rs.starts = append(rs.starts, off)
			case li.indent <= rs.indent:
				rs.end = off
				return rs
			}
			if after.open() {
				rs.clean = false
			}
		}
		st = after
		off = next
	}
	if phase != entries || rs.indent < 0 {
		return nil
	}
	rs.end = len(data)
	if st.open() {
		rs.clean = false
	}
	return rs
}

// keyLine reports whether the line is exactly "name:", optionally with a
// comment: a plain key at the line's indentation with no value after it.
func keyLine(line []byte, li lineInfo, name string) bool {
	t := li.toks
	if len(t) < 2 || len(t) > 3 || t[0].kind != tPlain || t[0].start != li.indent || t[1].kind != tValue {
		return false
	}
	if len(t) == 3 && t[2].kind != tComment {
		return false
	}
	return string(line[t[0].start:t[0].end]) == name
}

// skeleton is the file with the sequence's lines emptied (their line
// breaks kept, so that every other line keeps its number) and " []" after
// "records:".
func (rs *recordStream) skeleton() []byte {
	d := rs.data
	region := d[rs.starts[0]:rs.end]
	out := make([]byte, 0, len(d)-len(region)+bytes.Count(region, []byte{'\n'})+3)
	out = append(out, d[:rs.bracket]...)
	out = append(out, " []"...)
	out = append(out, d[rs.bracket:rs.starts[0]]...)
	for range bytes.Count(region, []byte{'\n'}) {
		out = append(out, '\n')
	}
	return append(out, d[rs.end:]...)
}

// skeletonPrefix is the skeleton up to the records' entries.
func (rs *recordStream) skeletonPrefix() []byte {
	d := rs.data
	out := make([]byte, 0, rs.starts[0]+3)
	out = append(out, d[:rs.bracket]...)
	out = append(out, " []"...)
	return append(out, d[rs.bracket:rs.starts[0]]...)
}

// runs yields the runs of entries: the index of the first, the number of
// entries, the text and the line number it starts on.
func (rs *recordStream) runs() iter.Seq2[[2]int, runText] {
	return func(yield func([2]int, runText) bool) {
		line := rs.line
		most := rs.run
		if most <= 0 {
			most = streamRunEntries
		}
		for i := 0; i < len(rs.starts); {
			j := i + 1
			for j < len(rs.starts) && j-i < most && rs.starts[j]-rs.starts[i] < streamRunBytes {
				j++
			}
			end := rs.end
			if j < len(rs.starts) {
				end = rs.starts[j]
			}
			text := rs.data[rs.starts[i]:end]
			if !yield([2]int{i, j - i}, runText{text: text, line: line}) {
				return
			}
			line += bytes.Count(text, []byte{'\n'})
			i = j
		}
	}
}

// runText is the text of a run of entries and the line it starts on.
type runText struct {
	text []byte
	line int
}

// errFallback says that a run could not be read as the lexer cut it; the
// file is then parsed as one document.
type errFallback struct{}

func (errFallback) Error() string { return "records not streamed" }

// parseRun parses a run of n entries. It returns the entries' nodes, with
// their lines made the file's; a syntax error (lines made the file's
// too) when yaml.v3 rejects the run; errFallback when the run is not n
// plain entries at the expected indentation; or ctx's error.
func (rs *recordStream) parseRun(ctx context.Context, r runText, n int) ([]*yaml.Node, error) {
	if nodes := rs.fastEntries(r, n); nodes != nil {
		return nodes, nil
	}
	return rs.parseRunYAML(ctx, r, n)
}

// parseRunYAML is parseRun through yaml.v3.
func (rs *recordStream) parseRunYAML(ctx context.Context, r runText, n int) ([]*yaml.Node, error) {
	// After a blank line, as in the file the entries never start on the
	// first line: yaml.v3 reports an error in a construct that starts on
	// the first line at another place than elsewhere.
	var doc yaml.Node
	in := ctxReader{ctx, io.MultiReader(strings.NewReader("\n"), bytes.NewReader(r.text))}
	if err := yaml.NewDecoder(in).Decode(&doc); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errFallback{}
	}
	seq := doc.Content[0]
	if seq.Kind != yaml.SequenceNode || seq.Style&yaml.FlowStyle != 0 || seq.Column != rs.indent+1 || len(seq.Content) != n || seq.Anchor != "" {
		return nil, errFallback{}
	}
	shift := r.line - 2
	ok := true
	var walk func(*yaml.Node)
	walk = func(x *yaml.Node) {
		if x.Kind == yaml.AliasNode || x.Anchor != "" {
			ok = false
			return
		}
		x.Line += shift
		for _, c := range x.Content {
			walk(c)
		}
	}
	for _, e := range seq.Content {
		walk(e)
	}
	if !ok {
		return nil, errFallback{}
	}
	return seq.Content, nil
}

// runError turns an error of parseRun into a diagnostic on the file's
// lines; errFallback (and any error in a run the lexer did not cut
// cleanly) stays errFallback.
func (d *doc) runError(r runText, err error) error {
	if _, ok := err.(errFallback); ok || !d.stream.clean {
		return errFallback{}
	}
	line, col, msg := locateYAMLError(append([]byte{'\n'}, r.text...), err)
	line += r.line - 2
	if msg == "did not find expected '-' indicator" && line == r.line && col == d.stream.indent+1 {
		// The sequence that construct names starts with the records'
		// first entry, not with this run's.
		line = d.stream.line
	}
	d.diags = Diagnostics{{Pos: model.Pos{File: d.file, Line: line, Col: col}, Rule: RuleYAMLSyntax,
		Severity: SeverityError, Message: "YAML syntax: " + msg}}
	return errSyntax{}
}

// errSyntax says that d.diags holds the file's syntax error.
type errSyntax struct{}

func (errSyntax) Error() string { return "syntax error" }

// streamedRecords yields the entries of the streamed dns.records (rc is
// the skeleton's placeholder) as cursors, after checking each against the
// record schema: through fastRecord, else converted and validated. An
// entry the schema rejects is skipped, as cursor.all skips it. It stops
// at the first error (a cancelled context, a syntax error, a run to
// parse as part of the whole document), which it leaves in d.streamErr.
func (d *doc) streamedRecords(ctx context.Context) iter.Seq2[int, cursor] {
	return func(yield func(int, cursor) bool) {
		d.stream.read = true
		ph := d.stream.placeholder
		ph.Content = make([]*yaml.Node, len(d.stream.starts))
		defer func() { ph.Content = nil }()
		for at, r := range d.stream.runs() {
			if err := ctx.Err(); err != nil {
				d.streamErr = err
				return
			}
			items, err := d.stream.parseRun(ctx, r, at[1])
			if err != nil {
				d.streamErr = ctx.Err()
				if d.streamErr == nil {
					d.streamErr = d.runError(r, err)
				}
				return
			}
			for k, it := range items {
				i := at[0] + k
				ptr := "/dns/records/" + strconv.Itoa(i)
				// In place for positions (doc.lookup) while it is checked
				// and decoded.
				ph.Content[i] = it
				if !fastRecord(it) {
					// As convertRecords and validate do for the whole
					// document. (The budget only matters for aliases,
					// which a streamed run has none of.)
					budget := maxNodes + countNodes(it)
					v, ok := d.convert(it, &budget, 3, elsewhere)
					if !ok {
						d.streamErr = errFallback{}
						return
					}
					d.validateValue(d.schemas.record, v, ptr, d.schemas.printer)
					if len(d.bad) > 0 && d.bad[ptr] {
						ph.Content[i] = nil
						continue
					}
				}
				more := yield(i, cursor{d: d, at: ptr, n: followAlias(it)})
				ph.Content[i] = nil
				if !more {
					return
				}
			}
		}
	}
}
