package tencentcloud_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud/tencentcloudtest"
)

// TestFaultHandling: each fault once, on a read and on a write. A call is
// repeated only when the answer proves nothing happened; a write that may
// have happened is reported as an unknown outcome and sent exactly once.
func TestFaultHandling(t *testing.T) {
	type want struct {
		ok        bool // the call succeeds (after retries)
		unknown   bool // errors.Is(err, providers.ErrOutcomeUnknown)
		sent      int  // requests of the action in the log
		committed int  // of which changed state
	}
	tests := []struct {
		name  string
		kind  tencentcloudtest.FaultKind
		write bool
		want  want
	}{
		{"throttled read", tencentcloudtest.FaultRequestLimit, false, want{ok: true, sent: 2}},
		{"throttled write", tencentcloudtest.FaultRequestLimit, true, want{ok: true, sent: 2, committed: 1}},
		{"5xx read", tencentcloudtest.FaultServerError, false, want{ok: true, sent: 2}},
		{"5xx write", tencentcloudtest.FaultServerError, true, want{unknown: true, sent: 1}},
		{"InternalError read", tencentcloudtest.FaultInternalError, false, want{ok: true, sent: 2}},
		{"InternalError write", tencentcloudtest.FaultInternalError, true, want{unknown: true, sent: 1}},
		{"dropped read", tencentcloudtest.FaultDrop, false, want{ok: true, sent: 2}},
		{"dropped write", tencentcloudtest.FaultDrop, true, want{unknown: true, sent: 1}},
		{"answer lost after commit (5xx)", tencentcloudtest.FaultAfterCommit5xx, true, want{unknown: true, sent: 1, committed: 1}},
		{"answer lost after commit (drop)", tencentcloudtest.FaultAfterCommitDrop, true, want{unknown: true, sent: 1, committed: 1}},
		{"write times out after commit", tencentcloudtest.FaultAfterCommitSlow, true, want{unknown: true, sent: 1, committed: 1}},
		{"read times out", tencentcloudtest.FaultSlow, false, want{ok: true, sent: 2}},
		{"write times out", tencentcloudtest.FaultSlow, true, want{unknown: true, sent: 1, committed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, tencentcloudtest.Options{}, false, func(o *tencentcloud.Options) { o.Timeout = 300 * time.Millisecond })
			d := h.domain(t, "example.com", "")
			action := "DescribeRecordList"
			if tt.write {
				action = "CreateRecord"
			}
			h.emu.Inject(tencentcloudtest.Injection{Action: action, Kind: tt.kind, Delay: 700 * time.Millisecond})
			var err error
			if tt.write {
				_, err = h.c.CreateRecord(context.Background(), d, rec("www", "A", "192.0.2.1", 600))
			} else {
				_, err = h.c.DescribeRecordList(context.Background(), d)
			}
			if tt.kind == tencentcloudtest.FaultSlow || tt.kind == tencentcloudtest.FaultAfterCommitSlow {
				time.Sleep(800 * time.Millisecond) // let the slow handler finish and log
			}
			got := want{ok: err == nil, unknown: errors.Is(err, providers.ErrOutcomeUnknown)}
			for _, e := range h.emu.Log() {
				if e.Action == action {
					got.sent++
					if e.Committed {
						got.committed++
					}
				}
			}
			if d := cmp.Diff(tt.want, got, cmp.AllowUnexported(want{})); d != "" {
				t.Fatalf("err = %v\n(-want +got):\n%s", err, d)
			}
		})
	}
}

// TestConnectionRefusedIsRetried: nothing was sent, so even a write is
// tried again, and the final error is transient, not unknown.
func TestConnectionRefusedIsRetried(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	o := fastOptions("http://" + addr)
	o.MaxRetries = 2
	c, err := tencentcloud.New(o)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateRecord(context.Background(), tencentcloud.DomainRef{Name: "example.com"}, rec("www", "A", "192.0.2.1", 600))
	if !errors.Is(err, providers.ErrTransient) || errors.Is(err, providers.ErrOutcomeUnknown) {
		t.Fatalf("err = %v", err)
	}
}

// TestBatchQuotas: too many running tasks is "busy" (retry after a task
// finished); the hourly quota is transient but not retried in the client.
func TestBatchQuotas(t *testing.T) {
	h := start(t, tencentcloudtest.Options{BatchStep: time.Hour, MaxRunningTasks: 2, MaxTasksPerHour: 3}, false, nil)
	d := h.domain(t, "example.com", "")
	ctx := context.Background()
	submit := func(i int) error {
		_, err := h.c.CreateRecordBatch(ctx, []uint64{d.ID}, []model.Record{rec(fmt.Sprintf("r%d", i), "A", "192.0.2.1", 600)})
		return err
	}
	for i := range 2 {
		if err := submit(i); err != nil {
			t.Fatal(err)
		}
	}
	err := submit(2)
	var ae *tencentcloud.APIError
	if !errors.As(err, &ae) || ae.Code != tencentcloud.CodeBatchTaskCountLimit || !errors.Is(err, providers.ErrBusy) || !errors.Is(err, providers.ErrTransient) {
		t.Fatalf("third task: %v", err)
	}
	if n := h.emu.TasksInFlight(); n != 2 {
		t.Fatalf("%d tasks in flight", n)
	}

	h2 := start(t, tencentcloudtest.Options{MaxTasksPerHour: 2}, false, nil)
	d2 := h2.domain(t, "example.com", "")
	for i := range 2 {
		if _, err := h2.c.DeleteRecordBatch(ctx, []uint64{uint64(i + 1)}); err == nil {
			t.Fatal("unknown ids accepted")
		}
	}
	// Refused submissions do not count; accepted ones do.
	for i := range 2 {
		if _, err := h2.c.CreateRecordBatch(ctx, []uint64{d2.ID}, []model.Record{rec(fmt.Sprintf("r%d", i), "A", "192.0.2.1", 600)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = h2.c.CreateRecordBatch(ctx, []uint64{d2.ID}, []model.Record{rec("r9", "A", "192.0.2.1", 600)})
	if !errors.As(err, &ae) || ae.Code != tencentcloud.CodeBatchTaskLimit || !errors.Is(err, providers.ErrTransient) || errors.Is(err, providers.ErrBusy) {
		t.Fatalf("hourly quota: %v", err)
	}
	if n := h2.calls("CreateRecordBatch"); n != 3 {
		t.Fatalf("%d submissions sent, want 3 (no retry of the hourly quota)", n)
	}
}

// TestEmulatorRateLimitsWithClientLimiter: with the documented rates on
// both sides, 60 batch-task polls (20/s) are paced by the client and never
// refused by the server.
func TestEmulatorRateLimitsWithClientLimiter(t *testing.T) {
	if testing.Short() {
		t.Skip("takes three seconds")
	}
	h := start(t, tencentcloudtest.Options{EnforceRates: true}, false, func(o *tencentcloud.Options) { o.RateScale = 0.9 })
	d := h.domain(t, "example.com", "")
	job, err := h.c.CreateRecordBatch(context.Background(), []uint64{d.ID}, []model.Record{rec("a", "A", "192.0.2.1", 600)})
	if err != nil {
		t.Fatal(err)
	}
	for range 60 {
		if _, err := h.c.DescribeBatchTask(context.Background(), uint64(job.JobID)); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range h.emu.Log() {
		if e.Fault != "" {
			t.Fatalf("refused: %+v", e)
		}
	}
}

// TestFaultyServiceNoDuplicateWrites makes 150 client calls while about a
// third of the requests fail: throttling, 5xx, InternalError, dropped
// connections, and writes whose answer is lost after they were carried
// out. Every call must end correctly and no write may be carried out twice:
// an unknown outcome is resolved by re-reading live state, never by
// sending the write again blindly.
func TestFaultyServiceNoDuplicateWrites(t *testing.T) {
	h := start(t, tencentcloudtest.Options{Seed: 7}, false, func(o *tencentcloud.Options) { o.MaxRetries = 12 })
	d := h.domain(t, "example.com", "")
	h.emu.SetFaults(tencentcloudtest.Faults{RequestLimit: 0.08, ServerError: 0.07, InternalError: 0.05, Drop: 0.06, FailAfterCommit: 0.08})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))

	expect := map[string]model.Record{} // name → record
	unknown := 0
	do := func(what string, submit func() error, applied func() bool) {
		t.Helper()
		for range 20 {
			err := submit()
			switch {
			case err == nil:
				return
			case errors.Is(err, providers.ErrOutcomeUnknown):
				unknown++
				if applied() {
					return
				}
			case errors.Is(err, providers.ErrTransient):
			default:
				t.Fatalf("%s: %v", what, err)
			}
		}
		t.Fatalf("%s: gave up", what)
	}
	list := func() map[string]model.Record {
		rs, err := h.c.DescribeRecordList(ctx, d)
		if err != nil {
			t.Fatalf("DescribeRecordList: %v", err)
		}
		m := map[string]model.Record{}
		for _, r := range rs {
			if !r.System {
				m[r.Name] = r
			}
		}
		return m
	}
	names := func() []string {
		var out []string
		for n := range expect {
			out = append(out, n)
		}
		sort.Strings(out)
		return out
	}
	next := 0
	for call := range 150 {
		x := rng.Float64()
		existing := names()
		switch {
		case x < 0.3 || len(existing) == 0 && x < 0.45:
			if d := cmp.Diff(expect, list()); d != "" {
				t.Fatalf("call %d: live (-want +got):\n%s", call, d)
			}
		case x < 0.55 || len(existing) == 0:
			next++
			r := rec(fmt.Sprintf("r%03d", next), "A", "192.0.2.1", 600)
			do("create "+r.Name, func() (err error) {
				r.ID, err = h.c.CreateRecord(ctx, d, r)
				return err
			}, func() bool {
				got, ok := list()[r.Name]
				r.ID = got.ID
				return ok
			})
			expect[r.Name] = r
		case x < 0.75:
			r := expect[existing[rng.IntN(len(existing))]]
			r.TTL += 60
			do("modify "+r.Name, func() error { return h.c.ModifyRecord(ctx, d, r) },
				func() bool { return list()[r.Name].TTL == r.TTL })
			expect[r.Name] = r
		default:
			r := expect[existing[rng.IntN(len(existing))]]
			do("delete "+r.Name, func() error { return h.c.DeleteRecord(ctx, d, r.ID) }, func() bool {
				_, ok := list()[r.Name]
				return !ok
			})
			delete(expect, r.Name)
		}
	}
	h.emu.SetFaults(tencentcloudtest.Faults{})
	if d := cmp.Diff(expect, list()); d != "" {
		t.Fatalf("final (-want +got):\n%s", d)
	}

	// The log: every name created exactly once, no write refused as a
	// duplicate or as already gone, and the faults really happened.
	created := map[string]int{}
	faults := map[tencentcloudtest.FaultKind]int{}
	for _, e := range h.emu.Log() {
		faults[e.Fault]++
		if e.Code == "InvalidParameter.DomainRecordExist" || (e.Action == "DeleteRecord" && e.Code == tencentcloud.CodeRecordIDInvalid) {
			t.Errorf("a write was repeated: %+v", e)
		}
		if e.Committed && e.Action == "CreateRecord" {
			var p struct{ SubDomain string }
			if err := json.Unmarshal(e.Params, &p); err != nil {
				t.Fatal(err)
			}
			created[p.SubDomain]++
		}
	}
	for n, c := range created {
		if c != 1 {
			t.Errorf("%s created %d times", n, c)
		}
	}
	if len(created) != next {
		t.Errorf("%d names created, %d intended", len(created), next)
	}
	t.Logf("%d requests, faults %v, %d unknown outcomes resolved by re-reading", len(h.emu.Log()), faults, unknown)
	for _, f := range []tencentcloudtest.FaultKind{tencentcloudtest.FaultRequestLimit, tencentcloudtest.FaultServerError, tencentcloudtest.FaultDrop, tencentcloudtest.FaultInternalError} {
		if faults[f] == 0 {
			t.Errorf("no %s fault injected", f)
		}
	}
	if faults[tencentcloudtest.FaultAfterCommit5xx]+faults[tencentcloudtest.FaultAfterCommitDrop] == 0 || unknown == 0 {
		t.Error("no write lost its answer: the test proves nothing")
	}
}
