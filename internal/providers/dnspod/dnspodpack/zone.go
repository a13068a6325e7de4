package dnspodpack

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/dnssync/dnssync/internal/display"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

// Zone is one zone under planning: the core's neutral difference plus the
// zone's rules and the pairing state.
type Zone struct {
	Idx      int
	Name     string
	Provider string
	DomainID string
	Policy   model.Policy
	Rules    dnspodrules.Options
	checker  *dnspodrules.Zone // empty zone, only for CheckRecord

	Live    []model.Record // canonical order
	Desired []model.Record // managed desired records, canonical order, unique keys

	Updates []Match // exact key matches whose TTL or status differ
	LeftL   []int   // live records with no desired counterpart that policy lets go
	LeftD   []int   // desired records with no live counterpart

	PairOf []int  // per desired index: paired live index, or -1
	KindOf []int  // per desired index: pairing kind
	LUsed  []bool // per live index: already paired
}

// Match is an exact key match of live record L and desired record D.
type Match struct{ L, D int }

// NewZone returns zone idx of a plan for difference zd under rules (the
// zone's own, as the provider derives them from its live state).
func NewZone(idx int, zd *providers.ZoneDiff, rules dnspodrules.Options) *Zone {
	z := &Zone{Idx: idx, Name: zd.Domain, Provider: zd.Provider, Policy: zd.Policy,
		Rules: rules, Live: zd.Records, Desired: zd.Desired,
		LeftL: zd.LeftLive, LeftD: zd.LeftDesired}
	if zd.Live != nil {
		z.DomainID = zd.Live.DomainID
	}
	for _, u := range zd.Updates {
		z.Updates = append(z.Updates, Match{u.Live, u.Desired})
	}
	z.checker = dnspodrules.NewZone(z.Rules, func() string { return "" })
	z.ResetPairs()
	return z
}

// ResetPairs forgets every pairing.
func (z *Zone) ResetPairs() {
	z.PairOf = make([]int, len(z.Desired))
	z.KindOf = make([]int, len(z.Desired))
	for i := range z.PairOf {
		z.PairOf[i] = -1
	}
	z.LUsed = make([]bool, len(z.Live))
}

// Op is one record change of one zone.
type Op struct {
	Z     *Zone
	Kind  plan.ChangeKind
	L, D  int    // live and desired indices, -1 when absent
	Items []Item // modifications, in rank order
	Pair  bool   // a leftover pairing (an identity field changes)
	Early bool   // delete that runs before the writes
	// Replace: carried out as one whole-record replacement instead of
	// Items (a provider that offers one decides).
	Replace bool
}

// Before is the live record an update or delete starts from.
func (o *Op) Before() model.Record { return o.Z.Live[o.L] }

// After is the desired record a create or update ends at.
func (o *Op) After() model.Record { return o.Z.Desired[o.D] }

// Ref names the op's live record across attempts.
func (o *Op) Ref() [2]int { return [2]int{o.Z.Idx, o.L} }

func (o *Op) record() model.Record {
	if o.D >= 0 {
		return o.After()
	}
	return o.Before()
}

func opKindOrder(k plan.ChangeKind) int {
	switch k {
	case plan.RecordCreate:
		return 0
	case plan.RecordUpdate:
		return 1
	}
	return 2
}

// CmpOp orders ops as the plan lists their changes: by zone, record,
// kind (create, update, delete) and live index.
func CmpOp(a, b *Op) int {
	return cmp.Or(cmp.Compare(a.Z.Idx, b.Z.Idx), model.CmpRecord(a.record(), b.record()),
		cmp.Compare(opKindOrder(a.Kind), opKindOrder(b.Kind)), cmp.Compare(a.L, b.L))
}

// ToChange renders an op as a semantic change (without its ID).
func (o *Op) ToChange() *plan.Change {
	c := &plan.Change{Domain: o.Z.Name, Kind: o.Kind, Provider: o.Z.Provider}
	if o.L >= 0 {
		b := o.Before()
		b.Pos = model.Pos{}
		c.Before = &b
	}
	if o.D >= 0 {
		a := o.After()
		c.Pos = a.Pos
		if o.L >= 0 {
			a.ID = o.Before().ID
		}
		c.After = &a
	}
	if o.Kind == plan.RecordUpdate {
		c.Fields = model.ChangedFields(*c.Before, *c.After)
	}
	return c
}

// Changes renders ops as the plan's changes in plan order, with the
// refusals of records the service would reject on its own (TTL below the
// grade's minimum, unknown line, bad value); change maps each op to its
// change.
func Changes(zones []*Zone, ops []*Op) (changes []*plan.Change, change map[*Op]*plan.Change, refusals []plan.Refusal) {
	sorted := slices.Clone(ops)
	slices.SortStableFunc(sorted, CmpOp)
	change = make(map[*Op]*plan.Change, len(sorted))
	zoneChanges := make([][]*plan.Change, len(zones))
	for _, o := range sorted {
		c := o.ToChange()
		change[o] = c
		zoneChanges[o.Z.Idx] = append(zoneChanges[o.Z.Idx], c)
		changes = append(changes, c)
	}
	for _, z := range zones {
		refusals = append(refusals, z.providerRules(zoneChanges[z.Idx])...)
	}
	return changes, change, refusals
}

func (z *Zone) providerRules(changes []*plan.Change) []plan.Refusal {
	var out []plan.Refusal
	bad := 0
	for _, c := range changes {
		if c.After == nil {
			continue
		}
		if e := z.checker.CheckRecord(*c.After, dnspodrules.CodeTTL); e != nil {
			if bad++; bad <= 5 {
				out = append(out, plan.Refusal{Domain: z.Name, Rule: plan.RuleProviderRules,
					Reason: fmt.Sprintf("%s at %s: %s", c.After, c.Pos, e.Message)})
			}
		}
	}
	if bad > 5 {
		out = append(out, plan.Refusal{Domain: z.Name, Rule: plan.RuleProviderRules,
			Reason: fmt.Sprintf("%d more records break the provider's rules", bad-5)})
	}
	return out
}

// CellKey is a (zone, name, line): DNSPod's rules act inside one cell.
type CellKey struct {
	Z          int
	Name, Line string
}

// CellKeyOf is r's cell in zone zi.
func CellKeyOf(zi int, r model.Record) CellKey { return CellKey{zi, r.Name, r.Line} }

// CmpCellKey orders cells by zone, name and line.
func CmpCellKey(a, b CellKey) int {
	return cmp.Or(cmp.Compare(a.Z, b.Z), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Line, b.Line))
}

// Cells returns the cells an op may occupy: before and after.
func (o *Op) Cells() []CellKey {
	switch o.Kind {
	case plan.RecordCreate:
		return []CellKey{CellKeyOf(o.Z.Idx, o.After())}
	case plan.RecordDelete:
		return []CellKey{CellKeyOf(o.Z.Idx, o.Before())}
	}
	a, b := CellKeyOf(o.Z.Idx, o.Before()), CellKeyOf(o.Z.Idx, o.After())
	if a == b {
		return []CellKey{a}
	}
	return []CellKey{a, b}
}

// versions appends every state of op o's record that may land in cell c:
// the record under each subset of its items, or its new state after a
// replacement.
func versions(o *Op, c CellKey, out []model.Record) []model.Record {
	nl := model.NameLine{Name: c.Name, Line: c.Line}
	switch o.Kind {
	case plan.RecordCreate:
		r := o.After()
		r.ID = "create-" + strconv.Itoa(o.D)
		if r.NameLine() == nl {
			out = append(out, r)
		}
		return out
	case plan.RecordDelete:
		return out // already among the live records
	}
	if o.Replace {
		v := o.After()
		v.ID = o.Before().ID
		if v.NameLine() == nl {
			out = append(out, v)
		}
		return out
	}
	cur := o.Before()
	for mask := 1; mask < 1<<len(o.Items); mask++ {
		v := cur
		for i, it := range o.Items {
			if mask&(1<<i) != 0 {
				v, _ = it.Apply(v)
			}
		}
		if v.NameLine() == nl {
			out = append(out, v)
		}
	}
	return out
}

// Cell is where DNSPod's coexistence rules act: one (domain, name, line).
// Records in different cells never constrain each other.
type Cell struct {
	Domain, Name, Line string
}

// CellOf returns r's cell in domain.
func CellOf(domain string, r model.Record) Cell { return Cell{domain, r.Name, r.Line} }

// Compatible reports whether every record version in versions could stand
// in one cell at the same time as any choice of the others: no duplicates,
// no conflicts, round-robin limits kept. Versions sharing an ID are
// alternatives (one record before and after a change) and are never
// compared with each other. Because the rules are pairwise (and the
// round-robin count only grows with more records), a compatible set stays
// compatible in every subset, so changes whose versions are compatible may
// be applied in any order and interleaving. TTLs are clamped into the
// grade's range first: only coexistence is judged here.
func Compatible(rules dnspodrules.Options, versions []model.Record) error {
	if len(versions) < 2 {
		return nil
	}
	minTTL, maxTTL := rules.MinTTL, rules.MaxTTL
	if minTTL == 0 {
		minTTL = 600
	}
	if maxTTL == 0 {
		maxTTL = 604800
	}
	recs := make([]model.Record, 0, len(versions))
	groups := map[string][]int{}
	var order []string
	seen := map[model.Record]bool{}
	for _, v := range versions {
		v.TTL = min(max(v.TTL, minTTL), maxTTL)
		if seen[v] {
			continue // the same version twice is still one record
		}
		seen[v] = true
		orig := v.ID
		i := len(recs)
		v.ID = "v" + strconv.Itoa(i)
		recs = append(recs, v)
		if _, ok := groups[orig]; !ok {
			order = append(order, orig)
		}
		groups[orig] = append(groups[orig], i)
	}
	n := 0
	alloc := func() string { n++; return "x" + strconv.Itoa(n) }
	z := dnspodrules.NewZone(rules, alloc, recs...)
	for _, orig := range order {
		g := groups[orig]
		if len(g) == 1 {
			r := recs[g[0]]
			if r.System {
				continue
			}
			if e := z.Check(r, r.ID, dnspodrules.CodeConflict); e != nil {
				return fmt.Errorf("%s: %w", r, e)
			}
			continue
		}
		c := z.Clone()
		for _, i := range g {
			if e := c.Remove(recs[i].ID); e != nil {
				return fmt.Errorf("internal: %w", e)
			}
		}
		for _, i := range g {
			r := recs[i]
			if r.System {
				continue
			}
			if e := c.Check(r, "", dnspodrules.CodeConflict); e != nil {
				return fmt.Errorf("%s: %w", r, e)
			}
		}
	}
	return nil
}

// UpdateGroups counts the records per modification group that the exact
// matches' TTL and status changes need, and how many matches there are:
// what any packing must send whatever it pairs (lower bounds).
func UpdateGroups(zones []*Zone) (groups map[Group]int, updates int) {
	groups = map[Group]int{}
	for _, z := range zones {
		for _, u := range z.Updates {
			updates++
			for _, it := range NeutralItems(z.Live[u.L], z.Desired[u.D], nil) {
				groups[Group{z.Provider, it}]++
			}
		}
	}
	return groups, updates
}

// CeilDiv is a/b rounded up.
func CeilDiv(a, b int) int { return (a + b - 1) / b }

// Packed renders plan p of zones as a provider's packing: the changes in
// plan order, the refusals (p's, then the records the service would
// reject), the batches batches renders from the ops' changes, and the
// lower bound.
func (p *Plan) Packed(zones []*Zone, batches func(change map[*Op]*plan.Change) []providers.PackedBatch, lowerBound int) *providers.Packed {
	out := &providers.Packed{Refusals: p.Refusals}
	changes, change, refusals := Changes(zones, p.Ops)
	out.Changes = changes
	out.Refusals = append(out.Refusals, refusals...)
	out.Batches = batches(change)
	out.LowerBound = lowerBound
	return out
}

// NotRegistrar refuses every delegation: a DNSPod account of provider
// name (of type typ) manages records only.
func NotRegistrar(regs []*providers.RegistrarDiff, name, typ string) *providers.Packed {
	out := &providers.Packed{}
	for _, r := range regs {
		out.Refusals = append(out.Refusals, plan.Refusal{Domain: r.Domain, Rule: plan.RuleProvider,
			Reason: fmt.Sprintf("provider %q (%s) manages records, not delegations", name, typ)})
	}
	return out
}

// NewZones returns the zones of a plan for differences zds, each under
// the rules rulesOf gives for its live state.
func NewZones(zds []*providers.ZoneDiff, rulesOf func(*model.LiveDNS) dnspodrules.Options) []*Zone {
	zones := make([]*Zone, len(zds))
	for i, zd := range zds {
		zones[i] = NewZone(i, zd, rulesOf(zd.Live))
	}
	return zones
}

// CreateSetDetail is the item count and description of a call creating
// records in each of domains (doms: their names for people).
func CreateSetDetail(records int, domains []string, doms string) (int, string) {
	return records * len(domains), display.Plural(records, "record", "records") + " × " +
		display.Plural(len(domains), "domain", "domains") + ": " + doms
}
