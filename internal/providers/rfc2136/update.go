package rfc2136

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/dnssync/dnssync/internal/model"
)

// RRsetChange is the change of one RRset (owner name and type) of a zone.
type RRsetChange struct {
	Name string // relative to the zone, "@" for the apex (model form)
	Type string // A, AAAA, CNAME, MX, TXT, SRV, CAA, NS or PTR
	// Before is the RRset exactly as ReadZone returned it, IDs included
	// (a TXT record's ID may carry how its text is split on the server).
	// Empty: the RRset does not exist.
	Before []model.Record
	// After is the desired RRset. Empty: delete the RRset.
	After []model.Record
}

func (c RRsetChange) String() string { return c.Name + " " + c.Type }

// piece is one RRset change in wire form.
type piece struct {
	change   int // index of the RRsetChange it renders
	what     string
	rank     int // 0 deletion, 1 replacement, 2 creation: the order of packing
	prereqs  []dns.RR
	dels     []dns.RR
	adds     []dns.RR
	lateDels []dns.RR // deletions that must follow the additions (apex NS)
}

// BuildUpdates turns the changes of one zone into UPDATE messages: all of
// them in one message unless it would exceed maxSize octets (TSIG not
// counted; Client.BuildUpdates leaves room for it), in which case the
// changes are spread over several messages on RRset boundaries. An RRset's
// change is never split, and one that does not fit alone fails with
// ErrTooLarge.
//
// Each message carries, for every RRset it touches, the prerequisite that the
// RRset is still exactly Before: "RRset exists (value dependent)" (RFC 2136
// §2.4.2) or, for an empty Before, "RRset does not exist" (§2.4.3). The server
// applies a message entirely or not at all, so a concurrent change fails it
// with NXRRSET/YXRRSET instead of being overwritten.
//
// Updates are precise where that is safe: the RRs that go are deleted one by
// one and the RRs that come are added, so members that stay are not
// touched. The whole RRset is deleted and its members added again when the
// TTL changes (an RRset has one TTL, and UPDATE cannot change it alone) or
// when a Before record's ID says the server spells it differently from the
// canonical form (for example upper-case names, which PowerDNS does not
// match in a precise delete). An empty After deletes the RRset. Within a
// message all deletions come before all additions, and messages with
// deletions come first, so that replacing, say, an A RRset by a CNAME works
// even when split. The apex NS RRset is special (see apexNS).
//
// SOA is never written; an apex NS RRset only when a change names it.
// Changes whose Before and After are equal are left out; no changes give no
// messages.
func BuildUpdates(zone string, changes []RRsetChange, maxSize int) ([]*dns.Msg, error) {
	z, groups, err := split(zone, changes, maxSize)
	if err != nil {
		return nil, err
	}
	msgs := make([]*dns.Msg, len(groups))
	for i, g := range groups {
		msgs[i] = message(z, g)
	}
	return msgs, nil
}

// SplitChanges groups changes the way BuildUpdates spreads them over
// messages: one group per message, in the order they must be sent, each
// in the order of its message, changes that change nothing left out.
// BuildUpdates on one group with the same maxSize gives exactly that one
// message, so a planner can give each message its own batch and build it
// only when the batch is sent.
func SplitChanges(zone string, changes []RRsetChange, maxSize int) ([][]RRsetChange, error) {
	_, groups, err := split(zone, changes, maxSize)
	if err != nil {
		return nil, err
	}
	out := make([][]RRsetChange, len(groups))
	for i, g := range groups {
		out[i] = make([]RRsetChange, len(g))
		for j, p := range g {
			out[i][j] = changes[p.change]
		}
	}
	return out, nil
}

// split validates and renders changes and packs them into groups of
// pieces, one group per message; it returns the canonical zone name too.
func split(zone string, changes []RRsetChange, maxSize int) (string, [][]piece, error) {
	z, err := canonicalZone(zone)
	if err != nil {
		return "", nil, fmt.Errorf("rfc2136: %w", err)
	}
	seen := map[string]bool{}
	var pieces []piece
	for i, ch := range changes {
		p, err := buildPiece(z, ch)
		if err != nil {
			return "", nil, fmt.Errorf("rfc2136: zone %s: change %s: %w", z, ch, err)
		}
		if p == nil {
			continue
		}
		if seen[p.what] {
			return "", nil, fmt.Errorf("rfc2136: zone %s: RRset %s is changed twice", z, p.what)
		}
		seen[p.what] = true
		p.change = i
		pieces = append(pieces, *p)
	}
	slices.SortStableFunc(pieces, func(a, b piece) int { return cmp.Compare(a.rank, b.rank) })
	groups, err := pack(z, pieces, maxSize)
	return z, groups, err
}

// pack fills messages greedily in order and returns the pieces of each.
func pack(zone string, pieces []piece, maxSize int) ([][]piece, error) {
	var msgs [][]piece
	var cur []piece
	// est bounds the size of the message made of cur from above: its last
	// exact (compressed) size plus the uncompressed sizes added since. Only
	// when the bound passes the limit is the exact size computed again,
	// which keeps packing linear in practice.
	est := 0
	for _, p := range pieces {
		grow := 0
		for _, rrs := range [][]dns.RR{p.prereqs, p.dels, p.adds, p.lateDels} {
			for _, rr := range rrs {
				grow += dns.Len(rr)
			}
		}
		if len(cur) > 0 && est+grow <= maxSize {
			cur = append(cur, p)
			est += grow
			continue
		}
		next := append(slices.Clip(cur), p)
		if n := message(zone, next).Len(); n <= maxSize {
			cur, est = next, n
			continue
		}
		if len(cur) > 0 {
			msgs = append(msgs, cur)
		}
		n := message(zone, []piece{p}).Len()
		if n > maxSize {
			return nil, fmt.Errorf("rfc2136: zone %s: RRset %s needs %d octets, more than the limit of %d: %w", zone, p.what, n, maxSize, ErrTooLarge)
		}
		cur, est = []piece{p}, n
	}
	if len(cur) > 0 {
		msgs = append(msgs, cur)
	}
	return msgs, nil
}

// message assembles an UPDATE from pieces: their prerequisites, then all
// deletions, then all additions, then the deletions that must come last.
func message(zone string, pieces []piece) *dns.Msg {
	m := new(dns.Msg)
	m.SetUpdate(zone)
	m.Compress = true
	for _, p := range pieces {
		m.Answer = append(m.Answer, p.prereqs...)
		m.Ns = append(m.Ns, p.dels...)
	}
	for _, p := range pieces {
		m.Ns = append(m.Ns, p.adds...)
	}
	for _, p := range pieces {
		m.Ns = append(m.Ns, p.lateDels...)
	}
	return m
}

// buildPiece validates one change and renders it; nil when it changes
// nothing.
func buildPiece(zone string, ch RRsetChange) (*piece, error) {
	if strings.EqualFold(ch.Type, TypeSOA) {
		return nil, errors.New("the SOA record is the server's and is never written")
	}
	t, ok := writableType(ch.Type)
	if !ok {
		return nil, fmt.Errorf("type %q: %w", ch.Type, ErrUnsupportedType)
	}
	owner, err := ownerName(ch.Name, zone)
	if err != nil {
		return nil, err
	}
	before, err := rrset(zone, owner, ch, ch.Before, "before")
	if err != nil {
		return nil, err
	}
	after, err := rrset(zone, owner, ch, ch.After, "after")
	if err != nil {
		return nil, err
	}
	if t == dns.TypeCNAME && len(after) > 1 {
		return nil, errors.New("a name can have only one CNAME record")
	}
	if len(after) > 0 {
		for _, rr := range after[1:] {
			if rr.Header().Ttl != after[0].Header().Ttl {
				return nil, errors.New("the records of an RRset must have one TTL")
			}
		}
	}
	p := &piece{what: owner + " " + dns.TypeToString[t]}
	if len(before) == 0 {
		if len(after) == 0 {
			return nil, nil
		}
		p.rank = 2
		// RFC 2136 §2.4.3: RRset does not exist.
		p.prereqs = []dns.RR{&dns.ANY{Hdr: dns.RR_Header{Name: owner, Rrtype: t, Class: dns.ClassNONE}}}
		p.adds = after
		return p, nil
	}
	// RFC 2136 §2.4.2: RRset exists (value dependent), TTL 0.
	for _, rr := range before {
		pr := dns.Copy(rr)
		pr.Header().Ttl = 0
		p.prereqs = append(p.prereqs, pr)
	}
	if len(after) == 0 {
		if owner == zone && t == dns.TypeNS {
			return nil, errors.New("the apex NS RRset cannot be deleted")
		}
		p.rank = 0
		// RFC 2136 §2.5.2: delete an RRset.
		p.dels = []dns.RR{&dns.ANY{Hdr: dns.RR_Header{Name: owner, Rrtype: t, Class: dns.ClassANY}}}
		return p, nil
	}
	p.rank = 1
	sameTTL, exact := true, true
	for i, rr := range before {
		sameTTL = sameTTL && rr.Header().Ttl == after[0].Header().Ttl
		exact = exact && !inexactID(ch.Before[i].ID)
	}
	if owner == zone && t == dns.TypeNS {
		return apexNS(p, before, after, sameTTL)
	}
	if !sameTTL || !exact {
		// An RRset has one TTL and UPDATE cannot change it alone; and an
		// RR the server spells differently (upper-case names) may not be
		// matched by a precise delete (PowerDNS compares text). Replace
		// the RRset instead: RFC 2136 §2.5.2, then add every member.
		p.dels = []dns.RR{&dns.ANY{Hdr: dns.RR_Header{Name: owner, Rrtype: t, Class: dns.ClassANY}}}
		p.adds = after
		return p, nil
	}
	p.dels = preciseDeletes(before, after)
	for _, rr := range after {
		if !containsRR(before, rr) {
			p.adds = append(p.adds, rr)
		}
	}
	if len(p.dels) == 0 && len(p.adds) == 0 {
		return nil, nil
	}
	return p, nil
}

// apexNS renders a change of the apex NS RRset. Servers never let an UPDATE
// delete the last NS at the apex (RFC 2136 §3.4.2.4) and silently skip such
// deletions, so members are added before old ones are deleted, and the
// RRset is never deleted or given a new TTL (servers differ on what adding
// a member with another TTL does).
func apexNS(p *piece, before, after []dns.RR, sameTTL bool) (*piece, error) {
	if !sameTTL {
		return nil, errors.New("the TTL of the apex NS RRset cannot be changed by UPDATE; change it on the server")
	}
	for _, rr := range after {
		if !containsRR(before, rr) {
			p.adds = append(p.adds, rr)
		}
	}
	p.lateDels = preciseDeletes(before, after)
	if len(p.lateDels) == 0 && len(p.adds) == 0 {
		return nil, nil
	}
	return p, nil
}

// preciseDeletes deletes the members of before that are not in after
// (RFC 2136 §2.5.4).
func preciseDeletes(before, after []dns.RR) []dns.RR {
	var dels []dns.RR
	for _, rr := range before {
		if containsRR(after, rr) {
			continue
		}
		d := dns.Copy(rr)
		d.Header().Class = dns.ClassNONE
		d.Header().Ttl = 0
		dels = append(dels, d)
	}
	return dels
}

// rrset converts the records of one side of a change, checking that they
// belong to it and are not duplicates.
func rrset(zone, owner string, ch RRsetChange, recs []model.Record, side string) ([]dns.RR, error) {
	rrs := make([]dns.RR, 0, len(recs))
	for _, r := range recs {
		if r.Type != ch.Type {
			return nil, fmt.Errorf("%s record %s has type %s", side, r, r.Type)
		}
		rr, err := RRFromRecord(zone, r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", side, err)
		}
		if rr.Header().Name != owner {
			return nil, fmt.Errorf("%s record %s has another name", side, r)
		}
		if containsRR(rrs, rr) {
			return nil, fmt.Errorf("%s record %s is listed twice", side, r)
		}
		rrs = append(rrs, rr)
	}
	return rrs, nil
}

// containsRR reports whether rrs holds an RR with rr's owner, type and RDATA
// (TTL ignored), as a server compares them.
func containsRR(rrs []dns.RR, rr dns.RR) bool {
	for _, x := range rrs {
		if dns.IsDuplicate(x, rr) {
			return true
		}
	}
	return false
}

// Changes compares two sets of canonical records of one zone — typically
// ReadZone's records and the desired ones — and returns a change for every
// RRset whose records or TTL differ, in canonical order. Records are
// compared by model.Record.Key and TTL. RRsets that hold a System record on
// either side (SOA, apex NS) and SOA records are left out: changing the apex
// NS RRset takes an explicit RRsetChange.
func Changes(before, after []model.Record) []RRsetChange {
	type key struct{ name, typ string }
	group := func(recs []model.Record, into map[key][]model.Record, system map[key]bool) {
		for _, r := range recs {
			k := key{strings.ToLower(r.Name), strings.ToUpper(r.Type)}
			if r.System || k.typ == TypeSOA {
				system[k] = true
			}
			into[k] = append(into[k], r)
		}
	}
	b, a, system := map[key][]model.Record{}, map[key][]model.Record{}, map[key]bool{}
	group(before, b, system)
	group(after, a, system)
	keys := map[key]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	var out []RRsetChange
	for k := range keys {
		if system[k] || sameRecords(b[k], a[k]) {
			continue
		}
		out = append(out, RRsetChange{Name: k.name, Type: k.typ, Before: b[k], After: a[k]})
	}
	slices.SortFunc(out, func(x, y RRsetChange) int {
		return cmp.Or(model.CompareRecords(model.Record{Name: x.Name}, model.Record{Name: y.Name}), cmp.Compare(x.Type, y.Type))
	})
	return out
}

// sameRecords reports whether a and b hold the same records (Key and TTL),
// regardless of order.
func sameRecords(a, b []model.Record) bool {
	if len(a) != len(b) {
		return false
	}
	type kt struct {
		k   model.Key
		ttl int
	}
	count := map[kt]int{}
	for _, r := range a {
		count[kt{r.Key(), r.TTL}]++
	}
	for _, r := range b {
		k := kt{r.Key(), r.TTL}
		if count[k] == 0 {
			return false
		}
		count[k]--
	}
	return true
}
