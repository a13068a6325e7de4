package tencentcloud_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/apply"
	"github.com/dnssync/dnssync/internal/diff"
	"github.com/dnssync/dnssync/internal/engine"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/all"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud/tencentcloudtest"
	"github.com/dnssync/dnssync/internal/render"
	"github.com/dnssync/dnssync/internal/simulate"
	"github.com/dnssync/dnssync/internal/spec"
)

// world is one emulator, one configured account on it and the pass that
// reads, plans and applies through the account.
type world struct {
	emu  *tencentcloudtest.Server
	inst *tencentcloud.Instance
	pass *engine.Pass
	cfg  *spec.Config
}

// newWorld serves an emulator on loopback and builds the account "tc"
// with the production defaults except the client's back-offs (fast) and
// its client-side limiter (off: the emulator's own limits apply).
func newWorld(t testing.TB, eo tencentcloudtest.Options, mod func(*providers.Config)) *world {
	t.Helper()
	emu := tencentcloudtest.New(eo)
	emu.AddKey(testID, testKey)
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	cfg := spec.DefaultConfig(t.TempDir(), all.Registry())
	pc := spec.DefaultProvider(prov, tencentcloud.Type{})
	pc.Endpoint = ts.URL
	if mod != nil {
		mod(&pc)
	}
	cfg.Providers[prov] = pc
	w := &world{emu: emu, cfg: cfg}
	w.connect(t)
	return w
}

// connect builds a new client, instance and pass (nothing cached), as a
// new dnssync process would.
func (w *world) connect(t testing.TB) {
	t.Helper()
	pc := w.cfg.Providers[prov]
	o := fastOptions(pc.Endpoint)
	po := tencentcloud.PlannerOptionsOf(pc)
	o.MaxBatchRecords, o.MaxDeleteIDs = po.MaxTaskRecords, po.MaxDeleteIDs
	cl, err := tencentcloud.New(o)
	if err != nil {
		t.Fatal(err)
	}
	w.inst = tencentcloud.NewInstance(pc, cl)
	w.pass = engine.NewWith(w.cfg, map[string]providers.Instance{prov: w.inst}, nil)
}

func (w *world) domain(t testing.TB, name, grade string, recs ...model.Record) {
	t.Helper()
	if _, err := w.emu.AddDomain(name, grade); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if _, err := w.emu.AddRecord(name, r); err != nil {
			t.Fatalf("seed %s %s: %v", name, r, err)
		}
	}
}

// applyOpts polls fast: the emulator's tasks finish within milliseconds.
func applyOpts() engine.ApplyOptions {
	return engine.ApplyOptions{PlanOptions: engine.PlanOptions{Force: true},
		Apply: apply.Options{PollMin: time.Millisecond, PollMax: 4 * time.Millisecond, TaskTimeout: time.Minute, Timeout: 5 * time.Minute}}
}

func r(name, typ, value string, ttl int) model.Record {
	rr := model.Record{Name: name, Type: typ, Line: model.DefaultLine, Value: value, TTL: ttl, Enabled: true}
	if typ == model.TypeMX {
		rr.MX = 10
	}
	return rr
}

func off(rr model.Record) model.Record              { rr.Enabled = false; return rr }
func onLine(rr model.Record, l string) model.Record { rr.Line = l; return rr }

func zoneSpec(recs ...model.Record) *model.DNS {
	return &model.DNS{Provider: prov, TTL: 600, Policy: model.PolicySync, Records: recs, Thresholds: model.DefaultThresholds()}
}

// e2eDesired is a mix of every kind of change over three zones, two of
// them receiving the same new records (one shared create).
func e2eSetup(t testing.TB, w *world) *model.Desired {
	shared := []model.Record{r("status", model.TypeCNAME, "status.example.net.", 600), r("_dmarc", model.TypeTXT, "v=DMARC1; p=none", 600)}
	w.domain(t, "a.test", "DP_EXTRA",
		r("@", model.TypeA, "192.0.2.1", 600),
		r("www", model.TypeA, "192.0.2.10", 600), // becomes a CNAME: the A must go first
		r("api", model.TypeA, "192.0.2.20", 600), // value change
		r("ttl", model.TypeA, "192.0.2.30", 600), // TTL change
		off(r("paused", model.TypeA, "192.0.2.40", 600)),
		r("gone", model.TypeTXT, "bye", 600),
		r("@", model.TypeMX, "mx1.example.net.", 600),
		onLine(r("cdn", model.TypeA, "192.0.2.50", 600), "电信"),
	)
	w.domain(t, "b.test", "DP_EXTRA",
		r("@", model.TypeA, "198.51.100.1", 600),
		r("old", model.TypeA, "198.51.100.2", 600),
	)
	w.domain(t, "c.test", "DP_FREE",
		r("www", model.TypeA, "203.0.113.1", 600),
		r("mail", model.TypeMX, "mx.c.test.", 600),
	)
	a := zoneSpec(
		r("@", model.TypeA, "192.0.2.1", 600),
		r("www", model.TypeCNAME, "edge.example.net.", 600),
		r("api", model.TypeA, "192.0.2.21", 600),
		r("ttl", model.TypeA, "192.0.2.30", 120),
		r("paused", model.TypeA, "192.0.2.40", 600),
		off(r("new-paused", model.TypeAAAA, "2001:db8::1", 600)),
		r("@", model.TypeMX, "mx2.example.net.", 600),
		onLine(r("cdn", model.TypeA, "192.0.2.50", 600), "联通"),
	)
	a.Records = append(a.Records, shared...)
	b := zoneSpec(r("@", model.TypeA, "198.51.100.1", 600))
	b.Records = append(b.Records, shared...)
	c := zoneSpec(off(r("www", model.TypeA, "203.0.113.1", 600)), r("mail", model.TypeMX, "mx.c.test.", 3600))
	return desiredOf(map[string]*model.DNS{"a.test": a, "b.test": b, "c.test": c})
}

func desiredOf(zones map[string]*model.DNS) *model.Desired {
	d := &model.Desired{}
	for _, name := range slices.Sorted(mapKeys(zones)) {
		z := zones[name]
		model.SortRecords(z.Records)
		d.Domains = append(d.Domains, model.Domain{Name: name, Unicode: name, DNS: z})
	}
	return d
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// userState is a zone's records without ids and system rows, comparable
// with the desired ones.
func userState(rs []model.Record) []string {
	var out []string
	for _, x := range rs {
		if x.System {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s %s %s %d %d %t", x.Name, x.Type, x.Line, model.CompareValue(x.Type, x.Value), x.MX, x.TTL, x.Enabled))
	}
	slices.Sort(out)
	return out
}

func (w *world) assertState(t testing.TB, desired *model.Desired) {
	t.Helper()
	for _, d := range desired.Domains {
		got, want := userState(w.emu.Records(d.Name)), userState(d.DNS.Records)
		if !slices.Equal(got, want) {
			t.Errorf("%s: records\n got %q\nwant %q", d.Name, got, want)
		}
	}
}

func TestReadZone(t *testing.T) {
	w := newWorld(t, tencentcloudtest.Options{}, nil)
	w.domain(t, "free.test", "DP_FREE", r("www", model.TypeCNAME, "Edge.Example.NET", 600),
		r("@", model.TypeCAA, `0 ISSUE "ca.example.net"`, 600))
	w.domain(t, "plus.test", "DP_PLUS")
	z, err := w.inst.ReadZone(context.Background(), "free.test")
	if err != nil {
		t.Fatal(err)
	}
	if z.DomainID == "" || z.Grade != "DP_FREE" || z.MinTTL != 600 {
		t.Errorf("zone metadata: %+v", z)
	}
	if slices.Contains(z.Lines, "移动") || !slices.Contains(z.Lines, "电信") {
		t.Errorf("free grade lines: %v", z.Lines)
	}
	sys := 0
	for _, x := range z.Records {
		if x.System {
			sys++
			if x.Name != "@" || x.Type != model.TypeNS {
				t.Errorf("system row %s", x)
			}
		}
	}
	if sys != 2 || !slices.ContainsFunc(z.Records, func(x model.Record) bool { return x.Value == "edge.example.net." }) ||
		!slices.ContainsFunc(z.Records, func(x model.Record) bool { return x.Value == `0 issue "ca.example.net"` }) {
		t.Errorf("records: %v", z.Records)
	}
	p, err := w.inst.ReadZone(context.Background(), "plus.test")
	if err != nil || p.MinTTL != 60 || !slices.Contains(p.Lines, "移动") {
		t.Fatalf("plus zone: %+v, %v", p, err)
	}
	if _, err := w.inst.ReadZone(context.Background(), "absent.test"); !errors.Is(err, providers.ErrUnknownDomain) {
		t.Fatalf("absent zone: %v", err)
	}
	// Grade limits are read once per domain.
	before := len(w.emu.Log())
	if _, err := w.inst.ReadZone(context.Background(), "free.test"); err != nil {
		t.Fatal(err)
	}
	for _, e := range w.emu.Log()[before:] {
		if e.Action != "DescribeRecordList" {
			t.Errorf("second read called %s", e.Action)
		}
	}
}

// TestApplyConverges reads, plans through diff.Plan with the account's
// planner, replays the plan in the simulator, applies it through the
// engine (apply.Runner) and verifies: a fresh plan is empty and the
// emulator holds exactly the desired records.
func TestApplyConverges(t *testing.T) {
	for _, v3 := range []bool{false, true} {
		t.Run(fmt.Sprintf("modify_v3=%t", v3), func(t *testing.T) {
			w := newWorld(t, tencentcloudtest.Options{BatchStep: time.Millisecond}, func(c *providers.Config) {
				c.Options = map[string]providers.Option{tencentcloud.OptModifyV3: {Value: v3}}
			})
			desired := e2eSetup(t, w)
			ctx := context.Background()
			p, live, err := w.pass.Plan(ctx, desired, engine.PlanOptions{Force: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Refusals) > 0 || p.Empty() {
				t.Fatalf("plan: refusals %v, %d changes\n%s", p.Refusals, len(p.Changes), describe(p))
			}
			rules := tencentcloud.Rules(w.cfg.Providers[prov])
			after, err := simulate.Apply(live, p, models(rules))
			if err != nil {
				t.Fatalf("simulate: %v\n%s", err, describe(p))
			}
			if again := diff.Plan(desired, after, w.pass.DiffOptions(engine.PlanOptions{Force: true})); !again.Empty() {
				t.Fatalf("simulated end state still differs:\n%s", describe(again))
			}
			ops := map[plan.Op]int{}
			for _, s := range p.Stages {
				for _, b := range s.Batches {
					ops[b.Op]++
				}
			}
			if v3 && ops[tencentcloud.OpModifyV3]+ops[tencentcloud.OpModify] == 0 || !v3 && ops[tencentcloud.OpModifyV3] > 0 {
				t.Errorf("modify_v3=%t: operations %v", v3, ops)
			}
			// The plan survives its file form (plan -out, apply FILE).
			var buf bytes.Buffer
			if err := render.WritePlanFile(&buf, p); err != nil {
				t.Fatalf("plan file: %v", err)
			}
			saved, err := render.ReadPlanFile(&buf)
			if err != nil {
				t.Fatalf("plan file: %v", err)
			}
			ao := applyOpts()
			ao.Saved = saved
			res, err := w.pass.Apply(ctx, desired, ao)
			if err != nil {
				t.Fatalf("apply: %v\n%s", err, describe(res.Plan))
			}
			if !res.Remaining.Empty() {
				t.Fatalf("not converged:\n%s", describe(res.Remaining))
			}
			w.assertState(t, desired)
			for _, r := range res.Summary.Results {
				for _, it := range r.Items {
					if it.State != providers.ItemOK {
						t.Errorf("batch %s item %+v", r.Batch, it)
					}
				}
			}
		})
	}
}

// writeActions are the emulator actions that change state.
func isWriteAction(a string) bool {
	return strings.HasPrefix(a, "Create") || strings.HasPrefix(a, "Modify") || strings.HasPrefix(a, "Delete")
}

// unknownAnswer reports whether the client could not know what a logged
// write did: no answer, a non-200 answer, or a service-side failure.
func unknownAnswer(e tencentcloudtest.LogEntry) bool {
	return e.HTTPStatus != 200 || e.Code == tencentcloud.CodeInternalError || e.Code == tencentcloud.CodeUnknowError
}

// checkNoResend fails if, within one run's request log, a write whose
// outcome was unknown was sent again (the same body).
// checkNoResend fails when a write whose outcome was unknown to the client
// but which the service had carried out is sent again: the apply may send
// a write again only after a fresh read of live state showed it had not
// happened (its retry rounds plan from live state).
func checkNoResend(t *testing.T, log []tencentcloudtest.LogEntry) int {
	t.Helper()
	unknown := map[string]int{}
	n := 0
	for i, e := range log {
		if !isWriteAction(e.Action) {
			continue
		}
		key := e.Action + " " + string(e.Params)
		if at, ok := unknown[key]; ok {
			t.Errorf("request %d resends %s after it was carried out with an unknown outcome at request %d", i, e.Action, at)
		}
		if unknownAnswer(e) {
			n++
			if e.Committed {
				unknown[key] = i
			}
		}
	}
	return n
}

// TestFaultsNoResend applies under injected faults — throttling, 5xx
// answers, dropped connections before and after the write was done,
// InternalError, failing task items — and checks that a write whose
// outcome was unknown was never sent again within the run, that failed
// items carry the service's message, and that re-running (a fresh read
// and plan each time) converges.
func TestFaultsNoResend(t *testing.T) {
	kinds := []struct {
		action string
		kind   tencentcloudtest.FaultKind
	}{
		{"CreateRecordBatch", tencentcloudtest.FaultRequestLimit},
		{"DescribeRecordList", tencentcloudtest.FaultRequestLimit},
		{"DeleteRecordBatch", tencentcloudtest.FaultServerError},
		{"CreateRecordBatch", tencentcloudtest.FaultDrop},
		{"ModifyRecord", tencentcloudtest.FaultAfterCommit5xx},
		{"CreateRecordBatch", tencentcloudtest.FaultAfterCommitDrop},
		{"DeleteRecordBatch", tencentcloudtest.FaultInternalError},
		{"DescribeBatchTask", tencentcloudtest.FaultServerError},
		{"CreateRecordBatch", tencentcloudtest.FaultFailItems},
		{"CreateRecord", tencentcloudtest.FaultAfterCommitDrop},
	}
	for _, k := range kinds {
		t.Run(k.action+"/"+string(k.kind), func(t *testing.T) {
			w := newWorld(t, tencentcloudtest.Options{BatchStep: time.Millisecond}, nil)
			desired := e2eSetup(t, w)
			w.emu.Inject(tencentcloudtest.Injection{Action: k.action, Kind: k.kind, Count: 1})
			ctx := context.Background()
			res, err := w.pass.Apply(ctx, desired, applyOpts())
			log := w.emu.Log()
			unknown := checkNoResend(t, log)
			injected := false
			for _, e := range log {
				injected = injected || e.Fault == k.kind
			}
			if !injected && k.kind != tencentcloudtest.FaultFailItems { // item failures are not request faults
				t.Fatalf("fault %s on %s never struck", k.kind, k.action)
			}
			switch k.kind {
			case tencentcloudtest.FaultRequestLimit:
				if err != nil {
					t.Fatalf("throttling is retried, yet: %v", err)
				}
			case tencentcloudtest.FaultFailItems:
				// The failed items are planned again from live state
				// within the same apply, which converges; the first
				// attempt keeps the service's message.
				if err != nil || res.Summary.Retries == 0 {
					t.Fatalf("failed items were not retried within the apply: %v (retries %d)", err, res.Summary.Retries)
				}
				msg := false
				for _, r := range res.Summary.Results {
					for _, it := range r.Items {
						msg = msg || r.Retried && it.State == providers.ItemFailed && strings.Contains(it.Message, "Injected failure")
					}
				}
				if !msg {
					t.Errorf("failed items carry no provider message: %+v", res.Summary.Results)
				}
			default:
				if isWriteAction(k.action) && unknown == 0 {
					t.Errorf("no write with an unknown outcome in the log")
				}
			}
			for try := 0; err != nil && try < 3; try++ {
				w.emu.ResetLog()
				res, err = w.pass.Apply(ctx, desired, applyOpts())
				checkNoResend(t, w.emu.Log())
			}
			if err != nil || !res.Remaining.Empty() {
				t.Fatalf("no convergence after re-running: %v", err)
			}
			w.assertState(t, desired)
		})
	}
}

// TestRandomFaults applies under a random mix of faults until the state
// converges, checking every run's log for resent unknown writes.
func TestRandomFaults(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w := newWorld(t, tencentcloudtest.Options{Seed: seed, BatchStep: time.Millisecond}, nil)
			desired := e2eSetup(t, w)
			w.emu.SetFaults(tencentcloudtest.Faults{RequestLimit: 0.1, ServerError: 0.05, InternalError: 0.03, Drop: 0.05,
				FailAfterCommit: 0.05, FailItem: 0.05})
			ctx := context.Background()
			var err error
			var res *engine.ApplyResult
			for try := 0; try < 12; try++ {
				w.emu.ResetLog()
				res, err = w.pass.Apply(ctx, desired, applyOpts())
				checkNoResend(t, w.emu.Log())
				if err == nil && res.Remaining.Empty() {
					break
				}
			}
			if err != nil {
				t.Fatalf("no convergence: %v", err)
			}
			w.assertState(t, desired)
		})
	}
}
