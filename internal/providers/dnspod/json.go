package dnspod

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Str is a scalar that DNSPod sends sometimes as a JSON string and sometimes
// as a JSON number (ids, ttl, mx, counts; spec §6), occasionally as null or
// as the boolean false (Domain.Info's empty remark). It keeps the textual
// form: numbers as written, null and false as "", true as "true".
type Str string

// UnmarshalJSON accepts a string, a number, null or a boolean.
func (s *Str) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return fmt.Errorf("dnspod: empty JSON value")
	case b[0] == '"':
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
	switch strings.ToLower(strings.TrimSpace(string(s))) {
	case "", "0", "no", "false", "disable", "disabled", "off":
		*v = false
	case "1", "yes", "true", "enable", "enabled", "on":
		*v = true
	default:
		return fmt.Errorf("dnspod: cannot read %q as a flag", string(s))
	}
	return nil
}
