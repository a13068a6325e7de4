package sandbox

import (
	"testing"

	"github.com/dnssync/dnssync/internal/diff"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/aliyun"
	"github.com/dnssync/dnssync/internal/providers/all"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
	"github.com/dnssync/dnssync/internal/spec"
)

// TestExampleSeedGivesWork reads the seeded sandbox through the real
// providers and plans the example zones against it: the first plan must
// have work of every kind and pass the safety thresholds, so the demo
// shows a realistic first apply.
func TestExampleSeedGivesWork(t *testing.T) {
	ctx := ctxT(t)
	cfg, err := spec.LoadConfig("../../examples/dnssync.yaml", all.Registry())
	if err != nil {
		t.Fatal(err)
	}
	desired, ds := spec.Load(ctx, cfg)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	sb := start(t, Options{SeedFile: exampleSeed, Providers: ProvidersFromConfig(cfg, all.Emulators())})
	ac, dc := clients(t, sb)
	reg, zones := aliyun.NewProvider("aliyun", ac), dnspod.NewProvider("dnspod", dc)
	live := &model.Live{}
	for _, d := range desired.Domains {
		ld := model.LiveDomain{Name: d.Name}
		if d.Registrar != nil {
			if ld.Registrar, err = reg.ReadRegistrar(ctx, d.Name); err != nil {
				t.Fatal(err)
			}
		}
		if d.DNS != nil {
			if ld.DNS, err = zones.ReadZone(ctx, d.Name); err != nil {
				t.Fatal(err)
			}
		}
		live.Domains = append(live.Domains, ld)
	}
	planners := map[string]providers.Planner{}
	for _, n := range cfg.ProviderNames() {
		typ, _ := cfg.Registry.Lookup(cfg.Providers[n].Type)
		planners[n] = typ.Planner(cfg.Providers[n])
	}
	p := diff.Plan(desired, live, diff.Options{AllowDelegation: true, Planners: planners})
	for _, r := range p.Refusals {
		t.Errorf("refused: %s %s: %s", r.Domain, r.Rule, r.Reason)
	}
	kinds := map[plan.ChangeKind]int{}
	perDomain := map[string]int{}
	for _, c := range p.Changes {
		kinds[c.Kind]++
		perDomain[c.Domain]++
	}
	for _, k := range []plan.ChangeKind{plan.RecordCreate, plan.RecordUpdate, plan.RecordDelete, plan.NameserversSet, plan.HostSynchronize} {
		if kinds[k] == 0 {
			t.Errorf("the first plan has no %s change", k)
		}
	}
	for _, d := range desired.Domains {
		if perDomain[d.Name] == 0 {
			t.Errorf("the first plan has nothing to do for %s", d.Name)
		}
	}
	t.Logf("first plan: %d changes %v, %d batches", len(p.Changes), kinds, p.Cost.Batches)
	// The demo shows batching at work: shared changes across zones make
	// the plan far cheaper than one call per record.
	if p.Cost.PerRecordCalls < 2*p.Cost.APICalls {
		t.Errorf("the first plan costs %d API calls, a one-call-per-record tool %d: want a saving of at least half",
			p.Cost.APICalls, p.Cost.PerRecordCalls)
	}

	// After the sync task the registrar knows ns2 again; what remains for
	// the hosts is a modify (ns1) and a delete (ns3).
	p2 := diff.Plan(desired, withSyncedHosts(t, sb, live), diff.Options{AllowDelegation: true, HostsSynced: true, Planners: planners})
	hostKinds := map[plan.ChangeKind]int{}
	for _, c := range p2.Changes {
		if c.Domain == "example.com" {
			hostKinds[c.Kind]++
		}
	}
	if hostKinds[plan.HostModify] != 1 || hostKinds[plan.HostDelete] != 1 || hostKinds[plan.HostCreate] != 0 {
		t.Errorf("host changes after sync: %v", hostKinds)
	}
}

// withSyncedHosts returns live with example.com's DNS hosts as the
// registry has them (what a synchronize task produces).
func withSyncedHosts(t *testing.T, sb *Sandbox, live *model.Live) *model.Live {
	t.Helper()
	d, ok := aliyunServer(sb).Domain("example.com")
	if !ok {
		t.Fatal("example.com not seeded")
	}
	out := &model.Live{}
	for _, ld := range live.Domains {
		if ld.Name == "example.com" {
			r := *ld.Registrar
			r.DNSHosts = nil
			for _, h := range d.RegistryHosts {
				r.DNSHosts = append(r.DNSHosts, model.DNSHost{Host: h.Name, IPs: h.IPs})
			}
			ld.Registrar = &r
		}
		out.Domains = append(out.Domains, ld)
	}
	return out
}
