package tencentcloud_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dnssync/dnssync/internal/diff"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodpack"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud"
	"github.com/dnssync/dnssync/internal/simulate"
)

const prov = "tc"

// gen draws desired/live pairs from small alphabets so that conflicts
// (CNAME beside other data), swaps, renames, line changes and round-robin
// limits are common.
type gen struct {
	r     *rand.Rand
	rules dnspodrules.Options
}

var (
	genNames   = []string{"@", "www", "api", "mail", "x.y"}
	genTypes   = []string{model.TypeA, model.TypeA, model.TypeAAAA, model.TypeCNAME, model.TypeCNAME, model.TypeMX, model.TypeTXT}
	genTargets = []string{"a.example.net.", "b.example.net.", "c.example.net."}
)

const line2 = "电信"

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func (g *gen) value(typ string) string {
	switch typ {
	case model.TypeA:
		return fmt.Sprintf("192.0.2.%d", 1+g.r.IntN(4))
	case model.TypeAAAA:
		return fmt.Sprintf("2001:db8::%d", 1+g.r.IntN(2))
	case model.TypeTXT:
		return fmt.Sprintf("t%d", 1+g.r.IntN(3))
	}
	return pick(g.r, genTargets)
}

func (g *gen) record() model.Record {
	r := model.Record{Name: pick(g.r, genNames), Type: pick(g.r, genTypes), Line: model.DefaultLine, TTL: 600, Enabled: g.r.IntN(8) > 0}
	if g.r.IntN(4) == 0 {
		r.Line = line2
	}
	r.Value = g.value(r.Type)
	if r.Type == model.TypeMX {
		r.MX = 5 * (1 + g.r.IntN(2))
		if lo, hi := g.rules.MXRange(); lo == 0 && hi > 300 && g.r.IntN(3) == 0 {
			// API 3.0's range beyond the legacy one: 0 and above 20.
			r.MX = pick(g.r, []int{0, 300})
		}
	}
	if g.r.IntN(3) == 0 {
		r.TTL = 1200
	}
	return r
}

// mutate changes one or two fields of r.
func (g *gen) mutate(r model.Record) model.Record {
	for range 1 + g.r.IntN(2) {
		switch g.r.IntN(7) {
		case 0:
			r.Name = pick(g.r, genNames)
		case 1:
			r.Type = pick(g.r, genTypes)
			r.Value = g.value(r.Type)
			r.MX = 0
			if r.Type == model.TypeMX {
				r.MX = 5
			}
		case 2:
			r.Line = pick(g.r, []string{model.DefaultLine, line2})
		case 3:
			r.Value = g.value(r.Type)
		case 4:
			if r.Type == model.TypeMX {
				switch r.MX {
				case 0:
					r.MX = 300
				case 300:
					r.MX = 0
				default:
					r.MX = 15 - r.MX
				}
			}
		case 5:
			r.TTL = 1800 - r.TTL
		case 6:
			r.Enabled = !r.Enabled
		}
	}
	return r
}

// fill adds up to n records drawn by next to a zone holding base, keeping
// the zone valid under the rules.
func (g *gen) fill(base []model.Record, n int, next func() model.Record, keep func(model.Record) bool, alloc func() string) []model.Record {
	z := dnspodrules.NewZone(g.rules, alloc, base...)
	var out []model.Record
	for try := 0; try < 4*n && len(out) < n; try++ {
		r := next()
		if keep != nil && !keep(r) {
			continue
		}
		id, e := z.Create(r)
		if e != nil {
			continue
		}
		r.ID = id
		out = append(out, r)
	}
	return out
}

func sysNS(id, v string) model.Record {
	return model.Record{ID: id, Name: "@", Type: model.TypeNS, Line: model.DefaultLine, Value: v, TTL: 86400, Enabled: true, System: true}
}

// pair builds one desired/live pair of up to four zones; similar zones
// make identical create sets across domains likely.
func (g *gen) pair() (*model.Desired, *model.Live) {
	nd := 1 + g.r.IntN(4)
	desired, live := &model.Desired{}, &model.Live{}
	for i := range nd {
		d := fmt.Sprintf("d%d.test", i)
		n := 0
		alloc := func() string { n++; return strconv.Itoa(1000*(i+1) + n) }
		sys := []model.Record{sysNS(alloc(), "f1g1ns1.dnspod.net."), sysNS(alloc(), "f1g1ns2.dnspod.net.")}
		lrecs := append(slices.Clone(sys), g.fill(sys, g.r.IntN(9), g.record, nil, alloc)...)
		ld := model.LiveDomain{Name: d, DNS: &model.LiveDNS{DomainID: strconv.Itoa(100 + i), Records: lrecs}}
		spec := &model.DNS{Provider: prov, TTL: 600, Policy: model.PolicySync}
		switch g.r.IntN(10) {
		case 0:
			spec.Policy = model.PolicyUpsertOnly
		case 1:
			spec.Policy = model.PolicyCreateOnly
		}
		if g.r.IntN(5) == 0 {
			spec.Ignore = []model.Ignore{{Name: "mail"}}
		}
		base := slices.Clone(sys)
		var managed []model.Record
		for _, r := range lrecs[len(sys):] {
			if diff.Ignored(spec.Ignore, r) {
				base = append(base, r)
			} else {
				managed = append(managed, r)
			}
		}
		next := g.record
		if len(managed) > 0 && g.r.IntN(3) > 0 {
			next = func() model.Record {
				if g.r.IntN(3) == 0 {
					return g.record()
				}
				r := pick(g.r, managed)
				r.ID = ""
				if g.r.IntN(2) == 0 {
					r = g.mutate(r)
				}
				return r
			}
		}
		m := 0
		drecs := g.fill(base, g.r.IntN(9), next, func(r model.Record) bool { return !diff.Ignored(spec.Ignore, r) },
			func() string { m++; return fmt.Sprintf("want-%d", m) })
		for k := range drecs {
			drecs[k].ID = ""
			drecs[k].Pos = model.Pos{File: d + ".yaml", Line: k + 1}
		}
		spec.Records = drecs
		live.Domains = append(live.Domains, ld)
		desired.Domains = append(desired.Domains, model.Domain{Name: d, Unicode: d, DNS: spec})
	}
	return desired, live
}

// capture wraps a planner and keeps the zone differences it was given.
type capture struct {
	providers.Planner
	zds []*providers.ZoneDiff
}

func (c *capture) PlanRecords(zds []*providers.ZoneDiff, o providers.PlanOptions) *providers.Packed {
	c.zds = zds
	return c.Planner.PlanRecords(zds, o)
}

func models(rules dnspodrules.Options) map[string]simulate.Factory {
	return map[string]simulate.Factory{
		prov: func(l *model.Live, alloc func() string) simulate.Model { return tencentcloud.NewSim(l, rules, alloc) },
	}
}

// greedyCalls is what a simple greedy packing of the same differences
// costs, counting a task as its write and one poll: no pairing (every
// leftover a delete and a create); one ModifyRecordBatch per (field,
// value) and limit, or one ModifyRecordBatchV3 per limit; one
// CreateRecordBatch per zone and limit; one CreateRecord per paused
// record; and one DeleteRecordBatch per limit for the removals that must
// clear a conflict first, and one for the rest.
func greedyCalls(zds []*providers.ZoneDiff, rules dnspodrules.Options, o tencentcloud.PlannerOptions) int {
	ceil := func(a, b int) int { return (a + b - 1) / b }
	calls := 0
	groups := map[string]int{}
	updates, early, late := 0, 0, 0
	for _, zd := range zds {
		for _, u := range zd.Updates {
			l, d := zd.Records[u.Live], zd.Desired[u.Desired]
			updates++
			if l.TTL != d.TTL {
				groups["ttl="+strconv.Itoa(d.TTL)]++
			}
			if l.Enabled != d.Enabled {
				groups["status="+strconv.FormatBool(d.Enabled)]++
			}
		}
		creates := 0
		for _, di := range zd.LeftDesired {
			if zd.Desired[di].Enabled {
				creates++
			} else {
				calls++
			}
		}
		calls += 2 * ceil(creates, o.MaxTaskRecords)
		// The removals of a cell clear a conflict first when the cell's
		// records, live and desired, could not all stand together.
		zr := rules
		if zd.Live.MinTTL > 0 {
			zr.MinTTL = zd.Live.MinTTL
		}
		byCell := map[model.NameLine][]int{}
		for _, li := range zd.LeftLive {
			nl := zd.Records[li].NameLine()
			byCell[nl] = append(byCell[nl], li)
		}
		liveOf := map[int]string{}
		for _, u := range zd.Updates {
			liveOf[u.Desired] = zd.Records[u.Live].ID
		}
		left := map[int]bool{}
		for _, di := range zd.LeftDesired {
			left[di] = true
		}
		for nl, leaving := range byCell {
			var vs []model.Record
			for _, x := range zd.Records {
				if x.NameLine() == nl {
					vs = append(vs, x)
				}
			}
			for i, x := range zd.Desired {
				if x.NameLine() != nl {
					continue
				}
				id, updated := liveOf[i]
				switch {
				case updated:
					x.ID = id
				case left[i]:
					x.ID = "want-" + strconv.Itoa(i)
				default:
					continue // unchanged: its live record is among vs already
				}
				vs = append(vs, x)
			}
			if dnspodpack.Compatible(zr, vs) != nil {
				early += len(leaving)
			} else {
				late += len(leaving)
			}
		}
	}
	if o.ModifyV3 {
		calls += 2 * ceil(updates, o.MaxTaskRecords)
	} else {
		for _, n := range groups {
			calls += 2 * ceil(n, o.MaxTaskRecords)
		}
	}
	return calls + 2*ceil(early, o.MaxDeleteIDs) + 2*ceil(late, o.MaxDeleteIDs)
}

func TestPlanProperties(t *testing.T) {
	cases := 800
	if testing.Short() {
		cases = 200
	}
	for _, tc := range []struct {
		name   string
		rules  func(*dnspodrules.Options)
		opts   tencentcloud.PlannerOptions
		greedy bool // compare with the greedy packing (no budget in play)
	}{
		{"batch modify", nil, tencentcloud.PlannerOptions{TasksPerHour: 1000, TasksInFlight: 1000}, true},
		{"modify v3", nil, tencentcloud.PlannerOptions{ModifyV3: true, TasksPerHour: 1000, TasksInFlight: 1000}, true},
		{"strict rules", func(r *dnspodrules.Options) { r.RoundRobinLimit, r.ApexCNAMEAllowsMXTXT = 2, false },
			tencentcloud.PlannerOptions{TasksPerHour: 1000, TasksInFlight: 1000}, true},
		{"strict rules v3", func(r *dnspodrules.Options) { r.RoundRobinLimit, r.ApexCNAMEAllowsMXTXT = 2, false },
			tencentcloud.PlannerOptions{ModifyV3: true, TasksPerHour: 1000, TasksInFlight: 1000}, true},
		{"small limits", nil, tencentcloud.PlannerOptions{MaxTaskRecords: 3, MaxDeleteIDs: 2, TasksPerHour: 1000, TasksInFlight: 1000}, true},
		{"tight task budget", nil, tencentcloud.PlannerOptions{MaxTaskRecords: 3, TasksPerHour: 2, TasksInFlight: 1, SyncMaxRecords: 4}, false},
		{"tight task budget v3", nil, tencentcloud.PlannerOptions{ModifyV3: true, TasksPerHour: 1, TasksInFlight: 1, SyncMaxRecords: 3}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rules := dnspodrules.APIv3Options()
			rules.Lines = tencentcloud.DefaultLines()
			if tc.rules != nil {
				tc.rules(&rules)
			}
			runProperties(t, cases, rules, tc.opts, tc.greedy)
		})
	}
}

func runProperties(t *testing.T, cases int, rules dnspodrules.Options, po tencentcloud.PlannerOptions, compareGreedy bool) {
	stats := map[string]int{}
	for seed := range cases {
		r := rand.New(rand.NewPCG(uint64(seed), 0x7c))
		g := &gen{r: r, rules: rules}
		desired, live := g.pair()
		pl := tencentcloud.NewPlanner(prov, rules, po)
		capt := &capture{Planner: pl}
		opts := diff.Options{Force: true, AllowEmptyZone: true, Planners: map[string]providers.Planner{prov: capt}}
		p := diff.Plan(desired, live, opts)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("seed %d: %s\ndesired: %+v\nlive: %+v\n%s", seed, fmt.Sprintf(format, args...), desired, live, describe(p))
		}
		if len(p.Refusals) > 0 {
			policy := false
			for _, dd := range desired.Domains {
				policy = policy || dd.DNS.Policy != model.PolicySync
			}
			if !policy {
				fail("unexpected refusals %v", p.Refusals)
			}
			stats["refused (policy keeps conflicting records)"]++
			continue
		}
		after, err := simulate.Apply(live, p, models(rules))
		if err != nil {
			fail("simulation: %v", err)
		}
		if again := diff.Plan(desired, after, diff.Options{Force: true, AllowEmptyZone: true,
			Planners: map[string]providers.Planner{prov: pl}}); !again.Empty() {
			fail("plan after apply is not empty:\n%s", describe(again))
		}
		o := pl.Options()
		if compareGreedy {
			if gc := greedyCalls(capt.zds, rules, o); p.Cost.APICalls > gc {
				fail("plan uses %d calls, the greedy packing %d", p.Cost.APICalls, gc)
			}
		} else if p.Cost.Tasks > o.TasksPerHour && !budgetExplained(p) {
			fail("plan needs %d tasks, budget %d, and says nothing about it", p.Cost.Tasks, o.TasksPerHour)
		}
		for _, c := range p.Changes {
			stats[string(c.Kind)]++
			if a := c.After; a != nil && a.Type == model.TypeMX && (a.MX < dnspodrules.LegacyMinMX || a.MX > dnspodrules.LegacyMaxMX) {
				stats["MX priority outside the legacy range"]++
			}
			if c.Kind == plan.RecordUpdate {
				stats["update:"+strings.Join(c.Fields, "+")]++
			}
		}
		for _, s := range p.Stages {
			if s.Name == "records-clear" {
				stats["plans with clearing deletes"]++
			}
			if strings.HasPrefix(s.Name, "records-2") {
				stats["plans with several write stages"]++
			}
			for _, b := range s.Batches {
				stats["op:"+strings.TrimPrefix(string(b.Op), "tencentcloud:")]++
				if strings.Contains(b.Detail, "single-record calls:") {
					stats["budget conversions"]++
				}
			}
		}
	}
	t.Logf("coverage: %v", stats)
	for _, k := range []string{"record-update", "record-create", "record-delete", "plans with clearing deletes", "op:CreateRecordBatch",
		"MX priority outside the legacy range"} {
		if stats[k] == 0 {
			t.Errorf("generator never produced %q", k)
		}
	}
}

// budgetExplained reports whether a plan over its task budget says so in
// its batches: only when no batch could be turned into calls.
func budgetExplained(p *plan.Plan) bool {
	for _, s := range p.Stages {
		for _, b := range s.Batches {
			if strings.Contains(b.Detail, "tasks_per_hour") {
				return true
			}
		}
	}
	return false
}

// describe renders a plan compactly for failure messages.
func describe(p *plan.Plan) string {
	var sb strings.Builder
	for _, c := range p.Changes {
		fmt.Fprintf(&sb, "  %s %s %v", c.ID, c.Kind, c.Fields)
		if c.Before != nil {
			fmt.Fprintf(&sb, " before=[%s id=%s]", c.Before, c.Before.ID)
		}
		if c.After != nil {
			fmt.Fprintf(&sb, " after=[%s]", c.After)
		}
		sb.WriteByte('\n')
	}
	for _, s := range p.Stages {
		fmt.Fprintf(&sb, "stage %s\n", s.Name)
		for _, b := range s.Batches {
			fmt.Fprintf(&sb, "  %s %s %v %s changes=%v\n", b.ID, b.Op, b.Domains, b.Detail, b.Changes)
		}
	}
	fmt.Fprintf(&sb, "cost %+v refusals %v\n", p.Cost, p.Refusals)
	return sb.String()
}
