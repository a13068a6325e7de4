package dnspod

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/dnssync/dnssync/internal/model"
)

// Pairing kinds: how a leftover live record can become a leftover desired
// record with one identity-changing Batch.Record.Modify field (plus TTL and
// status). Same-cell kinds come first: they cannot move a record into
// another (name, line) and so rarely need ordering.
const (
	kindValue = iota // same name, type, line, MX priority
	kindMX           // same name, line, MX target
	kindType         // same name and line, other type (record_type carries value and mx)
	kindArea         // same name, type, value, priority; other line
	kindName         // same type, line, value, priority; other name (rename)
	numKinds
)

// item is one Batch.Record.Modify change of one record.
type item struct {
	field, to, value string
	mx               int
}

// gkey is a modification group: one (field, new value) at one provider,
// i.e. exactly what one Batch.Record.Modify call can carry.
type gkey struct {
	provider string
	item
}

func (g gkey) String() string {
	return g.provider + "\x00" + g.field + "\x00" + g.to + "\x00" + g.value + "\x00" + strconv.Itoa(g.mx)
}

func cmpGkey(a, b gkey) int {
	return cmp.Or(cmp.Compare(a.provider, b.provider), cmp.Compare(a.field, b.field), cmp.Compare(a.to, b.to),
		cmp.Compare(a.value, b.value), cmp.Compare(a.mx, b.mx))
}

func identityItem(kind int, d model.Record) item {
	switch kind {
	case kindValue:
		return item{field: "value", to: d.Value}
	case kindMX:
		return item{field: "mx", to: strconv.Itoa(d.MX)}
	case kindType:
		it := item{field: "record_type", to: d.Type, value: d.Value}
		if d.Type == model.TypeMX {
			it.mx = d.MX
		}
		return it
	case kindArea:
		return item{field: "area", to: d.Line}
	default:
		return item{field: "sub_domain", to: d.Name}
	}
}

func statusItem(enabled bool) item {
	if enabled {
		return item{field: "status", to: "enable"}
	}
	return item{field: "status", to: "disable"}
}

// neutralItems are the TTL and status changes taking l to d's TTL and status.
func neutralItems(l, d model.Record, out []item) []item {
	if l.TTL != d.TTL {
		out = append(out, item{field: "ttl", to: strconv.Itoa(d.TTL)})
	}
	if l.Enabled != d.Enabled {
		out = append(out, statusItem(d.Enabled))
	}
	return out
}

// bucketKey groups live and desired records that a kind can pair; "" means
// the kind does not apply to r.
func bucketKey(kind int, r model.Record) string {
	v := model.CompareValue(r.Type, r.Value)
	mx := strconv.Itoa(r.MX)
	switch kind {
	case kindValue:
		return r.Name + "\x00" + r.Type + "\x00" + r.Line + "\x00" + mx
	case kindMX:
		if r.Type != model.TypeMX {
			return ""
		}
		return r.Name + "\x00" + r.Line + "\x00" + v
	case kindType:
		return r.Name + "\x00" + r.Line
	case kindArea:
		return r.Name + "\x00" + r.Type + "\x00" + v + "\x00" + mx
	default:
		return r.Type + "\x00" + r.Line + "\x00" + v + "\x00" + mx
	}
}

func allowedKinds(p model.Policy) int {
	switch p {
	case model.PolicyCreateOnly:
		return 0
	case model.PolicyUpsertOnly:
		return kindType // value and MX changes keep the record set
	default:
		return numKinds
	}
}

// pairer decides which leftover live records become which leftover desired
// records. The cost model (docs/PLANNING.md): a delete is one Record.Remove
// call; a create rides in the zone's Batch.Record.Create call; a
// modification joins one group per changed field, and a group is one call
// however many records (and domains) it spans. So a pairing pays off when
// its groups already exist or are shared by enough pairs, or when it
// removes a zone's last create.
type pairer struct {
	zones []*zone
	pools [][numKinds]map[string][]int
	have  map[gkey]bool
	// excluded records never pair (set after a conflict could not be ordered).
	exclL, exclD map[[2]int]bool
}

type cand struct {
	z, d, l, kind int
}

func newPairer(zones []*zone, exclL, exclD map[[2]int]bool) *pairer {
	p := &pairer{zones: zones, pools: make([][numKinds]map[string][]int, len(zones)), have: map[gkey]bool{},
		exclL: exclL, exclD: exclD}
	for zi, z := range zones {
		z.resetPairs()
		for _, u := range z.updates {
			for _, it := range neutralItems(z.live[u.l], z.desired[u.d], nil) {
				p.have[gkey{z.provider, it}] = true
			}
		}
		n := allowedKinds(z.policy)
		for k := range n {
			p.pools[zi][k] = map[string][]int{}
		}
		for _, li := range z.leftL {
			if exclL[[2]int{zi, li}] {
				continue
			}
			for k := range n {
				if key := bucketKey(k, z.live[li]); key != "" {
					p.pools[zi][k][key] = append(p.pools[zi][k][key], li)
				}
			}
		}
	}
	return p
}

// best returns the live record kind k would pair with desired d, or -1:
// the first free one in canonical order, preferring one whose TTL and
// status already match (no extra groups).
func (p *pairer) best(zi, k, di int, taken map[[2]int]bool) int {
	z := p.zones[zi]
	pool := p.pools[zi][k]
	if pool == nil {
		return -1
	}
	d := z.desired[di]
	key := bucketKey(k, d)
	if key == "" {
		return -1
	}
	list := pool[key]
	for len(list) > 0 && z.lUsed[list[0]] {
		list = list[1:]
	}
	pool[key] = list
	first, scanned := -1, 0
	for _, li := range list {
		if z.lUsed[li] || taken[[2]int{zi, li}] {
			continue
		}
		l := z.live[li]
		if k == kindType && l.Type == d.Type {
			continue
		}
		if first < 0 {
			first = li
		}
		if l.TTL == d.TTL && l.Enabled == d.Enabled {
			return li
		}
		if scanned++; scanned >= 64 {
			break
		}
	}
	return first
}

// missing lists the groups pairing (l, d) by kind needs beyond have and extra.
func (p *pairer) missing(c cand, extra map[gkey]bool) []gkey {
	z := p.zones[c.z]
	l, d := z.live[c.l], z.desired[c.d]
	items := neutralItems(l, d, []item{identityItem(c.kind, d)})
	var out []gkey
	for _, it := range items {
		g := gkey{z.provider, it}
		if !p.have[g] && !extra[g] {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, cmpGkey)
	return slices.Compact(out)
}

func (p *pairer) commit(c cand) {
	z := p.zones[c.z]
	z.pairOf[c.d], z.kindOf[c.d] = c.l, c.kind
	z.lUsed[c.l] = true
	for _, g := range p.missing(c, nil) {
		p.have[g] = true
	}
}

func (p *pairer) open(zi, di int) bool {
	return p.zones[zi].pairOf[di] < 0 && !p.exclD[[2]int{zi, di}]
}

func (p *pairer) run() {
	p.freePass()
	p.sharedPass()
	p.freePass()
	p.zonePass()
	p.freePass()
}

// freePass pairs every leftover whose groups all exist already: each such
// pairing saves a Record.Remove call and costs nothing.
func (p *pairer) freePass() {
	for zi, z := range p.zones {
		n := allowedKinds(z.policy)
		for _, di := range z.leftD {
			if !p.open(zi, di) {
				continue
			}
			for k := range n {
				li := p.best(zi, k, di, nil)
				if li < 0 {
					continue
				}
				if c := (cand{zi, di, li, k}); len(p.missing(c, nil)) == 0 {
					p.commit(c)
					break
				}
			}
		}
	}
}

// sharedPass adds new groups that enough pairs share: a set of g new groups
// used by n pairings saves n deletes for g modify calls. Sets are taken
// best saving first.
func (p *pairer) sharedPass() {
	type need struct {
		groups []gkey
		key    string
		cands  [][2]int
	}
	needs := map[string]*need{}
	for zi, z := range p.zones {
		n := allowedKinds(z.policy)
		for _, di := range z.leftD {
			if !p.open(zi, di) {
				continue
			}
			for k := range n {
				li := p.best(zi, k, di, nil)
				if li < 0 {
					continue
				}
				gs := p.missing(cand{zi, di, li, k}, nil)
				var sb strings.Builder
				for _, g := range gs {
					sb.WriteString(g.String())
					sb.WriteByte(1)
				}
				key := sb.String()
				nd := needs[key]
				if nd == nil {
					nd = &need{groups: gs, key: key}
					needs[key] = nd
				}
				if last := len(nd.cands) - 1; last < 0 || nd.cands[last] != [2]int{zi, di} {
					nd.cands = append(nd.cands, [2]int{zi, di})
				}
			}
		}
	}
	list := make([]*need, 0, len(needs))
	for _, nd := range needs {
		if len(nd.cands) > len(nd.groups) {
			list = append(list, nd)
		}
	}
	slices.SortFunc(list, func(a, b *need) int {
		return cmp.Or(cmp.Compare(len(b.cands)-len(b.groups), len(a.cands)-len(a.groups)), cmp.Compare(a.key, b.key))
	})
	for _, nd := range list {
		extra := map[gkey]bool{}
		for _, g := range nd.groups {
			extra[g] = true
		}
		taken := map[[2]int]bool{}
		var got []cand
		for _, zd := range nd.cands {
			if !p.open(zd[0], zd[1]) {
				continue
			}
			for k := range allowedKinds(p.zones[zd[0]].policy) {
				li := p.best(zd[0], k, zd[1], taken)
				if li < 0 {
					continue
				}
				if c := (cand{zd[0], zd[1], li, k}); len(p.missing(c, extra)) == 0 {
					got = append(got, c)
					taken[[2]int{zd[0], li}] = true
					break
				}
			}
		}
		if len(got) > len(nd.groups) {
			for _, c := range got {
				p.commit(c)
			}
		}
	}
}

// zonePass pairs all remaining leftovers of a zone when each needs at most
// one new group: the zone then needs no Batch.Record.Create call, so k new
// groups replace k deletes and one create.
func (p *pairer) zonePass() {
	for zi, z := range p.zones {
		n := allowedKinds(z.policy)
		if n == 0 {
			continue
		}
		extra := map[gkey]bool{}
		taken := map[[2]int]bool{}
		var got []cand
		ok := true
		for _, di := range z.leftD {
			if z.pairOf[di] >= 0 {
				continue
			}
			if p.exclD[[2]int{zi, di}] {
				ok = false
				break
			}
			found := false
			for k := range n {
				li := p.best(zi, k, di, taken)
				if li < 0 {
					continue
				}
				c := cand{zi, di, li, k}
				if m := p.missing(c, extra); len(m) <= 1 {
					for _, g := range m {
						extra[g] = true
					}
					got = append(got, c)
					taken[[2]int{zi, li}] = true
					found = true
					break
				}
			}
			if !found {
				ok = false
				break
			}
		}
		if ok && len(got) > 0 && len(extra) < len(got)+1 {
			for _, c := range got {
				p.commit(c)
			}
		}
	}
}
