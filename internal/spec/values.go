package spec

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/dnssync/dnssync/internal/model"
)

// maxTXTString is the longest character-string a TXT record can carry in one
// piece; longer values must be split, which DNSPod's handling of is
// UNVERIFIED, so they only warn.
const maxTXTString = 255

// maxTXTData is the longest TXT text a DNS record can hold: 65535 octets of
// record data made of strings of at most 255 octets, each after its length
// octet (RFC 1035): 255 full strings (65280 octets) and one of 254.
const maxTXTData = 255*255 + 254

// valueLimit refuses a canonical value longer than the provider serving
// the zone accepts (where it documents a limit) or than any record holds.
func valueLimit(typ, val string, caps *Caps, haveProv bool, prov string) *problem {
	if haveProv {
		if limit := caps.MaxValue[typ]; limit > 0 && len(val) > limit {
			return newProblem(RuleValueLength, "%s value is %d octets; provider %q accepts at most %d", typ, len(val), prov, limit)
		}
	}
	if typ == model.TypeTXT && len(val) > maxTXTData {
		return newProblem(RuleValueLength, "TXT value is %d octets; a DNS record holds at most %d octets of text (RFC 1035)", len(val), maxTXTData)
	}
	return nil
}

// normValue validates raw as the data of a record of type typ and returns its
// canonical form (see internal/model). warn is set for valid but doubtful
// values.
func normValue(typ, raw string) (value string, err, warn *problem) {
	switch typ {
	case model.TypeA:
		a, e := netip.ParseAddr(strings.TrimSpace(raw))
		if e != nil || !a.Is4() {
			return "", newProblem(RuleValueA, "A value %q is not an IPv4 address", raw), nil
		}
		return a.String(), nil, nil
	case model.TypeAAAA:
		a, e := netip.ParseAddr(strings.TrimSpace(raw))
		if e != nil || !a.Is6() || a.Zone() != "" {
			return "", newProblem(RuleValueAAAA, "AAAA value %q is not an IPv6 address", raw), nil
		}
		return a.String(), nil, nil
	case model.TypeCNAME:
		h, p := normHost(raw, kindTarget, RuleValueCNAME)
		if p != nil {
			return "", p, nil
		}
		return model.Fqdn(h), nil, nil
	case model.TypeMX, model.TypeNS, model.TypePTR:
		rule := RuleValueMX
		switch typ {
		case model.TypeNS:
			rule = RuleValueNS
		case model.TypePTR:
			rule = RuleValuePTR
		}
		h, p := normHost(raw, kindHost, rule)
		if p != nil {
			return "", p, nil
		}
		return model.Fqdn(h), nil, nil
	case model.TypeTXT:
		t, p := unquoteTXT(raw)
		if p != nil {
			return "", p, nil
		}
		if len(t) > maxTXTString {
			warn = newProblem(RuleTXTLength, "TXT value is %d octets; values over %d octets are split into several strings, which the provider may not support", len(t), maxTXTString)
		}
		return t, nil, warn
	case model.TypeSRV:
		v, p := normSRV(raw)
		return v, p, nil
	case model.TypeCAA:
		v, p := normCAA(raw)
		return v, p, nil
	}
	return "", newProblem(RuleRecordType, "record type %q is not supported", typ), nil
}

// unquoteTXT returns the text of a TXT value. A value that starts with a
// double quote is read as one or more zone-file character-strings
// ("a" "b" → ab, with \" \\ and \DDD escapes); any other value is the text
// itself. The text may not be empty or contain control characters.
func unquoteTXT(raw string) (string, *problem) {
	s := raw
	if strings.HasPrefix(strings.TrimSpace(s), `"`) {
		var b strings.Builder
		rest := strings.TrimSpace(s)
		for rest != "" {
			if rest[0] != '"' {
				return "", newProblem(RuleValueTXT, "TXT value %q: text outside quotes; quote every part or none", raw)
			}
			i := 1
			closed := false
			for i < len(rest) {
				c := rest[i]
				if c == '\\' {
					if i+3 < len(rest) && isDigit(rest[i+1]) && isDigit(rest[i+2]) && isDigit(rest[i+3]) {
						n, _ := strconv.Atoi(rest[i+1 : i+4])
						if n > 255 {
							return "", newProblem(RuleValueTXT, "TXT value %q: escape \\%s is out of range", raw, rest[i+1:i+4])
						}
						b.WriteByte(byte(n))
						i += 4
						continue
					}
					if i+1 >= len(rest) {
						break
					}
					b.WriteByte(rest[i+1])
					i += 2
					continue
				}
				if c == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(c)
				i++
			}
			if !closed {
				return "", newProblem(RuleValueTXT, "TXT value %q: unbalanced quotes", raw)
			}
			rest = strings.TrimLeft(rest[i:], " \t")
		}
		s = b.String()
	}
	if s == "" {
		return "", newProblem(RuleValueTXT, "TXT value is empty")
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return "", newProblem(RuleValueTXT, "TXT value %q contains a control character", raw)
		}
	}
	return s, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// normSRV checks "priority weight port target" and canonicalises the target.
func normSRV(raw string) (string, *problem) {
	f := strings.Fields(raw)
	if len(f) != 4 {
		return "", newProblem(RuleValueSRV, "SRV value %q must be \"priority weight port target\"", raw)
	}
	for i, what := range []string{"priority", "weight", "port"} {
		n, err := strconv.Atoi(f[i])
		if err != nil || n < 0 || n > 65535 {
			return "", newProblem(RuleValueSRV, "SRV value %q: %s %q is not a number from 0 to 65535", raw, what, f[i])
		}
		f[i] = strconv.Itoa(n)
	}
	if f[3] == "." {
		return strings.Join(f, " "), nil // RFC 2782: service not available
	}
	h, p := normHost(f[3], kindHost, RuleValueSRV)
	if p != nil {
		return "", p
	}
	f[3] = model.Fqdn(h)
	return strings.Join(f, " "), nil
}

// normCAA checks `flags tag value` and returns it with the tag lower-cased
// and the value quoted: 0 issue "letsencrypt.org".
func normCAA(raw string) (string, *problem) {
	s := strings.TrimSpace(raw)
	flagStr, rest, ok1 := strings.Cut(s, " ")
	rest = strings.TrimLeft(rest, " \t")
	tag, val, ok2 := strings.Cut(rest, " ")
	val = strings.TrimSpace(val)
	if !ok1 || !ok2 || val == "" {
		return "", newProblem(RuleValueCAA, "CAA value %q must be `flags tag \"value\"`, e.g. 0 issue \"letsencrypt.org\"", raw)
	}
	flags, err := strconv.Atoi(flagStr)
	if err != nil || flags < 0 || flags > 255 {
		return "", newProblem(RuleValueCAA, "CAA value %q: flags %q is not a number from 0 to 255", raw, flagStr)
	}
	tag = strings.ToLower(tag)
	if len(tag) > 15 || !isAlnum(tag) {
		return "", newProblem(RuleValueCAA, "CAA value %q: tag %q must be 1 to 15 letters or digits", raw, tag)
	}
	if strings.HasPrefix(val, `"`) {
		if len(val) < 2 || !strings.HasSuffix(val, `"`) {
			return "", newProblem(RuleValueCAA, "CAA value %q: unbalanced quotes", raw)
		}
		val = val[1 : len(val)-1]
	}
	if strings.ContainsAny(val, "\"\\") {
		return "", newProblem(RuleValueCAA, "CAA value %q: the value may not contain quotes or backslashes", raw)
	}
	for _, r := range val {
		if r < 0x20 || r == 0x7f {
			return "", newProblem(RuleValueCAA, "CAA value %q contains a control character", raw)
		}
	}
	switch tag {
	case "issue", "issuewild":
		// The issuer domain may be empty (";" = nobody may issue) and may
		// carry parameters after ";".
		issuer, _, _ := strings.Cut(val, ";")
		if issuer = strings.TrimSpace(issuer); issuer != "" {
			if _, p := normHost(issuer, kindHost, RuleValueCAA); p != nil {
				return "", newProblem(RuleValueCAA, "CAA value %q: issuer %q is not a domain name", raw, issuer)
			}
		}
	case "iodef":
		if !strings.HasPrefix(val, "mailto:") && !strings.HasPrefix(val, "https://") && !strings.HasPrefix(val, "http://") {
			return "", newProblem(RuleValueCAA, "CAA value %q: iodef must be a mailto:, http: or https: URL", raw)
		}
	}
	return strconv.Itoa(flags) + " " + tag + " \"" + val + "\"", nil
}

func isAlnum(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// normIP validates a glue address and returns its canonical text.
func normIP(raw string) (string, bool) {
	a, err := netip.ParseAddr(strings.TrimSpace(raw))
	if err != nil || a.Zone() != "" {
		return "", false
	}
	return a.String(), true
}
