package apply

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/journal"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
)

type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) Report(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// batches returns the sorted batch ids of events of kind k.
func (r *recorder) batches(k EventKind) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []string{}
	for _, e := range r.events {
		if e.Kind == k {
			out = append(out, e.BatchID)
		}
	}
	sort.Strings(out)
	return out
}

func bt(id, provider string, domains ...string) plan.Batch {
	return plan.Batch{ID: id, Provider: provider, Op: "dnspod:Batch.Record.Modify", Domains: domains, Items: len(domains), Payload: []byte(`{"field":"ttl","to":"600"}`)}
}

func stg(name string, bs ...plan.Batch) plan.Stage { return plan.Stage{Name: name, Batches: bs} }

func mkplan(stages ...plan.Stage) *plan.Plan {
	return &plan.Plan{Version: plan.FormatVersion, Stages: stages}
}

type env struct {
	dir string
	j   *journal.Journal
	rec *recorder
	e   *Runner
}

func newEnv(t *testing.T, dir string, o Options, execs ...*fakeExec) *env {
	t.Helper()
	j, err := journal.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	rec := &recorder{}
	o.Reporter = rec
	if o.PollMin == 0 {
		o.PollMin, o.PollMax = time.Second, 8*time.Second
	}
	m := map[string]providers.Executor{}
	for _, x := range execs {
		m[x.name] = x
	}
	return &env{dir: dir, j: j, rec: rec, e: &Runner{Executors: m, Journal: j, Options: o}}
}

func statuses(s *journal.Summary) map[string]string {
	out := map[string]string{}
	for _, r := range s.Results {
		out[r.Batch] = string(r.Status)
	}
	return out
}

func result(s *journal.Summary, id string) journal.BatchResult {
	for _, r := range s.Results {
		if r.Batch == id {
			return r
		}
	}
	return journal.BatchResult{}
}

func pendingIDs(t *testing.T, dir string) (tasks, unknown []string) {
	t.Helper()
	j, err := journal.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	p, u, _ := j.Pending()
	tasks, unknown = []string{}, []string{}
	for _, x := range p {
		tasks = append(tasks, x.Task.ID)
	}
	for _, x := range u {
		unknown = append(unknown, x.Batch)
	}
	return tasks, unknown
}

func TestSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dp := newFake("dnspod", map[string]*script{"s2.b0": {sync: true}})
		al := newFake("aliyun", map[string]*script{"s1.b0": {polls: 3}})
		ev := newEnv(t, t.TempDir(), Options{}, dp, al)
		p := mkplan(
			stg("glue", bt("s1.b0", "aliyun", "a.com"), bt("s1.b1", "dnspod", "a.com", "b.com")),
			stg("records", bt("s2.b0", "dnspod", "a.com")),
		)
		sum, err := ev.e.Apply(t.Context(), p)
		if err != nil {
			t.Fatalf("Apply: %v", err)
		}
		want := map[string]string{"s1.b0": "ok", "s1.b1": "ok", "s2.b0": "ok"}
		if d := cmp.Diff(want, statuses(sum)); d != "" {
			t.Errorf("statuses (-want +got):\n%s", d)
		}
		if sum.Batches != (journal.BatchCounts{OK: 3}) || sum.Items != (journal.ItemCounts{OK: 4}) {
			t.Errorf("counts %+v %+v", sum.Batches, sum.Items)
		}
		if d := cmp.Diff([]string{"s1.b0", "s1.b1", "s2.b0"}, ev.rec.batches(BatchSubmitted)); d != "" {
			t.Errorf("submitted: %s", d)
		}
		if got := al.polled()["t-s1.b0"]; got != 4 {
			t.Errorf("aliyun task polled %d times, want 4 (3 running + final)", got)
		}
		if got := dp.polled()["t-s2.b0"]; got != 0 {
			t.Errorf("synchronous task polled %d times", got)
		}
		if tasks, unknown := pendingIDs(t, ev.dir); len(tasks)+len(unknown) != 0 {
			t.Errorf("journal after a clean run: tasks %v unknown %v", tasks, unknown)
		}
		st, err := journal.ReadStatus(ev.dir)
		if err != nil || st.Last == nil || st.Last.Batches.OK != 3 {
			t.Errorf("status after run: %+v, %v", st, err)
		}
	})
}

func TestItemFailuresSkipDependants(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dp := newFake("dnspod", map[string]*script{
			"A": {polls: 1, failed: map[string]string{"a.com": "记录已经存在 (104)"}},
		})
		ev := newEnv(t, t.TempDir(), Options{}, dp)
		p := mkplan(
			stg("1", bt("A", "dnspod", "a.com", "b.com"), bt("C", "dnspod", "c.com")),
			// D depends on A through a.com (whose item failed): skipped.
			// E touches b.com, whose item in A succeeded: runs.
			// X touches a.com and e.com: skipped, which leaves e.com
			// unfinished; Y shares e.com but sits in the same stage: runs.
			stg("2", bt("D", "dnspod", "a.com"), bt("E", "dnspod", "b.com"), bt("X", "dnspod", "e.com", "a.com"), bt("Y", "dnspod", "e.com")),
			// G depends on X through e.com: skipped (transitively).
			stg("3", bt("G", "dnspod", "e.com"), bt("H", "dnspod", "c.com")),
		)
		sum, err := ev.e.Apply(t.Context(), p)
		if !errors.Is(err, ErrIncomplete) {
			t.Fatalf("err = %v, want ErrIncomplete", err)
		}
		want := map[string]string{"A": "failed", "C": "ok", "D": "skipped", "E": "ok", "X": "skipped", "Y": "ok", "G": "skipped", "H": "ok"}
		if d := cmp.Diff(want, statuses(sum)); d != "" {
			t.Errorf("statuses (-want +got):\n%s", d)
		}
		if a := result(sum, "A"); !strings.Contains(a.Reason, "a.com: 记录已经存在 (104)") {
			t.Errorf("A reason %q lacks the provider's message", a.Reason)
		}
		if d := result(sum, "D"); !strings.Contains(d.Reason, "a.com: A failed") {
			t.Errorf("D reason %q", d.Reason)
		}
		if g := result(sum, "G"); !strings.Contains(g.Reason, "e.com: X skipped") {
			t.Errorf("G reason %q", g.Reason)
		}
		wantCounts := journal.BatchCounts{OK: 4, Failed: 1, Skipped: 3}
		if sum.Batches != wantCounts || sum.Items != (journal.ItemCounts{OK: 5, Failed: 1}) {
			t.Errorf("counts %+v %+v", sum.Batches, sum.Items)
		}
		for _, id := range []string{"D", "X", "G"} {
			if n := dp.submitCount(id); n != 0 {
				t.Errorf("skipped batch %s submitted %d times", id, n)
			}
		}
		if !strings.Contains(err.Error(), "batches ok 4, failed 1, skipped 3, unknown 0; items ok 5, failed 1") {
			t.Errorf("error text %q", err)
		}
	})
}

func TestSubmitRetries(t *testing.T) {
	transient := fmt.Errorf("Throttling.User: %w", providers.ErrTransient)
	busy := fmt.Errorf("TaskIsBeingProcessed: %w", providers.ErrBusy)
	tests := []struct {
		name        string
		errs        []error
		wantStatus  string
		wantSubmits int
		wantWaits   []time.Duration
	}{
		{"transient then ok", []error{transient, transient}, "ok", 3, []time.Duration{time.Second, 2 * time.Second}},
		{"transient beyond limit", []error{transient, transient, transient, transient}, "failed", 3, []time.Duration{time.Second, 2 * time.Second}},
		{"busy waits and resubmits past the transient limit", []error{busy, busy, busy, busy}, "ok", 5, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}},
		{"permanent error", []error{errors.New("ParameterIllegal: bad ns")}, "failed", 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				dp := newFake("dnspod", map[string]*script{"A": {submitErrs: tc.errs, sync: true}})
				var mu sync.Mutex
				var waits []time.Duration
				o := Options{SubmitRetries: 2, Jitter: func(d time.Duration) time.Duration { return d },
					Sleep: func(ctx context.Context, d time.Duration) error {
						mu.Lock()
						waits = append(waits, d)
						mu.Unlock()
						return sleep(ctx, d)
					}}
				ev := newEnv(t, t.TempDir(), o, dp)
				sum, _ := ev.e.Apply(t.Context(), mkplan(stg("1", bt("A", "dnspod", "a.com"))))
				if got := statuses(sum)["A"]; got != tc.wantStatus {
					t.Errorf("status %s, want %s (%s)", got, tc.wantStatus, result(sum, "A").Reason)
				}
				if got := dp.submitCount("A"); got != tc.wantSubmits {
					t.Errorf("submits %d, want %d", got, tc.wantSubmits)
				}
				if d := cmp.Diff(tc.wantWaits, waits); d != "" {
					t.Errorf("waits (-want +got):\n%s", d)
				}
				// A refusal is journaled as such: never "unknown".
				if _, unknown := pendingIDs(t, ev.dir); len(unknown) != 0 {
					t.Errorf("unknown after refusal: %v", unknown)
				}
			})
		})
	}
}

func TestUnknownOutcomeNeverResubmitted(t *testing.T) {
	tests := []struct {
		name   string
		script *script
		reason string
	}{
		{"unknown wins over transient", &script{submitErrs: []error{fmt.Errorf("read: connection reset: %w: %w", providers.ErrOutcomeUnknown, providers.ErrTransient)}}, "connection reset"},
		{"hung call cut by the task timeout", &script{blockSubmit: true}, "submit interrupted (per-task timeout)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				dp := newFake("dnspod", map[string]*script{"A": tc.script})
				ev := newEnv(t, t.TempDir(), Options{TaskTimeout: time.Minute}, dp)
				p := mkplan(stg("1", bt("A", "dnspod", "a.com"), bt("B", "dnspod", "b.com")), stg("2", bt("C", "dnspod", "a.com")))
				sum, err := ev.e.Apply(t.Context(), p)
				if !errors.Is(err, ErrIncomplete) {
					t.Fatalf("err = %v", err)
				}
				want := map[string]string{"A": "unknown", "B": "ok", "C": "skipped"}
				if d := cmp.Diff(want, statuses(sum)); d != "" {
					t.Errorf("statuses (-want +got):\n%s", d)
				}
				if n := dp.submitCount("A"); n != 1 {
					t.Errorf("A submitted %d times, want exactly 1", n)
				}
				if r := result(sum, "A").Reason; !strings.Contains(r, tc.reason) || !strings.Contains(r, "not resubmitted") {
					t.Errorf("A reason %q", r)
				}
				// This run reported it; the rotated journal holds the
				// unknown entry and the live one no longer lists it.
				if tasks, unknown := pendingIDs(t, ev.dir); len(tasks)+len(unknown) != 0 {
					t.Errorf("after End: tasks %v unknown %v", tasks, unknown)
				}
				st, _ := journal.ReadStatus(ev.dir)
				data, _ := os.ReadFile(st.LastFile)
				if !strings.Contains(string(data), `"kind":"unknown"`) {
					t.Errorf("rotated journal lacks the unknown entry")
				}
			})
		})
	}
}

func TestTaskTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dp := newFake("dnspod", map[string]*script{"A": {never: true}, "B": {polls: 5}})
		ev := newEnv(t, t.TempDir(), Options{TaskTimeout: time.Minute}, dp)
		start := time.Now()
		sum, err := ev.e.Apply(t.Context(), mkplan(stg("1", bt("A", "dnspod", "a.com"), bt("B", "dnspod", "b.com")), stg("2", bt("C", "dnspod", "a.com"), bt("D", "dnspod", "b.com"))))
		if !errors.Is(err, ErrIncomplete) {
			t.Fatalf("err = %v", err)
		}
		if el := time.Since(start); el < time.Minute || el > time.Minute+10*time.Second {
			t.Errorf("run took %v of fake time, want about the 1m task timeout", el)
		}
		want := map[string]string{"A": "unknown", "B": "ok", "C": "skipped", "D": "ok"}
		if d := cmp.Diff(want, statuses(sum)); d != "" {
			t.Errorf("statuses (-want +got):\n%s", d)
		}
		if r := result(sum, "A").Reason; !strings.Contains(r, "per-task timeout") || !strings.Contains(r, "next apply awaits it") {
			t.Errorf("A reason %q", r)
		}
		if got := ev.rec.batches(TaskAbandoned); !cmp.Equal(got, []string{"A"}) {
			t.Errorf("abandoned %v", got)
		}
		// The task stays journaled as in flight for the next run.
		tasks, unknown := pendingIDs(t, ev.dir)
		if d := cmp.Diff([]string{"t-A"}, tasks); d != "" || len(unknown) != 0 {
			t.Errorf("pending after timeout: tasks %v unknown %v", tasks, unknown)
		}
	})
}

func TestOverallTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dp := newFake("dnspod", map[string]*script{"A": {never: true}})
		ev := newEnv(t, t.TempDir(), Options{Timeout: 3 * time.Minute}, dp)
		start := time.Now()
		sum, err := ev.e.Apply(t.Context(), mkplan(stg("1", bt("A", "dnspod", "a.com")), stg("2", bt("B", "dnspod", "b.com"))))
		if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "overall timeout") {
			t.Fatalf("err = %v", err)
		}
		if el := time.Since(start); el < 3*time.Minute || el > 3*time.Minute+time.Second {
			t.Errorf("run took %v of fake time, want the 3m overall timeout", el)
		}
		want := map[string]string{"A": "unknown", "B": "skipped"}
		if d := cmp.Diff(want, statuses(sum)); d != "" {
			t.Errorf("statuses (-want +got):\n%s", d)
		}
		if r := result(sum, "B").Reason; !strings.Contains(r, "overall timeout") {
			t.Errorf("B reason %q", r)
		}
		if dp.submitCount("B") != 0 {
			t.Errorf("B submitted after the timeout")
		}
	})
}

func TestConcurrencyPerProvider(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dp := newFake("dnspod", nil)
		al := newFake("aliyun", nil)
		var bs []plan.Batch
		for i := range 6 {
			bs = append(bs, bt(fmt.Sprintf("d%d", i), "dnspod", fmt.Sprintf("d%d.com", i)))
			bs = append(bs, bt(fmt.Sprintf("a%d", i), "aliyun", fmt.Sprintf("a%d.com", i)))
		}
		ev := newEnv(t, t.TempDir(), Options{Concurrency: 3, ProviderConcurrency: map[string]int{"dnspod": 2}}, dp, al)
		sum, err := ev.e.Apply(t.Context(), mkplan(stg("1", bs...)))
		if err != nil || sum.Batches.OK != 12 {
			t.Fatalf("Apply: %v %+v", err, sum.Batches)
		}
		if dp.maxInFlight != 2 || al.maxInFlight != 3 {
			t.Errorf("max in flight dnspod %d (want 2), aliyun %d (want 3)", dp.maxInFlight, al.maxInFlight)
		}
	})
}

func TestPollErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dp := newFake("dnspod", map[string]*script{
			"A": {pollErr: errors.New("InvalidTaskNo: task not found")},
			"B": {pollErr: fmt.Errorf("503: %w", providers.ErrTransient)},
		})
		ev := newEnv(t, t.TempDir(), Options{PollErrors: 3}, dp)
		sum, _ := ev.e.Apply(t.Context(), mkplan(stg("1", bt("A", "dnspod", "a.com"), bt("B", "dnspod", "b.com"))))
		want := map[string]string{"A": "unknown", "B": "unknown"}
		if d := cmp.Diff(want, statuses(sum)); d != "" {
			t.Errorf("statuses (-want +got):\n%s", d)
		}
		polls := dp.polled()
		if polls["t-A"] != 1 || polls["t-B"] != 4 {
			t.Errorf("polls %v, want A 1 (permanent), B 4 (3 tolerated + 1)", polls)
		}
		if r := result(sum, "A").Reason; !strings.Contains(r, "InvalidTaskNo: task not found") {
			t.Errorf("A reason %q", r)
		}
		// A task that can no longer be read is settled as unknown in the
		// journal: the next run plans from live state instead of polling.
		if tasks, unknown := pendingIDs(t, ev.dir); len(tasks)+len(unknown) != 0 {
			t.Errorf("pending %v unknown %v", tasks, unknown)
		}
	})
}

func TestMissingExecutor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ev := newEnv(t, t.TempDir(), Options{}, newFake("dnspod", nil))
		sum, err := ev.e.Apply(t.Context(), mkplan(stg("1", bt("A", "route53", "a.com"))))
		if err == nil || statuses(sum)["A"] != "failed" || !strings.Contains(result(sum, "A").Reason, `no executor configured for provider "route53"`) {
			t.Errorf("err %v result %+v", err, result(sum, "A"))
		}
	})
}

func TestReplan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dp := newFake("dnspod", nil)
		al := newFake("aliyun", nil)
		ev := newEnv(t, t.TempDir(), Options{ReplanAfter: func(s plan.Stage) bool { return s.Name == "sync" }}, dp, al)
		first := mkplan(stg("sync", bt("S", "aliyun", "a.com")), stg("hosts", bt("OLD", "aliyun", "a.com")))
		second := mkplan(stg("hosts", bt("NEW", "aliyun", "a.com")), stg("records", bt("R", "dnspod", "a.com")))
		calls := 0
		planFn := func(context.Context) (*plan.Plan, error) {
			calls++
			if calls == 1 {
				return first, nil
			}
			return second, nil
		}
		sum, err := ev.e.Run(t.Context(), planFn)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		want := map[string]string{"S": "ok", "NEW": "ok", "R": "ok"}
		if d := cmp.Diff(want, statuses(sum)); d != "" {
			t.Errorf("statuses (-want +got):\n%s", d)
		}
		if sum.Replans != 1 || al.submitCount("OLD") != 0 {
			t.Errorf("replans %d, OLD submitted %d", sum.Replans, al.submitCount("OLD"))
		}

		// A failing re-plan skips the rest and fails the run.
		ev2 := newEnv(t, t.TempDir(), Options{ReplanAfter: func(s plan.Stage) bool { return s.Name == "sync" }}, newFake("aliyun", nil))
		ev2.e.Replan = func(context.Context) (*plan.Plan, error) { return nil, errors.New("read hosts: boom") }
		sum, err = ev2.e.Apply(t.Context(), first)
		if !errors.Is(err, ErrIncomplete) || !strings.Contains(sum.Error, "re-plan after stage sync: read hosts: boom") {
			t.Errorf("err %v summary error %q", err, sum.Error)
		}
		if d := cmp.Diff(map[string]string{"S": "ok", "OLD": "skipped"}, statuses(sum)); d != "" {
			t.Errorf("statuses (-want +got):\n%s", d)
		}
	})
}

func TestReplanFlagFromPlanner(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		al := newFake("aliyun", nil)
		ev := newEnv(t, t.TempDir(), Options{}, al)
		sync := stg("sync", bt("S", "aliyun", "a.com"))
		sync.Replan = true
		replans := 0
		ev.e.Replan = func(context.Context) (*plan.Plan, error) {
			replans++
			return mkplan(stg("hosts", bt("NEW", "aliyun", "a.com"))), nil
		}
		sum, err := ev.e.Apply(t.Context(), mkplan(sync, stg("hosts", bt("OLD", "aliyun", "a.com"))))
		if err != nil || replans != 1 {
			t.Fatalf("err %v, replans %d", err, replans)
		}
		if d := cmp.Diff(map[string]string{"S": "ok", "NEW": "ok"}, statuses(sum)); d != "" {
			t.Errorf("statuses (-want +got):\n%s", d)
		}
	})
}

func TestResumeOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		ev := newEnv(t, dir, Options{TaskTimeout: time.Minute}, newFake("dnspod", map[string]*script{"A": {never: true}}))
		if _, err := ev.e.Apply(t.Context(), mkplan(stg("1", bt("A", "dnspod", "a.com")))); err == nil {
			t.Fatal("want error")
		}
		ev.j.Close()
		dp := newFake("dnspod", nil)
		ev2 := newEnv(t, dir, Options{}, dp)
		sum, err := ev2.e.Resume(t.Context())
		if err != nil || statuses(sum)["A"] != "ok" || dp.totalSubmits() != 0 {
			t.Errorf("Resume: %v, %v, submits %d", err, statuses(sum), dp.totalSubmits())
		}
	})
}

func TestPlanError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ev := newEnv(t, t.TempDir(), Options{}, newFake("dnspod", nil))
		sum, err := ev.e.Run(t.Context(), func(context.Context) (*plan.Plan, error) { return nil, errors.New("read zone: 401") })
		if !errors.Is(err, ErrIncomplete) || sum.Error != "plan: read zone: 401" {
			t.Errorf("err %v, summary error %q", err, sum.Error)
		}
	})
}

// journalTap snapshots the live journal file after every write, so that
// the crash test can restart from each of those points.
type journalTap struct {
	*journal.Journal
	path  string
	mu    sync.Mutex
	snaps [][]byte
}

func (j *journalTap) snap(err error) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	data, rerr := os.ReadFile(j.path)
	if rerr != nil {
		panic(rerr)
	}
	j.snaps = append(j.snaps, data)
	return err
}

func (j *journalTap) Intent(stage string, b plan.Batch) (string, error) {
	ref, err := j.Journal.Intent(stage, b)
	return ref, j.snap(err)
}
func (j *journalTap) Accepted(ref string, t providers.Task) error {
	return j.snap(j.Journal.Accepted(ref, t))
}
func (j *journalTap) Rejected(ref, m string) error { return j.snap(j.Journal.Rejected(ref, m)) }
func (j *journalTap) Unknown(ref, m string) error  { return j.snap(j.Journal.Unknown(ref, m)) }
func (j *journalTap) TimedOut(ref, m string) error { return j.snap(j.Journal.TimedOut(ref, m)) }
func (j *journalTap) Outcome(ref string, s journal.BatchStatus, it []providers.ItemResult, m string) error {
	return j.snap(j.Journal.Outcome(ref, s, it, m))
}
func (j *journalTap) End(s journal.Summary) error { return j.snap(j.Journal.End(s)) }

// TestCrashAtEveryJournalPoint runs an apply, then restarts from the journal
// as it was after each write — and in the middle of the next line, as a
// kill -9 during a write leaves it — and checks that the next run awaits
// exactly the accepted, unfinished tasks, reports the unknown submits, and
// submits nothing.
func TestCrashAtEveryJournalPoint(t *testing.T) {
	var snaps [][]byte
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		j, err := journal.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer j.Close()
		tap := &journalTap{Journal: j, path: filepath.Join(dir, journal.FileName)}
		tap.snaps = [][]byte{nil}
		dp := newFake("dnspod", map[string]*script{
			"A": {polls: 2},
			"B": {submitErrs: []error{fmt.Errorf("EOF: %w", providers.ErrOutcomeUnknown)}},
			"C": {sync: true},
			"D": {polls: 1, failed: map[string]string{"d.com": "参数错误"}},
		})
		e := &Runner{Executors: map[string]providers.Executor{"dnspod": dp}, Journal: tap}
		p := mkplan(stg("1", bt("A", "dnspod", "a.com")), stg("2", bt("B", "dnspod", "b.com")),
			stg("3", bt("C", "dnspod", "c.com")), stg("4", bt("D", "dnspod", "d.com")))
		if _, err := e.Apply(t.Context(), p); !errors.Is(err, ErrIncomplete) {
			t.Fatalf("first run: %v", err)
		}
		snaps = tap.snaps
	})

	// After snapshot k: tasks the next run must await (resumed), batches it
	// must report unknown.
	want := []struct{ resumed, unknown []string }{
		{},                            // 0: nothing written
		{unknown: []string{"A"}},      // 1: intent A (crash during submit)
		{resumed: []string{"A"}},      // 2: accepted A
		{},                            // 3: outcome A
		{unknown: []string{"B"}},      // 4: intent B
		{unknown: []string{"B"}},      // 5: unknown B
		{unknown: []string{"B", "C"}}, // 6: intent C
		{resumed: []string{"C"}, unknown: []string{"B"}}, // 7: accepted C (sync)
		{unknown: []string{"B"}},                         // 8: outcome C
		{unknown: []string{"B", "D"}},                    // 9: intent D
		{resumed: []string{"D"}, unknown: []string{"B"}}, // 10: accepted D
		{unknown: []string{"B"}},                         // 11: outcome D
		{},                                               // 12: end (rotated: live journal empty)
	}
	if len(snaps) != len(want) {
		t.Fatalf("first run made %d journal writes, table expects %d", len(snaps)-1, len(want)-1)
	}
	type point struct {
		name string
		data []byte
		k    int
	}
	var points []point
	for k, s := range snaps {
		points = append(points, point{fmt.Sprintf("after write %d", k), s, k})
		if k+1 < len(snaps) && len(snaps[k+1]) > len(s) && string(snaps[k+1][:len(s)]) == string(s) {
			torn := snaps[k+1][:len(s)+(len(snaps[k+1])-len(s))/2]
			points = append(points, point{fmt.Sprintf("torn write %d", k+1), torn, k})
		}
	}
	for _, pt := range points {
		t.Run(pt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, journal.FileName), pt.data, 0o600); err != nil {
					t.Fatal(err)
				}
				dp := newFake("dnspod", nil)
				ev := newEnv(t, dir, Options{}, dp)
				planned := false
				sum, _ := ev.e.Run(t.Context(), func(context.Context) (*plan.Plan, error) {
					planned = true
					return mkplan(), nil
				})
				if n := dp.totalSubmits(); n != 0 {
					t.Errorf("resume submitted %d writes", n)
				}
				if !planned {
					t.Errorf("planFn not called after resume")
				}
				resumed, unknown := []string{}, []string{}
				for _, r := range sum.Results {
					switch {
					case r.Status == journal.StatusUnknown && r.Task == "":
						unknown = append(unknown, r.Batch)
						// The plan made after resume read live state
						// again: it settles the carried-over outcome.
						if !r.Retried || r.Run == "" {
							t.Errorf("carried-over unknown %s: retried %v, run %q", r.Batch, r.Retried, r.Run)
						}
					case r.Task != "":
						resumed = append(resumed, r.Batch)
						if r.Run == "" || r.Status != journal.StatusOK {
							t.Errorf("resumed %s: run %q status %s", r.Batch, r.Run, r.Status)
						}
					}
				}
				w := want[pt.k]
				if w.resumed == nil {
					w.resumed = []string{}
				}
				if w.unknown == nil {
					w.unknown = []string{}
				}
				if d := cmp.Diff(w.resumed, resumed); d != "" {
					t.Errorf("resumed (-want +got):\n%s", d)
				}
				if d := cmp.Diff(w.unknown, unknown); d != "" {
					t.Errorf("unknown (-want +got):\n%s", d)
				}
				if sum.Batches.Unknown != 0 || sum.Batches.Retried != len(w.unknown) || !sum.OK() {
					t.Errorf("counts %+v retried %d, want the %d carried-over unknown outcome(s) retried", sum.Batches, sum.Batches.Retried, len(w.unknown))
				}
				// Async tasks are polled, synchronous ones are not.
				polls := dp.polled()
				for _, id := range w.resumed {
					if got, wantPolled := polls["t-"+id] > 0, id != "C"; got != wantPolled {
						t.Errorf("task of %s polled: %v, want %v", id, got, wantPolled)
					}
				}
				// The resume run settled everything.
				if tasks, unknown := pendingIDs(t, dir); len(tasks)+len(unknown) != 0 {
					t.Errorf("after resume run: tasks %v unknown %v", tasks, unknown)
				}
			})
		})
	}
}

func TestResumeWithoutExecutorKeepsTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		dp := newFake("dnspod", map[string]*script{"A": {never: true}})
		ev := newEnv(t, dir, Options{TaskTimeout: time.Minute}, dp)
		if _, err := ev.e.Apply(t.Context(), mkplan(stg("1", bt("A", "dnspod", "a.com")))); err == nil {
			t.Fatal("want error")
		}
		ev.j.Close()
		ev2 := newEnv(t, dir, Options{}, newFake("aliyun", nil))
		sum, _ := ev2.e.Apply(t.Context(), mkplan())
		if r := result(sum, "A"); r.Status != journal.StatusUnknown || r.Retried || !strings.Contains(r.Reason, `no executor is configured`) {
			t.Errorf("result %+v", r)
		}
		if tasks, _ := pendingIDs(t, dir); !cmp.Equal(tasks, []string{"t-A"}) {
			t.Errorf("task not kept: %v", tasks)
		}
	})
}

// TestCarriedUnknownNeedsAPlan: an unknown outcome carried over from an
// interrupted run stays unknown when no plan could be made after it (live
// state was not read again).
func TestCarriedUnknownNeedsAPlan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		// A run that journaled its intent to submit B and was killed.
		j, err := journal.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := j.Intent("1", bt("B", "dnspod", "b.com")); err != nil {
			t.Fatal(err)
		}
		j.Close()
		ev2 := newEnv(t, dir, Options{}, newFake("dnspod", nil))
		sum, err := ev2.e.Run(t.Context(), func(context.Context) (*plan.Plan, error) {
			return nil, fmt.Errorf("read: %w", providers.ErrTransient)
		})
		if err == nil {
			t.Fatal("want error")
		}
		if r := result(sum, "B"); r.Status != journal.StatusUnknown || r.Retried || r.Run == "" {
			t.Errorf("result %+v", r)
		}
	})
}

// TestReplanKeepsBatchIDs: the planner numbers each plan from s1, but one
// run never shows one id twice, and after a glue-sync re-plan a stage
// keeps the id the reviewed plan gave it even when an earlier stage is no
// longer needed.
func TestReplanKeepsBatchIDs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		al := newFake("aliyun", nil)
		dp := newFake("dnspod", nil)
		ev := newEnv(t, t.TempDir(), Options{}, al, dp)
		sync := stg("sync", bt("s1.b1", "aliyun", "a.com"))
		sync.Replan = true
		reviewed := mkplan(sync, stg("hosts", bt("s2.b1", "aliyun", "a.com")),
			stg("records", bt("s3.b1", "dnspod", "a.com"), bt("s3.b2", "dnspod", "b.com")), stg("nameservers", bt("s4.b1", "aliyun", "b.com")))
		ev.e.Replan = func(context.Context) (*plan.Plan, error) {
			// What the planner returns after the sync, numbered from s1:
			// the sync repaired the hosts, and a stage the reviewed plan
			// did not have appears.
			return mkplan(stg("records", bt("s1.b1", "dnspod", "a.com"), bt("s1.b2", "dnspod", "b.com")),
				stg("glue-delete", bt("s2.b1", "aliyun", "a.com")), stg("nameservers", bt("s3.b1", "aliyun", "b.com"))), nil
		}
		sum, err := ev.e.Apply(t.Context(), reviewed)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"s1.b1": "ok", "s3.b1": "ok", "s3.b2": "ok", "s5.b1": "ok", "s4.b1": "ok"}
		if d := cmp.Diff(want, statuses(sum)); d != "" {
			t.Errorf("statuses (-want +got):\n%s", d)
		}
		if d := cmp.Diff([]string{"s1.b1", "s3.b1", "s3.b2", "s4.b1", "s5.b1"}, ev.rec.batches(BatchSubmitted)); d != "" {
			t.Errorf("submitted ids (-want +got):\n%s", d)
		}
	})
}

func TestRenumber(t *testing.T) {
	st := func(name string, ids ...string) plan.Stage {
		var bs []plan.Batch
		for _, id := range ids {
			bs = append(bs, bt(id, "dnspod", "a.com"))
		}
		return stg(name, bs...)
	}
	tests := []struct {
		name        string
		last        int
		fresh, rest []plan.Stage
		want        []string
	}{
		{"same stages", 1, []plan.Stage{st("a", "s1.b1"), st("b", "s2.b1", "s2.b2")}, []plan.Stage{st("a", "s2.b1"), st("b", "s3.b1")},
			[]string{"s2.b1", "s3.b1", "s3.b2"}},
		{"a stage gone", 1, []plan.Stage{st("b", "s1.b1")}, []plan.Stage{st("a", "s2.b1"), st("b", "s3.b1")}, []string{"s3.b1"}},
		{"a new stage", 3, []plan.Stage{st("x", "s1.b1"), st("b", "s2.b1")}, []plan.Stage{st("a", "s2.b1"), st("b", "s3.b1")},
			[]string{"s4.b1", "s3.b1"}},
		{"order is kept", 3, []plan.Stage{st("b", "s1.b1"), st("a", "s2.b1")}, []plan.Stage{st("a", "s2.b1"), st("b", "s3.b1")},
			[]string{"s3.b1", "s4.b1"}},
		{"retry round", 7, []plan.Stage{st("a", "s1.b1"), st("b", "s2.b4")}, nil, []string{"s8.b1", "s9.b4"}},
		{"other ids", 2, []plan.Stage{st("a", "A", "s1", "s1.bx")}, nil, []string{"A", "s1", "s1.bx"}},
	}
	for _, tt := range tests {
		r := &runner{lastStage: tt.last}
		var got []string
		for _, s := range r.renumber(tt.fresh, tt.rest) {
			for _, b := range s.Batches {
				got = append(got, b.ID)
			}
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
		if tt.fresh[0].Batches[0].ID[0] == 's' && tt.fresh[0].Batches[0].ID != "s1.b1" {
			t.Errorf("%s: renumber changed its input", tt.name)
		}
	}
}

// TestSyncBatchReportsItems: a synchronous batch (its submit's answer is
// the result, like a single remove) reports its items as progress, so that
// a bar shows them as it does for a polled task.
func TestSyncBatchReportsItems(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dp := newFake("dnspod", map[string]*script{"R": {sync: true}})
		ev := newEnv(t, t.TempDir(), Options{}, dp)
		if _, err := ev.e.Apply(t.Context(), mkplan(stg("records", bt("R", "dnspod", "a.com", "b.com")))); err != nil {
			t.Fatal(err)
		}
		var got []Event
		for _, e := range ev.rec.events {
			if e.Kind == TaskProgress && e.BatchID == "R" {
				got = append(got, e)
			}
		}
		if len(got) != 1 || got[0].Done != 2 || got[0].Total != 2 || got[0].Failed != 0 {
			t.Errorf("progress of a synchronous batch: %+v", got)
		}
	})
}
