package spec

import (
	"bytes"
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/dnssync/dnssync/internal/model"
)

// textInfo is what scanText learns about a file before it is parsed.
type textInfo struct {
	problem *Diagnostic // the first character YAML refuses, at its own position
	// plainBreaks: lines end only in \n or \r\n, so line-based tools
	// (the record stream, the error locator) count lines as yaml.v3 does.
	// Lone \r, U+0085, U+2028 and U+2029 break lines too in YAML 1.1.
	plainBreaks bool
	utf16       bool // a UTF-16 byte order mark: left to yaml.v3 entirely
	cancelled   bool // the context was cancelled before the scan ended
}

// checkBytes is how many bytes the text scans go through between looks at
// the context.
const checkBytes = 1 << 20

// scanText finds the first character yaml.v3's reader would refuse —
// a NUL or other control character, or bytes that are not UTF-8 — and
// reports it at its line and column (counted in characters, as YAML
// counts them). yaml.v3 itself gives such errors no position at all.
//
// It looks at ctx every 1 MiB: a file under a generous size limit takes a
// noticeable time to scan. When ctx is done it returns early with
// cancelled set.
func scanText(ctx context.Context, file string, data []byte) textInfo {
	ti := textInfo{plainBreaks: true}
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		ti.utf16, ti.plainBreaks = true, false
		return ti
	}
	i := 0
	if bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}) {
		i = 3 // the reader drops a UTF-8 byte order mark
	}
	line, col := 1, 1
	next := i + checkBytes
	for i < len(data) {
		if i >= next {
			if ctx.Err() != nil {
				ti.cancelled = true
				return ti
			}
			next = i + checkBytes
		}
		c := data[i]
		if c >= 0x20 && c < 0x7F || c == '\t' {
			i++
			col++
			continue
		}
		if c == '\n' {
			i++
			line, col = line+1, 1
			continue
		}
		if c == '\r' {
			i++
			if i < len(data) && data[i] == '\n' {
				i++
			} else {
				ti.plainBreaks = false
			}
			line, col = line+1, 1
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		var msg string
		switch {
		case r == utf8.RuneError && size == 1:
			msg = fmt.Sprintf("invalid UTF-8 (byte 0x%02X): YAML files must be UTF-8; save the file as UTF-8", c)
		case r == 0:
			msg = "NUL byte (U+0000): YAML allows no control characters; is this a binary file?"
		case !yamlPrintable(r):
			msg = fmt.Sprintf("control character U+%04X: YAML allows none but tab and line breaks", r)
		}
		if msg != "" {
			ti.problem = &Diagnostic{Pos: model.Pos{File: file, Line: line, Col: col}, Rule: RuleYAMLSyntax, Severity: SeverityError, Message: msg}
			return ti
		}
		i += size
		if r == 0x85 || r == 0x2028 || r == 0x2029 {
			ti.plainBreaks = false
			line, col = line+1, 1
			continue
		}
		col++
	}
	return ti
}

// yamlPrintable is the set of characters yaml.v3's reader accepts
// (readerc.go): tab, line breaks, and printable Unicode.
func yamlPrintable(r rune) bool {
	switch {
	case r == 0x09, r == 0x0A, r == 0x0D, r >= 0x20 && r <= 0x7E, r == 0x85,
		r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}
