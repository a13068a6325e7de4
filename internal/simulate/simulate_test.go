package simulate

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers/aliyun"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

func rec(id, name, typ, value string) model.Record {
	r := model.Record{ID: id, Name: name, Type: typ, Line: model.DefaultLine, Value: value, TTL: 600, Enabled: true}
	if typ == model.TypeMX {
		r.MX = 10
	}
	return r
}

func liveWith(recs ...model.Record) *model.Live {
	return &model.Live{Domains: []model.LiveDomain{
		{Name: "example.com", DNS: &model.LiveDNS{DomainID: "7", Records: recs},
			Registrar: &model.LiveRegistrar{Nameservers: []string{"ns1.dnspod.net", "ns2.dnspod.net"},
				DNSHosts: []model.DNSHost{{Host: "ns1.example.com", IPs: []string{"192.0.2.53"}}}}},
		{Name: "other.org", Registrar: &model.LiveRegistrar{Nameservers: []string{"ns1.example.com"}}},
	}}
}

func modify(field, to, value string, ids ...string) plan.Batch {
	return dnspod.NewBatch("dnspod", dnspod.OpModify, []string{"example.com"}, dnspod.Payload{DomainIDs: []string{"7"},
		RecordIDs: ids, Field: field, To: to, Value: value})
}

func remove(id string) plan.Batch {
	return dnspod.NewBatch("dnspod", dnspod.OpRemove, []string{"example.com"}, dnspod.Payload{DomainIDs: []string{"7"}, RecordIDs: []string{id}})
}

func create(recs ...model.Record) plan.Batch {
	return dnspod.NewBatch("dnspod", dnspod.OpCreate, []string{"example.com"}, dnspod.Payload{DomainIDs: []string{"7"}, Records: recs})
}

func reg(id string, op plan.Op, domain string, p aliyun.Payload) plan.Batch {
	b := aliyun.NewBatch("aliyun", op, []string{domain}, p)
	b.ID = id
	return b
}

// models are the test providers' simulators.
func models() map[string]Factory {
	rules := dnspodrules.DefaultOptions()
	return map[string]Factory{
		"dnspod": func(l *model.Live, alloc func() string) Model { return dnspod.NewSim(l, rules, alloc) },
		"aliyun": func(l *model.Live, _ func() string) Model { return aliyun.NewSim(l) },
	}
}

func stages(batches ...[]plan.Batch) *plan.Plan {
	p := &plan.Plan{}
	for i, bs := range batches {
		p.Stages = append(p.Stages, plan.Stage{Name: "s" + string(rune('1'+i)), Batches: bs})
	}
	return p
}

func TestApply(t *testing.T) {
	threeA := []model.Record{rec("1", "www", "A", "192.0.2.1"), rec("2", "www", "A", "192.0.2.2"), rec("3", "api", "A", "192.0.2.3")}
	tests := []struct {
		name    string
		live    *model.Live
		plan    *plan.Plan
		wantErr string // substring; "" = valid
		want    []string
	}{
		{
			name: "clear then convert to CNAME",
			live: liveWith(threeA...),
			plan: stages([]plan.Batch{remove("2")}, []plan.Batch{modify("record_type", "CNAME", "edge.example.net.", "1")}),
			want: []string{"api A 192.0.2.3", "www CNAME edge.example.net."},
		},
		{
			name:    "convert to CNAME beside another A",
			live:    liveWith(threeA...),
			plan:    stages([]plan.Batch{modify("record_type", "CNAME", "edge.example.net.", "1")}, []plan.Batch{remove("2")}),
			wantErr: "code 31",
		},
		{
			name:    "remove and convert in one stage depends on order",
			live:    liveWith(threeA...),
			plan:    stages([]plan.Batch{remove("2"), modify("record_type", "CNAME", "edge.example.net.", "1")}),
			wantErr: "could conflict",
		},
		{
			name: "independent cells share a stage",
			live: liveWith(threeA...),
			plan: stages([]plan.Batch{modify("ttl", "1200", "", "1", "3"), modify("value", "192.0.2.9", "", "3"), create(rec("", "mail", "A", "192.0.2.4"))}),
			want: []string{"api A 192.0.2.9", "mail A 192.0.2.4", "www A 192.0.2.1", "www A 192.0.2.2"},
		},
		{
			name:    "same field set twice in one stage",
			live:    liveWith(threeA...),
			plan:    stages([]plan.Batch{modify("value", "192.0.2.8", "", "3"), modify("value", "192.0.2.9", "", "3")}),
			wantErr: "different values",
		},
		{
			name:    "remove beside a modify of the same record",
			live:    liveWith(threeA...),
			plan:    stages([]plan.Batch{remove("3"), modify("ttl", "1200", "", "3")}),
			wantErr: "removed by batch",
		},
		{
			name:    "create duplicate",
			live:    liveWith(threeA...),
			plan:    stages([]plan.Batch{create(rec("", "api", "A", "192.0.2.3"))}),
			wantErr: "code 104",
		},
		{
			name:    "system row is never touched",
			live:    liveWith(model.Record{ID: "9", Name: "@", Type: "NS", Line: model.DefaultLine, Value: "f1g1ns1.dnspod.net.", TTL: 86400, Enabled: true, System: true}),
			plan:    stages([]plan.Batch{remove("9")}),
			wantErr: "code 7",
		},
		{
			name:    "wrong domain id",
			live:    liveWith(threeA...),
			plan:    stages([]plan.Batch{dnspod.NewBatch("dnspod", dnspod.OpRemove, []string{"example.com"}, dnspod.Payload{DomainIDs: []string{"8"}, RecordIDs: []string{"1"}})}),
			wantErr: "has id",
		},
		{
			name:    "glue must exist before delegation",
			live:    liveWith(),
			plan:    stages([]plan.Batch{reg("", aliyun.OpModifyDomainDNS, "other.org", aliyun.Payload{Nameservers: []string{"ns2.example.com"}})}),
			wantErr: "no DNS host",
		},
		{
			name: "glue created first",
			live: liveWith(),
			plan: stages(
				[]plan.Batch{reg("", aliyun.OpCreateDNSHost, "example.com", aliyun.Payload{Host: "ns2.example.com", IPs: []string{"192.0.2.54"}})},
				[]plan.Batch{reg("", aliyun.OpModifyDomainDNS, "other.org", aliyun.Payload{Nameservers: []string{"NS2.example.com."}})}),
		},
		{
			name:    "glue in use cannot be deleted",
			live:    liveWith(),
			plan:    stages([]plan.Batch{reg("", aliyun.OpDeleteDNSHost, "example.com", aliyun.Payload{Host: "ns1.example.com"})}),
			wantErr: "still a nameserver",
		},
		{
			name: "one registrar task per domain per stage",
			live: liveWith(),
			plan: stages([]plan.Batch{
				reg("a", aliyun.OpSyncDNSHost, "example.com", aliyun.Payload{}),
				reg("b", aliyun.OpCreateDNSHost, "example.com", aliyun.Payload{Host: "ns3.example.com", IPs: []string{"192.0.2.55"}})}),
			wantErr: "both start a registrar task",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Apply(tt.live, tt.plan, models())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalid) {
					t.Fatalf("err = %v, want one containing %q and wrapping ErrInvalid", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tt.want == nil {
				return
			}
			var got []string
			for _, r := range out.Domain("example.com").DNS.Records {
				got = append(got, r.Name+" "+r.Type+" "+r.Value)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("records (-want +got):\n%s", d)
			}
		})
	}
}

func TestApplyLeavesInputAlone(t *testing.T) {
	live := liveWith(rec("1", "www", "A", "192.0.2.1"))
	before := *live.Domains[0].DNS
	if _, err := Apply(live, stages([]plan.Batch{remove("1")}), models()); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(before, *live.Domains[0].DNS); d != "" {
		t.Errorf("input changed:\n%s", d)
	}
}
