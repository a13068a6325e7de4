package rfc2136

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/dnssync/dnssync/internal/model"
)

// Record types: PTR is written like the others (named here for
// symmetry); SOA is read (as a system row) but never written.
const (
	TypePTR = model.TypePTR
	TypeSOA = "SOA"
)

// maxTXTString is the longest character-string of a TXT RR (RFC 1035 §3.3).
const maxTXTString = 255

// Conversion errors. RecordFromRR wraps ErrUnsupportedType for RRs the
// provider does not manage (DNSSEC records and the like), ErrOutOfZone for
// owners outside the zone and ErrInvalidRecord for RRs it cannot represent
// faithfully (a CAA tag that is not letters and digits); Transfer counts
// those in Snapshot.Skipped instead of failing.
var (
	ErrUnsupportedType = errors.New("record type not managed by the rfc2136 provider")
	ErrOutOfZone       = errors.New("owner name outside the zone")
	ErrInvalidRecord   = errors.New("invalid record")
)

// writableType returns the wire type of a record type the provider writes.
func writableType(typ string) (uint16, bool) {
	switch typ {
	case model.TypeA, model.TypeAAAA, model.TypeCNAME, model.TypeMX, model.TypeTXT,
		model.TypeNS, model.TypeSRV, model.TypeCAA, TypePTR:
		return dns.StringToType[typ], true
	}
	return 0, false
}

// canonicalZone returns zone lower-case and absolute ("example.com.").
func canonicalZone(zone string) (string, error) {
	if zone == "" {
		return "", fmt.Errorf("%w: empty zone name", ErrInvalidRecord)
	}
	if _, ok := dns.IsDomainName(zone); !ok {
		return "", fmt.Errorf("%w: zone %q is not a domain name", ErrInvalidRecord, zone)
	}
	return dns.CanonicalName(zone), nil
}

// relativeName returns owner relative to zone (both canonical), "@" for the
// apex.
func relativeName(owner, zone string) (string, bool) {
	if owner == zone {
		return "@", true
	}
	if !dns.IsSubDomain(zone, owner) {
		return "", false
	}
	if zone == "." {
		return strings.TrimSuffix(owner, "."), true
	}
	return strings.TrimSuffix(owner, "."+zone), true
}

// ownerName is the inverse of relativeName; it validates name.
func ownerName(name, zone string) (string, error) {
	if name == "@" {
		return zone, nil
	}
	if name == "" {
		return "", fmt.Errorf("%w: empty name (use \"@\" for the apex)", ErrInvalidRecord)
	}
	owner := name + "." + zone
	if zone == "." {
		owner = name + "."
	}
	owner, err := canonicalDomain(owner)
	if err != nil {
		return "", fmt.Errorf("%w: name %q: %v", ErrInvalidRecord, name, err)
	}
	if rel, ok := relativeName(owner, zone); !ok || rel == "@" {
		return "", fmt.Errorf("%w: name %q must be relative to zone %s (\"@\" for the apex)", ErrInvalidRecord, name, zone)
	}
	return owner, nil
}

// canonicalDomain checks an absolute domain name and returns it as the
// library presents it after a trip through the wire format, lower-case: the
// same text RecordFromRR produces for the same name read from a server.
func canonicalDomain(s string) (string, error) {
	if !dns.IsFqdn(s) {
		return "", fmt.Errorf("%q is not absolute (must end with a dot)", s)
	}
	buf := make([]byte, 256) // a name is at most 255 octets on the wire
	off, err := dns.PackDomainName(s, buf, 0, nil, false)
	if err != nil {
		return "", fmt.Errorf("%q is not a domain name: %w", s, err)
	}
	n, _, err := dns.UnpackDomainName(buf[:off], 0)
	if err != nil {
		return "", fmt.Errorf("%q is not a domain name: %w", s, err)
	}
	return dns.CanonicalName(n), nil
}

// target is the canonical form of a domain name read from the wire.
func target(name string) string { return dns.CanonicalName(name) }

// RecordFromRR converts one RR of zone to its canonical model.Record: name
// relative and lower-case, targets absolute and lower-case, TXT strings
// concatenated, Line model.DefaultLine, Enabled true and ID a digest of the
// content (RFC 2136 addresses RRs by content, so the content is the id).
// SOA and the apex NS RRset come back with System set. Types the provider
// does not manage fail with ErrUnsupportedType, owners outside the zone with
// ErrOutOfZone.
func RecordFromRR(zone string, rr dns.RR) (model.Record, error) {
	z, err := canonicalZone(zone)
	if err != nil {
		return model.Record{}, err
	}
	h := rr.Header()
	owner := dns.CanonicalName(h.Name)
	typ := dns.TypeToString[h.Rrtype]
	name, ok := relativeName(owner, z)
	if !ok {
		return model.Record{}, fmt.Errorf("%s %s: %w %s", owner, typ, ErrOutOfZone, z)
	}
	if h.Class != dns.ClassINET {
		return model.Record{}, fmt.Errorf("%s %s: %w: class %s", owner, typ, ErrInvalidRecord, dns.Class(h.Class))
	}
	ttl := int(h.Ttl)
	if ttl > math.MaxInt32 {
		ttl = 0 // RFC 2181 §8: a TTL with the top bit set means zero
	}
	rec := model.Record{Name: name, Type: typ, Line: model.DefaultLine, TTL: ttl, Enabled: true}
	var layout []int // TXT only
	switch v := rr.(type) {
	case *dns.A:
		a, ok := netip.AddrFromSlice(v.A.To4())
		if !ok {
			return model.Record{}, fmt.Errorf("%s A: %w: no IPv4 address", owner, ErrInvalidRecord)
		}
		rec.Value = a.String()
	case *dns.AAAA:
		a, ok := netip.AddrFromSlice(v.AAAA.To16())
		if !ok {
			return model.Record{}, fmt.Errorf("%s AAAA: %w: no IPv6 address", owner, ErrInvalidRecord)
		}
		rec.Value = a.String()
	case *dns.CNAME:
		rec.Value = target(v.Target)
	case *dns.NS:
		rec.Value = target(v.Ns)
		rec.System = name == "@"
	case *dns.PTR:
		rec.Value = target(v.Ptr)
	case *dns.MX:
		rec.Value = target(v.Mx)
		rec.MX = int(v.Preference)
	case *dns.TXT:
		if len(v.Txt) == 0 {
			// RFC 1035 §3.3.14 wants one string at least; there is no
			// canonical form of none.
			return model.Record{}, fmt.Errorf("%s TXT: %w: no character-string", owner, ErrInvalidRecord)
		}
		var b strings.Builder
		for _, s := range v.Txt {
			raw := unescapeString(s)
			layout = append(layout, len(raw))
			b.WriteString(raw)
		}
		rec.Value = b.String()
	case *dns.SRV:
		rec.Value = fmt.Sprintf("%d %d %d %s", v.Priority, v.Weight, v.Port, target(v.Target))
	case *dns.CAA:
		tag := strings.ToLower(v.Tag)
		if !validCAATag(tag) {
			return model.Record{}, fmt.Errorf("%s CAA: %w: tag %q", owner, ErrInvalidRecord, v.Tag)
		}
		rec.Value = fmt.Sprintf("%d %s %s", v.Flag, tag, quoteCAA(v.Value))
	case *dns.SOA:
		rec.Value = fmt.Sprintf("%s %s %d %d %d %d %d", target(v.Ns), target(v.Mbox), v.Serial, v.Refresh, v.Retry, v.Expire, v.Minttl)
		rec.System = true
	default:
		return model.Record{}, fmt.Errorf("%s %s: %w", owner, typeName(h.Rrtype), ErrUnsupportedType)
	}
	rec.ID = recordID(rec, layout)
	if rec.Type != model.TypeTXT && !rec.System && !sameRdata(rr, z, rec) {
		rec.ID += inexactSuffix
	}
	return rec, nil
}

// inexactSuffix marks the id of a record whose RR the server spells
// differently from the canonical form (upper-case letters in a target or a
// CAA tag): such an RR cannot be rebuilt octet for octet from the record.
const inexactSuffix = "/x"

// inexactID reports whether id carries inexactSuffix.
func inexactID(id string) bool { return strings.HasSuffix(id, inexactSuffix) }

// sameRdata reports whether rec, written back, gives rr's RDATA exactly.
func sameRdata(rr dns.RR, zone string, rec model.Record) bool {
	back, err := RRFromRecord(zone, rec)
	if err != nil {
		return false
	}
	a, errA := rdata(rr)
	b, errB := rdata(back)
	return errA == nil && errB == nil && string(a) == string(b)
}

// rdata returns the RDATA of rr in wire form, names uncompressed.
func rdata(rr dns.RR) ([]byte, error) {
	rr = dns.Copy(rr)
	rr.Header().Name = "." // so that the header is 11 octets
	buf := make([]byte, dns.Len(rr))
	off, err := dns.PackRR(rr, buf, 0, nil, false)
	if err != nil {
		return nil, err
	}
	return buf[11:off], nil
}

// typeName names an RR type, also one the library has no mnemonic for.
func typeName(t uint16) string {
	if s, ok := dns.TypeToString[t]; ok {
		return s
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// recordID is a short digest of a record's content. For TXT RRs whose
// character-strings are not the standard split (see splitTXT) the string
// lengths follow after a "/", so that the exact RR can be rebuilt from the
// record for prerequisites and deletions: a server compares RDATA octet by
// octet, string boundaries included.
func recordID(r model.Record, layout []int) string {
	sum := sha256.Sum256([]byte(r.Name + "\x00" + r.Type + "\x00" + r.Value + "\x00" + strconv.Itoa(r.MX)))
	id := hex.EncodeToString(sum[:8])
	if r.Type == model.TypeTXT && !equalInts(layout, txtLayout(len(r.Value))) {
		parts := make([]string, len(layout))
		for i, n := range layout {
			parts[i] = strconv.Itoa(n)
		}
		id += "/" + strings.Join(parts, ",")
	}
	return id
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// txtLayout is the standard split of n octets of text: 255-octet strings and
// the rest, and one empty string for empty text.
func txtLayout(n int) []int {
	if n == 0 {
		return []int{0}
	}
	var l []int
	for ; n > maxTXTString; n -= maxTXTString {
		l = append(l, maxTXTString)
	}
	return append(l, n)
}

// layoutFromID returns the string lengths an id carries, if they fit a value
// of n octets; otherwise the standard split.
func layoutFromID(id string, n int) []int {
	_, rest, ok := strings.Cut(id, "/")
	if !ok {
		return txtLayout(n)
	}
	var l []int
	sum := 0
	for _, p := range strings.Split(rest, ",") {
		k, err := strconv.Atoi(p)
		if err != nil || k < 0 || k > maxTXTString {
			return txtLayout(n)
		}
		sum += k
		l = append(l, k)
	}
	if sum != n || len(l) == 0 {
		return txtLayout(n)
	}
	return l
}

// RRFromRecord converts a canonical record of zone to the RR to write. TXT
// text longer than 255 octets is split into 255-octet character-strings
// unless the record's ID (as ReadZone made it) says how the live RR is split.
// SOA and types the provider does not manage are refused.
func RRFromRecord(zone string, r model.Record) (dns.RR, error) {
	z, err := canonicalZone(zone)
	if err != nil {
		return nil, err
	}
	t, ok := writableType(r.Type)
	if !ok {
		return nil, fmt.Errorf("%s %s: %w", r.Name, r.Type, ErrUnsupportedType)
	}
	owner, err := ownerName(r.Name, z)
	if err != nil {
		return nil, err
	}
	if r.TTL < 0 || r.TTL > math.MaxInt32 {
		return nil, fmt.Errorf("%s %s: %w: TTL %d out of range", r.Name, r.Type, ErrInvalidRecord, r.TTL)
	}
	if r.Line != "" && r.Line != model.DefaultLine {
		return nil, fmt.Errorf("%s %s: %w: line %q: RFC 2136 servers have only the default line", r.Name, r.Type, ErrInvalidRecord, r.Line)
	}
	if r.MX != 0 && r.Type != model.TypeMX {
		return nil, fmt.Errorf("%s %s: %w: MX priority set on a %s record", r.Name, r.Type, ErrInvalidRecord, r.Type)
	}
	hdr := dns.RR_Header{Name: owner, Rrtype: t, Class: dns.ClassINET, Ttl: uint32(r.TTL)}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%s %s: %w: %s", r.Name, r.Type, ErrInvalidRecord, fmt.Sprintf(format, a...))
	}
	switch t {
	case dns.TypeA:
		a, err := netip.ParseAddr(r.Value)
		if err != nil || !a.Is4() {
			return nil, bad("%q is not an IPv4 address", r.Value)
		}
		return &dns.A{Hdr: hdr, A: net.IP(a.AsSlice())}, nil
	case dns.TypeAAAA:
		a, err := netip.ParseAddr(r.Value)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return nil, bad("%q is not an IPv6 address", r.Value)
		}
		return &dns.AAAA{Hdr: hdr, AAAA: net.IP(a.AsSlice())}, nil
	case dns.TypeCNAME, dns.TypeNS, dns.TypePTR, dns.TypeMX:
		n, err := absTarget(r.Value)
		if err != nil {
			return nil, bad("%v", err)
		}
		switch t {
		case dns.TypeCNAME:
			return &dns.CNAME{Hdr: hdr, Target: n}, nil
		case dns.TypeNS:
			return &dns.NS{Hdr: hdr, Ns: n}, nil
		case dns.TypePTR:
			return &dns.PTR{Hdr: hdr, Ptr: n}, nil
		}
		if r.MX < 0 || r.MX > math.MaxUint16 {
			return nil, bad("MX priority %d out of range", r.MX)
		}
		return &dns.MX{Hdr: hdr, Preference: uint16(r.MX), Mx: n}, nil
	case dns.TypeTXT:
		layout := layoutFromID(r.ID, len(r.Value))
		txt := make([]string, 0, len(layout))
		rest := r.Value
		for _, n := range layout {
			txt = append(txt, escapeString(rest[:n]))
			rest = rest[n:]
		}
		return &dns.TXT{Hdr: hdr, Txt: txt}, nil
	case dns.TypeSRV:
		f := strings.Fields(r.Value)
		if len(f) != 4 {
			return nil, bad("%q is not \"priority weight port target\"", r.Value)
		}
		var n [3]uint16
		for i := range n {
			v, err := strconv.ParseUint(f[i], 10, 16)
			if err != nil {
				return nil, bad("%q: %q is not a number from 0 to 65535", r.Value, f[i])
			}
			n[i] = uint16(v)
		}
		tg, err := absTarget(f[3])
		if err != nil {
			return nil, bad("%v", err)
		}
		return &dns.SRV{Hdr: hdr, Priority: n[0], Weight: n[1], Port: n[2], Target: tg}, nil
	case dns.TypeCAA:
		flag, tag, val, err := parseCAA(r.Value)
		if err != nil {
			return nil, bad("%v", err)
		}
		return &dns.CAA{Hdr: hdr, Flag: flag, Tag: tag, Value: escapeOctets(val)}, nil
	}
	return nil, fmt.Errorf("%s %s: %w", r.Name, r.Type, ErrUnsupportedType)
}

// absTarget checks an absolute domain name in RDATA and canonicalises it.
func absTarget(s string) (string, error) {
	n, err := canonicalDomain(s)
	if err != nil {
		return "", fmt.Errorf("target %w", err)
	}
	return n, nil
}

// parseCAA reads the canonical `flags tag "value"`. The value may also be
// unquoted; inside quotes \" \\ and \DDD escapes are understood.
func parseCAA(v string) (flag uint8, tag, value string, err error) {
	flagStr, rest, ok1 := strings.Cut(strings.TrimSpace(v), " ")
	tag, val, ok2 := strings.Cut(strings.TrimLeft(rest, " "), " ")
	if !ok1 || !ok2 {
		return 0, "", "", fmt.Errorf("%q is not `flags tag \"value\"`", v)
	}
	f, err := strconv.ParseUint(flagStr, 10, 8)
	if err != nil {
		return 0, "", "", fmt.Errorf("%q: flags %q is not a number from 0 to 255", v, flagStr)
	}
	tag = strings.ToLower(tag)
	if !validCAATag(tag) {
		return 0, "", "", fmt.Errorf("%q: tag %q must be 1 to 15 letters or digits", v, tag)
	}
	val = strings.TrimSpace(val)
	if strings.HasPrefix(val, `"`) {
		raw, rest, ok := readQuoted(val)
		if !ok || strings.TrimSpace(rest) != "" {
			return 0, "", "", fmt.Errorf("%q: the value must be one quoted string", v)
		}
		val = raw
	}
	return uint8(f), tag, val, nil
}

// validCAATag: 1 to 15 lower-case letters or digits (RFC 8659 §4.1).
func validCAATag(tag string) bool {
	return len(tag) > 0 && len(tag) <= 15 && strings.IndexFunc(tag, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) < 0
}

// readQuoted reads the quoted string at the start of s (s[0] == '"') and
// returns its unescaped content and what follows the closing quote.
func readQuoted(s string) (content, rest string, ok bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], true
		case '\\':
			i++
			if i == len(s) {
				return "", "", false
			}
			if i+2 < len(s) && isDigit(s[i]) && isDigit(s[i+1]) && isDigit(s[i+2]) {
				if n := int(s[i]-'0')*100 + int(s[i+1]-'0')*10 + int(s[i+2]-'0'); n <= 255 {
					b.WriteByte(byte(n))
					i += 2
					continue
				}
			}
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}

// quoteCAA renders a raw CAA value in double quotes, escaping what the
// quotes could not otherwise hold (\" \\ and control octets as \DDD).
func quoteCAA(raw string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c == 0x7f:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// unescapeString turns the library's presentation form of a
// character-string (\X and \DDD escapes) into the raw octets.
func unescapeString(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		i++
		if i == len(s) {
			break // dangling backslash: the library drops it too
		}
		if i+2 < len(s) && isDigit(s[i]) && isDigit(s[i+1]) && isDigit(s[i+2]) {
			n := int(s[i]-'0')*100 + int(s[i+1]-'0')*10 + int(s[i+2]-'0')
			if n <= 255 {
				b = append(b, byte(n))
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// escapeString is the inverse of unescapeString for the library's
// character-string packer: backslashes are escaped, and so is every octet
// outside printable ASCII, so that the packed octets equal raw exactly.
func escapeString(raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c > '~':
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// escapeOctets prepares a raw CAA value for the library, whose packer reads
// escapes in it although its unpacker returns raw octets.
func escapeOctets(raw string) string {
	if !strings.Contains(raw, `\`) {
		return raw
	}
	return strings.ReplaceAll(raw, `\`, `\\`)
}
