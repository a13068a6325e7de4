package reconcile

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/providers/all"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dnssync/dnssync/internal/apply"
	"github.com/dnssync/dnssync/internal/daemon"
	"github.com/dnssync/dnssync/internal/metrics"
	"github.com/dnssync/dnssync/internal/providers/aliyun/aliyuntest"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest"
	"github.com/dnssync/dnssync/internal/statedir"
	"github.com/dnssync/dnssync/internal/watch"
)

// repo is a config repository wired to both emulators over loopback HTTP.
type repo struct {
	dir, config string
	ali         *aliyuntest.Server
	pod         *dnspodtest.Server
}

const (
	keyID, keySecret = "LTAI-reconcile-test", "reconcile-test-secret"
	podToken         = "4242,0123456789abcdef0123456789abcdef"
)

func newRepo(t *testing.T, zones map[string]string) *repo {
	t.Helper()
	ali := aliyuntest.New(aliyuntest.Options{})
	ali.AddKey(keyID, keySecret)
	pod := dnspodtest.New(dnspodtest.Options{})
	pod.AddToken("4242", "0123456789abcdef0123456789abcdef")
	as, ps := httptest.NewServer(ali), httptest.NewServer(pod)
	t.Cleanup(as.Close)
	t.Cleanup(ps.Close)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "creds.yaml"), "aliyun:\n  access_key_id: "+keyID+"\n  access_key_secret: "+keySecret+
		"\ndnspod:\n  token: \""+podToken+"\"\n")
	write(t, filepath.Join(dir, "dnssync.yaml"), "providers:\n"+
		"  aliyun: {type: aliyun, endpoint: "+as.URL+", credentials: {file: creds.yaml}, rate_limit: 1000, burst: 100, poll_interval: 10ms}\n"+
		"  dnspod: {type: dnspod, endpoint: "+ps.URL+", credentials: {file: creds.yaml}, rate_limit: 1000, burst: 100, min_ttl: 60, poll_interval: 10ms}\n"+
		"zones: zones\nstate_dir: state\n")
	for name, body := range zones {
		write(t, filepath.Join(dir, "zones", name), body)
	}
	return &repo{dir: dir, config: filepath.Join(dir, "dnssync.yaml"), ali: ali, pod: pod}
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func open(t *testing.T, r *repo, m *metrics.Metrics) *Reconciler {
	t.Helper()
	rc, err := Open(Options{Registry: all.Registry(), ConfigFile: r.config, Metrics: m, Quiet: true,
		Apply: apply.Options{PollMin: 5 * time.Millisecond, PollMax: 20 * time.Millisecond, TaskTimeout: 20 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rc.Close() })
	return rc
}

// request loads the repository the way the daemon does.
func request(t *testing.T, rc *Reconciler) daemon.Request {
	t.Helper()
	ctx := context.Background()
	src, diags := rc.Loader().LoadConfig(ctx)
	if len(diags) > 0 {
		t.Fatalf("config: %v", daemon.Diagnostics(diags))
	}
	files, err := filepath.Glob(filepath.Join(src.ZoneDirs[0], "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var req daemon.Request
	for _, f := range files {
		dom, diags := rc.Loader().LoadZone(ctx, f)
		if len(diags) > 0 {
			t.Fatalf("zone: %v", daemon.Diagnostics(diags))
		}
		req.Desired.Domains = append(req.Desired.Domains, *dom)
	}
	return req
}

const (
	recordsZone = "domain: records.example\ndns:\n  provider: dnspod\n  records:\n" +
		"    - {name: www, type: A, value: 192.0.2.1}\n    - {name: api, type: A, value: 192.0.2.2}\n"
	delegZone = "domain: deleg.example\nregistrar:\n  provider: aliyun\n  nameservers: [ns1.other.example, ns2.other.example]\n"
)

func writes(pod *dnspodtest.Server, ali *aliyuntest.Server) []string {
	var out []string
	for _, e := range pod.Log() {
		if strings.HasPrefix(e.Action, "Batch.Record.") || e.Action == "Record.Remove" || e.Action == "Record.Modify" {
			out = append(out, e.Action)
		}
	}
	for _, e := range ali.Log() {
		if strings.HasPrefix(e.Action, "Save") {
			out = append(out, e.Action)
		}
	}
	return out
}

// A refused domain is reported and not applied, and does not hold back
// the other domains of the same pass.
func TestRefusalIsPerDomain(t *testing.T) {
	r := newRepo(t, map[string]string{"records.example.yaml": recordsZone, "deleg.example.yaml": delegZone})
	if _, err := r.pod.AddDomain("records.example", "DP_Extra"); err != nil {
		t.Fatal(err)
	}
	r.ali.AddDomain("deleg.example", []string{"dns1.hichina.com", "dns2.hichina.com"}, false)
	m := metrics.New()
	rc := open(t, r, m)

	res, err := rc.Reconcile(context.Background(), request(t, rc))
	if err != nil {
		t.Fatal(err)
	}
	want := []daemon.DomainResult{
		{Domain: "deleg.example", Outcome: daemon.OutcomeRefused, Changes: 1},
		{Domain: "records.example", Outcome: daemon.OutcomeApplied, Changes: 2},
	}
	if diff := cmp.Diff(want, res.Domains, cmpopts.IgnoreFields(daemon.DomainResult{}, "Message")); diff != "" {
		t.Fatalf("results (-want +got):\n%s", diff)
	}
	if msg := res.Domains[0].Message; !strings.Contains(msg, "delegation") {
		t.Errorf("refusal message %q does not name the rule", msg)
	}
	if diff := cmp.Diff([]string{"Batch.Record.Create"}, writes(r.pod, r.ali)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	// The provider calls went through the metrics transport.
	if got := apiCalls(t, m, "dnspod", "Batch.Record.Create"); got != 1 {
		t.Errorf("dnssync_api_calls_total{dnspod, Batch.Record.Create} = %v, want 1", got)
	}

	// A second pass has nothing to do for the applied domain; the refusal
	// stands. No new write is made.
	res, err = rc.Reconcile(context.Background(), request(t, rc))
	if err != nil {
		t.Fatal(err)
	}
	want[1] = daemon.DomainResult{Domain: "records.example", Outcome: daemon.OutcomeNoChanges}
	if diff := cmp.Diff(want, res.Domains, cmpopts.IgnoreFields(daemon.DomainResult{}, "Message")); diff != "" {
		t.Fatalf("second pass (-want +got):\n%s", diff)
	}
	if n := len(writes(r.pod, r.ali)); n != 1 {
		t.Errorf("second pass wrote: %d writes in total, want 1", n)
	}
}

// --allow-delegation consents to the nameserver change.
func TestAllowDelegation(t *testing.T) {
	r := newRepo(t, map[string]string{"deleg.example.yaml": delegZone})
	r.ali.AddDomain("deleg.example", []string{"dns1.hichina.com", "dns2.hichina.com"}, false)
	rc, err := Open(Options{Registry: all.Registry(), ConfigFile: r.config, Quiet: true, AllowDelegation: true,
		Apply: apply.Options{PollMin: 5 * time.Millisecond, PollMax: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	res, err := rc.Reconcile(context.Background(), request(t, rc))
	if err != nil {
		t.Fatal(err)
	}
	want := []daemon.DomainResult{{Domain: "deleg.example", Outcome: daemon.OutcomeApplied, Changes: 1}}
	if diff := cmp.Diff(want, res.Domains); diff != "" {
		t.Fatalf("results (-want +got):\n%s", diff)
	}
	if d, _ := r.ali.Domain("deleg.example"); !cmp.Equal(d.Nameservers, []string{"ns1.other.example", "ns2.other.example"}) {
		t.Errorf("nameservers after apply: %v", d.Nameservers)
	}
}

// A domain the provider does not know fails alone; the others are applied.
func TestPlanFailureIsPerDomain(t *testing.T) {
	r := newRepo(t, map[string]string{"records.example.yaml": recordsZone,
		"missing.example.yaml": strings.ReplaceAll(recordsZone, "records.example", "missing.example")})
	if _, err := r.pod.AddDomain("records.example", "DP_Extra"); err != nil {
		t.Fatal(err)
	}
	rc := open(t, r, nil)
	res, err := rc.Reconcile(context.Background(), request(t, rc))
	if err != nil {
		t.Fatal(err)
	}
	want := []daemon.DomainResult{
		{Domain: "missing.example", Outcome: daemon.OutcomeFailed},
		{Domain: "records.example", Outcome: daemon.OutcomeApplied, Changes: 2},
	}
	if diff := cmp.Diff(want, res.Domains, cmpopts.IgnoreFields(daemon.DomainResult{}, "Message")); diff != "" {
		t.Fatalf("results (-want +got):\n%s", diff)
	}
	if msg := res.Domains[0].Message; !strings.Contains(msg, "not found at provider") {
		t.Errorf("message %q does not say the domain is unknown", msg)
	}
}

// One daemon per state directory: the lock is held from Open to Close.
func TestOpenHoldsTheLock(t *testing.T) {
	r := newRepo(t, map[string]string{"records.example.yaml": recordsZone})
	rc, err := Open(Options{Registry: all.Registry(), ConfigFile: r.config})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{Registry: all.Registry(), ConfigFile: r.config}); !errors.Is(err, statedir.ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if got, want := rc.StateDir(), filepath.Join(r.dir, "state"); got != want {
		t.Errorf("StateDir = %s, want %s", got, want)
	}
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(Options{Registry: all.Registry(), ConfigFile: r.config})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	_ = again.Close()
}

func TestLoaderDiagnostics(t *testing.T) {
	r := newRepo(t, map[string]string{"records.example.yaml": recordsZone})
	rc := open(t, r, nil)
	ld := rc.Loader()
	ctx := context.Background()
	if _, diags := ld.LoadConfig(ctx); len(diags) > 0 {
		t.Fatal(daemon.Diagnostics(diags))
	}
	bad := filepath.Join(r.dir, "zones", "bad.example.yaml")
	tests := []struct {
		name, body string
		wantAt     string
		wantRule   string
	}{
		{"schema", "domain: bad.example\ndns:\n  provider: dnspod\n  records:\n    - {name: www, type: A, value: 192.0.2.1, ttl: -5}\n",
			bad + ":5:", "schema"},
		{"yaml", "domain: bad.example\ndns: [\n", bad + ":", "yaml-syntax"},
		{"empty", "", bad + ":", "empty-file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			write(t, bad, tc.body)
			dom, diags := ld.LoadZone(ctx, bad)
			if dom != nil || len(diags) == 0 {
				t.Fatalf("LoadZone = %v, %v; want diagnostics", dom, diags)
			}
			if got := diags[0].Pos.String(); !strings.HasPrefix(got, tc.wantAt) {
				t.Errorf("position %s, want prefix %s", got, tc.wantAt)
			}
			if diags[0].Rule != tc.wantRule {
				t.Errorf("rule %q, want %q (%s)", diags[0].Rule, tc.wantRule, diags[0].Message)
			}
		})
	}

	// Moving the state directory while the daemon holds its lock is
	// refused; the previous configuration stays in force.
	before := ld.Config()
	body, err := os.ReadFile(r.config)
	if err != nil {
		t.Fatal(err)
	}
	write(t, r.config, strings.Replace(string(body), "state_dir: state", "state_dir: elsewhere", 1))
	_, diags := ld.LoadConfig(ctx)
	if len(diags) != 1 || diags[0].Rule != RuleStateDirChanged {
		t.Fatalf("diagnostics %v, want one %s", diags, RuleStateDirChanged)
	}
	if ld.Config() != before {
		t.Error("a refused configuration replaced the last good one")
	}
}

// TestLoadSettledZone: the loader loads a changed file only while it holds
// the content the watcher saw settle.
func TestLoadSettledZone(t *testing.T) {
	r := newRepo(t, map[string]string{"records.example.yaml": recordsZone})
	ld := open(t, r, nil).Loader()
	ctx := context.Background()
	if _, diags := ld.LoadConfig(ctx); len(diags) > 0 {
		t.Fatal(daemon.Diagnostics(diags))
	}
	f := filepath.Join(r.dir, "zones", "records.example.yaml")
	settled := watch.Hash([]byte(recordsZone))
	dom, diags, changed := ld.LoadSettledZone(ctx, f, settled)
	if changed || len(diags) > 0 || dom == nil || dom.Name != "records.example" {
		t.Fatalf("settled content: %v, %v, changed=%v", dom, diags, changed)
	}
	// Written again (here: cut short) after it settled.
	write(t, f, recordsZone[:len(recordsZone)/2])
	if dom, diags, changed := ld.LoadSettledZone(ctx, f, settled); !changed || dom != nil || diags != nil {
		t.Fatalf("changed content: %v, %v, changed=%v; want nothing loaded", dom, diags, changed)
	}
	// A file that cannot be read is reported as LoadZone reports it.
	if err := os.Remove(f); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(f, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, diags, changed := ld.LoadSettledZone(ctx, f, settled); changed || len(diags) != 1 || !strings.Contains(diags[0].Message, "directory") {
		t.Fatalf("directory: %v, changed=%v", diags, changed)
	}
}

func apiCalls(t *testing.T, m *metrics.Metrics, provider, op string) float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != "dnssync_api_calls_total" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range mt.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["provider"] == provider && labels["operation"] == op {
				sum += mt.GetCounter().GetValue()
			}
		}
	}
	return sum
}
