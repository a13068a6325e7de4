package engine

import (
	"context"
	"testing"

	"github.com/dnssync/dnssync/internal/apply"
	"github.com/dnssync/dnssync/internal/providers/aliyun"
)

// A saved plan reviewed with --allow-delegation carries that consent: the
// re-plan after its glue-sync stage must not refuse the delegation changes
// the reviewed plan contains (it once stopped the apply half way, after the
// sync, when `apply FILE` was run without repeating the flag).
func TestSavedPlanKeepsConsentAcrossReplan(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	eng, err := New(w.cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	saved, _, err := eng.Plan(ctx, w.loaded, PlanOptions{AllowDelegation: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(saved.Refusals) != 0 || len(saved.Stages) == 0 || !saved.Stages[0].Replan {
		t.Fatalf("fixture: want a consented plan starting with a re-plan stage; refusals %v", saved.Refusals)
	}
	res, err := eng.Apply(ctx, w.loaded, ApplyOptions{Saved: saved, Apply: fastApply()})
	if err != nil {
		t.Fatalf("apply of the saved plan without repeating --allow-delegation: %v", err)
	}
	if !res.Remaining.Empty() {
		t.Fatalf("not converged: %d changes remain", len(res.Remaining.Changes))
	}
}

// A DNS host synchronisation left in flight by an interrupted apply is
// awaited by the next apply, whose first plan must then not send the same
// synchronisation again.
func TestResumedHostSyncIsNotResent(t *testing.T) {
	w := newWorld(t)
	eng, err := New(w.cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := fastApply()
	o.Reporter = apply.ReporterFunc(func(ev apply.Event) {
		if ev.Kind == apply.BatchSubmitted && ev.Op == aliyun.OpSyncDNSHost {
			cancel() // interrupted while the sync task is in flight
		}
	})
	_, _ = eng.Apply(ctx, w.loaded, ApplyOptions{PlanOptions: PlanOptions{AllowDelegation: true}, Apply: o})
	if n := countAction(w, "SaveSingleTaskForSynchronizingDnsHost"); n != 1 {
		t.Fatalf("interrupted apply sent %d synchronisations, want 1", n)
	}

	res, err := eng.Apply(context.Background(), w.loaded, ApplyOptions{PlanOptions: PlanOptions{AllowDelegation: true}, Apply: fastApply()})
	if err != nil {
		t.Fatalf("apply after the interruption: %v", err)
	}
	resumed := false
	for _, r := range res.Summary.Results {
		if r.Op == aliyun.OpSyncDNSHost && r.Run != "" {
			resumed = true
		}
	}
	if !resumed {
		t.Error("the in-flight synchronisation was not awaited by the next apply")
	}
	if n := countAction(w, "SaveSingleTaskForSynchronizingDnsHost"); n != 1 {
		t.Errorf("synchronisation sent %d times in all, want 1", n)
	}
	if !res.Remaining.Empty() {
		t.Fatalf("not converged: %d changes remain", len(res.Remaining.Changes))
	}
}

func countAction(w *world, action string) int {
	n := 0
	for _, e := range w.ali.Log() {
		if e.Action == action {
			n++
		}
	}
	return n
}
