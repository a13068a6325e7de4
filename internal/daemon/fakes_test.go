package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/metrics/metricstest"
	"github.com/dnssync/dnssync/internal/model"
)

// Generous bounds for -race on two cores; nothing asserts speed.
const (
	waitFor  = 10 * time.Second
	quietFor = 700 * time.Millisecond
)

// fakeLoader reads a line format standing in for the YAML of internal/spec:
//
//	config file:  "zones: DIR"          or "error: LINE:COL MESSAGE"
//	zone file:    "domain: NAME\nv: N"  or "error: LINE:COL MESSAGE"
//
// The zone's "v" goes into Domain.Unicode so tests can tell which version
// of a file a reconcile received.
type fakeLoader struct{ config string }

func parse(file string) (map[string]string, []Diagnostic) {
	f, err := os.Open(file)
	if err != nil {
		return nil, []Diagnostic{ErrorDiagnostic(file, err)}
	}
	defer f.Close()
	kv := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ": ")
		if !ok {
			continue
		}
		if k == "error" {
			at, msg, _ := strings.Cut(v, " ")
			l, c, _ := strings.Cut(at, ":")
			line, _ := strconv.Atoi(l)
			col, _ := strconv.Atoi(c)
			return nil, []Diagnostic{{Pos: model.Pos{File: file, Line: line, Col: col}, Rule: "schema", Message: msg}}
		}
		kv[k] = v
	}
	return kv, nil
}

func (l fakeLoader) LoadConfig(context.Context) (Sources, []Diagnostic) {
	kv, diags := parse(l.config)
	if diags != nil {
		return Sources{}, diags
	}
	return Sources{ZoneDirs: []string{kv["zones"]}}, nil
}

func (l fakeLoader) LoadZone(_ context.Context, file string) (*model.Domain, []Diagnostic) {
	kv, diags := parse(file)
	if diags != nil {
		return nil, diags
	}
	return &model.Domain{Name: kv["domain"], Unicode: kv["v"], File: file, Pos: model.Pos{File: file, Line: 1, Col: 1}}, nil
}

// call is one Reconcile call as the fake saw it.
type call struct {
	Trigger  Trigger
	Domains  []string
	Versions map[string]string // domain -> "v" of the desired state received
	Force    bool
	ctx      context.Context
	errAtEnd error // ctx.Err() when Reconcile returned
}

// fakeReconciler records calls and answers with outcome (default: no
// changes). A call can be held until release is closed (or its context
// ends) to test in-flight behaviour.
type fakeReconciler struct {
	mu      sync.Mutex
	n       map[string]int // calls per domain so far
	outcome func(domain string, n int, trigger Trigger) DomainResult
	passErr func(n int) error // error of the whole pass, by call number
	hold    func(c call) chan struct{}
	calls   chan call
	ncalls  int
	ended   chan call
}

func newFakeReconciler() *fakeReconciler {
	return &fakeReconciler{n: map[string]int{}, calls: make(chan call, 100), ended: make(chan call, 100)}
}

func (f *fakeReconciler) Reconcile(ctx context.Context, req Request) (Result, error) {
	c := call{Trigger: req.Trigger, Domains: req.Names(), Versions: map[string]string{}, Force: req.Force, ctx: ctx}
	for _, d := range req.Desired.Domains {
		c.Versions[d.Name] = d.Unicode
	}
	f.mu.Lock()
	f.ncalls++
	n := f.ncalls
	var res Result
	for _, name := range c.Domains {
		f.n[name]++
		r := DomainResult{Domain: name, Outcome: OutcomeNoChanges}
		if f.outcome != nil {
			r = f.outcome(name, f.n[name], req.Trigger)
			r.Domain = name
		}
		res.Domains = append(res.Domains, r)
	}
	var err error
	if f.passErr != nil {
		if err = f.passErr(n); err != nil {
			res = Result{}
		}
	}
	hold := f.hold
	f.mu.Unlock()
	f.calls <- c
	if hold != nil {
		if ch := hold(c); ch != nil {
			select {
			case <-ch:
			case <-ctx.Done():
				c.errAtEnd = ctx.Err()
				f.ended <- c
				return Result{}, ctx.Err()
			}
		}
	}
	c.errAtEnd = ctx.Err()
	f.ended <- c
	return res, err
}

// harness runs a Daemon over a temp dir with zones/*.yaml files.
type harness struct {
	t      *testing.T
	dir    string
	config string
	rec    *fakeReconciler
	d      *Daemon
	addr   string
	cancel context.CancelFunc
	done   chan error
}

func zoneFile(domain, v string) string { return "domain: " + domain + "\nv: " + v + "\n" }

func testLogger(t *testing.T) *slog.Logger {
	if os.Getenv("DNSSYNC_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// newHarness writes the files (name -> content, under zones/), builds the
// daemon and lets set adjust options and the fake before Run starts.
func newHarness(t *testing.T, files map[string]string, set func(*Options, *fakeReconciler)) *harness {
	t.Helper()
	dir := t.TempDir()
	h := &harness{t: t, dir: dir, config: filepath.Join(dir, "config.yaml"), rec: newFakeReconciler()}
	writeFile(t, h.config, "zones: "+filepath.Join(dir, "zones")+"\n")
	for name, content := range files {
		writeFile(t, h.zone(name), content)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	opts := Options{
		ConfigFile:     h.config,
		Loader:         fakeLoader{config: h.config},
		Reconciler:     h.rec,
		Listener:       ln,
		Debounce:       50 * time.Millisecond,
		ResyncInterval: -1,
		BackoffBase:    10 * time.Millisecond,
		BackoffMax:     40 * time.Millisecond,
		Logger:         testLogger(t),
		Seed:           1,
	}
	if set != nil {
		set(&opts, h.rec)
	}
	h.d, err = New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) zone(name string) string { return filepath.Join(h.dir, "zones", name) }

func (h *harness) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan error, 1)
	go func() { h.done <- h.d.Run(ctx) }()
	h.t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(waitFor + h.d.opts.GracePeriod):
			h.t.Error("Run did not return")
		}
	})
}

// stop cancels Run and returns its result.
func (h *harness) stop() error {
	h.t.Helper()
	h.cancel()
	select {
	case err := <-h.done:
		h.done <- err // for the cleanup
		return err
	case <-time.After(waitFor + h.d.opts.GracePeriod):
		h.t.Fatal("Run did not return")
		return nil
	}
}

// next returns the next Reconcile call.
func (h *harness) next() call {
	h.t.Helper()
	select {
	case c := <-h.rec.calls:
		return c
	case <-time.After(waitFor):
		h.t.Fatal("no reconcile call")
		return call{}
	}
}

// nextWith skips calls until one with trigger t.
func (h *harness) nextWith(t Trigger) call {
	h.t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case c := <-h.rec.calls:
			if c.Trigger == t {
				return c
			}
		case <-deadline:
			h.t.Fatalf("no reconcile call with trigger %s", t)
			return call{}
		}
	}
}

// none asserts that no Reconcile call starts for a while.
func (h *harness) none() {
	h.t.Helper()
	select {
	case c := <-h.rec.calls:
		h.t.Fatalf("unexpected reconcile call %+v", c)
	case <-time.After(quietFor):
	}
}

func (h *harness) readyz() (int, Readiness) {
	h.t.Helper()
	rec := httptest.NewRecorder()
	h.d.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	var r Readiness
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		h.t.Fatalf("readyz body %q: %v", rec.Body.String(), err)
	}
	return rec.Code, r
}

// eventually polls cond until it holds.
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) metrics() metricstest.Families {
	h.t.Helper()
	f, err := metricstest.Scrape(h.d.Handler())
	if err != nil {
		h.t.Fatal(err)
	}
	return f
}

func (h *harness) metric(name string, labels map[string]string) float64 {
	h.t.Helper()
	v, _ := h.metrics().Value(name, labels)
	return v
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	// Atomic save, as editors do, so the daemon never reads half a file.
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
