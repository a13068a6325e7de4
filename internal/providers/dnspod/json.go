package dnspod

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Str is a scalar that DNSPod sends sometimes as a JSON string and sometimes
// as a JSON number (ids, ttl, mx, counts; spec §6), occasionally as null or
// as the boolean false (Domain.Info's empty remark). It keeps the textual
// form: numbers as written, null and false as "", true as "true".
type Str string

// UnmarshalJSON accepts a string, a number, null or a boolean. A
// Record.List page holds a dozen of these per record, so the common forms
// (a string without escapes, a number) are read directly; the rest goes
// through encoding/json.
func (s *Str) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return fmt.Errorf("dnspod: empty JSON value")
	case b[0] == '"':
		if in, ok := plainString(b); ok {
			*s = Str(in)
			return nil
		}
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = Str(v)
	case bytes.Equal(b, []byte("null")), bytes.Equal(b, []byte("false")):
		*s = ""
	case bytes.Equal(b, []byte("true")):
		*s = "true"
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		if validNumber(b) {
			*s = Str(b) // json.Number keeps the text as written
			return nil
		}
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*s = Str(n.String())
	default:
		return fmt.Errorf("dnspod: cannot read %.20s as a string or number", b)
	}
	return nil
}

// plainString returns the text of the JSON string b when it needs no
// unescaping: closed by a quote, no backslash, no control character, valid
// UTF-8 (encoding/json would replace invalid bytes).
func plainString(b []byte) (string, bool) {
	if len(b) < 2 || b[len(b)-1] != '"' {
		return "", false
	}
	in := b[1 : len(b)-1]
	for _, c := range in {
		if c == '\\' || c == '"' || c < 0x20 {
			return "", false
		}
	}
	if !utf8.Valid(in) {
		return "", false
	}
	return string(in), true
}

// validNumber reports whether b is a JSON number (the grammar of RFC 8259,
// as encoding/json checks it).
func validNumber(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	digits := func() int {
		i := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i
	}
	switch {
	case len(b) == 0:
		return false
	case b[0] == '0':
		b = b[1:]
	case b[0] >= '1' && b[0] <= '9':
		b = b[digits():]
	default:
		return false
	}
	if len(b) > 0 && b[0] == '.' {
		b = b[1:]
		n := digits()
		if n == 0 {
			return false
		}
		b = b[n:]
	}
	if len(b) > 0 && (b[0] == 'e' || b[0] == 'E') {
		b = b[1:]
		if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
			b = b[1:]
		}
		n := digits()
		if n == 0 {
			return false
		}
		b = b[n:]
	}
	return len(b) == 0
}

// String returns the text.
func (s Str) String() string { return string(s) }

// Int parses the value as an integer; "" is 0.
func (s Str) Int() (int, error) {
	t := strings.TrimSpace(string(s))
	if t == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(t)
	if err != nil {
		// Numbers such as 600.0 are still integers.
		f, ferr := strconv.ParseFloat(t, 64)
		if ferr != nil || f != float64(int(f)) {
			return 0, fmt.Errorf("dnspod: %q is not an integer", t)
		}
		return int(f), nil
	}
	return n, nil
}

// IntOr is Int with a fallback for empty or malformed values.
func (s Str) IntOr(def int) int {
	if s == "" {
		return def
	}
	n, err := s.Int()
	if err != nil {
		return def
	}
	return n
}

// Bool is a flag DNSPod sends as a JSON boolean or as a string ("1"/"0",
// "yes"/"no", "true"/"false", "enable"/"disable"), or a number; null is
// false.
type Bool bool

// UnmarshalJSON accepts booleans, strings, numbers and null.
func (v *Bool) UnmarshalJSON(b []byte) error {
	var s Str
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	f, err := parseBool(s)
	if err != nil {
		return err
	}
	*v = f
	return nil
}

// parseBool reads the text of a flag.
func parseBool(s Str) (Bool, error) {
	switch s {
	case "0", "1", "": // the usual forms, without folding
		return s == "1", nil
	}
	switch strings.ToLower(strings.TrimSpace(string(s))) {
	case "", "0", "no", "false", "disable", "disabled", "off":
		return false, nil
	case "1", "yes", "true", "enable", "enabled", "on":
		return true, nil
	}
	return false, fmt.Errorf("dnspod: cannot read %q as a flag", string(s))
}
