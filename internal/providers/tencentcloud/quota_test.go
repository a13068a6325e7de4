package tencentcloud_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud/tencentcloudtest"
)

// quotaWorkload seeds n zones of two records; each zone gains perZone
// records of its own (one create task each), changes one value and loses
// one record, so the plan wants n create tasks plus the shared ones.
func quotaWorkload(t *testing.T, w *world, n, perZone, gen int) *model.Desired {
	t.Helper()
	zs := map[string]*model.DNS{}
	for i := range n {
		name := fmt.Sprintf("q%02d.test", i)
		if gen == 0 {
			w.domain(t, name, "DP_EXTRA", r("keep", model.TypeA, "192.0.2.1", 600), r("gone", model.TypeA, "192.0.2.2", 600))
		}
		z := zoneSpec(r("keep", model.TypeA, fmt.Sprintf("192.0.2.%d", 100+gen), 600))
		for k := range perZone {
			z.Records = append(z.Records, r(fmt.Sprintf("g%d-n%d", gen, k), model.TypeA, fmt.Sprintf("10.%d.%d.%d", gen, i, k+1), 600))
		}
		zs[name] = z
	}
	return desiredOf(zs)
}

// quotaCounts returns the task submissions the emulator accepted and those
// it refused for the hourly quota.
func quotaCounts(log []tencentcloudtest.LogEntry) (accepted, refused int) {
	for _, e := range log {
		switch {
		case e.JobID != 0:
			accepted++
		case e.Code == tencentcloud.CodeBatchTaskLimit:
			refused++
		}
	}
	return accepted, refused
}

// TestQuotaBelowPlan: with an hourly task quota below what the plan would
// like (tasks_per_hour: 4 at an emulator that accepts 4 an hour), the plan
// starts 4 tasks and carries the rest as single-record calls, the apply
// converges, and the service never refuses a task.
func TestQuotaBelowPlan(t *testing.T) {
	w := newWorld(t, tencentcloudtest.Options{MaxTasksPerHour: 4}, func(c *providers.Config) {
		c.Options = map[string]providers.Option{tencentcloud.OptTasksPerHour: {Value: 4}}
	})
	desired := quotaWorkload(t, w, 8, 3, 0)
	ctx := context.Background()
	p, _, err := w.pass.Plan(ctx, desired, applyOpts().PlanOptions)
	if err != nil {
		t.Fatal(err)
	}
	if p.Cost.Tasks != 4 {
		t.Fatalf("plan starts %d tasks, want the quota's 4", p.Cost.Tasks)
	}
	if n, _ := details(p, "may start in this hour (tasks_per_hour)"); n == 0 {
		t.Fatalf("no batch says why it is a single-record call:\n%s", describe(p))
	}
	w.emu.ResetLog()
	res, err := w.pass.Apply(ctx, desired, applyOpts())
	if err != nil || !res.Remaining.Empty() {
		t.Fatalf("apply: %v, %d changes remain", err, len(res.Remaining.Changes))
	}
	w.assertState(t, desired)
	if acc, ref := quotaCounts(w.emu.Log()); acc > 4 || ref != 0 {
		t.Errorf("%d tasks accepted and %d refused for the quota, want at most 4 and none", acc, ref)
	}
	checkNoResend(t, w.emu.Log())
}

// TestQuotaSpentElsewhere: the hour's quota is spent by another client
// from the same address, which no plan can know. The first task submitted
// is refused (RequestLimitExceeded.BatchTaskLimit); the apply sends no
// further task, plans again with the quota counted as spent, carries every
// change as single-record calls and converges in the same run. A second
// apply in the same process plans no task at all.
func TestQuotaSpentElsewhere(t *testing.T) {
	w := newWorld(t, tencentcloudtest.Options{MaxTasksPerHour: 3}, nil)
	desired := quotaWorkload(t, w, 6, 3, 0)
	// Another client spends the quota on a domain of its own.
	w.domain(t, "other.test", "DP_EXTRA")
	cl, err := tencentcloud.New(fastOptions(w.cfg.Providers[prov].Endpoint))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	other, err := cl.FindDomain(ctx, "other.test")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := cl.CreateRecordBatch(ctx, []uint64{uint64(other.DomainID)}, []model.Record{r(fmt.Sprintf("o%d", i), model.TypeA, "192.0.2.9", 600)}); err != nil {
			t.Fatalf("spending the quota: %v", err)
		}
	}

	w.emu.ResetLog()
	res, err := w.pass.Apply(ctx, desired, applyOpts())
	if err != nil || !res.Remaining.Empty() {
		t.Fatalf("apply: %v, %d changes remain", err, len(res.Remaining.Changes))
	}
	w.assertState(t, desired)
	acc, ref := quotaCounts(w.emu.Log())
	if acc != 0 || ref < 1 || ref > tencentcloud.DefaultTasksInFlight {
		t.Errorf("%d tasks accepted and %d refused for the quota; want none accepted and the refusals of the first round of tasks only (1–%d)",
			acc, ref, tencentcloud.DefaultTasksInFlight)
	}
	if res.Summary == nil || res.Summary.Retries == 0 {
		t.Errorf("no retry round: %+v", res.Summary)
	}
	checkNoResend(t, w.emu.Log())

	// Still within the hour, in the same process: no task is planned.
	next := quotaWorkload(t, w, 6, 2, 1)
	p, _, err := w.pass.Plan(ctx, next, applyOpts().PlanOptions)
	if err != nil {
		t.Fatal(err)
	}
	if p.Cost.Tasks != 0 {
		t.Errorf("the next plan starts %d tasks with the quota spent", p.Cost.Tasks)
	}
	w.emu.ResetLog()
	res, err = w.pass.Apply(ctx, next, applyOpts())
	if err != nil || !res.Remaining.Empty() {
		t.Fatalf("second apply: %v, %d changes remain", err, len(res.Remaining.Changes))
	}
	w.assertState(t, next)
	if acc, ref := quotaCounts(w.emu.Log()); acc != 0 || ref != 0 {
		t.Errorf("second apply: %d tasks accepted, %d refused; want none sent", acc, ref)
	}
}

// TestQuotaRollingWithinProcess: tasks one apply submitted count against
// the next plan of the same process within the hour (watch plans again
// and again): with a quota of 5, an apply that used some leaves the next
// plan only the rest, and the service never refuses a task.
func TestQuotaRollingWithinProcess(t *testing.T) {
	w := newWorld(t, tencentcloudtest.Options{MaxTasksPerHour: 5}, func(c *providers.Config) {
		c.Options = map[string]providers.Option{tencentcloud.OptTasksPerHour: {Value: 5}}
	})
	ctx := context.Background()
	used := 0
	for gen := range 3 {
		desired := quotaWorkload(t, w, 3, 2, gen)
		p, _, err := w.pass.Plan(ctx, desired, applyOpts().PlanOptions)
		if err != nil {
			t.Fatal(err)
		}
		if p.Cost.Tasks > 5-used {
			t.Fatalf("apply %d plans %d tasks, %d used of 5 already", gen+1, p.Cost.Tasks, used)
		}
		w.emu.ResetLog()
		res, err := w.pass.Apply(ctx, desired, applyOpts())
		if err != nil || !res.Remaining.Empty() {
			t.Fatalf("apply %d: %v, %d changes remain", gen+1, err, len(res.Remaining.Changes))
		}
		w.assertState(t, desired)
		acc, ref := quotaCounts(w.emu.Log())
		if ref != 0 {
			t.Errorf("apply %d: %d tasks refused for the quota", gen+1, ref)
		}
		used += acc
		if got := w.inst.Ledger().Spent(5); got != used {
			t.Errorf("after apply %d the ledger counts %d tasks, the service accepted %d", gen+1, got, used)
		}
	}
	if used != 5 {
		t.Errorf("%d tasks used over three applies, want the whole quota of 5", used)
	}
}
