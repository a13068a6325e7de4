package diff

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
)

func numbered(n, ttl int) []model.Record {
	var rs []model.Record
	for i := range n {
		rs = append(rs, withTTL(rec(fmt.Sprintf("h%02d", i), "A", "192.0.2.1"), ttl))
	}
	return rs
}

func rules(p *plan.Plan) []string {
	var out []string
	for _, r := range p.Refusals {
		out = append(out, r.Domain+" "+r.Rule)
	}
	return out
}

func TestSafety(t *testing.T) {
	reg := func(ns ...string) *model.Registrar {
		return &model.Registrar{Provider: "aliyun", Nameservers: ns}
	}
	liveReg := func(name string, aliyun bool, ns ...string) model.LiveDomain {
		return model.LiveDomain{Name: name, Registrar: &model.LiveRegistrar{Nameservers: ns, AliyunDNS: aliyun}}
	}
	tests := []struct {
		name    string
		live    []model.LiveDomain
		desired []model.Domain
		opts    Options
		want    []string
		changes int
	}{
		{
			name:    "updates over 30% refused",
			live:    []model.LiveDomain{liveDom("a.com", "1", numbered(20, 600)...)},
			desired: []model.Domain{dom("a.com", desiredDNS(append(numbered(13, 600), numbered(20, 1200)[13:]...)...))},
			want:    []string{"a.com update-threshold"},
			changes: 7,
		},
		{
			name:    "force overrides thresholds",
			live:    []model.LiveDomain{liveDom("a.com", "1", numbered(20, 600)...)},
			desired: []model.Domain{dom("a.com", desiredDNS(numbered(20, 1200)...))},
			opts:    Options{Force: true},
			changes: 20,
		},
		{
			name:    "exactly 30% passes",
			live:    []model.LiveDomain{liveDom("a.com", "1", numbered(20, 600)...)},
			desired: []model.Domain{dom("a.com", desiredDNS(append(numbered(14, 600), numbered(20, 1200)[14:]...)...))},
			changes: 6,
		},
		{
			name:    "deletes over 30% refused",
			live:    []model.LiveDomain{liveDom("a.com", "1", numbered(20, 600)...)},
			desired: []model.Domain{dom("a.com", desiredDNS(numbered(13, 600)...))},
			want:    []string{"a.com delete-threshold"},
			changes: 7,
		},
		{
			name: "per-zone thresholds",
			live: []model.LiveDomain{liveDom("a.com", "1", numbered(20, 600)...)},
			desired: []model.Domain{dom("a.com", func() *model.DNS {
				d := desiredDNS(numbered(13, 600)...)
				d.Thresholds = model.Thresholds{DeletePercent: 50}
				return d
			}())},
			changes: 7,
		},
		{
			name:    "small zones are not checked",
			live:    []model.LiveDomain{liveDom("a.com", "1", numbered(9, 600)...)},
			desired: []model.Domain{dom("a.com", desiredDNS(numbered(1, 600)...))},
			changes: 8,
		},
		{
			name:    "empty desired zone refused even with force",
			live:    []model.LiveDomain{liveDom("a.com", "1", sysNS("f1g1ns1.dnspod.net."), rec("www", "A", "192.0.2.1"))},
			desired: []model.Domain{dom("a.com", desiredDNS())},
			opts:    Options{Force: true},
			want:    []string{"a.com empty-zone"},
			changes: 1,
		},
		{
			name:    "empty desired zone with consent",
			live:    []model.LiveDomain{liveDom("a.com", "1", rec("www", "A", "192.0.2.1"))},
			desired: []model.Domain{dom("a.com", desiredDNS())},
			opts:    Options{AllowEmptyZone: true},
			changes: 1,
		},
		{
			name:    "empty zone with only system rows is fine",
			live:    []model.LiveDomain{liveDom("a.com", "1", sysNS("f1g1ns1.dnspod.net."))},
			desired: []model.Domain{dom("a.com", desiredDNS())},
		},
		{
			name:    "nameserver change needs consent",
			live:    []model.LiveDomain{liveReg("a.com", false, "ns1.old.net", "ns2.old.net")},
			desired: []model.Domain{{Name: "a.com", Registrar: reg("ns1.new.net", "ns2.new.net")}},
			want:    []string{"a.com delegation"},
			changes: 1,
		},
		{
			name:    "AliyunDns flag change needs consent",
			live:    []model.LiveDomain{liveReg("a.com", false, "ns1.old.net")},
			desired: []model.Domain{{Name: "a.com", Registrar: &model.Registrar{Provider: "aliyun", AliyunDNS: true}}},
			want:    []string{"a.com delegation"},
			changes: 1,
		},
		{
			name:    "consent given",
			live:    []model.LiveDomain{liveReg("a.com", false, "ns1.old.net")},
			desired: []model.Domain{{Name: "a.com", Registrar: reg("ns1.new.net")}},
			opts:    Options{AllowDelegation: true},
			changes: 1,
		},
		{
			name:    "order, case and trailing dot do not matter",
			live:    []model.LiveDomain{liveReg("a.com", false, "ns1.x.net", "ns2.x.net")},
			desired: []model.Domain{{Name: "a.com", Registrar: reg("NS2.x.net.", "ns1.X.net")}},
		},
		{
			name:    "unknown zone",
			live:    []model.LiveDomain{{Name: "a.com"}},
			desired: []model.Domain{dom("a.com", desiredDNS(rec("www", "A", "192.0.2.1")))},
			want:    []string{"a.com unknown-domain"},
		},
		{
			name:    "TTL below the grade minimum",
			live:    []model.LiveDomain{liveDom("a.com", "1")},
			desired: []model.Domain{dom("a.com", desiredDNS(withTTL(rec("www", "A", "192.0.2.1"), 60)))},
			want:    []string{"a.com provider-rules"},
			changes: 1,
		},
		{
			name: "ignored and system records are never changed",
			live: []model.LiveDomain{liveDom("a.com", "1", sysNS("f1g1ns1.dnspod.net."), rec("_acme", "TXT", "token"), rec("www", "A", "192.0.2.1"))},
			desired: []model.Domain{dom("a.com", func() *model.DNS {
				d := desiredDNS(rec("www", "A", "192.0.2.1"), sysNS("f1g1ns1.dnspod.net."))
				d.Ignore = []model.Ignore{{Name: "_acme*", Type: "TXT"}}
				return d
			}())},
		},
		{
			name: "upsert-only keeps other record sets",
			live: []model.LiveDomain{liveDom("a.com", "1", rec("www", "A", "192.0.2.1"), rec("old", "A", "192.0.2.1"))},
			desired: []model.Domain{dom("a.com", func() *model.DNS {
				d := desiredDNS(rec("www", "A", "192.0.2.2"), rec("new", "A", "192.0.2.1"))
				d.Policy = model.PolicyUpsertOnly
				return d
			}())},
			changes: 3, // www 192.0.2.1 replaced (delete + create is as cheap as a modify), new created; old kept
		},
		{
			name: "create-only never updates",
			live: []model.LiveDomain{liveDom("a.com", "1", rec("www", "A", "192.0.2.1"))},
			desired: []model.Domain{dom("a.com", func() *model.DNS {
				d := desiredDNS(withTTL(rec("www", "A", "192.0.2.1"), 1200), rec("www", "A", "192.0.2.2"))
				d.Policy = model.PolicyCreateOnly
				return d
			}())},
			changes: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := planT(&model.Desired{Domains: tt.desired}, &model.Live{Domains: tt.live}, tt.opts)
			if d := cmp.Diff(tt.want, rules(p)); d != "" {
				t.Errorf("refusals (-want +got):\n%s\n%s", d, describe(p))
			}
			if len(p.Changes) != tt.changes {
				t.Errorf("%d changes, want %d\n%s", len(p.Changes), tt.changes, describe(p))
			}
		})
	}
}

// TestRefusalWording: a refusal's reason states the facts once; how to lift
// it is render.Remedy's to say, so no reason carries a remedy of its own,
// and name lists read as text, never as a Go slice.
func TestRefusalWording(t *testing.T) {
	tests := []struct {
		name    string
		live    model.LiveDomain
		desired model.Domain
		want    string
	}{
		{
			name:    "update threshold",
			live:    liveDom("a.com", "1", numbered(20, 600)...),
			desired: dom("a.com", desiredDNS(append(numbered(13, 600), numbered(20, 1200)[13:]...)...)),
			want:    "7 updates of 20 existing records exceed 30%",
		},
		{
			name:    "delete threshold",
			live:    liveDom("a.com", "1", numbered(20, 600)...),
			desired: dom("a.com", desiredDNS(numbered(13, 600)...)),
			want:    "7 deletes of 20 existing records exceed 30%",
		},
		{
			name:    "delegation",
			live:    model.LiveDomain{Name: "a.com", Registrar: &model.LiveRegistrar{Nameservers: []string{"ns1.old.net", "ns2.old.net"}}},
			desired: model.Domain{Name: "a.com", Registrar: &model.Registrar{Provider: "aliyun", Nameservers: []string{"ns1.new.net", "ns2.new.net"}}},
			want:    "delegation change ns1.old.net, ns2.old.net → ns1.new.net, ns2.new.net needs explicit consent",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := planT(&model.Desired{Domains: []model.Domain{tt.desired}}, &model.Live{Domains: []model.LiveDomain{tt.live}}, Options{})
			if len(p.Refusals) != 1 {
				t.Fatalf("refusals %v, want one", rules(p))
			}
			if got := p.Refusals[0].Reason; got != tt.want {
				t.Errorf("reason %q, want %q", got, tt.want)
			}
		})
	}
}
