package diff

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers/aliyun"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
	"github.com/dnssync/dnssync/internal/simulate"
)

// gen draws desired/live pairs from small alphabets so that conflicts
// (CNAME beside other data), swaps, renames and line changes are common.
type gen struct {
	r     *rand.Rand
	rules dnspodrules.Options
}

var (
	genNames   = []string{"@", "www", "api", "mail", "x.y"}
	genLines   = []string{model.DefaultLine, line2}
	genTypes   = []string{model.TypeA, model.TypeA, model.TypeAAAA, model.TypeCNAME, model.TypeCNAME, model.TypeMX, model.TypeTXT}
	genTargets = []string{"a.example.net.", "b.example.net.", "c.example.net."}
)

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
	r := model.Record{Name: pick(g.r, genNames), Type: pick(g.r, genTypes), TTL: 600, Enabled: g.r.IntN(10) > 0}
	r.Line = model.DefaultLine
	if g.r.IntN(4) == 0 {
		r.Line = line2
	}
	r.Value = g.value(r.Type)
	if r.Type == model.TypeMX {
		r.MX = 5 * (1 + g.r.IntN(2))
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
			r.Line = pick(g.r, genLines)
		case 3:
			r.Value = g.value(r.Type)
		case 4:
			if r.Type == model.TypeMX {
				r.MX = 15 - r.MX
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
// the zone valid under the rules; it returns the records added.
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

func (g *gen) ignores() []model.Ignore {
	switch g.r.IntN(6) {
	case 0:
		return []model.Ignore{{Name: "mail"}}
	case 1:
		return []model.Ignore{{Type: model.TypeTXT, Value: "t3"}}
	case 2:
		return []model.Ignore{{Name: "x.*"}}
	}
	return nil
}

// pair builds one desired/live pair of up to three domains.
func (g *gen) pair() (*model.Desired, *model.Live) {
	nd := 1 + g.r.IntN(3)
	doms := make([]string, nd)
	for i := range doms {
		doms[i] = fmt.Sprintf("d%d.test", i)
	}
	nsPool := []string{"ns1.dnspod.net", "ns2.dnspod.net"}
	for _, d := range doms {
		nsPool = append(nsPool, "ns1."+d, "ns2."+d)
	}
	ips := []string{"192.0.2.53", "198.51.100.53", "2001:db8::53"}
	desired, live := &model.Desired{}, &model.Live{}
	regManaged := make([]bool, nd)
	liveNS, wantNS := make([][]string, nd), make([][]string, nd)
	for i := range doms {
		regManaged[i] = g.r.IntN(10) < 7
		liveNS[i] = []string{"ns1.dnspod.net", "ns2.dnspod.net"}
		wantNS[i] = liveNS[i]
		if regManaged[i] {
			if g.r.IntN(2) == 0 {
				liveNS[i] = []string{pick(g.r, nsPool), pick(g.r, nsPool)}
			}
			if g.r.IntN(2) == 0 {
				wantNS[i] = []string{pick(g.r, nsPool), pick(g.r, nsPool)}
			} else {
				wantNS[i] = slices.Clone(liveNS[i])
				if g.r.IntN(2) == 0 {
					wantNS[i][0] = strings.ToUpper(wantNS[i][0]) + "."
				}
			}
		}
	}
	inDomain := func(ns, d string) bool { return strings.HasSuffix(ns, "."+d) }
	for i, d := range doms {
		ld := model.LiveDomain{Name: d}
		dd := model.Domain{Name: d, Unicode: d}
		// Registrar.
		lr := &model.LiveRegistrar{InstanceID: "inst-" + d, Nameservers: nsSet(liveNS[i])}
		hosts := map[string]bool{}
		for j := range doms {
			for _, ns := range liveNS[j] {
				if inDomain(ns, d) {
					hosts[ns] = true
				}
			}
		}
		if g.r.IntN(3) == 0 {
			hosts["ns3."+d] = true
		}
		wantHosts := map[string]bool{}
		for j := range doms {
			for _, ns := range wantNS[j] {
				if inDomain(model.Host(ns), d) {
					wantHosts[model.Host(ns)] = true
				}
			}
		}
		manageHosts := regManaged[i] && g.r.IntN(10) < 7
		if !manageHosts {
			for h := range wantHosts {
				hosts[h] = true // unmanaged hosts must already serve every delegation
			}
		} else if g.r.IntN(3) == 0 {
			wantHosts["ns3."+d] = true
		}
		for _, h := range slices.Sorted(mapsKeys(hosts)) {
			lr.DNSHosts = append(lr.DNSHosts, model.DNSHost{Host: h, IPs: []string{pick(g.r, ips)}})
		}
		ld.Registrar = lr
		if regManaged[i] {
			reg := &model.Registrar{Provider: "aliyun", Nameservers: wantNS[i], ManageHosts: manageHosts}
			if g.r.IntN(10) == 0 {
				reg.AliyunDNS, reg.Nameservers = true, nil
			}
			for _, h := range slices.Sorted(mapsKeys(wantHosts)) {
				reg.DNSHosts = append(reg.DNSHosts, model.DNSHost{Host: h, IPs: []string{pick(g.r, ips)}})
			}
			dd.Registrar = reg
		}

		// Records.
		if g.r.IntN(10) < 9 {
			n := 0
			alloc := func() string { n++; return fmt.Sprintf("%d-%d", i, n) }
			sys := []model.Record{sysNS("f1g1ns1.dnspod.net."), sysNS("f1g1ns2.dnspod.net.")}
			for k := range sys {
				sys[k].ID = alloc()
			}
			lrecs := append(slices.Clone(sys), g.fill(sys, g.r.IntN(9), g.record, nil, alloc)...)
			ld.DNS = &model.LiveDNS{DomainID: fmt.Sprint(100 + i), Records: lrecs}
			spec := &model.DNS{Provider: "dnspod", TTL: 600, Policy: model.PolicySync, Ignore: g.ignores()}
			switch g.r.IntN(10) {
			case 0:
				spec.Policy = model.PolicyUpsertOnly
			case 1:
				spec.Policy = model.PolicyCreateOnly
			}
			// Desired must be valid next to what stays: system rows and
			// ignored live records.
			base := slices.Clone(sys)
			var managed []model.Record
			for _, r := range lrecs[len(sys):] {
				if Ignored(spec.Ignore, r) {
					base = append(base, r)
				} else {
					managed = append(managed, r)
				}
			}
			next := g.record
			if len(managed) > 0 && g.r.IntN(2) == 0 {
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
			drecs := g.fill(base, g.r.IntN(9), next, func(r model.Record) bool { return !Ignored(spec.Ignore, r) },
				func() string { m++; return fmt.Sprintf("want-%d", m) })
			for k := range drecs {
				drecs[k].ID = ""
				drecs[k].Pos = model.Pos{File: d + ".yaml", Line: k + 1}
			}
			spec.Records = drecs
			dd.DNS = spec
		}
		live.Domains = append(live.Domains, ld)
		desired.Domains = append(desired.Domains, dd)
	}
	return desired, live
}

func mapsKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func shuffled(r *rand.Rand, desired *model.Desired, live *model.Live) (*model.Desired, *model.Live) {
	d := &model.Desired{Domains: slices.Clone(desired.Domains)}
	r.Shuffle(len(d.Domains), func(i, j int) { d.Domains[i], d.Domains[j] = d.Domains[j], d.Domains[i] })
	for i := range d.Domains {
		if s := d.Domains[i].DNS; s != nil {
			c := *s
			c.Records = slices.Clone(s.Records)
			r.Shuffle(len(c.Records), func(a, b int) { c.Records[a], c.Records[b] = c.Records[b], c.Records[a] })
			d.Domains[i].DNS = &c
		}
		if s := d.Domains[i].Registrar; s != nil {
			c := *s
			c.Nameservers = slices.Clone(s.Nameservers)
			slices.Reverse(c.Nameservers)
			c.DNSHosts = slices.Clone(s.DNSHosts)
			slices.Reverse(c.DNSHosts)
			d.Domains[i].Registrar = &c
		}
	}
	l := &model.Live{Domains: slices.Clone(live.Domains)}
	r.Shuffle(len(l.Domains), func(i, j int) { l.Domains[i], l.Domains[j] = l.Domains[j], l.Domains[i] })
	for i := range l.Domains {
		if s := l.Domains[i].DNS; s != nil {
			c := *s
			c.Records = slices.Clone(s.Records)
			r.Shuffle(len(c.Records), func(a, b int) { c.Records[a], c.Records[b] = c.Records[b], c.Records[a] })
			l.Domains[i].DNS = &c
		}
	}
	return d, l
}

// mergeKey is what decides whether two batches could have been one call.
func mergeKey(b plan.Batch) (string, bool) {
	d, a := dp(b), ap(b)
	switch b.Op {
	case dnspod.OpModify:
		return fmt.Sprintf("%s|%s|%s=%s|%s|%d", b.Provider, b.Op, d.Field, d.To, d.Value, d.MX), true
	case dnspod.OpCreate:
		return fmt.Sprintf("%s|%s|%v", b.Provider, b.Op, d.Records), true
	case aliyun.OpModifyDomainDNS:
		return fmt.Sprintf("%s|%s|%v|%t", b.Provider, b.Op, a.Nameservers, a.AliyunDNS), true
	}
	return "", false
}

func checkMinimalStages(t *testing.T, p *plan.Plan, opts Options) {
	t.Helper()
	maxModify, maxCreate := opts.Planners["dnspod"].(*dnspod.Planner).Limits()
	maxDomains := opts.Planners["aliyun"].(*aliyun.Planner).MaxDomains()
	for _, s := range p.Stages {
		same := map[string][]plan.Batch{}
		for _, b := range s.Batches {
			if k, ok := mergeKey(b); ok {
				same[k] = append(same[k], b)
			}
		}
		for k, bs := range same {
			if len(bs) < 2 {
				continue
			}
			total, limit := 0, 0
			for _, b := range bs {
				switch b.Op {
				case dnspod.OpModify:
					total, limit = total+len(dp(b).RecordIDs), maxModify
				case dnspod.OpCreate:
					total, limit = total+len(dp(b).Records)*len(b.Domains), maxCreate
				default:
					total, limit = total+len(b.Domains), maxDomains
				}
			}
			if total <= limit {
				t.Fatalf("stage %s: %d batches %s could have been one call (%d items, limit %d)", s.Name, len(bs), k, total, limit)
			}
		}
	}
}

func keysOnly(recs []model.Record, ig []model.Ignore) []string {
	var out []string
	for _, r := range recs {
		if !r.System && !Ignored(ig, r) {
			out = append(out, fmt.Sprint(r.Key()))
		}
	}
	return out
}

func rows(recs []model.Record) map[string]string {
	m := map[string]string{}
	for _, r := range recs {
		m[r.ID] = fmt.Sprintf("%s %s %s %s %d %d %t", r.Name, r.Type, r.Line, r.Value, r.MX, r.TTL, r.Enabled)
	}
	return m
}

// checkPolicy asserts the end state each policy promises.
func checkPolicy(t *testing.T, desired *model.Desired, before, after *model.Live) {
	t.Helper()
	checkConverged(t, desired, after)
	for _, dd := range desired.Domains {
		if dd.DNS == nil {
			continue
		}
		lb, la := before.Domain(dd.Name).DNS, after.Domain(dd.Name).DNS
		rb, ra := rows(lb.Records), rows(la.Records)
		for _, r := range lb.Records {
			if (r.System || Ignored(dd.DNS.Ignore, r)) && ra[r.ID] != rb[r.ID] {
				t.Errorf("%s: untouchable record %s changed to %q", dd.Name, r, ra[r.ID])
			}
		}
		if dd.DNS.Policy == model.PolicySync {
			continue
		}
		got, want := state(la.Records, dd.DNS.Ignore), state(dd.DNS.Records, dd.DNS.Ignore)
		if dd.DNS.Policy == model.PolicyCreateOnly {
			// create-only never updates: compare record identity only.
			got, want = keysOnly(la.Records, dd.DNS.Ignore), keysOnly(dd.DNS.Records, dd.DNS.Ignore)
		}
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("%s (%s): desired %q missing", dd.Name, dd.DNS.Policy, w)
			}
		}
		type rrset struct{ n, t, l string }
		sets := map[rrset]bool{}
		for _, r := range dd.DNS.Records {
			sets[rrset{r.Name, r.Type, r.Line}] = true
		}
		for _, r := range lb.Records {
			if r.System || Ignored(dd.DNS.Ignore, r) {
				continue
			}
			if dd.DNS.Policy == model.PolicyCreateOnly || !sets[rrset{r.Name, r.Type, r.Line}] {
				if ra[r.ID] != rb[r.ID] {
					t.Errorf("%s (%s): record %s should be untouched, now %q", dd.Name, dd.DNS.Policy, r, ra[r.ID])
				}
			}
		}
	}
}

func TestPlanProperties(t *testing.T) {
	cases := 3000
	if testing.Short() {
		cases = 500
	}
	runProperties(t, cases, dnspodrules.DefaultOptions())
}

// TestPlanPropertiesStrictRules repeats the properties under a free-grade
// round-robin limit and without DNSPod's apex CNAME tolerance.
func TestPlanPropertiesStrictRules(t *testing.T) {
	rules := dnspodrules.DefaultOptions()
	rules.RoundRobinLimit = 2
	rules.ApexCNAMEAllowsMXTXT = false
	runProperties(t, 1000, rules)
}

func runProperties(t *testing.T, cases int, rules dnspodrules.Options) {
	stats := map[string]int{}
	for seed := range cases {
		r := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
		g := &gen{r: r, rules: rules}
		desired, live := g.pair()
		tu := tuning{rules: &rules}
		if r.IntN(4) == 0 {
			tu.modify, tu.create, tu.ns = 1+r.IntN(2), 1+r.IntN(3), 1
		}
		opts := tuned(Options{Force: true, AllowDelegation: true, AllowEmptyZone: true}, tu)
		p := planT(desired, live, opts)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("seed %d: %s\ndesired: %+v\nlive: %+v\n%s", seed, fmt.Sprintf(format, args...), desired, live, describe(p))
		}

		// Deterministic, whatever the input order.
		d2, l2 := shuffled(r, desired, live)
		if diff := cmp.Diff(p, planT(d2, l2, opts)); diff != "" {
			fail("plan depends on input order (-first +shuffled):\n%s", diff)
		}
		checkMinimalStages(t, p, opts)

		policyOnly := false
		for _, dd := range desired.Domains {
			if dd.DNS != nil && dd.DNS.Policy != model.PolicySync {
				policyOnly = true
			}
		}
		if len(p.Refusals) > 0 {
			if !policyOnly {
				fail("unexpected refusals %v", p.Refusals)
			}
			stats["refused (policy keeps conflicting records)"]++
			continue
		}
		after, err := simulate.Apply(live, p, models(rules))
		if err != nil {
			fail("simulation: %v", err)
		}
		checkPolicy(t, desired, live, after)
		if t.Failed() {
			fail("end state wrong")
		}
		// A fresh plan from the end state must be empty.
		if again := planT(desired, after, opts); !again.Empty() {
			fail("plan after apply is not empty:\n%s", describe(again))
		}
		for _, c := range p.Changes {
			stats[string(c.Kind)]++
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
		}
	}
	t.Logf("coverage: %v", stats)
	for _, k := range []string{"update:value", "update:name", "update:line", "update:type+value", "update:mx",
		"plans with clearing deletes", "host-sync", "nameservers"} {
		if stats[k] == 0 {
			t.Errorf("generator never produced %q", k)
		}
	}
}
