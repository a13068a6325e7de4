package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/providers"
)

var threeZones = map[string]string{
	"a.yaml": zoneFile("a.example", "1"),
	"b.yaml": zoneFile("b.example", "1"),
	"c.yaml": zoneFile("c.example", "1"),
}

func TestOnlyChangedDomainsAreReconciled(t *testing.T) {
	h := newHarness(t, threeZones, nil)
	h.start()

	first := h.next()
	if diff := cmp.Diff(call{Trigger: TriggerStartup, Domains: []string{"a.example", "b.example", "c.example"},
		Versions: map[string]string{"a.example": "1", "b.example": "1", "c.example": "1"}}, first,
		cmp.AllowUnexported(call{}), cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".ctx" || p.Last().String() == ".errAtEnd" }, cmp.Ignore())); diff != "" {
		t.Fatalf("startup call (-want +got):\n%s", diff)
	}

	writeFile(t, h.zone("b.yaml"), zoneFile("b.example", "2"))
	c := h.next()
	if diff := cmp.Diff([]string{"b.example"}, c.Domains); diff != "" || c.Trigger != TriggerChange || c.Versions["b.example"] != "2" {
		t.Fatalf("after editing b: %+v", c)
	}
	h.none()

	// Rewriting the same bytes is no change.
	writeFile(t, h.zone("b.yaml"), zoneFile("b.example", "2"))
	h.none()
}

func TestBurstOfEditsIsOneReconcile(t *testing.T) {
	h := newHarness(t, threeZones, func(o *Options, _ *fakeReconciler) {
		o.Debounce = 400 * time.Millisecond // the burst below takes microseconds
	})
	h.start()
	h.next()
	for i := range 30 {
		writeFile(t, h.zone("a.yaml"), zoneFile("a.example", fmt.Sprint(i+2)))
		writeFile(t, h.zone("c.yaml"), zoneFile("c.example", fmt.Sprint(i+2)))
	}
	c := h.next()
	want := call{Trigger: TriggerChange, Domains: []string{"a.example", "c.example"}, Versions: map[string]string{"a.example": "31", "c.example": "31"}}
	if c.Trigger != want.Trigger || !cmp.Equal(c.Domains, want.Domains) || !cmp.Equal(c.Versions, want.Versions) {
		t.Fatalf("got %+v, want %+v", c, want)
	}
	h.none()
	if got := h.metric("dnssync_reconciles_total", map[string]string{"domain": "a.example", "result": "no_changes"}); got != 2 {
		t.Errorf("a.example reconciles = %v, want 2", got)
	}
}

func TestInvalidEditKeepsLastGoodStateUntilFixed(t *testing.T) {
	h := newHarness(t, threeZones, func(o *Options, _ *fakeReconciler) {
		o.ResyncInterval = 400 * time.Millisecond
	})
	h.start()
	h.nextWith(TriggerStartup)
	h.eventually("ready", func() bool { code, _ := h.readyz(); return code == http.StatusOK })

	writeFile(t, h.zone("a.yaml"), "domain: a.example\nerror: 3:5 unknown record type \"AAA\"\n")
	h.eventually("config error reported", func() bool {
		code, r := h.readyz()
		return code == http.StatusServiceUnavailable && len(r.ConfigErrors) == 1
	})
	_, r := h.readyz()
	want := DiagnosticJSON{At: h.zone("a.yaml") + ":3:5", File: h.zone("a.yaml"), Line: 3, Col: 5, Rule: "schema", Message: `unknown record type "AAA"`}
	if diff := cmp.Diff(want, r.ConfigErrors[0]); diff != "" {
		t.Errorf("readyz config error (-want +got):\n%s", diff)
	}
	if r.Status != "failing" || r.Domains != 3 {
		t.Errorf("readyz = %+v", r)
	}
	if got := h.metric("dnssync_config_errors", map[string]string{}); got != 1 {
		t.Errorf("config errors gauge = %v, want 1", got)
	}

	// The invalid edit starts nothing; the next resync still applies the
	// last good state of a.yaml.
	c := h.next()
	if c.Trigger != TriggerResync {
		t.Fatalf("invalid edit started a %s reconcile of %v", c.Trigger, c.Domains)
	}
	if c.Versions["a.example"] != "1" {
		t.Fatalf("resync used a.example version %q, want the last good 1", c.Versions["a.example"])
	}

	writeFile(t, h.zone("a.yaml"), zoneFile("a.example", "3"))
	c = h.nextWith(TriggerChange)
	if !cmp.Equal(c.Domains, []string{"a.example"}) || c.Versions["a.example"] != "3" {
		t.Fatalf("after the fix: %+v", c)
	}
	h.eventually("ready again", func() bool { code, _ := h.readyz(); return code == http.StatusOK })
	if got := h.metric("dnssync_config_errors", map[string]string{}); got != 0 {
		t.Errorf("config errors gauge = %v, want 0", got)
	}
}

func TestInvalidConfigKeepsEverythingThenReloads(t *testing.T) {
	h := newHarness(t, threeZones, nil)
	h.start()
	h.next()
	good, _ := os.ReadFile(h.config)

	writeFile(t, h.config, "zones: x\nerror: 2:1 providers: dnspod token missing\n")
	h.eventually("config error", func() bool {
		_, r := h.readyz()
		return len(r.ConfigErrors) == 1 && r.ConfigErrors[0].At == h.config+":2:1"
	})
	h.none()
	// Zone edits still apply with the last good configuration.
	writeFile(t, h.zone("c.yaml"), zoneFile("c.example", "2"))
	if c := h.next(); !cmp.Equal(c.Domains, []string{"c.example"}) {
		t.Fatalf("zone edit under a broken config: %+v", c)
	}

	writeFile(t, h.config, string(good))
	c := h.next()
	if c.Trigger != TriggerConfig || len(c.Domains) != 3 {
		t.Fatalf("config fix should reconcile everything: %+v", c)
	}
	h.eventually("ready", func() bool { code, _ := h.readyz(); return code == http.StatusOK })
}

func TestStartWithInvalidConfigWaitsForFix(t *testing.T) {
	h := newHarness(t, threeZones, nil)
	good, _ := os.ReadFile(h.config)
	writeFile(t, h.config, "error: 1:1 not a mapping\n")
	h.start()
	h.eventually("config error at startup", func() bool {
		code, r := h.readyz()
		return code == http.StatusServiceUnavailable && r.Status == "failing" && len(r.ConfigErrors) == 1
	})
	h.none()
	writeFile(t, h.config, string(good))
	if c := h.next(); c.Trigger != TriggerConfig || len(c.Domains) != 3 {
		t.Fatalf("after fixing the config: %+v", c)
	}
}

func TestTransientFailuresBackOffPerDomain(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, threeZones, func(o *Options, f *fakeReconciler) {
		f.outcome = func(domain string, n int, _ Trigger) DomainResult {
			if domain == "a.example" && n <= 3 {
				return DomainResult{Outcome: OutcomeTransient, Message: "Throttling.User"}
			}
			return DomainResult{Outcome: OutcomeApplied, Changes: 1}
		}
		// Hold a.example's fourth attempt so its failing state can be
		// observed without racing the backoff timer.
		var mu sync.Mutex
		attempts := 0
		f.hold = func(c call) chan struct{} {
			mu.Lock()
			defer mu.Unlock()
			if _, ok := c.Versions["a.example"]; ok {
				if attempts++; attempts == 4 {
					return release
				}
			}
			return nil
		}
	})
	h.start()
	triggers := []Trigger{h.next().Trigger}
	for len(triggers) < 4 {
		c := h.next()
		if !cmp.Equal(c.Domains, []string{"a.example"}) {
			t.Fatalf("only a.example should be retried, got %+v", c)
		}
		triggers = append(triggers, c.Trigger)
	}
	if diff := cmp.Diff([]Trigger{TriggerStartup, TriggerRetry, TriggerRetry, TriggerRetry}, triggers); diff != "" {
		t.Errorf("triggers (-want +got):\n%s", diff)
	}
	code, r := h.readyz()
	if code != http.StatusServiceUnavailable || len(r.Failing) != 1 || r.Failing[0].Domain != "a.example" ||
		r.Failing[0].State != "failed_transient" || r.Failing[0].Attempts != 3 || r.Failing[0].Message != "Throttling.User" {
		t.Fatalf("readyz while retrying: %d %+v", code, r)
	}
	close(release)
	h.eventually("ready after the retry succeeded", func() bool { code, _ := h.readyz(); return code == http.StatusOK })

	// The loop goes on: other domains are still served.
	writeFile(t, h.zone("b.yaml"), zoneFile("b.example", "2"))
	if c := h.next(); !cmp.Equal(c.Domains, []string{"b.example"}) {
		t.Fatalf("after retries: %+v", c)
	}
	h.eventually("b.example's second reconcile recorded", func() bool {
		return h.metric("dnssync_reconciles_total", map[string]string{"domain": "b.example", "result": "applied"}) == 2
	})
	f := h.metrics()
	for _, tt := range []struct {
		domain, result string
		want           float64
	}{
		{"a.example", "failed_transient", 3},
		{"a.example", "applied", 1},
		{"b.example", "applied", 2},
	} {
		if got, _ := f.Value("dnssync_reconciles_total", map[string]string{"domain": tt.domain, "result": tt.result}); got != tt.want {
			t.Errorf("reconciles_total{%s,%s} = %v, want %v", tt.domain, tt.result, got, tt.want)
		}
	}
}

func TestPassErrorClassifiesEveryDomain(t *testing.T) {
	h := newHarness(t, map[string]string{"a.yaml": zoneFile("a.example", "1"), "b.yaml": zoneFile("b.example", "1")},
		func(o *Options, f *fakeReconciler) {
			f.passErr = func(n int) error {
				if n == 1 {
					return fmt.Errorf("read live: %w", providers.ErrTransient)
				}
				return nil
			}
		})
	h.start()
	h.next()
	// Each domain backs off on its own (jittered), so the retries may come
	// together or apart.
	retried := map[string]bool{}
	for len(retried) < 2 {
		c := h.next()
		if c.Trigger != TriggerRetry {
			t.Fatalf("retry of a failed pass: %+v", c)
		}
		for _, d := range c.Domains {
			retried[d] = true
		}
	}
	h.eventually("ready", func() bool { code, _ := h.readyz(); return code == http.StatusOK })
	if got := h.metric("dnssync_reconciles_total", map[string]string{"domain": "b.example", "result": "failed_transient"}); got != 1 {
		t.Errorf("b.example transient = %v, want 1", got)
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	d, err := New(Options{Loader: fakeLoader{}, Reconciler: newFakeReconciler(), BackoffBase: time.Second, BackoffMax: 8 * time.Second, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	l := &loop{d: d}
	for _, tt := range []struct {
		n        int
		min, max time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{4, 4 * time.Second, 8 * time.Second},
		{10, 4 * time.Second, 8 * time.Second},
		{200, 4 * time.Second, 8 * time.Second},
	} {
		for range 50 {
			if got := l.backoff(tt.n); got < tt.min || got > tt.max {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", tt.n, got, tt.min, tt.max)
			}
		}
	}
	d.opts.ResyncInterval = 10 * time.Minute
	for range 100 {
		if got := l.nextResync(); got < 9*time.Minute || got > 11*time.Minute {
			t.Fatalf("resync interval %v outside ±10%%", got)
		}
	}
}

func TestResyncRepairsDrift(t *testing.T) {
	h := newHarness(t, map[string]string{"a.yaml": zoneFile("a.example", "1"), "b.yaml": zoneFile("b.example", "1")},
		func(o *Options, f *fakeReconciler) {
			o.ResyncInterval = 300 * time.Millisecond
			f.outcome = func(domain string, n int, trig Trigger) DomainResult {
				// Someone edits a.example at the provider before the
				// first resync: that resync finds and repairs 2 changes.
				if domain == "a.example" && trig == TriggerResync && n == 2 {
					return DomainResult{Outcome: OutcomeApplied, Changes: 2}
				}
				return DomainResult{Outcome: OutcomeNoChanges}
			}
		})
	h.start()
	h.nextWith(TriggerStartup)
	for range 2 {
		c := h.nextWith(TriggerResync)
		if len(c.Domains) != 2 {
			t.Fatalf("a resync must cover every domain: %+v", c)
		}
	}
	h.eventually("drift counted", func() bool {
		return h.metric("dnssync_drift_detected_total", map[string]string{"domain": "a.example"}) == 1
	})
	f := h.metrics()
	if _, ok := f.Value("dnssync_drift_detected_total", map[string]string{"domain": "b.example"}); ok {
		t.Error("drift reported for b.example")
	}
	if got, _ := f.Value("dnssync_resyncs_total", map[string]string{}); got < 2 {
		t.Errorf("resyncs = %v", got)
	}
	if got, ok := f.Value("dnssync_last_successful_apply_timestamp_seconds", map[string]string{"domain": "a.example"}); !ok || got < float64(time.Now().Add(-time.Hour).Unix()) {
		t.Errorf("last successful apply = %v %v", got, ok)
	}
}

func TestRefusedPlanIsReportedNotRetried(t *testing.T) {
	h := newHarness(t, threeZones, func(o *Options, f *fakeReconciler) {
		f.outcome = func(domain string, n int, _ Trigger) DomainResult {
			if domain == "a.example" && n == 1 {
				return DomainResult{Outcome: OutcomeRefused, Changes: 12, Message: "delete-threshold: 12 of 20 records (60% > 30%)"}
			}
			return DomainResult{Outcome: OutcomeNoChanges}
		}
	})
	h.start()
	if c := h.next(); c.Force {
		t.Fatal("Force set without Options.Force")
	}
	h.eventually("refusal in readyz", func() bool {
		code, r := h.readyz()
		return code == http.StatusServiceUnavailable && len(r.Failing) == 1
	})
	_, r := h.readyz()
	if f := r.Failing[0]; f.Domain != "a.example" || f.State != "refused" || !strings.Contains(f.Message, "delete-threshold") || f.File != h.zone("a.yaml") {
		t.Errorf("failing = %+v", f)
	}
	m := h.metrics()
	if got, _ := m.Value("dnssync_reconciles_total", map[string]string{"domain": "a.example", "result": "refused"}); got != 1 {
		t.Errorf("refused count = %v, want 1", got)
	}
	if got, _ := m.Value("dnssync_changes_planned_total", map[string]string{"domain": "a.example"}); got != 12 {
		t.Errorf("changes planned = %v, want 12", got)
	}
	if got, _ := m.Value("dnssync_domains", map[string]string{"state": "refused"}); got != 1 {
		t.Errorf("domains{refused} = %v", got)
	}
	h.none() // not retried on its own

	// Fixing the file resumes.
	writeFile(t, h.zone("a.yaml"), zoneFile("a.example", "2"))
	if c := h.next(); !cmp.Equal(c.Domains, []string{"a.example"}) {
		t.Fatalf("after the fix: %+v", c)
	}
	h.eventually("ready", func() bool { code, _ := h.readyz(); return code == http.StatusOK })
}

func TestForceIsPassedOn(t *testing.T) {
	h := newHarness(t, threeZones, func(o *Options, _ *fakeReconciler) { o.Force = true })
	h.start()
	if c := h.next(); !c.Force {
		t.Fatal("Options.Force not passed to the reconciler")
	}
}

func TestRemovedFileStopsManagementAndDuplicatesResolve(t *testing.T) {
	h := newHarness(t, threeZones, nil)
	h.start()
	h.next()
	h.eventually("ready", func() bool { code, _ := h.readyz(); return code == http.StatusOK })

	// A second file claiming a.example is refused while a.yaml owns it.
	writeFile(t, h.zone("z.yaml"), zoneFile("a.example", "9"))
	h.eventually("duplicate reported", func() bool {
		_, r := h.readyz()
		return len(r.ConfigErrors) == 1 && r.ConfigErrors[0].Rule == "duplicate-domain" && r.ConfigErrors[0].File == h.zone("z.yaml")
	})
	h.none()

	// Removing c.yaml reconciles nothing (nothing is deleted anywhere) and
	// drops the domain; removing a.yaml hands a.example to z.yaml.
	if err := os.Remove(h.zone("c.yaml")); err != nil {
		t.Fatal(err)
	}
	h.eventually("c.example dropped", func() bool { _, r := h.readyz(); return r.Domains == 2 })
	h.none()
	if _, ok := h.metrics().Value("dnssync_last_successful_apply_timestamp_seconds", map[string]string{"domain": "c.example"}); ok {
		t.Error("gauge of a dropped domain still exported")
	}
	if err := os.Remove(h.zone("a.yaml")); err != nil {
		t.Fatal(err)
	}
	c := h.next()
	if !cmp.Equal(c.Domains, []string{"a.example"}) || c.Versions["a.example"] != "9" {
		t.Fatalf("after removing the owner: %+v", c)
	}
	h.eventually("ready", func() bool { code, _ := h.readyz(); return code == http.StatusOK })
}

func TestReadinessWhileInProgress(t *testing.T) {
	var (
		mu  sync.Mutex
		now = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	release := make(chan struct{})
	h := newHarness(t, threeZones, func(o *Options, f *fakeReconciler) {
		o.Now = clock
		o.ProgressDeadline = time.Minute
		f.hold = func(call) chan struct{} { return release }
	})
	h.start()
	h.next()
	if code, r := h.readyz(); code != http.StatusOK || r.Status != "ok" {
		t.Fatalf("in progress within the deadline: %d %+v", code, r)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	code, r := h.readyz()
	if code != http.StatusServiceUnavailable || len(r.Failing) != 3 || r.Failing[0].State != "stalled" {
		t.Fatalf("in progress past the deadline: %d %+v", code, r)
	}
	close(release)
	h.eventually("ready", func() bool { code, _ := h.readyz(); return code == http.StatusOK })
	if got := h.metric("dnssync_last_successful_apply_timestamp_seconds", map[string]string{"domain": "b.example"}); got != float64(now.Unix()) {
		t.Errorf("last success = %v, want the injected clock %v", got, now.Unix())
	}
}

func TestGracefulShutdownFinishesInFlightWork(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, threeZones, func(o *Options, f *fakeReconciler) {
		o.GracePeriod = time.Minute
		f.hold = func(call) chan struct{} { return release }
	})
	h.start()
	c := h.next()
	h.cancel()
	// The in-flight reconcile's context outlives the cancellation, and the
	// daemon keeps answering health checks meanwhile.
	time.Sleep(100 * time.Millisecond)
	if err := c.ctx.Err(); err != nil {
		t.Fatalf("in-flight context cancelled at once: %v", err)
	}
	if code, _ := httpGet(t, "http://"+h.addr+"/healthz"); code != http.StatusOK {
		t.Errorf("healthz during grace: %d", code)
	}
	// No new work starts once stopping.
	writeFile(t, h.zone("b.yaml"), zoneFile("b.example", "2"))
	close(release)
	if err := h.stop(); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if e := <-h.rec.ended; e.errAtEnd != nil {
		t.Errorf("in-flight work was cancelled: %v", e.errAtEnd)
	}
	select {
	case c := <-h.rec.calls:
		t.Fatalf("work started after shutdown began: %+v", c)
	default:
	}
}

func TestGracefulShutdownCancelsAfterGracePeriod(t *testing.T) {
	never := make(chan struct{})
	h := newHarness(t, threeZones, func(o *Options, f *fakeReconciler) {
		o.GracePeriod = 200 * time.Millisecond
		f.hold = func(call) chan struct{} { return never } // awaits until cancelled
	})
	h.start()
	h.next()
	if err := h.stop(); err != nil {
		t.Fatalf("Run = %v, want nil (tasks left to the journal)", err)
	}
	e := <-h.rec.ended
	if !errors.Is(e.errAtEnd, context.Canceled) {
		t.Errorf("in-flight work saw %v, want its context cancelled after the grace period", e.errAtEnd)
	}
}

func TestOnStartRunsBeforeTheFirstReconcile(t *testing.T) {
	var resumed bool
	var mu sync.Mutex
	h := newHarness(t, threeZones, func(o *Options, f *fakeReconciler) {
		o.OnStart = func(ctx context.Context) error { mu.Lock(); resumed = true; mu.Unlock(); return nil }
		f.hold = func(call) chan struct{} {
			mu.Lock()
			defer mu.Unlock()
			if !resumed {
				t.Error("reconcile before OnStart")
			}
			return nil
		}
	})
	h.start()
	h.next()

	h2 := newHarness(t, threeZones, func(o *Options, _ *fakeReconciler) {
		o.OnStart = func(context.Context) error { return errors.New("journal: corrupt record") }
	})
	if err := h2.d.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "corrupt record") {
		t.Fatalf("Run with a failing OnStart = %v", err)
	}
}

func TestHTTPEndpoints(t *testing.T) {
	h := newHarness(t, threeZones, nil)
	h.start()
	h.next()
	h.eventually("ready", func() bool { code, _ := h.readyz(); return code == http.StatusOK })
	base := "http://" + h.addr
	if code, body := httpGet(t, base+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("healthz = %d %q", code, body)
	}
	if code, body := httpGet(t, base+"/readyz"); code != http.StatusOK || !strings.Contains(body, `"ready": true`) {
		t.Errorf("readyz = %d %q", code, body)
	}
	code, body := httpGet(t, base+"/metrics")
	for _, want := range []string{"dnssync_reconciles_total", "dnssync_config_errors", "go_goroutines"} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("metrics: %d, missing %s", code, want)
		}
	}
}

func TestRunOnceExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		outcome  func(domain string) DomainResult
		passErr  error
		wantCode int
		wantErr  string
		wantCall bool
	}{
		{name: "no changes", files: threeZones, wantCode: 0, wantCall: true},
		{name: "applied", files: threeZones, wantCode: 2, wantCall: true, outcome: func(d string) DomainResult {
			if d == "b.example" {
				return DomainResult{Outcome: OutcomeApplied, Changes: 4}
			}
			return DomainResult{Outcome: OutcomeNoChanges}
		}},
		{name: "refused", files: threeZones, wantCode: 1, wantErr: "a.example: refused", wantCall: true, outcome: func(d string) DomainResult {
			if d == "a.example" {
				return DomainResult{Outcome: OutcomeRefused, Changes: 30, Message: "delegation change needs consent"}
			}
			return DomainResult{Outcome: OutcomeApplied, Changes: 1}
		}},
		{name: "transient", files: threeZones, wantCode: 1, wantErr: "failed_transient", wantCall: true, passErr: fmt.Errorf("x: %w", providers.ErrTransient)},
		{name: "invalid file applies nothing", wantCode: 1, wantErr: ":4:2: bad ttl", files: map[string]string{
			"a.yaml": zoneFile("a.example", "1"),
			"b.yaml": "error: 4:2 bad ttl\n",
		}},
		{name: "duplicate domain", wantCode: 1, wantErr: "already declared", files: map[string]string{
			"a.yaml": zoneFile("a.example", "1"),
			"b.yaml": zoneFile("a.example", "2"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.files, func(o *Options, f *fakeReconciler) {
				if tt.outcome != nil {
					f.outcome = func(d string, _ int, _ Trigger) DomainResult { return tt.outcome(d) }
				}
				if tt.passErr != nil {
					f.passErr = func(int) error { return tt.passErr }
				}
			})
			code, err := h.d.RunOnce(context.Background())
			if code != tt.wantCode {
				t.Errorf("code = %d, want %d (err %v)", code, tt.wantCode, err)
			}
			if (err != nil) != (tt.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want containing %q", err, tt.wantErr)
			}
			select {
			case c := <-h.rec.calls:
				if !tt.wantCall {
					t.Errorf("reconciler called: %+v", c)
				} else if c.Trigger != TriggerOnce {
					t.Errorf("trigger = %s", c.Trigger)
				}
			default:
				if tt.wantCall {
					t.Error("reconciler not called")
				}
			}
		})
	}
}

// TestRunOnceInterrupted: a signal before the reconcile stops RunOnce at
// once, exit 1, and nothing is reconciled.
func TestRunOnceInterrupted(t *testing.T) {
	h := newHarness(t, threeZones, nil)
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("terminated signal received"))
	code, err := h.d.RunOnce(ctx)
	if code != 1 || err == nil || !strings.Contains(err.Error(), "interrupted before anything was applied: terminated signal received") {
		t.Fatalf("RunOnce = %d, %v", code, err)
	}
	select {
	case c := <-h.rec.calls:
		t.Fatalf("reconciler called: %+v", c)
	default:
	}
}

// TestGraceContext: the context outlives its parent by the grace period,
// and cancel ends it (and its timer) at once.
func TestGraceContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancelParent := context.WithCancel(context.Background())
		ctx, cancel := graceContext(parent, 30*time.Second)
		defer cancel()
		start := time.Now()
		cancelParent()
		<-ctx.Done()
		if d := time.Since(start); d != 30*time.Second {
			t.Errorf("cancelled %v after its parent, want 30s", d)
		}

		parent, cancelParent = context.WithCancel(context.Background())
		ctx, cancel = graceContext(parent, 30*time.Second)
		cancelParent()
		cancel()
		synctest.Wait() // the timer goroutine has ended
		if ctx.Err() == nil {
			t.Error("cancel did not cancel")
		}
	})
}

func TestZoneEditInTheSameBurstAsABrokenConfigIsApplied(t *testing.T) {
	h := newHarness(t, threeZones, func(o *Options, _ *fakeReconciler) {
		o.Debounce = 400 * time.Millisecond // both writes fall in one burst
	})
	h.start()
	h.next()
	writeFile(t, h.config, "error: 1:1 broken\n")
	writeFile(t, h.zone("b.yaml"), zoneFile("b.example", "2"))
	c := h.next()
	if !cmp.Equal(c.Domains, []string{"b.example"}) || c.Versions["b.example"] != "2" {
		t.Fatalf("got %+v", c)
	}
	_, r := h.readyz()
	if len(r.ConfigErrors) != 1 || r.ConfigErrors[0].At != h.config+":1:1" {
		t.Errorf("config errors = %+v", r.ConfigErrors)
	}
}
