package rfc2136

import (
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
)

// Sim is a simulated primary server holding the zones of a live state. It
// applies UPDATE batches as a server does — the message built from the
// payload, its prerequisites checked (RFC 2136 §3.2), then its updates
// (§3.4), all or nothing — for internal/simulate and the property tests.
// Where a server would silently skip an update (a CNAME beside other data,
// deleting the last apex NS), Sim fails: a plan that relies on such a skip
// is wrong even though the server says NOERROR.
type Sim struct {
	zones map[string]*simZone
}

type simZone struct {
	origin string        // absolute, lower-case
	meta   model.LiveDNS // metadata; records are in system and rrs
	system []model.Record
	rrs    []dns.RR
	err    error // a live record that has no RR (the zone cannot be simulated)
}

// NewSim loads the zones of live.
func NewSim(live *model.Live) *Sim {
	s := &Sim{zones: map[string]*simZone{}}
	for _, ld := range live.Domains {
		if ld.DNS == nil {
			continue
		}
		if _, dup := s.zones[ld.Name]; dup {
			continue
		}
		z := &simZone{origin: dns.CanonicalName(ld.Name), meta: *ld.DNS}
		z.meta.Records = nil
		for _, r := range ld.DNS.Records {
			if r.Type == TypeSOA {
				z.system = append(z.system, r)
				continue
			}
			rr, err := RRFromRecord(z.origin, r)
			if err != nil && z.err == nil {
				z.err = fmt.Errorf("live record %s: %w", r, err)
			}
			if err == nil {
				z.rrs = append(z.rrs, rr)
			}
		}
		s.zones[ld.Name] = z
	}
	return s
}

// Export writes the simulated zones into live's domains, as ReadZone would
// read them.
func (s *Sim) Export(live *model.Live) {
	for i := range live.Domains {
		d := &live.Domains[i]
		z := s.zones[d.Name]
		if z == nil {
			continue
		}
		meta := z.meta
		meta.Records = slices.Clone(z.system)
		for _, rr := range z.rrs {
			if r, err := RecordFromRR(z.origin, rr); err == nil {
				meta.Records = append(meta.Records, r)
			}
		}
		ownApexNS(meta.Records)
		model.SortRecords(meta.Records)
		d.DNS = &meta
	}
}

// CheckStage: batches of one stage run concurrently; each must update a
// zone no other batch of the stage updates, since a zone's messages depend
// on each other's order.
func (s *Sim) CheckStage(bs []plan.Batch) error {
	seen := map[string]string{}
	for _, b := range bs {
		for _, d := range b.Domains {
			if other, ok := seen[d]; ok {
				return fmt.Errorf("batches %s and %s both update zone %s in one stage", other, b.ID, d)
			}
			seen[d] = b.ID
		}
	}
	return nil
}

// Apply applies one batch's UPDATE message.
func (s *Sim) Apply(b plan.Batch) error {
	if b.Op != OpUpdate {
		return fmt.Errorf("unknown operation %q", b.Op)
	}
	var p Payload
	if err := providers.DecodePayload(b, &p); err != nil {
		return err
	}
	if len(b.Domains) != 1 || b.Domains[0] != p.Zone {
		return fmt.Errorf("batch %s names domains %v but updates zone %s", b.ID, b.Domains, p.Zone)
	}
	z := s.zones[p.Zone]
	if z == nil {
		return fmt.Errorf("zone %s is not on the server", p.Zone)
	}
	if z.err != nil {
		return fmt.Errorf("zone %s: %w", p.Zone, z.err)
	}
	msgs, err := BuildUpdates(p.Zone, p.Changes(), dns.MaxMsgSize)
	if err != nil {
		return err
	}
	if len(msgs) != 1 {
		return fmt.Errorf("batch %s builds %d messages, not one", b.ID, len(msgs))
	}
	rrs, err := update(z.origin, z.rrs, msgs[0])
	if err != nil {
		return fmt.Errorf("zone %s: %w", p.Zone, err)
	}
	z.rrs = rrs
	return nil
}

// update applies msg to a copy of rrs: prerequisites first (nothing is
// applied when one fails), then the update section in order.
func update(origin string, rrs []dns.RR, msg *dns.Msg) ([]dns.RR, error) {
	type key struct {
		name string
		typ  uint16
	}
	set := func(rrs []dns.RR, k key) []dns.RR {
		var out []dns.RR
		for _, rr := range rrs {
			if h := rr.Header(); h.Rrtype == k.typ && strings.EqualFold(h.Name, k.name) {
				out = append(out, rr)
			}
		}
		return out
	}
	// §3.2: prerequisites.
	wanted := map[key][]dns.RR{}
	var order []key
	for _, pr := range msg.Answer {
		h := pr.Header()
		k := key{dns.CanonicalName(h.Name), h.Rrtype}
		switch h.Class {
		case dns.ClassNONE:
			if len(set(rrs, k)) > 0 {
				return nil, fmt.Errorf("prerequisite failed (YXRRSET): %s %s exists", k.name, dns.TypeToString[k.typ])
			}
		case dns.ClassINET:
			if _, ok := wanted[k]; !ok {
				order = append(order, k)
			}
			wanted[k] = append(wanted[k], pr)
		default:
			return nil, fmt.Errorf("prerequisite of class %s is not simulated", dns.Class(h.Class))
		}
	}
	for _, k := range order {
		have := set(rrs, k)
		if !sameRRs(have, wanted[k]) {
			return nil, fmt.Errorf("prerequisite failed (NXRRSET): %s %s is not as read", k.name, dns.TypeToString[k.typ])
		}
	}

	// §3.4.2: updates.
	out := slices.Clone(rrs)
	atName := func(name string) []dns.RR {
		var at []dns.RR
		for _, rr := range out {
			if strings.EqualFold(rr.Header().Name, name) {
				at = append(at, rr)
			}
		}
		return at
	}
	for _, u := range msg.Ns {
		h := u.Header()
		name := dns.CanonicalName(h.Name)
		apexNS := name == origin && h.Rrtype == dns.TypeNS
		switch h.Class {
		case dns.ClassINET:
			for _, x := range atName(name) {
				xt := x.Header().Rrtype
				if h.Rrtype == dns.TypeCNAME && xt != dns.TypeCNAME || h.Rrtype != dns.TypeCNAME && xt == dns.TypeCNAME {
					return nil, fmt.Errorf("adding %s beside %s: a server ignores it (RFC 2136 §3.4.2.2)", u, x)
				}
			}
			if h.Rrtype == dns.TypeCNAME && len(set(out, key{name, dns.TypeCNAME})) > 0 {
				// A server replaces a name's CNAME rather than add a second.
				out = slices.DeleteFunc(out, func(x dns.RR) bool {
					return x.Header().Rrtype == dns.TypeCNAME && strings.EqualFold(x.Header().Name, name)
				})
			}
			out = slices.DeleteFunc(out, func(x dns.RR) bool { return dns.IsDuplicate(x, u) })
			out = append(out, dns.Copy(u))
		case dns.ClassANY:
			if apexNS {
				return nil, fmt.Errorf("deleting the apex NS RRset: a server ignores it (RFC 2136 §3.4.2.3)")
			}
			out = slices.DeleteFunc(out, func(x dns.RR) bool {
				return x.Header().Rrtype == h.Rrtype && strings.EqualFold(x.Header().Name, name)
			})
		case dns.ClassNONE:
			if apexNS && len(set(out, key{name, dns.TypeNS})) <= 1 {
				return nil, fmt.Errorf("deleting the last apex NS: a server ignores it (RFC 2136 §3.4.2.4)")
			}
			d := dns.Copy(u)
			d.Header().Class = dns.ClassINET // the class says "delete"; the RR is IN
			n := len(out)
			out = slices.DeleteFunc(out, func(x dns.RR) bool { return dns.IsDuplicate(x, d) })
			if len(out) == n {
				return nil, fmt.Errorf("deleting %s, which is not in the zone", u)
			}
		default:
			return nil, fmt.Errorf("update of class %s is not simulated", dns.Class(h.Class))
		}
	}
	return out, nil
}

// sameRRs reports whether a and b hold the same RRs, TTLs aside, as a
// server compares an RRset with a value-dependent prerequisite.
func sameRRs(a, b []dns.RR) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.ContainsFunc(b, func(y dns.RR) bool { return dns.IsDuplicate(x, y) }) {
			return false
		}
	}
	return true
}
