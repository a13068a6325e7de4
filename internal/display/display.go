// Package display words names and values for people in the same way
// wherever they are shown: in renderings of a plan (internal/render) and in
// the one-line batch descriptions providers write into a plan. It is
// neutral: it knows names, addresses and counts, not providers.
package display

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Unicode turns A-labels (xn--…) into Unicode for people. Names that do not
// decode are shown as they are: a plan must never fail to render.
func Unicode(s string) string {
	if !strings.Contains(s, "xn--") {
		return s
	}
	u, err := idna.ToUnicode(s)
	if err != nil {
		return s
	}
	return u
}

// Name is a name for people: its Unicode form, followed by the A-label form
// in parentheses when they differ, so that look-alike characters (Cyrillic
// "а" for Latin "a") cannot hide what will be written.
func Name(s string) string {
	if u := Unicode(s); u != s {
		return Printable(u) + " (" + s + ")"
	}
	return Printable(s)
}

// Names joins Name of each name with ", ".
func Names(ns []string) string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = Name(n)
	}
	return strings.Join(out, ", ")
}

// Printable escapes runes a terminal or browser would act on instead of
// showing (control characters, bidi overrides, other format characters), so
// that record data cannot rewrite the screen or reorder what a reviewer sees.
func Printable(s string) string {
	clean := true
	for _, r := range s {
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsPrint(r) && r != utf8.RuneError {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRuneToASCII(r) // '\x1b', '\u202e'
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

// Plural returns "1 record" / "2 records".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Quote leaves simple values (numbers, names, addresses) bare and quotes
// anything with spaces, quotes, backslashes or invisible runes.
func Quote(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"\\`|") || Printable(s) != s {
		return strconv.Quote(s)
	}
	return s
}

// IPs lists addresses, "(no addresses)" when there are none.
func IPs(ips []string) string {
	if len(ips) == 0 {
		return "(no addresses)"
	}
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = Printable(ip)
	}
	return strings.Join(out, ", ")
}
