package tencentcloud_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dnssync/dnssync/internal/diff"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/all"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud"
	"github.com/dnssync/dnssync/internal/spec"
)

func TestConfigOptions(t *testing.T) {
	cfg, ds := spec.ParseConfig("dnssync.yaml", []byte(`providers:
  tc:
    type: tencentcloud
    min_ttl: 60
    lines: [广东电信]
    modify_v3: true
    tasks_per_hour: 40
    max_tasks_in_flight: 2
    sync_max_records: 3
`), all.Registry())
	if len(ds) != 0 {
		t.Fatalf("diagnostics: %v", ds)
	}
	pc := cfg.Providers["tc"]
	if pc.Endpoint != tencentcloud.DefaultEndpoint || pc.Concurrency != 4 || pc.BatchSize != 5000 {
		t.Errorf("defaults: %+v", pc)
	}
	o := tencentcloud.PlannerOptionsOf(pc)
	want := tencentcloud.PlannerOptions{MaxTaskRecords: 5000, MaxDeleteIDs: 2000, ModifyV3: true, TasksPerHour: 40, TasksInFlight: 2, SyncMaxRecords: 3}
	if o != want {
		t.Errorf("planner options %+v, want %+v", o, want)
	}
	caps := tencentcloud.Type{}.Caps(pc).Records
	if caps.MinTTL != 60 || !caps.HasLine("广东电信") || !caps.HasLine("境内") || !caps.HasType(model.TypeCAA) {
		t.Errorf("caps: %+v", caps)
	}

	for _, bad := range []string{"tasks_per_hour: 0", "modify_v3: 1", "throttle_backoff: 2s", "sync_max_records: -1"} {
		if _, ds := spec.ParseConfig("dnssync.yaml", []byte("providers:\n  tc:\n    type: tencentcloud\n    "+bad+"\n"), all.Registry()); len(ds) == 0 {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestCredentialsRequired(t *testing.T) {
	pc := spec.DefaultProvider("tc", tencentcloud.Type{})
	_, err := tencentcloud.Type{}.New(pc, providers.Env{Getenv: func(string) string { return "" }})
	if err == nil || !strings.Contains(err.Error(), tencentcloud.EnvSecretID) {
		t.Fatalf("missing credentials: %v", err)
	}
	env := map[string]string{tencentcloud.EnvSecretID: testID, tencentcloud.EnvSecretKey: testKey}
	inst, err := tencentcloud.Type{}.New(pc, providers.Env{Getenv: func(k string) string { return env[k] }})
	if err != nil || inst.Planner() == nil || inst.Config().Name != "tc" {
		t.Fatalf("instance: %v", err)
	}
}

// budgetCase is n zones of one record, each gaining perZone records of its
// own (creates cannot be shared across zones).
func budgetCase(n, perZone int) (*model.Desired, *model.Live) {
	desired, live := &model.Desired{}, &model.Live{}
	for i := range n {
		name := fmt.Sprintf("z%02d.test", i)
		old := r("old", model.TypeA, "192.0.2.1", 600)
		old.ID = fmt.Sprint(1000 + i)
		spec := zoneSpec(r("old", model.TypeA, "192.0.2.1", 600))
		for k := range perZone {
			spec.Records = append(spec.Records, r(fmt.Sprintf("n%d", k), model.TypeA, fmt.Sprintf("10.%d.0.%d", i, k+1), 600))
		}
		model.SortRecords(spec.Records)
		desired.Domains = append(desired.Domains, model.Domain{Name: name, DNS: spec})
		live.Domains = append(live.Domains, model.LiveDomain{Name: name, DNS: &model.LiveDNS{DomainID: fmt.Sprint(i + 1), Records: []model.Record{old}}})
	}
	return desired, live
}

func planWith(desired *model.Desired, live *model.Live, o tencentcloud.PlannerOptions) *plan.Plan {
	pl := tencentcloud.NewPlanner(prov, dnspodrules.DefaultOptions(), o)
	return diff.Plan(desired, live, diff.Options{Force: true, Planners: map[string]providers.Planner{prov: pl}})
}

func details(p *plan.Plan, substr string) (n int, ops map[plan.Op]int) {
	ops = map[plan.Op]int{}
	for _, s := range p.Stages {
		for _, b := range s.Batches {
			ops[b.Op]++
			if strings.Contains(b.Detail, substr) {
				n++
			}
		}
	}
	return n, ops
}

// TestTaskBudget: ten zones with ten different creates each need ten
// tasks; under a budget of six, the four smallest become single calls and
// say why; the plan still converges (the property test covers that).
func TestTaskBudget(t *testing.T) {
	desired, live := budgetCase(10, 10)
	free := planWith(desired, live, tencentcloud.PlannerOptions{TasksPerHour: 100, TasksInFlight: 100})
	if free.Cost.Tasks != 10 {
		t.Fatalf("without a budget: %d tasks\n%s", free.Cost.Tasks, describe(free))
	}
	p := planWith(desired, live, tencentcloud.PlannerOptions{TasksPerHour: 6, TasksInFlight: 100})
	n, ops := details(p, "the plan needs 10 batch tasks and 6 may start in this hour (tasks_per_hour)")
	if p.Cost.Tasks != 6 || n != 40 || ops[tencentcloud.OpCreate] != 40 {
		t.Fatalf("budget 6: %d tasks, %d explained, %v\n%s", p.Cost.Tasks, n, ops, describe(p))
	}
}

// TestTasksInFlight: a stage of six small tasks with four in flight sends
// the last round's two as single calls (at most sync_max_records records
// each), and leaves larger tasks alone.
func TestTasksInFlight(t *testing.T) {
	desired, live := budgetCase(6, 3)
	p := planWith(desired, live, tencentcloud.PlannerOptions{TasksPerHour: 100, TasksInFlight: 4, SyncMaxRecords: 3})
	n, ops := details(p, "stage records has 6 batch tasks and 4 run at once (max_tasks_in_flight)")
	if p.Cost.Tasks != 4 || n != 6 || ops[tencentcloud.OpCreateBatch] != 4 {
		t.Fatalf("in flight: %d tasks, %d explained, %v\n%s", p.Cost.Tasks, n, ops, describe(p))
	}
	big := planWith(desired, live, tencentcloud.PlannerOptions{TasksPerHour: 100, TasksInFlight: 4, SyncMaxRecords: 2})
	if big.Cost.Tasks != 6 {
		t.Fatalf("tasks over sync_max_records were converted: %d tasks\n%s", big.Cost.Tasks, describe(big))
	}
}

// TestValueChangePacking: with batch deletes, many value changes to
// distinct values are cheaper as one shared removal and the zones'
// creates; one lone value change is cheaper as one ModifyRecord.
func TestValueChangePacking(t *testing.T) {
	desired, live := budgetCase(3, 5)
	for i := range desired.Domains {
		for k, x := range desired.Domains[i].DNS.Records {
			if x.Name == "old" {
				desired.Domains[i].DNS.Records[k].Value = fmt.Sprintf("198.51.100.%d", i+1)
			}
		}
	}
	p := planWith(desired, live, tencentcloud.PlannerOptions{})
	_, ops := details(p, "")
	if ops[tencentcloud.OpModifyBatch]+ops[tencentcloud.OpModify] != 0 || ops[tencentcloud.OpDeleteBatch] != 1 {
		t.Errorf("value changes beside creates: %v\n%s", ops, describe(p))
	}
	one, oneLive := budgetCase(1, 0)
	one.Domains[0].DNS.Records[0].Value = "198.51.100.9"
	q := planWith(one, oneLive, tencentcloud.PlannerOptions{})
	if _, ops := details(q, ""); ops[tencentcloud.OpModify] != 1 || q.Cost.APICalls != 1 {
		t.Errorf("a lone value change: %v, %d calls\n%s", ops, q.Cost.APICalls, describe(q))
	}
}

// TestMXRange: API 3.0 takes priorities up to 65535 where the legacy API
// stops at 20; priority 0 is refused (a batch could not send it).
func TestMXRange(t *testing.T) {
	pc := spec.DefaultProvider(prov, tencentcloud.Type{})
	c := tencentcloud.Type{}.Caps(pc)
	if c.Records.MinMX != 1 || c.Records.MaxMX != 65535 {
		t.Errorf("tencentcloud MX range %d–%d, want 1–65535", c.Records.MinMX, c.Records.MaxMX)
	}
	if lo, hi := tencentcloud.Rules(pc).MXRange(); lo != 1 || hi != 65535 {
		t.Errorf("tencentcloud rules MX range %d–%d, want 1–65535", lo, hi)
	}
	dc := dnspod.Type{}.Caps(spec.DefaultProvider("dp", dnspod.Type{}))
	if dc.Records.MinMX != 1 || dc.Records.MaxMX != 20 {
		t.Errorf("dnspod MX range %d–%d, want 1–20", dc.Records.MinMX, dc.Records.MaxMX)
	}
}
