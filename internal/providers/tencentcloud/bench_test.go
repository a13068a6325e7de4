package tencentcloud_test

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

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
			rc := countRequests(w.emu.Log())
			byAction, writes, tasks, total := rc.byAction, rc.writes, rc.tasks, rc.total
			t.Logf("apply (read, plan, submit, await, verify): %d API calls, %d writes, %d tasks, %.4f calls per change; by action %v",
				total, writes, tasks, float64(total)/10000, byAction)
			// The grade's limits are read once per grade, not per zone.
			if n := byAction["DescribeDomainPurview"] + byAction["DescribeRecordLineList"]; n != 2 {
				t.Errorf("%d grade-limit reads for 100 zones of one grade, want 2", n)
			}
			if total >= 3574 {
				t.Errorf("apply took %d calls; the legacy DNSPod apply took 3,574", total)
			}
		})
	}
}

// BenchmarkApply10kRecords100Zones is the apply benchmark of
// docs/BENCHMARKS.md on this provider: the workload of scale10k through
// the engine (read, plan, submit, await, verify) against the emulator
// adding 50 ms to every request and enforcing 4 tasks in flight and the
// per-action rates of spec §4, with the client pacing each action at its
// documented rate and polling every 200 ms, as the legacy benchmark does.
// quota=80 is the service's hourly task quota; quota=none lifts it (the
// emulator's and the planner's) to show the packing unconstrained. Only the
// apply is timed. It runs only when named:
//
//	go test -run '^$' -bench BenchmarkApply10kRecords100Zones -benchtime 1x ./internal/providers/tencentcloud/
func BenchmarkApply10kRecords100Zones(b *testing.B) {
	if f := flag.Lookup("test.bench"); f == nil || !strings.Contains(f.Value.String(), "Apply10k") {
		b.Skip("slow: run with -bench BenchmarkApply10kRecords100Zones")
	}
	for _, c := range []struct {
		name  string
		quota int // 0: the documented 80
		v3    bool
	}{{"quota=80", 0, false}, {"quota=80/modify_v3", 0, true}, {"quota=none", 1000, false}, {"quota=none/modify_v3", 1000, true}} {
		b.Run(c.name, func(b *testing.B) {
			var wall time.Duration
			var calls, writes, tasks int
			for range b.N {
				b.StopTimer()
				eo := tencentcloudtest.Options{EnforceRates: true, MaxTasksPerHour: c.quota,
					Faults: tencentcloudtest.Faults{Latency: 50 * time.Millisecond, LatencyShare: 1}}
				w := newWorld(b, eo, func(pc *providers.Config) {
					pc.PollInterval = 200 * time.Millisecond
					pc.Options = map[string]providers.Option{tencentcloud.OptModifyV3: {Value: c.v3}}
					if c.quota > 0 {
						pc.Options[tencentcloud.OptTasksPerHour] = providers.Option{Value: c.quota}
					}
				})
				desired := scale10k(b, w)
				w.emu.ResetLog()
				w.connectPaced(b)
				ctx := context.Background()
				b.StartTimer()
				start := time.Now()
				res, err := w.pass.Apply(ctx, desired, engine.ApplyOptions{PlanOptions: engine.PlanOptions{Force: true}})
				wall += time.Since(start)
				b.StopTimer()
				if err != nil {
					b.Fatalf("apply: %v", err)
				}
				if !res.Remaining.Empty() {
					b.Fatalf("not converged: %d changes remain", len(res.Remaining.Changes))
				}
				log := w.emu.Log()
				rc := countRequests(log)
				calls, writes, tasks = calls+rc.total, writes+rc.writes, tasks+rc.tasks
				span := map[string][2]time.Duration{}
				for _, e := range log {
					d := e.Time.Sub(start)
					s, ok := span[e.Action]
					if !ok {
						s = [2]time.Duration{d, d}
					}
					s[0], s[1] = min(s[0], d), max(s[1], d)
					span[e.Action] = s
				}
				b.Logf("request times by action (from the start of the apply): %v", span)
				if rc.refused > 0 {
					b.Logf("%d requests refused by the emulator", rc.refused)
				}
			}
			n := float64(b.N)
			b.ReportMetric(wall.Seconds()/n, "wall-s")
			b.ReportMetric(float64(calls)/n, "api-calls")
			b.ReportMetric(float64(writes)/n, "write-calls")
			b.ReportMetric(float64(tasks)/n, "tasks")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// connectPaced builds the account as `dnssync` does from its
// configuration (Type.New: the documented per-action rates, production
// back-offs), with the emulator's key in the environment.
func (w *world) connectPaced(t testing.TB) {
	t.Helper()
	env := providers.Env{Getenv: func(k string) string {
		switch k {
		case "TENCENTCLOUD_SECRET_ID":
			return testID
		case "TENCENTCLOUD_SECRET_KEY":
			return testKey
		}
		return ""
	}}
	pc := w.cfg.Providers[prov]
	pc.Credentials.Env = true
	inst, err := tencentcloud.Type{}.New(pc, env)
	if err != nil {
		t.Fatal(err)
	}
	w.inst = inst.(*tencentcloud.Instance)
	w.pass = engine.NewWith(w.cfg, map[string]providers.Instance{prov: w.inst}, nil)
}

// requestCounts summarises an emulator request log.
type requestCounts struct {
	byAction                      map[string]int
	total, writes, tasks, refused int // tasks: writes that started one
}

func countRequests(log []tencentcloudtest.LogEntry) requestCounts {
	rc := requestCounts{byAction: map[string]int{}, total: len(log)}
	for _, e := range log {
		rc.byAction[e.Action]++
		if isWriteAction(e.Action) {
			rc.writes++
			if e.JobID != 0 {
				rc.tasks++
			}
		}
		if e.Code != "" {
			rc.refused++
		}
	}
	return rc
}
