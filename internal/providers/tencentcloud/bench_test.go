package tencentcloud_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/dnssync/dnssync/internal/diff"
	"github.com/dnssync/dnssync/internal/engine"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud/tencentcloudtest"
)

// scale10k seeds the workload of the legacy apply benchmark
// (BenchmarkApply10kRecords100Zones in cmd/dnssync): 100 zones of 150 live
// A records; per zone 10 deletes, 20 value changes, 20 TTL changes, 10
// records paused, 5 resumed and 35 creates (A, AAAA, TXT, MX, a short
// TTL) — 10,000 record changes. It returns the desired state.
func scale10k(t testing.TB, w *world) *model.Desired {
	const zones, liveN, deletes, values, ttls, disables, enables, creates = 100, 150, 10, 20, 20, 10, 5, 35
	zs := map[string]*model.DNS{}
	for i := range zones {
		name := fmt.Sprintf("d%02d.example", i)
		if _, err := w.emu.AddDomain(name, "DP_EXTRA"); err != nil {
			t.Fatal(err)
		}
		spec := zoneSpec()
		spec.Thresholds.MinExisting = 1 << 30
		for k := range liveN {
			lr := r(fmt.Sprintf("h%03d", k), model.TypeA, fmt.Sprintf("10.%d.%d.%d", i, k/256, k%256), 600)
			lr.Enabled = k < liveN-enables-2 // the last few start paused
			if _, err := w.emu.AddRecord(name, lr); err != nil {
				t.Fatal(err)
			}
			d := lr
			switch {
			case k < deletes:
				continue
			case k < deletes+values:
				d.Value = fmt.Sprintf("10.%d.%d.%d", i, 100+k/256, k%256)
			case k < deletes+values+ttls:
				d.TTL = 300
			case k < deletes+values+ttls+disables:
				d.Enabled = false
			case k >= liveN-enables-2 && k < liveN-2:
				d.Enabled = true
			}
			spec.Records = append(spec.Records, d)
		}
		for k := range creates {
			c := r(fmt.Sprintf("n%03d", k), model.TypeA, fmt.Sprintf("10.%d.200.%d", i, k), 600)
			switch k % 7 {
			case 1:
				c.Type, c.Value = model.TypeAAAA, fmt.Sprintf("2001:db8:%x::%x", i+1, k)
			case 2:
				c.Type, c.Value = model.TypeTXT, fmt.Sprintf("v=e2e zone=%d item=%d", i, k)
			case 3:
				c.Type, c.Value, c.MX = model.TypeMX, fmt.Sprintf("mx%d.mail.example.", k), 10
			case 4:
				c.TTL = 120
			}
			spec.Records = append(spec.Records, c)
		}
		zs[name] = spec
	}
	return desiredOf(zs)
}

// TestScale10kRecords100Zones applies 10,000 record changes across 100
// zones through the engine against the emulator (its default limits: 80
// tasks an hour, 4 running) and reports the calls and tasks it took, next
// to the plan the legacy DNSPod planner makes of the same differences.
// It is not timed: the emulator adds no latency. docs/BENCHMARKS.md
// quotes its output:
//
//	go test -run TestScale10kRecords100Zones -v ./internal/providers/tencentcloud/
func TestScale10kRecords100Zones(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 15,000 records and applies 10,000 changes")
	}
	for _, v3 := range []bool{false, true} {
		t.Run(fmt.Sprintf("modify_v3=%t", v3), func(t *testing.T) {
			w := newWorld(t, tencentcloudtest.Options{}, func(c *providers.Config) {
				c.Options = map[string]providers.Option{tencentcloud.OptModifyV3: {Value: v3}}
			})
			desired := scale10k(t, w)
			ctx := context.Background()
			p, live, err := w.pass.Plan(ctx, desired, engine.PlanOptions{Force: true})
			if err != nil {
				t.Fatal(err)
			}
			// 10,000 changes; a value change planned as a removal and a
			// create counts twice.
			if n := len(p.Changes); n < 10000 || n > 12000 || len(p.Refusals) > 0 {
				t.Fatalf("%d changes, refusals %v", n, p.Refusals)
			}
			ops := map[plan.Op]int{}
			for _, s := range p.Stages {
				for _, b := range s.Batches {
					ops[b.Op]++
				}
			}
			t.Logf("plan: %d changes, %d write calls, %d tasks, %d API calls at least (writes and one poll per task); by operation %v",
				len(p.Changes), p.Cost.Batches, p.Cost.Tasks, p.Cost.APICalls, ops)
			if p.Cost.Tasks > tencentcloud.DefaultTasksPerHour {
				t.Errorf("plan needs %d tasks, over the hourly %d", p.Cost.Tasks, tencentcloud.DefaultTasksPerHour)
			}

			// The legacy DNSPod planner on the same differences, with the
			// batch size the legacy benchmark ran with (the default 100).
			rules := dnspodrules.DefaultOptions()
			legacy := diff.Plan(desired, live, diff.Options{Force: true,
				Planners: map[string]providers.Planner{prov: dnspod.NewPlanner(prov, rules, 100)}})
			t.Logf("legacy DNSPod plan of the same changes: %d write calls, %d tasks, %d API calls at least",
				legacy.Cost.Batches, legacy.Cost.Tasks, legacy.Cost.APICalls)

			w.emu.ResetLog()
			w.connect(t) // a fresh process: domains, grades and lines are read again
			res, err := w.pass.Apply(ctx, desired, applyOpts())
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			if !res.Remaining.Empty() {
				t.Fatalf("not converged: %d changes remain", len(res.Remaining.Changes))
			}
			byAction := map[string]int{}
			writes, tasks := 0, 0
			for _, e := range w.emu.Log() {
				byAction[e.Action]++
				if isWriteAction(e.Action) {
					writes++
					if e.JobID != 0 {
						tasks++
					}
				}
			}
			total := len(w.emu.Log())
			t.Logf("apply (read, plan, submit, await, verify): %d API calls, %d writes, %d tasks, %.4f calls per change; by action %v",
				total, writes, tasks, float64(total)/10000, byAction)
			if total >= 3574 {
				t.Errorf("apply took %d calls; the legacy DNSPod apply took 3,574", total)
			}
		})
	}
}
