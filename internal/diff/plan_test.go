package diff

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
	"github.com/dnssync/dnssync/internal/simulate"
)

// state renders managed records as comparable strings.
func state(recs []model.Record, ig []model.Ignore) []string {
	var out []string
	for _, r := range recs {
		if r.System || Ignored(ig, r) {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s %s %s %d ttl=%d on=%t", r.Name, r.Type, r.Line,
			model.CompareValue(r.Type, r.Value), r.MX, r.TTL, r.Enabled))
	}
	slices.Sort(out)
	return out
}

// checkConverged asserts that after the plan every synced zone holds
// exactly its desired records.
func checkConverged(t *testing.T, desired *model.Desired, after *model.Live) {
	t.Helper()
	for _, dd := range desired.Domains {
		ld := after.Domain(dd.Name)
		if dd.DNS != nil && dd.DNS.Policy == model.PolicySync {
			if d := cmp.Diff(state(dd.DNS.Records, dd.DNS.Ignore), state(ld.DNS.Records, dd.DNS.Ignore)); d != "" {
				t.Errorf("%s: zone did not converge (-want +got):\n%s", dd.Name, d)
			}
		}
		if dd.Registrar != nil {
			if dd.Registrar.AliyunDNS != ld.Registrar.AliyunDNS ||
				!dd.Registrar.AliyunDNS && !slices.Equal(nsSet(dd.Registrar.Nameservers), nsSet(ld.Registrar.Nameservers)) {
				t.Errorf("%s: nameservers %v aliyun=%t, want %v aliyun=%t", dd.Name, ld.Registrar.Nameservers,
					ld.Registrar.AliyunDNS, dd.Registrar.Nameservers, dd.Registrar.AliyunDNS)
			}
			if dd.Registrar.ManageHosts {
				if d := cmp.Diff(hostMap(dd.Name, dd.Registrar.DNSHosts), hostMap(dd.Name, ld.Registrar.DNSHosts),
					cmpIgnorePos); d != "" {
					t.Errorf("%s: hosts differ (-want +got):\n%s", dd.Name, d)
				}
			}
		}
	}
}

var cmpIgnorePos = cmp.Transformer("nopos", func(h model.DNSHost) model.DNSHost { h.Pos = model.Pos{}; return h })

func TestHardCases(t *testing.T) {
	ttlMany := func(n, ttl int) []model.Record {
		var rs []model.Record
		for i := range n {
			rs = append(rs, withTTL(rec(fmt.Sprintf("h%03d", i), "A", "192.0.2.1"), ttl))
		}
		return rs
	}
	tests := []struct {
		name    string
		live    []model.LiveDomain
		desired []model.Domain
		opts    Options
		want    []string
		cost    *plan.Cost
	}{
		{
			name: "A to CNAME on a name holding several A records",
			live: []model.LiveDomain{liveDom("example.com", "1", sysNS("f1g1ns1.dnspod.net."),
				rec("www", "A", "192.0.2.1"), rec("www", "A", "192.0.2.2"), rec("www", "A", "192.0.2.3"), rec("api", "A", "192.0.2.9"))},
			desired: []model.Domain{dom("example.com", desiredDNS(rec("www", "CNAME", "edge.example.net."), rec("api", "A", "192.0.2.9")))},
			want: []string{
				"records-clear Record.Remove 1-3",
				"records-clear Record.Remove 1-4",
				"records Batch.Record.Modify record_type=CNAME value=edge.example.net. x1",
			},
		},
		{
			name:    "swap values between two names",
			live:    []model.LiveDomain{liveDom("example.com", "1", rec("www", "A", "192.0.2.1"), rec("api", "A", "192.0.2.2"))},
			desired: []model.Domain{dom("example.com", desiredDNS(rec("www", "A", "192.0.2.2"), rec("api", "A", "192.0.2.1")))},
			want: []string{
				"records Batch.Record.Modify value=192.0.2.1 x1",
				"records Batch.Record.Modify value=192.0.2.2 x1",
			},
		},
		{
			name:    "swap MX priorities on one name",
			live:    []model.LiveDomain{liveDom("example.com", "1", withMX(rec("@", "MX", "a.example.net."), 10), withMX(rec("@", "MX", "b.example.net."), 20))},
			desired: []model.Domain{dom("example.com", desiredDNS(withMX(rec("@", "MX", "a.example.net."), 20), withMX(rec("@", "MX", "b.example.net."), 10)))},
			want: []string{
				"records Batch.Record.Modify value=a.example.net. x1",
				"records Batch.Record.Modify value=b.example.net. x1",
			},
		},
		{
			name:    "swap A and CNAME between two names",
			live:    []model.LiveDomain{liveDom("example.com", "1", rec("www", "A", "192.0.2.1"), rec("web", "CNAME", "x.example.net."))},
			desired: []model.Domain{dom("example.com", desiredDNS(rec("web", "A", "192.0.2.1"), rec("www", "CNAME", "x.example.net.")))},
			want: []string{
				"records Batch.Record.Modify record_type=A value=192.0.2.1 x1",
				"records Batch.Record.Modify record_type=CNAME value=x.example.net. x1",
			},
		},
		{
			name:    "rename",
			live:    []model.LiveDomain{liveDom("example.com", "1", rec("www", "A", "192.0.2.1"))},
			desired: []model.Domain{dom("example.com", desiredDNS(rec("web", "A", "192.0.2.1")))},
			want:    []string{"records Batch.Record.Modify sub_domain=web x1"},
		},
		{
			name: "rename onto a name whose CNAME goes away",
			live: []model.LiveDomain{liveDom("example.com", "1", rec("www", "A", "192.0.2.1"), rec("www", "A", "192.0.2.2"),
				rec("web", "CNAME", "x.example.net."))},
			desired: []model.Domain{dom("example.com", desiredDNS(rec("web", "A", "192.0.2.1"), rec("web", "A", "192.0.2.2")))},
		},
		{
			name:    "line change",
			live:    []model.LiveDomain{liveDom("example.com", "1", rec("www", "A", "192.0.2.1"))},
			desired: []model.Domain{dom("example.com", desiredDNS(withLine(rec("www", "A", "192.0.2.1"), line2)))},
			want:    []string{"records Batch.Record.Modify area=电信 x1"},
		},
		{
			name: "line change onto a line holding a CNAME that goes",
			live: []model.LiveDomain{liveDom("example.com", "1", rec("www", "A", "192.0.2.1"), withLine(rec("www", "CNAME", "x.example.net."), line2),
				rec("api", "A", "192.0.2.5"))},
			desired: []model.Domain{dom("example.com", desiredDNS(withLine(rec("www", "A", "192.0.2.1"), line2), rec("api", "A", "192.0.2.5")))},
		},
		{
			name:    "MX priority change",
			live:    []model.LiveDomain{liveDom("example.com", "1", withMX(rec("@", "MX", "mx.example.net."), 10))},
			desired: []model.Domain{dom("example.com", desiredDNS(withMX(rec("@", "MX", "mx.example.net."), 20)))},
			want:    []string{"records Batch.Record.Modify mx=20 x1"},
		},
		{
			name:    "disable and enable",
			live:    []model.LiveDomain{liveDom("example.com", "1", rec("a", "A", "192.0.2.1"), rec("b", "A", "192.0.2.1"), disabled(rec("c", "A", "192.0.2.1")))},
			desired: []model.Domain{dom("example.com", desiredDNS(disabled(rec("a", "A", "192.0.2.1")), disabled(rec("b", "A", "192.0.2.1")), rec("c", "A", "192.0.2.1")))},
			want: []string{
				"records Batch.Record.Modify status=disable x2",
				"records Batch.Record.Modify status=enable x1",
			},
		},
		{
			name:    "TTL-only change across many records is one batch",
			live:    []model.LiveDomain{liveDom("example.com", "1", ttlMany(150, 600)...)},
			desired: []model.Domain{dom("example.com", desiredDNS(ttlMany(150, 3600)...))},
			opts:    Options{Force: true},
			want:    []string{"records Batch.Record.Modify ttl=3600 x150"},
			cost:    &plan.Cost{Batches: 1, APICalls: 2, Tasks: 1, LowerBound: 1, PerRecordCalls: 150},
		},
		{
			name:    "TTL-only change split at the batch limit",
			live:    []model.LiveDomain{liveDom("example.com", "1", ttlMany(5, 600)...)},
			desired: []model.Domain{dom("example.com", desiredDNS(ttlMany(5, 3600)...))},
			opts:    tuned(Options{Force: true}, tuning{modify: 2}),
			want: []string{
				"records Batch.Record.Modify ttl=3600 x2",
				"records Batch.Record.Modify ttl=3600 x2",
				"records Batch.Record.Modify ttl=3600 x1",
			},
		},
		{
			name: "identical create sets in two domains share one call",
			live: []model.LiveDomain{liveDom("a.com", "1"), liveDom("b.com", "2"), liveDom("c.com", "3", rec("x", "A", "192.0.2.7"))},
			desired: []model.Domain{
				dom("a.com", desiredDNS(rec("www", "A", "192.0.2.1"), rec("@", "MX", "mx.example.net."))),
				dom("b.com", desiredDNS(rec("www", "A", "192.0.2.1"), rec("@", "MX", "mx.example.net."))),
				dom("c.com", desiredDNS(rec("x", "A", "192.0.2.7"), rec("www", "A", "192.0.2.1"))),
			},
			want: []string{
				"records Batch.Record.Create 2 records x2 domains",
				"records Batch.Record.Create 1 records x1 domains",
			},
			cost: &plan.Cost{Batches: 2, APICalls: 4, Tasks: 2, LowerBound: 1, PerRecordCalls: 5},
		},
		{
			name: "value change shared across domains",
			live: []model.LiveDomain{liveDom("a.com", "1", rec("www", "A", "192.0.2.1")), liveDom("b.com", "2", rec("www", "A", "192.0.2.2"))},
			desired: []model.Domain{
				dom("a.com", desiredDNS(rec("www", "A", "192.0.2.9"))),
				dom("b.com", desiredDNS(rec("www", "A", "192.0.2.9"))),
			},
			want: []string{"records Batch.Record.Modify value=192.0.2.9 x2"},
		},
		{
			name: "type with value and ttl are two groups",
			live: []model.LiveDomain{liveDom("example.com", "1", rec("a", "A", "192.0.2.1"), rec("b", "A", "192.0.2.2"), rec("c", "A", "192.0.2.3"))},
			desired: []model.Domain{dom("example.com", desiredDNS(withTTL(rec("a", "CNAME", "x.example.net."), 1200),
				withTTL(rec("b", "CNAME", "x.example.net."), 1200), withTTL(rec("c", "CNAME", "x.example.net."), 1200)))},
			opts: Options{Force: true},
			want: []string{
				"records Batch.Record.Modify ttl=1200 x3",
				"records Batch.Record.Modify record_type=CNAME value=x.example.net. x3",
			},
		},
		{
			name:    "a single type and ttl change is cheaper as delete and create",
			live:    []model.LiveDomain{liveDom("example.com", "1", rec("www", "A", "192.0.2.1"))},
			desired: []model.Domain{dom("example.com", desiredDNS(withTTL(rec("www", "CNAME", "x.example.net."), 1200)))},
			want: []string{
				"records-clear Record.Remove 1-1",
				"records Batch.Record.Create 1 records x1 domains",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := &model.Live{Domains: tt.live}
			desired := &model.Desired{Domains: tt.desired}
			p := planT(desired, live, tt.opts)
			if tt.want != nil {
				if d := cmp.Diff(tt.want, batchSummary(p)); d != "" {
					t.Errorf("batches (-want +got):\n%s\n%s", d, describe(p))
				}
			}
			if tt.cost != nil {
				if d := cmp.Diff(*tt.cost, p.Cost); d != "" {
					t.Errorf("cost (-want +got):\n%s", d)
				}
			}
			if len(p.Refusals) > 0 {
				t.Errorf("unexpected refusals: %v", p.Refusals)
			}
			checkConverged(t, desired, mustSimulate(t, live, p))
			if t.Failed() {
				t.Log(describe(p))
			}
		})
	}
}

// TestSimulatorCatchesBadOrder proves the validity checks can fail: the
// plan for A → CNAME with its clearing removals merged into the write stage
// (or moved after it) is rejected.
func TestSimulatorCatchesBadOrder(t *testing.T) {
	live := &model.Live{Domains: []model.LiveDomain{liveDom("example.com", "1",
		rec("www", "A", "192.0.2.1"), rec("www", "A", "192.0.2.2"))}}
	desired := &model.Desired{Domains: []model.Domain{dom("example.com", desiredDNS(rec("www", "CNAME", "edge.example.net.")))}}
	p := planT(desired, live, Options{})
	mustSimulate(t, live, p)
	if len(p.Stages) != 2 || p.Stages[0].Name != "records-clear" {
		t.Fatalf("unexpected plan:\n%s", describe(p))
	}
	merged := *p
	merged.Stages = []plan.Stage{{Name: "merged", Batches: append(slices.Clone(p.Stages[0].Batches), p.Stages[1].Batches...)}}
	if _, err := simulate.Apply(live, &merged, models(dnspodrules.DefaultOptions())); !errors.Is(err, simulate.ErrInvalid) {
		t.Errorf("merged stages accepted: %v", err)
	}
	swapped := *p
	swapped.Stages = []plan.Stage{p.Stages[1], p.Stages[0]}
	if _, err := simulate.Apply(live, &swapped, models(dnspodrules.DefaultOptions())); !errors.Is(err, simulate.ErrInvalid) {
		t.Errorf("removals after the conversion accepted: %v", err)
	}
}

// The 20,000-record benchmark zone counts as a person (and octoDNS and
// DNSControl) counts it: 667 to update, 667 to create, 666 to delete, the
// value changes included whether they are modified or replaced.
func TestBenchZoneSummary(t *testing.T) {
	desired, live := benchZoneState(20_000)
	p := planT(desired, live, Options{Force: true})
	want := plan.Counts{Updates: 667, Creates: 667, Deletes: 666}
	if d := cmp.Diff(want, p.Summary.Total); d != "" {
		t.Errorf("summary (-want +got):\n%s", d)
	}
	mustSimulate(t, live, p)
}

// TestPlanContextCancelled: a cancelled context stops planning with its
// cause and no plan.
func TestPlanContextCancelled(t *testing.T) {
	live := &model.Live{Domains: []model.LiveDomain{liveDom("example.com", "1", rec("www", "A", "192.0.2.1"))}}
	desired := &model.Desired{Domains: []model.Domain{dom("example.com", desiredDNS(rec("www", "A", "192.0.2.2")))}}
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("interrupted")
	cancel(stop)
	p, err := PlanContext(ctx, desired, live, Options{Planners: planners(tuning{})})
	if p != nil || !errors.Is(err, stop) {
		t.Fatalf("PlanContext = %v, %v; want no plan and the cause", p, err)
	}
	if p, err := PlanContext(context.Background(), desired, live, Options{Planners: planners(tuning{})}); err != nil || len(p.Changes) != 1 {
		t.Fatalf("PlanContext without cancellation = %v, %v", p, err)
	}
}
