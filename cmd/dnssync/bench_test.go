package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/diff"
	"github.com/dnssync/dnssync/internal/engine"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/aliyun/aliyuntest"
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

// largeZone is a config repository with one zone file of n A records and a
// DNSPod emulator, serving on loopback, whose live copy of the zone differs
// in 10% of them (5% values, 5% TTLs).
type largeZone struct {
	config    string // path of dnssync.yaml
	differing int
}

func newLargeZone(b *testing.B, n int) largeZone {
	b.Helper()
	pod := dnspodtest.New(dnspodtest.Options{})
	pod.AddToken("4242", "0123456789abcdef0123456789abcdef")
	if _, err := pod.AddDomain("big.example", "DP_Extra"); err != nil {
		b.Fatal(err)
	}
	ali := aliyuntest.New(aliyuntest.Options{})
	ps := httptest.NewServer(pod)
	as := httptest.NewServer(ali)
	b.Cleanup(ps.Close)
	b.Cleanup(as.Close)

	dir := b.TempDir()
	var zone bytes.Buffer
	zone.WriteString("domain: big.example\ndns:\n  provider: dnspod\n  ttl: 600\n  records:\n")
	differing := 0
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("h%06d", i)
		ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		fmt.Fprintf(&zone, "    - {name: %s, type: A, value: %s}\n", name, ip)
		live := model.Record{Name: name, Type: "A", Line: model.DefaultLine, Value: ip, TTL: 600, Enabled: true}
		switch i % 20 {
		case 0: // value differs
			live.Value = fmt.Sprintf("172.16.%d.%d", i>>8&255, i&255)
			differing++
		case 1: // TTL differs
			live.TTL = 300
			differing++
		}
		if _, err := pod.AddRecord("big.example", live); err != nil {
			b.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "zones"), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "zones", "big.example.yaml"), zone.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	creds := "dnspod:\n  token: \"4242,0123456789abcdef0123456789abcdef\"\n"
	if err := os.WriteFile(filepath.Join(dir, "creds.yaml"), []byte(creds), 0o600); err != nil {
		b.Fatal(err)
	}
	conf := "providers:\n  dnspod: {type: dnspod, endpoint: " + ps.URL + ", credentials: {file: creds.yaml}, rate_limit: 1000, burst: 100, min_ttl: 60}\nzones: zones\n"
	if err := os.WriteFile(filepath.Join(dir, "dnssync.yaml"), []byte(conf), 0o644); err != nil {
		b.Fatal(err)
	}
	return largeZone{config: filepath.Join(dir, "dnssync.yaml"), differing: differing}
}

// BenchmarkPlanLargeZoneE2E runs `dnssync plan` on one zone file of 100,000
// records, 10% of them differing from live state, which the binary reads
// from the DNSPod emulator over loopback HTTP. It reports wall time per
// plan, the command's CPU time (user and system) and its peak resident
// memory. The emulator runs in the benchmark's process, on the same cores.
func BenchmarkPlanLargeZoneE2E(b *testing.B) {
	bin := buildBinary(b)
	z := newLargeZone(b, 100_000)

	var maxRSS int64
	var wall, cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(bin, "plan", "-c", z.config, "--format", "json", "--detailed-exitcode")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		start := time.Now()
		err := cmd.Run()
		wall += time.Since(start)
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			b.Fatalf("plan: %v (want exit 2)\n%s", err, errb.String())
		}
		if !strings.Contains(out.String(), `"record-update"`) {
			b.Fatal("plan has no record updates")
		}
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			maxRSS = max(maxRSS, ru.Maxrss*1024)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "ms/plan")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/plan")
	b.ReportMetric(float64(maxRSS)/(1<<20), "peak-RSS-MB")
	b.ReportMetric(float64(z.differing), "changed-records")
}

// BenchmarkPlanLargeZonePhases runs the phases of the same plan in this
// process, one after the other, and reports the milliseconds of each: load
// (spec.Load of the zone file), read (Record.List pages from the emulator,
// which runs in this process too), plan (diff.Plan) and render (the JSON
// plan file, written to io.Discard). Profile one phase with -cpuprofile.
func BenchmarkPlanLargeZonePhases(b *testing.B) {
	z := newLargeZone(b, 100_000)
	ctx := context.Background()
	var load, read, planning, rendering time.Duration
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
		p := diff.Plan(desired, live, eng.DiffOptions(engine.PlanOptions{}))
		t3 := time.Now()
		if err := render.WritePlanFile(io.Discard, p); err != nil {
			b.Fatal(err)
		}
		t4 := time.Now()
		if got := len(p.Changes); got != z.differing {
			b.Fatalf("%d changes, want %d", got, z.differing)
		}
		load, read, planning, rendering = load+t1.Sub(t0), read+t2.Sub(t1), planning+t3.Sub(t2), rendering+t4.Sub(t3)
	}
	b.StopTimer()
	per := func(d time.Duration) float64 { return float64(d.Milliseconds()) / float64(b.N) }
	b.ReportMetric(per(load), "load-ms")
	b.ReportMetric(per(read), "read-ms")
	b.ReportMetric(per(planning), "plan-ms")
	b.ReportMetric(per(rendering), "render-ms")
}
