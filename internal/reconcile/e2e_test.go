package reconcile_test

// End-to-end tests of `dnssync watch`: the real binary (built once, without
// -race) runs as a child process against a sandbox served in this process,
// so the emulators' state and request logs can be inspected and drifted
// directly. Every test has its own sandbox, config repository and daemon.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	prommodel "github.com/prometheus/common/model"

	"github.com/dnssync/dnssync/internal/daemon"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/all"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest"
	"github.com/dnssync/dnssync/internal/sandbox"
)

// binary builds cmd/dnssync once per test process, without -race (the
// daemon under test is the product as shipped; -race applies to the tests).
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "dnssync-e2e-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "dnssync")
	// `go test` puts the toolchain's bin directory first in PATH.
	gocmd, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	cmd := exec.Command(gocmd, "build", "-o", bin, "github.com/dnssync/dnssync/cmd/dnssync")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if bin, err := binary(); err == nil && bin != "" {
		_ = os.RemoveAll(filepath.Dir(bin))
	}
	os.Exit(code)
}

func dnssyncBin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test builds and runs the dnssync binary")
	}
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// env is one sandbox with a config repository pointing at it.
type env struct {
	t      *testing.T
	sb     *sandbox.Sandbox
	dir    string // config repository
	config string
	zones  string
}

// newEnv starts a sandbox whose DNSPod tasks take podDelay, adds domains
// to its DNSPod account, and writes a config repository using it.
func newEnv(t *testing.T, podDelay time.Duration, domains ...string) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sb, err := sandbox.Start(ctx, sandbox.Options{Kinds: all.Emulators(), StateDir: t.TempDir(),
		Emulators: map[string]sandbox.EmulatorOptions{"dnspod": {TaskDelay: podDelay}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	for _, d := range domains {
		if _, err := sb.Emulator("dnspod").(*dnspodtest.Emulator).Server().AddDomain(d, "DP_Free"); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	e := &env{t: t, sb: sb, dir: dir, config: filepath.Join(dir, "dnssync.yaml"), zones: filepath.Join(dir, "zones")}
	e.write("dnssync.yaml", fmt.Sprintf(`providers:
  dnspod:
    type: dnspod
    endpoint: %s
    ca_file: %s
    credentials: {file: %s}
    rate_limit: 1000
    burst: 100
    poll_interval: 50ms
zones: zones
state_dir: state
`, sb.URL("dnspod"), sb.CAFile(), sb.CredentialsFile()))
	if err := os.MkdirAll(e.zones, 0o755); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) write(rel, body string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// dnspod is the DNSPod emulator behind the sandbox.
func (e *env) dnspod() *dnspodtest.Server {
	return e.sb.Emulator("dnspod").(*dnspodtest.Emulator).Server()
}

// zone renders a DNSPod-only zone file with A records name → address.
func zone(domain string, records ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "domain: %s\ndns:\n  provider: dnspod\n  records:\n", domain)
	for i := 0; i+1 < len(records); i += 2 {
		fmt.Fprintf(&b, "    - {name: %s, type: A, value: %s}\n", records[i], records[i+1])
	}
	return b.String()
}

// has reports whether the emulator serves name A value in domain.
func (e *env) has(domain, name, value string) bool {
	for _, r := range e.dnspod().Records(domain) {
		if r.Name == name && r.Type == model.TypeA && r.Value == value {
			return true
		}
	}
	return false
}

// writes counts DNSPod write calls by action.
func (e *env) writes() map[string]int {
	m := map[string]int{}
	for _, l := range e.dnspod().Log() {
		if strings.HasPrefix(l.Action, "Batch.Record.") || strings.HasPrefix(l.Action, "Record.Remove") ||
			strings.HasPrefix(l.Action, "Record.Modify") || strings.HasPrefix(l.Action, "Record.Create") {
			m[l.Action]++
		}
	}
	return m
}

func (e *env) logCount(action string) int {
	n := 0
	for _, l := range e.dnspod().Log() {
		if l.Action == action {
			n++
		}
	}
	return n
}

// proc is a running `dnssync watch`.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stderr *syncBuffer
	addr   string
	done   chan struct{}
	code   int
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// logLines decodes the JSON log lines written so far.
func (s *syncBuffer) logLines() []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s.String()))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

func (s *syncBuffer) hasMsg(msg string) bool {
	for _, l := range s.logLines() {
		if l["msg"] == msg {
			return true
		}
	}
	return false
}

// startWatch runs `dnssync watch` on e's config and waits until it serves.
func (e *env) startWatch(args ...string) *proc {
	t := e.t
	t.Helper()
	full := append([]string{"watch", "--config", e.config, "--addr", "127.0.0.1:0", "--log-format", "json"}, args...)
	cmd := exec.Command(dnssyncBin(t), full...)
	p := &proc{t: t, cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = io.Discard, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := cmd.Wait()
		p.code = cmd.ProcessState.ExitCode()
		if err != nil && p.code == 0 {
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("dnssync watch %s log:\n%s", strings.Join(args, " "), p.stderr.String())
		}
	})
	waitFor(t, 20*time.Second, "the daemon to serve HTTP", func() bool {
		select {
		case <-p.done:
			t.Fatalf("dnssync watch exited with %d:\n%s", p.code, p.stderr.String())
		default:
		}
		for _, l := range p.stderr.logLines() {
			if l["msg"] == "serving" {
				p.addr, _ = l["addr"].(string)
			}
		}
		return p.addr != ""
	})
	return p
}

// stop sends SIGTERM and returns the exit code (killing after 20 s).
func (p *proc) stop() int {
	select {
	case <-p.done:
		return p.code
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		p.t.Errorf("dnssync watch did not stop within 20s of SIGTERM")
	}
	return p.code
}

func (p *proc) get(path string) (int, []byte) {
	p.t.Helper()
	resp, err := http.Get("http://" + p.addr + path)
	if err != nil {
		p.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	return resp.StatusCode, b
}

func (p *proc) readiness() (int, daemon.Readiness) {
	p.t.Helper()
	code, body := p.get("/readyz")
	var r daemon.Readiness
	if err := json.Unmarshal(body, &r); err != nil {
		p.t.Fatalf("/readyz body %q: %v", body, err)
	}
	return code, r
}

// metrics scrapes /metrics and parses it with the Prometheus text parser.
func (p *proc) metrics() map[string]*dto.MetricFamily {
	p.t.Helper()
	code, body := p.get("/metrics")
	if code != http.StatusOK {
		p.t.Fatalf("/metrics: HTTP %d", code)
	}
	parser := expfmt.NewTextParser(prommodel.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		p.t.Fatalf("/metrics does not parse: %v\n%s", err, body)
	}
	return mfs
}

// sum adds the values of the samples of family name whose labels include
// want.
func sum(mfs map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	mf := mfs[name]
	if mf == nil {
		return 0
	}
	var total float64
next:
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			total += m.GetCounter().GetValue()
		case m.Gauge != nil:
			total += m.GetGauge().GetValue()
		}
	}
	return total
}

// converged counts the reconciles of domain that left it converged.
func (p *proc) converged(domain string) float64 {
	mfs := p.metrics()
	return sum(mfs, "dnssync_reconciles_total", map[string]string{"domain": domain, "result": "applied"}) +
		sum(mfs, "dnssync_reconciles_total", map[string]string{"domain": domain, "result": "no_changes"})
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// untilLive polls the emulator until cond holds and returns how long that
// took from start; it fails after timeout.
func untilLive(t *testing.T, start time.Time, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	for !cond() {
		if time.Since(start) > timeout {
			t.Fatalf("%s not live at the emulator %s after the save", what, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// The product requirement: an edited zone file is live at the provider
// within 2 s of the save — for in-place writes, editor-style atomic
// renames and ConfigMap-style symlink swaps.
func TestWatchEditIsLiveWithin2s(t *testing.T) {
	const limit = 2 * time.Second
	e := newEnv(t, 0, "edit.example", "cm.example")
	file := e.write("zones/edit.example.yaml", zone("edit.example", "www", "192.0.2.1"))
	// A ConfigMap volume: zones/cm.example.yaml -> ..data/cm.example.yaml,
	// ..data -> ..v1; an update swaps ..data atomically.
	e.write("zones/..v1/cm.example.yaml", zone("cm.example", "www", "192.0.2.1"))
	mustSymlink(t, "..v1", filepath.Join(e.zones, "..data"))
	mustSymlink(t, filepath.Join("..data", "cm.example.yaml"), filepath.Join(e.zones, "cm.example.yaml"))

	p := e.startWatch()
	waitFor(t, 20*time.Second, "the startup reconcile", func() bool {
		return p.converged("edit.example") >= 1 && p.converged("cm.example") >= 1
	})
	if !e.has("edit.example", "www", "192.0.2.1") || !e.has("cm.example", "www", "192.0.2.1") {
		t.Fatal("startup reconcile did not create the records")
	}

	// In-place write.
	start := time.Now()
	if err := os.WriteFile(file, []byte(zone("edit.example", "www", "192.0.2.1", "api", "192.0.2.2")), 0o644); err != nil {
		t.Fatal(err)
	}
	inPlace := untilLive(t, start, 10*time.Second, "api A 192.0.2.2", func() bool { return e.has("edit.example", "api", "192.0.2.2") })

	// Atomic rename, as editors save: write a hidden temporary file, then
	// rename it over the zone file.
	tmp := filepath.Join(e.zones, ".edit.example.yaml.swp")
	if err := os.WriteFile(tmp, []byte(zone("edit.example", "www", "192.0.2.1", "api", "192.0.2.2", "mail", "192.0.2.3")), 0o644); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if err := os.Rename(tmp, file); err != nil {
		t.Fatal(err)
	}
	renamed := untilLive(t, start, 10*time.Second, "mail A 192.0.2.3", func() bool { return e.has("edit.example", "mail", "192.0.2.3") })

	// Symlink swap: new data directory, then ..data replaced atomically.
	e.write("zones/..v2/cm.example.yaml", zone("cm.example", "www", "192.0.2.1", "shop", "192.0.2.4"))
	mustSymlink(t, "..v2", filepath.Join(e.zones, "..data_tmp"))
	start = time.Now()
	if err := os.Rename(filepath.Join(e.zones, "..data_tmp"), filepath.Join(e.zones, "..data")); err != nil {
		t.Fatal(err)
	}
	swapped := untilLive(t, start, 10*time.Second, "shop A 192.0.2.4", func() bool { return e.has("cm.example", "shop", "192.0.2.4") })

	t.Logf("save → live: in-place %s, atomic rename %s, symlink swap %s", inPlace.Round(time.Millisecond),
		renamed.Round(time.Millisecond), swapped.Round(time.Millisecond))
	for what, d := range map[string]time.Duration{"in-place write": inPlace, "atomic rename": renamed, "symlink swap": swapped} {
		if d >= limit {
			t.Errorf("%s: live after %s, want < %s", what, d.Round(time.Millisecond), limit)
		}
	}
	if code := p.stop(); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// An invalid edit applies nothing and shows in /readyz with its position;
// fixing the file resumes at once.
func TestWatchInvalidEditThenFix(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0, "bad.example")
	file := e.write("zones/bad.example.yaml", zone("bad.example", "www", "192.0.2.1"))
	p := e.startWatch()
	waitFor(t, 20*time.Second, "the startup reconcile", func() bool { return p.converged("bad.example") >= 1 })
	before := e.writes()

	// Line 6 adds a record with a TTL the schema forbids; line 5 adds a
	// valid record, which must not be applied either.
	invalid := zone("bad.example", "www", "192.0.2.1", "new", "192.0.2.5") + "    - {name: neg, type: A, value: 192.0.2.6, ttl: -5}\n"
	if err := os.WriteFile(file, []byte(invalid), 0o644); err != nil {
		t.Fatal(err)
	}
	var r daemon.Readiness
	waitFor(t, 10*time.Second, "/readyz to report the invalid file", func() bool {
		var code int
		code, r = p.readiness()
		return code == http.StatusServiceUnavailable && len(r.ConfigErrors) > 0
	})
	got := r.ConfigErrors[0]
	if got.File != file || got.Line != 7 || got.Col == 0 || got.At != fmt.Sprintf("%s:%d:%d", file, got.Line, got.Col) {
		t.Errorf("/readyz config error %+v, want %s:7:<col>", got, file)
	}
	if r.Status != "failing" || r.Ready {
		t.Errorf("/readyz status %q ready %v, want failing", r.Status, r.Ready)
	}
	// Give a wrongly triggered reconcile time to show, then check nothing
	// was written.
	time.Sleep(500 * time.Millisecond)
	if e.has("bad.example", "new", "192.0.2.5") {
		t.Error("a record of the invalid file was applied")
	}
	if after := e.writes(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("writes after the invalid edit: %v, before %v", after, before)
	}
	if n := sum(p.metrics(), "dnssync_config_errors", nil); n < 1 {
		t.Errorf("dnssync_config_errors = %v, want ≥ 1", n)
	}

	// Fix it: the edit is applied and the daemon is ready again.
	if err := os.WriteFile(file, []byte(zone("bad.example", "www", "192.0.2.1", "new", "192.0.2.5")), 0o644); err != nil {
		t.Fatal(err)
	}
	untilLive(t, time.Now(), 10*time.Second, "new A 192.0.2.5", func() bool { return e.has("bad.example", "new", "192.0.2.5") })
	waitFor(t, 10*time.Second, "/readyz 200 after the fix", func() bool {
		code, _ := p.readiness()
		return code == http.StatusOK
	})
	if code := p.stop(); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
}

// Drift made directly at the provider is repaired by the next resync; the
// metrics parse and count the API calls; the state directory is locked
// against a second daemon and against apply.
func TestWatchRepairsDriftAndServesMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0, "drift.example")
	e.write("zones/drift.example.yaml", zone("drift.example", "www", "192.0.2.1", "api", "192.0.2.2"))
	p := e.startWatch("--resync", "1s")
	waitFor(t, 20*time.Second, "the startup reconcile", func() bool { return p.converged("drift.example") >= 1 })

	// Behind dnssync's back: an extra record, and www pointed elsewhere.
	if _, err := e.dnspod().AddRecord("drift.example", model.Record{Name: "rogue", Type: model.TypeA, Value: "203.0.113.66", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	err := e.sb.Mutate("dnspod", dnspodtest.EditState(func(st *dnspodtest.State) error {
		for i := range st.Domains {
			for j, r := range st.Domains[i].Records {
				if st.Domains[i].Name == "drift.example" && r.Name == "www" && r.Type == model.TypeA {
					st.Domains[i].Records[j].Value = "203.0.113.1"
					return nil
				}
			}
		}
		return errors.New("www A not found")
	}))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the resync to repair the drift", func() bool {
		return !e.has("drift.example", "rogue", "203.0.113.66") && e.has("drift.example", "www", "192.0.2.1") &&
			!e.has("drift.example", "www", "203.0.113.1")
	})
	waitFor(t, 10*time.Second, "the drift to be counted", func() bool {
		return sum(p.metrics(), "dnssync_drift_detected_total", map[string]string{"domain": "drift.example"}) >= 1
	})

	mfs := p.metrics()
	for _, c := range []struct {
		name   string
		labels map[string]string
	}{
		{"dnssync_api_calls_total", map[string]string{"provider": "dnspod", "operation": "Record.List", "result": "ok"}},
		{"dnssync_api_calls_total", map[string]string{"provider": "dnspod", "operation": "Batch.Record.Create", "result": "ok"}},
		{"dnssync_resyncs_total", nil},
		{"dnssync_batches_submitted_total", map[string]string{"provider": "dnspod"}},
	} {
		if v := sum(mfs, c.name, c.labels); v <= 0 {
			t.Errorf("%s%v = %v, want > 0", c.name, c.labels, v)
		}
	}
	if code, r := p.readiness(); code != http.StatusOK || !r.Ready {
		t.Errorf("/readyz = %d %+v after the repair, want 200", code, r)
	}

	// One daemon per state directory.
	bin := dnssyncBin(t)
	for _, args := range [][]string{{"watch", "--once"}, {"apply", "--yes"}} {
		out, err := exec.Command(bin, append(args, "--config", e.config)...).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "is locked by") {
			t.Errorf("dnssync %s while watch runs: %v\n%s\nwant exit 1 with a lock error", strings.Join(args, " "), err, out)
		}
	}
	if code := p.stop(); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
}

// SIGTERM while a task is awaited stops within the grace period and
// leaves the task journaled; the next start resumes it and converges
// without submitting it again.
func TestWatchResumesAfterSIGTERM(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 3*time.Second, "slow.example")
	e.write("zones/slow.example.yaml", zone("slow.example", "www", "192.0.2.1"))
	p := e.startWatch("--grace", "100ms")
	// Polling starts only after the task id is journaled.
	waitFor(t, 20*time.Second, "the daemon to await its task", func() bool { return e.logCount("Batch.Detail") > 0 })
	if e.has("slow.example", "www", "192.0.2.1") {
		t.Fatal("the task finished before SIGTERM; the emulator's delay is too short for this test")
	}
	if code := p.stop(); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0", code)
	}
	if !p.stderr.hasMsg("grace period over; cancelling in-flight work (tasks stay in the journal and resume on next start)") {
		t.Error("the daemon did not report cancelling in-flight work after the grace period")
	}

	q := e.startWatch("--grace", "100ms")
	waitFor(t, 20*time.Second, "the restarted daemon to converge", func() bool { return q.converged("slow.example") >= 1 })
	if !e.has("slow.example", "www", "192.0.2.1") {
		t.Error("record not live after the restart")
	}
	if !q.stderr.hasMsg("awaiting task started by an earlier run") {
		t.Error("the restarted daemon did not resume the journaled task")
	}
	if n := e.logCount("Batch.Record.Create"); n != 1 {
		t.Errorf("Batch.Record.Create submitted %d times, want 1 (no duplicate after the restart)", n)
	}
	if code := q.stop(); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
}

// --once: one full reconcile with the plan exit codes.
func TestWatchOnceExitCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0, "once.example")
	file := e.write("zones/once.example.yaml", zone("once.example", "www", "192.0.2.1"))
	bin := dnssyncBin(t)
	run := func() (int, string) {
		out, err := exec.Command(bin, "watch", "--once", "--config", e.config).CombinedOutput()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0, string(out)
		case errors.As(err, &ee):
			return ee.ExitCode(), string(out)
		}
		t.Fatalf("watch --once: %v", err)
		return 0, ""
	}
	if code, out := run(); code != 2 {
		t.Errorf("first --once: exit %d, want 2 (changes applied)\n%s", code, out)
	}
	if !e.has("once.example", "www", "192.0.2.1") {
		t.Error("--once did not apply the record")
	}
	if code, out := run(); code != 0 {
		t.Errorf("second --once: exit %d, want 0 (no changes)\n%s", code, out)
	}
	if err := os.WriteFile(file, []byte("domain: once.example\ndns: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := run()
	if code != 1 || !strings.Contains(out, file+":") {
		t.Errorf("--once with an invalid file: exit %d, want 1 with the file's position\n%s", code, out)
	}
}
