package rfc2136

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dnssync/dnssync/internal/display"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
)

// OpUpdate is the one write operation: a DNS UPDATE message.
const OpUpdate plan.Op = "rfc2136:UPDATE"

// Payload is what an UPDATE batch carries: the zone and its RRset changes,
// Before exactly as the zone transfer read them (ids included: they say how
// a TXT record is split on the server and which RRs the server spells
// differently), so that the prerequisites built from them hold exactly
// when nothing changed since the read. Lines and paused records do not
// exist here, so records carry only what RFC 2136 can say.
type Payload struct {
	Zone   string         `json:"zone"`
	RRsets []PayloadRRset `json:"rrsets"`
}

// PayloadRRset is one RRset change of a payload.
type PayloadRRset struct {
	Name   string          `json:"name"`
	Type   string          `json:"type"`
	Before []PayloadRecord `json:"before,omitempty"`
	After  []PayloadRecord `json:"after,omitempty"`
}

// PayloadRecord is one record of an RRset: its value, MX preference, TTL
// and, for records as read, the reader's id.
type PayloadRecord struct {
	Value string `json:"value"`
	MX    int    `json:"mx,omitempty"`
	TTL   int    `json:"ttl"`
	ID    string `json:"id,omitempty"`
}

func payloadRecords(recs []model.Record) []PayloadRecord {
	out := make([]PayloadRecord, len(recs))
	for i, r := range recs {
		out[i] = PayloadRecord{Value: r.Value, MX: r.MX, TTL: r.TTL, ID: r.ID}
	}
	return out
}

func modelRecords(name, typ string, recs []PayloadRecord) []model.Record {
	out := make([]model.Record, len(recs))
	for i, r := range recs {
		out[i] = model.Record{Name: name, Type: typ, Line: model.DefaultLine, Value: r.Value, MX: r.MX, TTL: r.TTL, Enabled: true, ID: r.ID}
	}
	return out
}

// NewPayload returns the payload of changes to zone.
func NewPayload(zone string, changes []RRsetChange) Payload {
	p := Payload{Zone: zone, RRsets: make([]PayloadRRset, len(changes))}
	for i, c := range changes {
		p.RRsets[i] = PayloadRRset{Name: c.Name, Type: c.Type, Before: payloadRecords(c.Before), After: payloadRecords(c.After)}
	}
	return p
}

// Changes returns the payload's RRset changes.
func (p Payload) Changes() []RRsetChange {
	out := make([]RRsetChange, len(p.RRsets))
	for i, s := range p.RRsets {
		out[i] = RRsetChange{Name: s.Name, Type: s.Type, Before: modelRecords(s.Name, s.Type, s.Before), After: modelRecords(s.Name, s.Type, s.After)}
	}
	return out
}

// NewBatch returns the plan batch of one UPDATE message of zone (ID and
// Changes are the core's to fill). part and parts number the message
// among the zone's messages (1 of 1 when not split).
func NewBatch(provider, zone string, changes []RRsetChange, part, parts int) plan.Batch {
	return plan.Batch{Provider: provider, Op: OpUpdate, Domains: []string{zone},
		Items: len(changes), Detail: describe(zone, changes, part, parts),
		Payload: providers.EncodePayload(NewPayload(zone, changes))}
}

// describe is the batch's line for reviewers: the zone, then each RRset
// with + (created), - (deleted) or ~ (changed).
func describe(zone string, changes []RRsetChange, part, parts int) string {
	const shown = 8
	var list []string
	for i, c := range changes {
		if i == shown {
			list = append(list, fmt.Sprintf("… %d more", len(changes)-shown))
			break
		}
		mark := "~"
		switch {
		case len(c.Before) == 0:
			mark = "+"
		case len(c.After) == 0:
			mark = "-"
		}
		list = append(list, mark+display.Name(c.Name)+" "+c.Type)
	}
	s := display.Name(zone) + ": " + display.Plural(len(changes), "RRset", "RRsets") + " (" + strings.Join(list, ", ") + ")"
	if parts > 1 {
		s += fmt.Sprintf(", message %d of %d", part, parts)
	}
	return s
}

// Planner packs the record differences of the zones one server serves
// into UPDATE messages: all of a zone's changes in one message, which the
// server applies entirely or not at all, split only where the message
// would exceed the size limit.
type Planner struct {
	name  string
	caps  providers.RecordCaps
	limit int   // octets BuildUpdates may use, TSIG left out
	err   error // the configuration cannot be used; every zone is refused
}

var _ providers.Planner = (*Planner)(nil)

// NewPlanner returns the planner of provider name: capabilities caps,
// messages packed for a client configured by cfg (its secret is not
// needed).
func NewPlanner(name string, caps providers.Caps, cfg Config) *Planner {
	pl := &Planner{name: name}
	if caps.Records != nil {
		pl.caps = *caps.Records
	}
	pl.limit, pl.err = cfg.UpdateLimit()
	return pl
}

// Limit is the size in octets the planner packs messages to, TSIG left out.
func (pl *Planner) Limit() int { return pl.limit }

// PlanRegistrar: a DNS server is no registrar.
func (pl *Planner) PlanRegistrar(regs []*providers.RegistrarDiff, _ providers.PlanOptions) *providers.Packed {
	out := &providers.Packed{}
	for _, r := range regs {
		out.Refusals = append(out.Refusals, plan.Refusal{Domain: r.Domain, Rule: plan.RuleProvider,
			Reason: fmt.Sprintf("provider %q (rfc2136) manages records, not delegations", pl.name)})
	}
	return out
}

// Recovered: no UPDATE synchronises glue.
func (pl *Planner) Recovered(plan.Op) bool { return false }

// PlanRecords packs each zone's differences into its UPDATE messages,
// placed in the records phase; a zone split over several messages takes
// one step per message, deletions first, so that (say) an A RRset is gone
// before the CNAME that replaces it arrives.
func (pl *Planner) PlanRecords(zds []*providers.ZoneDiff, _ providers.PlanOptions) *providers.Packed {
	out := &providers.Packed{}
	for _, zd := range zds {
		pl.planZone(zd, out)
	}
	return out
}

type setKey struct{ name, typ string }

// touched is one RRset of a zone under planning that changes.
type touched struct {
	live    []int        // indices into ZoneDiff.Records, as read
	deleted map[int]bool // live records that go
	updated map[int]int  // live record → desired record (TTL change)
	created []int        // desired records that come
}

func (pl *Planner) planZone(zd *providers.ZoneDiff, out *providers.Packed) {
	refusals := len(out.Refusals)
	refuse := func(format string, a ...any) {
		out.Refusals = append(out.Refusals, plan.Refusal{Domain: zd.Domain, Rule: plan.RuleProviderRules, Reason: fmt.Sprintf(format, a...)})
	}
	// Apex NS are the zone owner's on their own server, but a zone file
	// that declares none means to leave them alone, not to delete them.
	apexNS := func(r model.Record) bool { return r.Name == "@" && r.Type == model.TypeNS }
	manageApexNS := slices.ContainsFunc(zd.Desired, apexNS)

	sets := map[setKey]*touched{}
	touch := func(r model.Record) *touched {
		k := setKey{r.Name, r.Type}
		s := sets[k]
		if s == nil {
			s = &touched{deleted: map[int]bool{}, updated: map[int]int{}}
			sets[k] = s
		}
		return s
	}
	for _, li := range zd.LeftLive {
		r := zd.Records[li]
		if r.System || apexNS(r) && !manageApexNS {
			continue
		}
		touch(r).deleted[li] = true
	}
	for _, m := range zd.Updates {
		touch(zd.Records[m.Live]).updated[m.Live] = m.Desired
	}
	for _, di := range zd.LeftDesired {
		s := touch(zd.Desired[di])
		s.created = append(s.created, di)
	}
	if len(sets) == 0 {
		return
	}
	for li, r := range zd.Records {
		if s := sets[setKey{r.Name, r.Type}]; s != nil {
			s.live = append(s.live, li)
		}
	}
	keys := make([]setKey, 0, len(sets))
	for k := range sets {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b setKey) int {
		return cmp.Or(model.CompareRecords(model.Record{Name: a.name}, model.Record{Name: b.name}), cmp.Compare(a.typ, b.typ))
	})

	// The semantic changes, record by record, and the RRset changes that
	// carry them out.
	var changes []*plan.Change
	byKey := map[setKey][]*plan.Change{}
	var rrChanges []RRsetChange
	bad := 0
	check := func(d model.Record) {
		if msg := pl.checkRecord(d); msg != "" {
			if bad++; bad <= 5 {
				refuse("%s at %s: %s", d, d.Pos, msg)
			}
		}
	}
	for _, k := range keys {
		s := sets[k]
		ch := RRsetChange{Name: k.name, Type: k.typ}
		var cs []*plan.Change
		for _, li := range s.live {
			l := zd.Records[li]
			ch.Before = append(ch.Before, l)
			switch di, upd := s.updated[li]; {
			case s.deleted[li]:
				b := l
				cs = append(cs, &plan.Change{Domain: zd.Domain, Kind: plan.RecordDelete, Provider: zd.Provider, Before: &b})
			case upd:
				d := zd.Desired[di]
				check(d)
				a := l
				a.TTL, a.Enabled = d.TTL, d.Enabled
				ch.After = append(ch.After, a)
				b, after := l, d
				after.ID = l.ID
				after.Pos = model.Pos{}
				cs = append(cs, &plan.Change{Domain: zd.Domain, Kind: plan.RecordUpdate, Provider: zd.Provider, Pos: d.Pos,
					Before: &b, After: &after, Fields: changedFields(b, after)})
			default:
				ch.After = append(ch.After, l)
			}
		}
		for _, di := range s.created {
			d := zd.Desired[di]
			check(d)
			a := d
			a.ID, a.Pos, a.System = "", model.Pos{}, false
			ch.After = append(ch.After, a)
			cs = append(cs, &plan.Change{Domain: zd.Domain, Kind: plan.RecordCreate, Provider: zd.Provider, Pos: d.Pos, After: &a})
		}
		if ttls := distinctTTLs(ch.After); len(ttls) > 1 {
			refuse("%s %s: the records of an RRset share one TTL, but would have TTLs %s; give them the same ttl%s",
				display.Name(k.name), k.typ, joinInts(ttls), declaredAt(cs))
		}
		slices.SortStableFunc(cs, cmpChange)
		byKey[k] = cs
		changes = append(changes, cs...)
		rrChanges = append(rrChanges, ch)
	}
	if bad > 5 {
		refuse("%d more records break the provider's rules", bad-5)
	}
	pl.checkCNAMEs(zd, sets, rrChanges, refuse)
	out.Changes = append(out.Changes, changes...)

	if pl.err != nil {
		refuse("provider %q cannot be used: %v", pl.name, pl.err)
		return
	}
	if len(out.Refusals) > refusals {
		return // the plan is refused: no message is built for what will not be sent
	}
	groups, err := SplitChanges(zd.Domain, rrChanges, pl.limit)
	if err != nil {
		refuse("%v", err)
		return
	}
	for gi, g := range groups {
		pb := providers.PackedBatch{Phase: providers.PhaseRecords, Step: gi, Stage: "records",
			Batch: NewBatch(zd.Provider, zd.Domain, g, gi+1, len(groups))}
		if gi > 0 {
			pb.Stage = "records-" + strconv.Itoa(gi+1)
		}
		for _, c := range g {
			pb.Changes = append(pb.Changes, byKey[setKey{c.Name, c.Type}]...)
		}
		out.Batches = append(out.Batches, pb)
	}
	if len(groups) > 0 {
		out.LowerBound++ // one message per zone at the very least
	}
}

// checkCNAMEs refuses a result with a CNAME beside other data at one name:
// a server silently ignores such an addition (RFC 2136 §3.4.2.2), so the
// plan could never converge. validate catches this within a file; here the
// other data may be live records the policy or an ignore rule keeps.
func (pl *Planner) checkCNAMEs(zd *providers.ZoneDiff, sets map[setKey]*touched, changes []RRsetChange, refuse func(string, ...any)) {
	types := map[string][]string{} // name → types present after the update
	add := func(name, typ string) {
		if !slices.Contains(types[name], typ) {
			types[name] = append(types[name], typ)
		}
	}
	for _, r := range zd.Records {
		if sets[setKey{r.Name, r.Type}] == nil {
			add(r.Name, r.Type)
		}
	}
	for _, c := range changes {
		if len(c.After) > 0 {
			add(c.Name, c.Type)
		}
	}
	for _, c := range changes {
		ts := types[c.Name]
		if len(c.After) == 0 || len(ts) < 2 || !slices.Contains(ts, model.TypeCNAME) {
			continue
		}
		others := slices.DeleteFunc(slices.Clone(ts), func(t string) bool { return t == model.TypeCNAME })
		slices.Sort(others)
		refuse("%s: a CNAME cannot stand beside other records (%s), and the server would ignore the %s records added; remove one or the other (records the policy or an ignore rule keeps count too)",
			display.Name(c.Name), strings.Join(others, ", "), c.Type)
		delete(types, c.Name) // once per name
	}
}

// checkRecord says what the capabilities refuse in a desired record, or "".
// validate refuses the same; this keeps a plan from other sources honest.
func (pl *Planner) checkRecord(d model.Record) string {
	c := &pl.caps
	switch {
	case !c.HasType(d.Type):
		return fmt.Sprintf("provider %q does not accept %s records", pl.name, d.Type)
	case d.Line != "" && !c.HasLine(d.Line):
		return fmt.Sprintf("provider %q has no lines (views); line %q cannot be kept", pl.name, d.Line)
	case !d.Enabled:
		return fmt.Sprintf("provider %q cannot keep a record disabled", pl.name)
	case d.TTL < c.MinTTL || d.TTL > c.MaxTTL:
		return fmt.Sprintf("TTL %d is outside %d..%d", d.TTL, c.MinTTL, c.MaxTTL)
	case d.Type == model.TypeMX && (d.MX < c.MinMX || d.MX > c.MaxMX):
		return fmt.Sprintf("MX priority %d is outside %d..%d", d.MX, c.MinMX, c.MaxMX)
	}
	return ""
}

func distinctTTLs(recs []model.Record) []int {
	var ttls []int
	for _, r := range recs {
		if !slices.Contains(ttls, r.TTL) {
			ttls = append(ttls, r.TTL)
		}
	}
	slices.Sort(ttls)
	return ttls
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, " and ")
}

// declaredAt names where the first declared record among cs is.
func declaredAt(cs []*plan.Change) string {
	for _, c := range cs {
		if !c.Pos.IsZero() {
			return " (" + c.Pos.String() + ")"
		}
	}
	return ""
}

// cmpChange orders a zone's changes by record, then deletes before
// updates before creates.
func cmpChange(a, b *plan.Change) int {
	rec := func(c *plan.Change) model.Record {
		if c.After != nil {
			return *c.After
		}
		return *c.Before
	}
	kind := func(k plan.ChangeKind) int {
		switch k {
		case plan.RecordDelete:
			return 0
		case plan.RecordUpdate:
			return 1
		}
		return 2
	}
	return cmp.Or(model.CompareRecords(rec(a), rec(b)), cmp.Compare(rec(a).TTL, rec(b).TTL), cmp.Compare(kind(a.Kind), kind(b.Kind)))
}

// changedFields names what an update changes: the TTL (and the paused
// state, which checkRecord refuses).
func changedFields(b, a model.Record) []string {
	var f []string
	if b.TTL != a.TTL {
		f = append(f, "ttl")
	}
	if b.Enabled != a.Enabled {
		f = append(f, "enabled")
	}
	return f
}
