package diff

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/model"
)

func TestRegistrarPlan(t *testing.T) {
	var desired model.Desired
	var live model.Live
	// Five domains move to the same nameservers, one to others; a.com
	// also gains glue for its own new nameserver and loses an old host.
	for i := range 6 {
		name := fmt.Sprintf("d%d.com", i)
		ns := []string{"ns1.new.net", "ns2.new.net"}
		if i == 5 {
			ns = []string{"ns1.d0.com", "ns2.new.net"}
		}
		reg := &model.Registrar{Provider: "aliyun", Nameservers: ns}
		lr := &model.LiveRegistrar{Nameservers: []string{"ns1.old.net", "ns2.old.net"}}
		if i == 0 {
			reg.ManageHosts = true
			reg.DNSHosts = []model.DNSHost{{Host: "ns1.d0.com", IPs: []string{"192.0.2.53"}}, {Host: "ns3.d0.com", IPs: []string{"192.0.2.55"}}}
			lr.DNSHosts = []model.DNSHost{{Host: "ns3", IPs: []string{"192.0.2.99"}}, {Host: "ns9.d0.com", IPs: []string{"192.0.2.9"}}}
		}
		desired.Domains = append(desired.Domains, model.Domain{Name: name, Registrar: reg})
		live.Domains = append(live.Domains, model.LiveDomain{Name: name, Registrar: lr})
	}
	opts := tuned(Options{AllowDelegation: true}, tuning{ns: 3})
	p := planT(&desired, &live, opts)
	want := []string{
		"glue-sync SaveSingleTaskForSynchronizingDnsHost d0.com",
		"glue-upsert-1 SaveSingleTaskForCreatingDnsHost ns1.d0.com",
		"glue-upsert-2 SaveSingleTaskForModifyingDnsHost ns3.d0.com",
		"nameservers SaveBatchTaskForModifyingDomainDns [ns1.d0.com ns2.new.net] x1",
		"nameservers SaveBatchTaskForModifyingDomainDns [ns1.new.net ns2.new.net] x3",
		"nameservers SaveBatchTaskForModifyingDomainDns [ns1.new.net ns2.new.net] x2",
		"glue-delete-1 SaveSingleTaskForDeletingDnsHost ns9.d0.com",
	}
	if d := cmp.Diff(want, batchSummary(p)); d != "" {
		t.Errorf("batches (-want +got):\n%s\n%s", d, describe(p))
	}
	if !p.Stages[0].Replan {
		t.Errorf("host sync stage must ask for a re-plan")
	}
	for _, s := range p.Stages[1:] {
		if s.Replan {
			t.Errorf("stage %s must not ask for a re-plan", s.Name)
		}
	}
	// 6 NS changes + 1 sync + 3 host ops; per-record tools skip the sync.
	if p.Cost.Batches != 7 || p.Cost.PerRecordCalls != 9 || p.Cost.LowerBound != 7 || p.Cost.Tasks != 7 || p.Cost.APICalls != 14 {
		t.Errorf("cost = %+v", p.Cost)
	}
	checkConverged(t, &desired, mustSimulate(t, &live, p))
}

func TestHostsSyncedSkipsSync(t *testing.T) {
	desired := &model.Desired{Domains: []model.Domain{{Name: "a.com", Registrar: &model.Registrar{Provider: "aliyun",
		Nameservers: []string{"ns1.a.com"}, ManageHosts: true, DNSHosts: []model.DNSHost{{Host: "ns1.a.com", IPs: []string{"192.0.2.53"}}}}}}}
	live := &model.Live{Domains: []model.LiveDomain{{Name: "a.com", Registrar: &model.LiveRegistrar{Nameservers: []string{"ns1.a.com"},
		DNSHosts: []model.DNSHost{{Host: "ns1.a.com", IPs: []string{"192.0.2.1"}}}}}}}
	for _, synced := range []bool{false, true} {
		p := planT(desired, live, Options{HostsSynced: synced})
		want := []string{"glue-sync SaveSingleTaskForSynchronizingDnsHost a.com", "glue-upsert-1 SaveSingleTaskForModifyingDnsHost ns1.a.com"}
		if synced {
			want = want[1:]
		}
		if d := cmp.Diff(want, batchSummary(p)); d != "" {
			t.Errorf("synced=%t (-want +got):\n%s", synced, d)
		}
		checkConverged(t, desired, mustSimulate(t, live, p))
	}
}

func TestSameNameserversOneBatch(t *testing.T) {
	var desired model.Desired
	var live model.Live
	for i := range 12 {
		name := fmt.Sprintf("m%02d.com", i)
		desired.Domains = append(desired.Domains, model.Domain{Name: name,
			Registrar: &model.Registrar{Provider: "aliyun", Nameservers: []string{"f1g1ns2.dnspod.net", "f1g1ns1.dnspod.net."}}})
		live.Domains = append(live.Domains, model.LiveDomain{Name: name,
			Registrar: &model.LiveRegistrar{Nameservers: []string{fmt.Sprintf("ns%d.old.net", i%3)}}})
	}
	p := planT(&desired, &live, Options{AllowDelegation: true})
	want := []string{"nameservers SaveBatchTaskForModifyingDomainDns [f1g1ns1.dnspod.net f1g1ns2.dnspod.net] x12"}
	if d := cmp.Diff(want, batchSummary(p)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if p.Cost.PerRecordCalls != 12 || p.Cost.Batches != 1 || p.Cost.LowerBound != 1 {
		t.Errorf("cost = %+v", p.Cost)
	}
	checkConverged(t, &desired, mustSimulate(t, &live, p))
}
