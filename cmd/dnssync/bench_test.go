package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/benchzone"
	"github.com/dnssync/dnssync/internal/diff"
	"github.com/dnssync/dnssync/internal/engine"
	"github.com/dnssync/dnssync/internal/providers/all"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest"
	"github.com/dnssync/dnssync/internal/render"
	"github.com/dnssync/dnssync/internal/spec"
)

// buildBinary compiles dnssync once for end-to-end benchmarks, so that the
// measured process is the real command and its peak memory is its own.
func buildBinary(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "dnssync")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// largeZone is a config repository with the benchmark zone of
// internal/benchzone (n records, 40% A, 25% CNAME, 20% TXT, 15% MX, 10%
// differing: value changes, creates and deletes) and a DNSPod emulator
// holding the live side, serving HTTPS on loopback with its own
// certificate, which the configuration trusts through ca_file.
type largeZone struct {
	config    string // path of dnssync.yaml
	differing int    // updates + creates + deletes
}

func newLargeZone(b *testing.B, n int) largeZone {
	b.Helper()
	pod := dnspodtest.New(dnspodtest.Options{})
	pod.AddToken("4242", "0123456789abcdef0123456789abcdef")
	if _, err := pod.AddDomain(benchzone.Domain, "DP_Extra"); err != nil {
		b.Fatal(err)
	}
	desired, live := benchzone.Records(n)
	for _, r := range live {
		r.ID = ""
		if _, err := pod.AddRecord(benchzone.Domain, r); err != nil {
			b.Fatal(err)
		}
	}
	ps := httptest.NewTLSServer(pod)
	b.Cleanup(ps.Close)

	dir := b.TempDir()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ps.Certificate().Raw})
	creds := "dnspod:\n  token: \"4242,0123456789abcdef0123456789abcdef\"\n"
	conf := "providers:\n  dnspod: {type: dnspod, endpoint: " + ps.URL +
		", ca_file: ca.pem, credentials: {file: creds.yaml}, rate_limit: 1000, burst: 100, min_ttl: 60}\nzones: zones\n"
	if err := os.MkdirAll(filepath.Join(dir, "zones"), 0o755); err != nil {
		b.Fatal(err)
	}
	for name, data := range map[string][]byte{
		filepath.Join("zones", benchzone.Domain+".yaml"): benchzone.ZoneFile(desired),
		"ca.pem":       ca,
		"creds.yaml":   []byte(creds),
		"dnssync.yaml": []byte(conf),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	u, c, d := benchzone.Counts(n)
	return largeZone{config: filepath.Join(dir, "dnssync.yaml"), differing: u + c + d}
}

// BenchmarkPlanLargeZoneE2E runs `dnssync plan` on one zone file of 100,000
// records, 10% of them differing from live state, which the binary reads
// from the DNSPod emulator over loopback HTTPS. It reports wall time per
// plan, the command's CPU time (user and system) and its peak resident
// memory. The emulator runs in the benchmark's process, on the same cores.
func BenchmarkPlanLargeZoneE2E(b *testing.B) {
	bin := buildBinary(b)
	z := newLargeZone(b, 100_000)

	// Linux counts in a child's peak RSS the memory of the process that
	// started it (its address space until exec, which is this benchmark's
	// with the emulator and the zone in it): /usr/bin/time, a small
	// process, measures the command's own.
	timeFile := filepath.Join(b.TempDir(), "rss")
	gnuTime, _ := exec.LookPath("/usr/bin/time")
	var maxRSS int64
	var wall, cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		args := []string{bin, "plan", "-c", z.config, "--format", "json", "--detailed-exitcode"}
		if gnuTime != "" {
			args = append([]string{gnuTime, "-o", timeFile, "-f", "%M"}, args...)
		}
		cmd := exec.Command(args[0], args[1:]...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		start := time.Now()
		err := cmd.Run()
		wall += time.Since(start)
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			b.Fatalf("plan: %v (want exit 2)\n%s", err, errb.String())
		}
		if !strings.Contains(out.String(), `"updates": 3334`) {
			b.Fatal("plan summary does not count the zone's 3,334 updates")
		}
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if gnuTime != "" {
			out, err := os.ReadFile(timeFile)
			lines := strings.Fields(string(out))
			if err != nil || len(lines) == 0 {
				b.Fatalf("peak RSS from %s: %v %q", gnuTime, err, out)
			}
			kb, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
			if err != nil {
				b.Fatalf("peak RSS from %s: %v", gnuTime, err)
			}
			maxRSS = max(maxRSS, kb*1024)
		} else if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			maxRSS = max(maxRSS, ru.Maxrss*1024) // an upper bound, see above
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "ms/plan")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/plan")
	b.ReportMetric(float64(maxRSS)/(1<<20), "peak-RSS-MB")
	b.ReportMetric(float64(z.differing), "changed-records")
}

// BenchmarkPlanLargeZonePhases runs the phases of the same plan in this
// process, one after the other, for zones of 20k, 100k and 500k records,
// and reports the milliseconds of each: load (spec.Load of the zone file),
// read (Record.List pages over HTTPS from the emulator, which runs in this
// process too), plan (diff.Plan) and render (the JSON plan file, written
// to io.Discard); and, to show that the work grows linearly, the time of
// all four and the bytes allocated per record. Profile one phase with
// -cpuprofile.
func BenchmarkPlanLargeZonePhases(b *testing.B) {
	for _, n := range []int{20_000, 100_000, 500_000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) { planPhases(b, n) })
	}
}

func planPhases(b *testing.B, n int) {
	z := newLargeZone(b, n)
	ctx := context.Background()
	var load, read, planning, rendering time.Duration
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		cfg, ds := spec.LoadConfigDiagnostics(ctx, z.config, all.Registry())
		if ds.HasErrors() {
			b.Fatal(ds)
		}
		desired, ds := spec.Load(ctx, cfg)
		if ds.HasErrors() {
			b.Fatal(ds)
		}
		t1 := time.Now()
		eng, err := engine.New(cfg, engine.Options{})
		if err != nil {
			b.Fatal(err)
		}
		live, err := eng.ReadLive(ctx, desired)
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		p := diff.Plan(desired, live, eng.DiffOptions(engine.PlanOptions{Force: true}))
		t3 := time.Now()
		if err := render.WritePlanFile(io.Discard, p); err != nil {
			b.Fatal(err)
		}
		t4 := time.Now()
		if t := p.Summary.Total; t.Updates+t.Creates+t.Deletes != z.differing {
			b.Fatalf("summary counts %+v, want %d changes", t, z.differing)
		}
		load, read, planning, rendering = load+t1.Sub(t0), read+t2.Sub(t1), planning+t3.Sub(t2), rendering+t4.Sub(t3)
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	per := func(d time.Duration) float64 { return float64(d.Milliseconds()) / float64(b.N) }
	b.ReportMetric(per(load), "load-ms")
	b.ReportMetric(per(read), "read-ms")
	b.ReportMetric(per(planning), "plan-ms")
	b.ReportMetric(per(rendering), "render-ms")
	total := load + read + planning + rendering
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N)/float64(n), "ns/record")
	// The emulator's answers are allocated in this process too.
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/float64(n), "B/record")
}
