package engine

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/apply"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers/aliyun/aliyuntest"
	"github.com/dnssync/dnssync/internal/providers/all"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest"
	"github.com/dnssync/dnssync/internal/spec"
)

// world is a config repository wired to both emulators over loopback HTTP.
type world struct {
	dir    string
	ali    *aliyuntest.Server
	pod    *dnspodtest.Server
	cfg    *spec.Config
	loaded *model.Desired
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ali := aliyuntest.New(aliyuntest.Options{})
	ali.AddKey("LTAI-engine-test", "engine-test-secret")
	pod := dnspodtest.New(dnspodtest.Options{})
	pod.AddToken("4242", "0123456789abcdef0123456789abcdef")
	as := httptest.NewServer(ali)
	ps := httptest.NewServer(pod)
	t.Cleanup(as.Close)
	t.Cleanup(ps.Close)

	dir := t.TempDir()
	zones := filepath.Join(dir, "zones")
	if err := os.MkdirAll(zones, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := filepath.Glob("../../examples/zones/*.yaml")
	if err != nil || len(src) == 0 {
		t.Fatalf("example zones: %v", err)
	}
	for _, f := range src {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(zones, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	creds := "aliyun:\n  access_key_id: LTAI-engine-test\n  access_key_secret: engine-test-secret\n" +
		"dnspod:\n  token: \"4242,0123456789abcdef0123456789abcdef\"\n"
	if err := os.WriteFile(filepath.Join(dir, "creds.yaml"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := "providers:\n" +
		"  aliyun: {type: aliyun, endpoint: " + as.URL + ", credentials: {file: creds.yaml}, rate_limit: 1000, burst: 100}\n" +
		"  dnspod: {type: dnspod, endpoint: " + ps.URL + ", credentials: {file: creds.yaml}, rate_limit: 1000, burst: 100, min_ttl: 60, poll_interval: 10ms}\n" +
		"zones: zones\n"
	if err := os.WriteFile(filepath.Join(dir, "dnssync.yaml"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := spec.LoadConfig(filepath.Join(dir, "dnssync.yaml"), all.Registry())
	if err != nil {
		t.Fatal(err)
	}
	desired, diags := spec.Load(context.Background(), cfg)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, d := range desired.Domains {
		if d.Registrar != nil {
			ali.AddDomain(d.Name, []string{"dns1.hichina.com", "dns2.hichina.com"}, false)
		}
		if d.DNS != nil {
			if _, err := pod.AddDomain(d.Name, "DP_Extra"); err != nil {
				t.Fatal(err)
			}
		}
	}
	return &world{dir: dir, ali: ali, pod: pod, cfg: cfg, loaded: desired}
}

func fastApply() apply.Options {
	return apply.Options{PollMin: 5 * time.Millisecond, PollMax: 20 * time.Millisecond, TaskTimeout: 20 * time.Second, Timeout: time.Minute}
}

func TestPlanApplyConverges(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	eng, err := New(w.cfg, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := eng.Plan(ctx, w.loaded, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Empty() {
		t.Fatal("first plan against empty providers has no changes")
	}
	if len(p.Refusals) == 0 {
		t.Fatal("nameserver changes were not refused without consent")
	}
	// Without consent nothing is submitted.
	_, err = eng.Apply(ctx, w.loaded, ApplyOptions{Apply: fastApply()})
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("apply without delegation consent: %v, want ErrRefused", err)
	}
	for _, e := range w.pod.Log() {
		if strings.HasPrefix(e.Action, "Batch.") || e.Action == "Record.Remove" {
			t.Fatalf("refused apply submitted %s", e.Action)
		}
	}

	res, err := eng.Apply(ctx, w.loaded, ApplyOptions{PlanOptions: PlanOptions{AllowDelegation: true}, Apply: fastApply()})
	if err != nil {
		if res != nil && res.Summary != nil {
			for _, r := range res.Summary.Results {
				t.Logf("%s %s %v: %s %s", r.Batch, r.Op, r.Domains, r.Status, r.Reason)
				for _, it := range r.Items {
					if it.State == "failed" {
						t.Logf("  %s %s: %s", it.Domain, it.What, it.Message)
					}
				}
			}
		}
		t.Fatalf("apply: %v", err)
	}
	if !res.Remaining.Empty() {
		t.Fatalf("not converged: %d changes remain", len(res.Remaining.Changes))
	}
	if res.Summary.Batches.OK == 0 || res.Summary.Batches.Failed+res.Summary.Batches.Unknown+res.Summary.Batches.Skipped != 0 {
		t.Fatalf("summary: %+v", res.Summary.Batches)
	}
	again, _, err := eng.Plan(ctx, w.loaded, PlanOptions{AllowDelegation: true})
	if err != nil || !again.Empty() {
		t.Fatalf("second plan: %v, %d changes", err, len(again.Changes))
	}
	// A saved plan made before a drift is refused as stale.
	saved, _, err := eng.Plan(ctx, w.loaded, PlanOptions{AllowDelegation: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.pod.AddRecord("example.com", model.Record{Name: "drift", Type: "A", Line: model.DefaultLine, Value: "192.0.2.250", TTL: 600, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	_, err = eng.Apply(ctx, w.loaded, ApplyOptions{PlanOptions: PlanOptions{AllowDelegation: true}, Saved: saved, Apply: fastApply()})
	if !errors.Is(err, ErrStale) {
		t.Fatalf("stale saved plan: %v, want ErrStale", err)
	}
	// A fresh apply repairs the drift.
	if _, err := eng.Apply(ctx, w.loaded, ApplyOptions{PlanOptions: PlanOptions{AllowDelegation: true}, Apply: fastApply()}); err != nil {
		t.Fatalf("repair drift: %v", err)
	}
	for _, r := range w.pod.Records("example.com") {
		if r.Name == "drift" {
			t.Fatal("drift record survived")
		}
	}
}

func TestDeclinedAppliesNothing(t *testing.T) {
	w := newWorld(t)
	eng, err := New(w.cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	asked := 0
	_, err = eng.Apply(context.Background(), w.loaded, ApplyOptions{
		PlanOptions: PlanOptions{AllowDelegation: true},
		Confirm:     func(*plan.Plan) (bool, error) { asked++; return false, nil },
		Apply:       fastApply(),
	})
	if !errors.Is(err, ErrDeclined) || asked != 1 {
		t.Fatalf("declined: err %v, asked %d", err, asked)
	}
	for _, e := range w.ali.Log() {
		if strings.HasPrefix(e.Action, "Save") {
			t.Fatalf("declined apply submitted %s", e.Action)
		}
	}
}

func TestMissingCredentials(t *testing.T) {
	cfg := spec.DefaultConfig(t.TempDir(), all.Registry())
	cfg.Providers["dnspod"] = spec.DefaultProvider("dnspod", dnspod.Type{})
	_, err := New(cfg, Options{Getenv: func(string) string { return "" }})
	if err == nil || !strings.Contains(err.Error(), "DNSPOD_TOKEN") {
		t.Fatalf("missing token: %v", err)
	}
}
