package engine

import (
	"context"
	"testing"

	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/spec"
)

// recordLists counts the Record.List calls in the DNSPod emulator's log.
func recordLists(w *world) int {
	n := 0
	for _, e := range w.pod.Log() {
		if e.Action == "Record.List" {
			n++
		}
	}
	return n
}

// TestPrefetchPlansTheSame: reading the zones while the files load gives
// the plan Plan gives, with no more Record.List calls; a stopped prefetch
// leaves the plan to read afresh.
func TestPrefetchPlansTheSame(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	eng, err := New(w.cfg, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	w.pod.ResetLog()
	want, _, err := eng.Plan(ctx, w.loaded, PlanOptions{AllowDelegation: true})
	if err != nil {
		t.Fatal(err)
	}
	lists := recordLists(w)
	if lists == 0 {
		t.Fatal("the example zones read no DNSPod zone")
	}
	fp := func(p *plan.Plan) string { return p.Fingerprint + " " + p.DesiredFingerprint }

	w.pod.ResetLog()
	pf := eng.Prefetch(ctx)
	told := 0
	desired, ds := spec.LoadWith(ctx, w.cfg, func(domain, provider string) { told++; pf.Zone(domain, provider) })
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	if told == 0 {
		t.Fatal("no zone was read ahead")
	}
	got, _, err := eng.PlanWith(ctx, desired, PlanOptions{AllowDelegation: true}, pf)
	if err != nil {
		t.Fatal(err)
	}
	if fp(got) != fp(want) || len(got.Changes) != len(want.Changes) {
		t.Fatalf("plan with reads ahead: %s, %d changes; without: %s, %d", fp(got), len(got.Changes), fp(want), len(want.Changes))
	}
	if n := recordLists(w); n != lists {
		t.Fatalf("plan with reads ahead made %d Record.List calls, without %d", n, lists)
	}
	if !pf.Stop() {
		t.Fatal("Stop says no read was started")
	}

	// Stopped before the plan: everything is read again, and the plan is
	// the same.
	w.pod.ResetLog()
	pf = eng.Prefetch(ctx)
	desired, _ = spec.LoadWith(ctx, w.cfg, pf.Zone)
	pf.Stop()
	got, _, err = eng.PlanWith(ctx, desired, PlanOptions{AllowDelegation: true}, pf)
	if err != nil {
		t.Fatal(err)
	}
	if fp(got) != fp(want) {
		t.Fatalf("plan after a stopped prefetch: %s, want %s", fp(got), fp(want))
	}
	if n := recordLists(w); n < lists {
		t.Fatalf("plan after a stopped prefetch made %d Record.List calls, want at least %d", n, lists)
	}

	// A cancelled context stops the reads and the plan.
	cctx, cancel := context.WithCancel(ctx)
	pf = eng.Prefetch(cctx)
	desired, _ = spec.LoadWith(ctx, w.cfg, pf.Zone)
	cancel()
	if _, _, err := eng.PlanWith(cctx, desired, PlanOptions{AllowDelegation: true}, pf); err == nil {
		t.Fatal("plan under a cancelled context succeeded")
	}
	pf.Stop()
}
