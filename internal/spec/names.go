package spec

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// problem is a rule violation found by a pure check; the caller attaches
// the position.
type problem struct {
	rule, msg string
}

func (p *problem) Error() string { return p.msg }

func newProblem(rule, format string, args ...any) *problem {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = clip(s)
		}
	}
	return &problem{rule: rule, msg: fmt.Sprintf(format, args...)}
}

// maxMessage bounds a diagnostic's text, whatever values it quotes.
const maxMessage = 400

// clipMessage shortens an overlong diagnostic (one that quotes a huge
// value through a path that did not clip it).
func clipMessage(m string) string {
	if len(m) <= maxMessage {
		return m
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(m[cut]) {
		cut--
	}
	return m[:cut] + "…"
}

// maxEcho is the most of a file's value a message repeats: enough to find
// it, never the whole of a hostile or oversized value.
const maxEcho = 100

// clip shortens s to its first maxEcho bytes (on a rune boundary), saying
// how long it was.
func clip(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	cut := maxEcho
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:cut], len(s))
}

const (
	maxLabel = 63
	maxName  = 253
)

// toASCII converts a dotted name to lower-case A-labels, label by label so
// that "*" and "_service" labels (which IDNA rejects) pass through to the
// syntax checks. Empty labels are kept for those checks too.
func toASCII(name string) (string, *problem) {
	if !utf8.ValidString(name) {
		return "", newProblem(RuleIDNA, "name %q is not valid UTF-8", name)
	}
	if plainASCII(name) && !strings.Contains(name, "xn--") {
		return name, nil // already lower-case A-labels: nothing to convert
	}
	labels := strings.Split(name, ".")
	for i, l := range labels {
		if isASCII(l) {
			l = strings.ToLower(l)
			if strings.HasPrefix(l, "xn--") {
				if _, err := idna.Lookup.ToUnicode(l); err != nil {
					return "", newProblem(RuleIDNA, "label %q is not valid punycode: %v", l, err)
				}
			}
			labels[i] = l
			continue
		}
		a, err := idna.Lookup.ToASCII(l)
		if err != nil {
			return "", newProblem(RuleIDNA, "label %q cannot be converted to punycode: %v", l, err)
		}
		labels[i] = a
	}
	return strings.Join(labels, "."), nil
}

// plainASCII reports whether s is ASCII without upper-case letters.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || c >= 'A' && c <= 'Z' {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Unicode renders an A-label name for people ("xn--bcher-kva.example" →
// "bücher.example"); names that do not convert are returned unchanged.
func Unicode(name string) string {
	if !strings.Contains(name, "xn--") {
		return name
	}
	u, err := idna.Display.ToUnicode(name)
	if err != nil {
		return name
	}
	return u
}

// nameKind selects the label rules of checkName.
type nameKind int

const (
	kindHost   nameKind = iota // letters, digits, hyphens (LDH)
	kindTarget                 // LDH plus "_" (CNAME targets such as DKIM delegations)
	kindOwner                  // LDH plus "_" and a leading "*" label (record names)
)

// checkName validates an ASCII name (no trailing dot) label by label. fqdnLen
// is the length of the name as it will exist in DNS (the record name plus the
// domain), checked against 253.
func checkName(ascii string, k nameKind, fqdnLen int, syntaxRule string) *problem {
	if fqdnLen > maxName {
		return newProblem(RuleNameLength, "name %q is %d octets long; the limit is %d", Unicode(ascii), fqdnLen, maxName)
	}
	labels := strings.Split(ascii, ".")
	for i, l := range labels {
		switch {
		case l == "":
			return newProblem(syntaxRule, "name %q has an empty label", ascii)
		case len(l) > maxLabel:
			return newProblem(RuleLabelLength, "label %q is %d octets long; the limit is %d", l, len(l), maxLabel)
		case strings.Contains(l, "*"):
			if k != kindOwner || l != "*" || i != 0 {
				if k == kindOwner {
					return newProblem(RuleWildcard, "wildcard %q: \"*\" must be the whole leftmost label, as in \"*\" or \"*.dev\"", ascii)
				}
				return newProblem(syntaxRule, "name %q may not contain \"*\"", ascii)
			}
			continue
		}
		for j := 0; j < len(l); j++ {
			c := l[j]
			ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' && k != kindHost
			if !ok {
				return newProblem(syntaxRule, "name %q: character %q is not allowed", Unicode(ascii), rune(c))
			}
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return newProblem(syntaxRule, "name %q: label %q may not start or end with a hyphen", Unicode(ascii), l)
		}
	}
	return nil
}

// normDomain converts a domain as written into its canonical form.
func normDomain(raw string) (string, *problem) {
	name := strings.TrimSuffix(strings.TrimSpace(raw), ".")
	a, p := toASCII(name)
	if p != nil {
		return "", p
	}
	if p := checkName(a, kindHost, len(a), RuleDomainName); p != nil {
		return "", p
	}
	if !strings.Contains(a, ".") {
		return "", newProblem(RuleDomainName, "domain %q must have at least two labels, as in example.com", raw)
	}
	return a, nil
}

// normOwner converts a record name into the canonical relative form ("@",
// "www", "*.dev") for zone domain. It also returns a warning problem when the
// name looks like a mistake but is valid.
func normOwner(raw, domain string) (name string, err, warn *problem) {
	if raw == "@" {
		return "@", nil, nil
	}
	abs := strings.HasSuffix(raw, ".")
	a, p := toASCII(strings.TrimSuffix(raw, "."))
	if p != nil {
		return "", p, nil
	}
	if abs {
		switch {
		case a == domain:
			return "@", nil, nil
		case strings.HasSuffix(a, "."+domain):
			a = strings.TrimSuffix(a, "."+domain)
		default:
			return "", newProblem(RuleNameOutside, "absolute name %q is not inside %s; write names relative to the domain", raw, Unicode(domain)), nil
		}
	} else if a == domain || strings.HasSuffix(a, "."+domain) {
		warn = newProblem(RuleNameRepeats, "name %q is relative and becomes %s.%s; write %q for the apex or end an absolute name with a dot",
			raw, Unicode(a), Unicode(domain), "@")
	}
	if p := checkName(a, kindOwner, len(a)+1+len(domain), RuleNameSyntax); p != nil {
		return "", p, nil
	}
	return a, nil, warn
}

// normHost converts a host name (nameserver, target) into lower-case A-label
// form without the trailing dot; it must have at least two labels.
func normHost(raw string, k nameKind, rule string) (string, *problem) {
	name := strings.TrimSuffix(strings.TrimSpace(raw), ".")
	a, p := toASCII(name)
	if p != nil {
		return "", &problem{rule: rule, msg: p.msg}
	}
	if p := checkName(a, k, len(a), rule); p != nil {
		return "", p
	}
	if !strings.Contains(a, ".") {
		return "", newProblem(rule, "%q is not a fully qualified host name (it needs at least two labels)", raw)
	}
	if tld := a[strings.LastIndexByte(a, '.')+1:]; strings.Trim(tld, "0123456789") == "" {
		return "", newProblem(rule, "%q is not a host name (an address or a name with a numeric top-level label)", raw)
	}
	return a, nil
}

// inside reports whether host lies strictly below domain.
func inside(host, domain string) bool { return strings.HasSuffix(host, "."+domain) }
