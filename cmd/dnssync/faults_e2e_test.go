package main

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/sandbox"
)

// TestE2EOneApplyConvergesUnderFaults: with 30% of requests and task items
// failing transiently at both emulators (throttling, 5xx, dropped
// connections, failing items), one `apply` of 10 zones with 50 record
// changes each (plus their delegations) converges: the run plans again,
// from fresh live state, what the faults left undone. make test runs 2
// fresh runs; DNSSYNC_FAULT_RUNS=20 measures the rate the docs report
// (at least 19 of 20 must converge).
func TestE2EOneApplyConvergesUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("long end-to-end test")
	}
	runs, need := 2, 2
	if v, err := strconv.Atoi(os.Getenv("DNSSYNC_FAULT_RUNS")); err == nil && v > 0 {
		runs, need = v, v-v/20
	}
	faults := sandbox.Faults{Throttle: 0.08, ServerError: 0.08, Drop: 0.07, ItemFail: 0.07}
	converged := 0
	for run := range runs {
		sc := genScenario(shape{domains: 12, zones: 10, live: 60, deletes: 5, values: 10, ttls: 10, disables: 3, enables: 2, creates: 20})
		e := newEnv(t, sc, envOpts{
			aliyun:   sandbox.EmulatorOptions{TaskDelay: 20 * time.Millisecond, Faults: faults},
			dnspod:   sandbox.EmulatorOptions{TaskDelay: time.Millisecond, Faults: faults},
			randSeed: uint64(20261206 + run),
		})
		e.limit = 3 * time.Minute
		r := e.run("apply", "--yes", "--allow-delegation")
		t.Logf("run %d: exit %d; %s", run+1, r.code, lastLine(r.stdout, "Apply "))
		if r.code != 0 {
			t.Logf("run %d did not converge in one apply:\n%s", run+1, tail(r.stdout, 3000))
			continue
		}
		// Converged exactly (no record twice, none missing), and every
		// submitted batch is accounted for in the journal. A write is sent
		// again only after its earlier attempt was refused or its item
		// failed, or a fresh read showed it had not happened: the apply
		// package's retry tests and the clients' request-log tests pin that.
		e.assertConverged()
		e.assertAccounted()
		converged++
	}
	t.Logf("%d of %d fresh runs converged with a single apply under 30%% injected faults", converged, runs)
	if converged < need {
		t.Fatalf("%d of %d runs converged with one apply, want at least %d", converged, runs, need)
	}
}
