package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dnssync/dnssync/internal/diff"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/aliyun"
)

// TestPlannedHostSyncWritesAndReads is a regression test: the planner
// synchronises a domain's DNS hosts as a whole (its batch names no host),
// and such a plan must pass the plan file's schema — `plan -o` and
// `plan --format json` once refused every plan with glue changes.
func TestPlannedHostSyncWritesAndReads(t *testing.T) {
	desired := &model.Desired{Domains: []model.Domain{{
		Name: "example.com", Unicode: "example.com", File: "zones/example.com.yaml",
		Registrar: &model.Registrar{Provider: "aliyun", Nameservers: []string{"dns1.hichina.com", "dns2.hichina.com"},
			DNSHosts: []model.DNSHost{{Host: "ns1.example.com", IPs: []string{"192.0.2.53"}}}, ManageHosts: true},
	}}}
	live := &model.Live{Domains: []model.LiveDomain{{
		Name: "example.com",
		Registrar: &model.LiveRegistrar{InstanceID: "S1", Nameservers: []string{"dns1.hichina.com", "dns2.hichina.com"},
			DNSHosts: []model.DNSHost{{Host: "ns1.example.com", IPs: []string{"192.0.2.52"}}}},
	}}}
	p := diff.Plan(desired, live, diff.Options{Planners: map[string]providers.Planner{"aliyun": aliyun.NewPlanner("aliyun", 0)}})
	var sync *plan.Batch
	for si := range p.Stages {
		for bi := range p.Stages[si].Batches {
			if b := &p.Stages[si].Batches[bi]; b.Op == aliyun.OpSyncDNSHost {
				sync = b
			}
		}
	}
	if sync == nil {
		t.Fatal("the planner made no host synchronisation for differing glue")
	}
	var buf bytes.Buffer
	if err := WritePlanFile(&buf, p); err != nil {
		t.Fatalf("write plan with a host synchronisation: %v", err)
	}
	if _, err := ReadPlanFile(&buf); err != nil {
		t.Fatalf("read it back: %v", err)
	}
	var text bytes.Buffer
	if err := Text(&text, p, Options{}); err != nil {
		t.Fatal(err)
	}
	if out := text.String(); !strings.Contains(out, "sync DNS hosts from the registry") || strings.Contains(out, "host  ") {
		t.Errorf("text of a whole-domain host synchronisation:\n%s", out)
	}
}
