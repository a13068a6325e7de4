package dnspod_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/diff"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
	"github.com/dnssync/dnssync/internal/simulate"
)

// r1 is a record on the default line, TTL 600, enabled.
func r1(name, typ, value string) model.Record {
	return model.Record{Name: name, Type: typ, Line: model.DefaultLine, Value: value, TTL: 600, Enabled: true}
}

func mxRec(name, target string, prio int) model.Record {
	r := r1(name, model.TypeMX, target)
	r.MX = prio
	return r
}

func ttl(r model.Record, t int) model.Record { r.TTL = t; return r }

// zonePair is one domain's desired records and live records.
type zonePair struct {
	name          string
	desired, live []model.Record
}

func buildState(zs []zonePair) (*model.Desired, *model.Live) {
	desired, live := &model.Desired{}, &model.Live{}
	for i, z := range zs {
		lrecs := slices.Clone(z.live)
		for j := range lrecs {
			lrecs[j].ID = fmt.Sprintf("%d%03d", i+1, j+1)
		}
		drecs := slices.Clone(z.desired)
		model.SortRecords(lrecs)
		model.SortRecords(drecs)
		desired.Domains = append(desired.Domains, model.Domain{Name: z.name, Unicode: z.name,
			DNS: &model.DNS{Provider: "dnspod", TTL: 600, Policy: model.PolicySync, Records: drecs}})
		live.Domains = append(live.Domains, model.LiveDomain{Name: z.name,
			DNS: &model.LiveDNS{DomainID: strconv.Itoa(100 + i), Records: lrecs}})
	}
	return desired, live
}

func planWith(desired *model.Desired, live *model.Live, modifyIDs, createItems int) *plan.Plan {
	pl := dnspod.NewPlannerLimits("dnspod", dnspodrules.DefaultOptions(), modifyIDs, createItems)
	return diff.Plan(desired, live, diff.Options{Force: true, AllowEmptyZone: true,
		Planners: map[string]providers.Planner{"dnspod": pl}})
}

func simModels() map[string]simulate.Factory {
	return map[string]simulate.Factory{"dnspod": func(l *model.Live, alloc func() string) simulate.Model {
		return dnspod.NewSim(l, dnspodrules.DefaultOptions(), alloc)
	}}
}

// batchLines are a plan's batches as "op: detail", in stage order.
func batchLines(p *plan.Plan) []string {
	var out []string
	for _, s := range p.Stages {
		for _, b := range s.Batches {
			out = append(out, strings.TrimPrefix(string(b.Op), "dnspod:")+": "+b.Detail)
		}
	}
	return out
}

// Each case has a cheaper packing than deciding pairings change by change
// and breaking ties towards delete + create; the planner must find it.
func TestPlannerCountsEveryCall(t *testing.T) {
	const dmarc = "v=DMARC1; p=reject"
	cases := []struct {
		name    string
		zones   []zonePair
		batches []string
	}{
		{
			// Modifying the MX leaves both zones with the same create
			// set, which one call then serves.
			name: "a modification lets two zones share their creates",
			zones: []zonePair{
				{name: "one.example",
					live:    []model.Record{mxRec("@", "mx1.example.net.", 5)},
					desired: []model.Record{mxRec("@", "mx1.example.net.", 18), r1("_dmarc", model.TypeTXT, dmarc)}},
				{name: "two.example",
					desired: []model.Record{r1("_dmarc", model.TypeTXT, dmarc)}},
			},
			batches: []string{
				"Batch.Record.Modify: mx=18 on 1 record (one.example)",
				"Batch.Record.Create: 1 record × 2 domains: one.example, two.example",
			},
		},
		{
			// Renaming both records is one group; the TTL of one is a
			// second; no create and no removal is left.
			name: "pairings needing two groups replace a create and two removals",
			zones: []zonePair{{name: "one.example",
				live:    []model.Record{r1("p", model.TypeA, "192.0.2.1"), r1("r", model.TypeA, "192.0.2.2")},
				desired: []model.Record{ttl(r1("q", model.TypeA, "192.0.2.1"), 3600), r1("q", model.TypeA, "192.0.2.2")}}},
			batches: []string{
				"Batch.Record.Modify: ttl=3600 on 1 record (one.example)",
				"Batch.Record.Modify: sub_domain=q on 2 records (one.example)",
			},
		},
		{
			// RFC 8659: CAA tags are case-insensitive.
			name: "a CAA tag in another case is the same record",
			zones: []zonePair{{name: "one.example",
				live:    []model.Record{r1("@", model.TypeCAA, `0 ISSUE "ca.example.net"`)},
				desired: []model.Record{r1("@", model.TypeCAA, `0 issue "ca.example.net"`)}}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			desired, live := buildState(tc.zones)
			p := planWith(desired, live, 0, 0)
			if d := gocmp.Diff(tc.batches, batchLines(p)); d != "" {
				t.Errorf("batches (-want +got):\n%s", d)
			}
			if p.Cost.Batches != len(tc.batches) {
				t.Errorf("cost says %d write calls, want %d", p.Cost.Batches, len(tc.batches))
			}
			if _, err := simulate.Apply(live, p, simModels()); err != nil {
				t.Errorf("simulate: %v", err)
			}
		})
	}
}

// greedyCalls is a simple greedy packer, independent of the planner:
// exact matches whose TTL or status differ join modification groups;
// then, in canonical order, a leftover desired record is paired with a
// leftover live record of its zone (one identity field apart) whenever
// that lowers the total number of calls, until no pairing does. The total
// counts one Batch.Record.Modify per (field, value) and limit's worth of
// records, one Batch.Record.Create per identical create part and limit's
// worth of records × domains, and one Record.Remove per removal.
func greedyCalls(desired *model.Desired, live *model.Live, maxModify, maxCreate int) int {
	type gzone struct {
		name        string
		leftD       []model.Record
		leftL       []model.Record
		pairD       []int // per leftD: index into leftL, or -1
		usedL       []bool
		fixedGroups []string
	}
	var zones []*gzone
	for _, dd := range desired.Domains {
		ld := live.Domain(dd.Name)
		z := &gzone{name: dd.Name}
		byKey := map[model.Key]model.Record{}
		for _, r := range ld.DNS.Records {
			byKey[r.Key()] = r
		}
		matched := map[model.Key]bool{}
		for _, d := range dd.DNS.Records {
			l, ok := byKey[d.Key()]
			if !ok {
				z.leftD = append(z.leftD, d)
				continue
			}
			matched[d.Key()] = true
			z.fixedGroups = append(z.fixedGroups, neutral(l, d)...)
		}
		for _, r := range ld.DNS.Records {
			if !matched[r.Key()] {
				z.leftL = append(z.leftL, r)
			}
		}
		z.pairD = slices.Repeat([]int{-1}, len(z.leftD))
		z.usedL = make([]bool, len(z.leftL))
		zones = append(zones, z)
	}
	total := func() int {
		groups := map[string]int{}
		creates := map[string]int{}
		parts := map[string]int{}
		calls := 0
		for _, z := range zones {
			for _, g := range z.fixedGroups {
				groups[g]++
			}
			var todo []string
			for i, d := range z.leftD {
				if j := z.pairD[i]; j >= 0 {
					for _, g := range pairItems(z.leftL[j], d) {
						groups[g]++
					}
					continue
				}
				todo = append(todo, fmt.Sprintf("%s %s %s %s %d %d %t", d.Name, d.Type, d.Line, d.Value, d.MX, d.TTL, d.Enabled))
			}
			for from := 0; from < len(todo); from += maxCreate {
				part := strings.Join(todo[from:min(len(todo), from+maxCreate)], "\n")
				creates[part]++
				parts[part] = min(len(todo)-from, maxCreate)
			}
			for j := range z.leftL {
				if !z.usedL[j] {
					calls++ // Record.Remove
				}
			}
		}
		for _, n := range groups {
			calls += (n + maxModify - 1) / maxModify
		}
		for part, zonesWith := range creates {
			per := max(1, maxCreate/parts[part])
			calls += (zonesWith + per - 1) / per
		}
		return calls
	}
	best := total()
	for improved := true; improved; {
		improved = false
		for _, z := range zones {
			for i, d := range z.leftD {
				if z.pairD[i] >= 0 {
					continue
				}
				for j, l := range z.leftL {
					if z.usedL[j] || pairItems(l, d) == nil {
						continue
					}
					z.pairD[i], z.usedL[j] = j, true
					if c := total(); c < best {
						best, improved = c, true
						break
					}
					z.pairD[i], z.usedL[j] = -1, false
				}
			}
		}
	}
	return best
}

// neutral are the TTL and status groups taking l to d.
func neutral(l, d model.Record) []string {
	var out []string
	if l.TTL != d.TTL {
		out = append(out, "ttl="+strconv.Itoa(d.TTL))
	}
	if l.Enabled != d.Enabled {
		out = append(out, "status="+strconv.FormatBool(d.Enabled))
	}
	return out
}

// pairItems are the groups a modification taking l to d joins, or nil when
// more than one identity field differs (Batch.Record.Modify changes one;
// a type change carries the value and the priority).
func pairItems(l, d model.Record) []string {
	var id string
	same := func(a, b string) bool { return a == b }
	v := func(r model.Record) string { return model.CompareValue(r.Type, r.Value) }
	switch {
	case same(l.Name, d.Name) && same(l.Type, d.Type) && same(l.Line, d.Line) && l.MX == d.MX:
		id = "value=" + d.Value
	case d.Type == model.TypeMX && same(l.Type, d.Type) && same(l.Name, d.Name) && same(l.Line, d.Line) && v(l) == v(d):
		id = "mx=" + strconv.Itoa(d.MX)
	case same(l.Name, d.Name) && same(l.Line, d.Line) && l.Type != d.Type:
		id = fmt.Sprintf("record_type=%s value=%s mx=%d", d.Type, d.Value, d.MX)
	case same(l.Name, d.Name) && same(l.Type, d.Type) && v(l) == v(d) && l.MX == d.MX:
		id = "area=" + d.Line
	case same(l.Type, d.Type) && same(l.Line, d.Line) && v(l) == v(d) && l.MX == d.MX:
		id = "sub_domain=" + d.Name
	default:
		return nil
	}
	return append([]string{id}, neutral(l, d)...)
}

// randomPair draws desired and live states for one to three zones from
// small pools, so that records often differ in one field and zones often
// want the same new records. CNAMEs are left out: every pairing is then
// possible in some order, as the greedy packer assumes.
func randomPair(r *rand.Rand) (*model.Desired, *model.Live) {
	names := []string{"@", "www", "api", "q"}
	lines := []string{model.DefaultLine, model.DefaultLine, model.DefaultLine, "电信"}
	values := map[string][]string{
		model.TypeA:   {"192.0.2.1", "192.0.2.2", "192.0.2.3"},
		model.TypeMX:  {"mx1.example.net.", "mx2.example.net."},
		model.TypeTXT: {"v=spf1 -all", "v=DMARC1; p=reject"},
		model.TypeCAA: {`0 issue "ca.example.net"`, `0 ISSUE "ca.example.net"`, `0 issue "other.example"`},
	}
	types := []string{model.TypeA, model.TypeA, model.TypeMX, model.TypeTXT, model.TypeCAA}
	record := func() model.Record {
		typ := types[r.IntN(len(types))]
		rec := r1(names[r.IntN(len(names))], typ, values[typ][r.IntN(len(values[typ]))])
		rec.Line = lines[r.IntN(len(lines))]
		if typ == model.TypeMX {
			rec.MX = []int{5, 10, 18}[r.IntN(3)]
		}
		if r.IntN(4) == 0 {
			rec.TTL = 3600
		}
		if r.IntN(10) == 0 {
			rec.Enabled = false
		}
		return rec
	}
	unique := func(rs []model.Record) []model.Record {
		seen := map[model.Key]bool{}
		return slices.DeleteFunc(rs, func(x model.Record) bool {
			k := x.Key()
			if seen[k] {
				return true
			}
			seen[k] = true
			return false
		})
	}
	common := []model.Record{record(), record(), record()}
	var zs []zonePair
	for i := range 1 + r.IntN(3) {
		z := zonePair{name: fmt.Sprintf("d%d.example", i)}
		for range r.IntN(7) {
			z.live = append(z.live, record())
		}
		for range r.IntN(7) {
			switch x := r.IntN(3); {
			case x == 0 && len(z.live) > 0:
				z.desired = append(z.desired, z.live[r.IntN(len(z.live))])
			case x == 1:
				z.desired = append(z.desired, common[r.IntN(len(common))])
			default:
				z.desired = append(z.desired, record())
			}
		}
		z.live, z.desired = unique(z.live), unique(z.desired)
		zs = append(zs, z)
	}
	return buildState(zs)
}

// The planner never uses more write calls than the simple greedy packer,
// and its plans replay under DNSPod's rules to the desired state.
func TestPlannerNoWorseThanGreedy(t *testing.T) {
	cases := 3000
	if testing.Short() {
		cases = 500
	}
	better := 0
	for seed := range cases {
		r := rand.New(rand.NewPCG(uint64(seed), 13))
		desired, live := randomPair(r)
		modify, create := dnspod.DefaultMaxModifyIDs, dnspod.DefaultMaxCreateItems
		if r.IntN(3) == 0 {
			modify, create = 1+r.IntN(2), 1+r.IntN(3)
		}
		p := planWith(desired, live, modify, create)
		want := greedyCalls(desired, live, modify, create)
		if p.Cost.Batches > want {
			t.Fatalf("seed %d: %d write calls, the greedy packer needs %d\n%s\n%s", seed, p.Cost.Batches, want,
				strings.Join(batchLines(p), "\n"), showState(desired, live))
		}
		if p.Cost.Batches < want {
			better++
		}
		if _, err := simulate.Apply(live, p, simModels()); err != nil {
			t.Fatalf("seed %d: simulate: %v\n%s", seed, err, strings.Join(batchLines(p), "\n"))
		}
	}
	t.Logf("%d of %d plans use fewer calls than the greedy packer", better, cases)
}

// showState lists each zone's desired and live records.
func showState(desired *model.Desired, live *model.Live) string {
	var sb strings.Builder
	for _, dd := range desired.Domains {
		fmt.Fprintf(&sb, "%s desired:\n", dd.Name)
		for _, r := range dd.DNS.Records {
			fmt.Fprintf(&sb, "  %s\n", r)
		}
		fmt.Fprintf(&sb, "%s live:\n", dd.Name)
		for _, r := range live.Domain(dd.Name).DNS.Records {
			fmt.Fprintf(&sb, "  %s\n", r)
		}
	}
	return sb.String()
}

// Several CNAMEs on one name and line are DNSPod's CNAME load balancing
// (spec §5.4, error 500026): the planner adds one beside another as
// validate and the emulator accept it; an A record a CNAME replaces is
// removed first (a tie in calls goes to delete + create).
func TestPlannerCNAMESiblings(t *testing.T) {
	cname := func(v string) model.Record { return r1("cdn", model.TypeCNAME, v) }
	desired, live := buildState([]zonePair{{name: "one.example",
		live:    []model.Record{cname("a.cdn.example.net."), r1("www", model.TypeA, "192.0.2.1")},
		desired: []model.Record{cname("a.cdn.example.net."), cname("b.cdn.example.net."), r1("www", model.TypeCNAME, "a.cdn.example.net.")}}})
	p := planWith(desired, live, 0, 0)
	if len(p.Refusals) > 0 {
		t.Fatalf("refused: %v", p.Refusals)
	}
	want := []string{
		"Record.Remove: 1 record: 1002 (one.example)",
		"Batch.Record.Create: 2 records × 1 domain: one.example",
	}
	if d := gocmp.Diff(want, batchLines(p)); d != "" {
		t.Errorf("batches (-want +got):\n%s", d)
	}
	if _, err := simulate.Apply(live, p, simModels()); err != nil {
		t.Errorf("simulate: %v", err)
	}
}
