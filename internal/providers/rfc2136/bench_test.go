package rfc2136_test

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/engine"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers/rfc2136/servertest"
)

// The 20k benchmark's zone: hosts records besides the SOA and apex NS, of
// which the desired state deletes, changes the value of, and creates the
// counts below.
const (
	benchHosts   = 20000
	benchDeletes = 666
	benchChanges = 667
	benchCreates = 667
)

// benchZones returns the zone file the server starts with and the desired
// zone file of the 20k benchmark, and the desired records by name ("TYPE
// value", apex NS left out). Host i is an A record, every tenth a TXT
// record; deletes and value changes are spread over the zone (i%30 == 1
// and i%30 == 2), creates are new names.
func benchZones() (server, desired string, want map[string]string) {
	want = map[string]string{}
	var sv, ds strings.Builder
	sv.WriteString("$TTL 300\n@ 3600 IN SOA ns1.example.net. hostmaster.example.net. 1 3600 600 86400 300\n" +
		"@ 3600 IN NS ns1.example.net.\n@ 3600 IN NS ns2.example.net.\n")
	ds.WriteString("domain: example.test\ndns:\n  provider: own\n  ttl: 300\n  records:\n" +
		"    - {name: \"@\", type: NS, values: [ns1.example.net., ns2.example.net.], ttl: 3600}\n")
	value := func(i, v int) (string, string) {
		if i%10 == 9 {
			return "TXT", fmt.Sprintf("record %05d version %d", i, v)
		}
		return "A", fmt.Sprintf("10.%d.%d.%d", v, i/256, i%256)
	}
	deletes, changes := 0, 0
	for i := range benchHosts {
		typ, v := value(i, 0)
		if typ == "TXT" {
			fmt.Fprintf(&sv, "h%05d IN TXT %q\n", i, v)
		} else {
			fmt.Fprintf(&sv, "h%05d IN A %s\n", i, v)
		}
		switch {
		case i%30 == 1 && deletes < benchDeletes:
			deletes++
			continue
		case i%30 == 2 && changes < benchChanges:
			changes++
			_, v = value(i, 1)
		}
		fmt.Fprintf(&ds, "    - {name: h%05d, type: %s, value: %q}\n", i, typ, v)
		want[fmt.Sprintf("h%05d", i)] = typ + " " + v
	}
	for i := range benchCreates {
		fmt.Fprintf(&ds, "    - {name: n%05d, type: A, value: 10.200.%d.%d}\n", i, i/256, i%256)
		want[fmt.Sprintf("n%05d", i)] = fmt.Sprintf("A 10.200.%d.%d", i/256, i%256)
	}
	return sv.String(), ds.String(), want
}

// BenchmarkRFC2136PlanApply20k runs the product's plan and apply against a
// local BIND serving a zone of 20,000 records, 2,000 of which differ from
// the desired state (667 value changes, 667 creates, 666 deletes). Per
// iteration a fresh server is started with the timer stopped; plan-s is
// loading the repository and planning (one transfer), apply-s is loading
// and applying (its own transfer, the UPDATEs and the verifying transfer).
// update-msgs counts the UPDATE messages sent; peak-RSS-MB is the
// benchmark process's peak resident set (the harness and the zone texts
// included; the server is a separate process). It runs only when named:
//
//	DNSSYNC_REQUIRE_SERVERS=1 go test -run '^$' -bench BenchmarkRFC2136PlanApply20k -benchtime 3x ./internal/providers/rfc2136/
func BenchmarkRFC2136PlanApply20k(b *testing.B) {
	if f := flag.Lookup("test.bench"); f == nil || !strings.Contains(f.Value.String(), "PlanApply20k") {
		b.Skip("slow: run with -bench BenchmarkRFC2136PlanApply20k")
	}
	serverZone, desiredZone, _ := benchZones()
	var planWall, applyWall time.Duration
	var msgs int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := servertest.Start(b, servertest.BIND, servertest.Options{ZoneFile: serverZone})
		rp := newRepo(b, s, 0)
		rp.write("zones/example.test.yaml", desiredZone)
		b.StartTimer()

		start := time.Now()
		pass, desired := rp.load()
		p, _, err := pass.Plan(context.Background(), desired, engine.PlanOptions{})
		planWall += time.Since(start)
		if err != nil {
			b.Fatalf("plan: %v", err)
		}

		b.StopTimer()
		counts := map[plan.ChangeKind]int{}
		for _, c := range p.Changes {
			counts[c.Kind]++
		}
		// Records are identified by value: a value change is planned as
		// the old record's delete and the new one's create.
		if counts[plan.RecordCreate] != benchCreates+benchChanges || counts[plan.RecordDelete] != benchDeletes+benchChanges || len(counts) != 2 {
			b.Fatalf("changes %v, want %d creates and %d deletes", counts, benchCreates+benchChanges, benchDeletes+benchChanges)
		}
		b.StartTimer()

		start = time.Now()
		res, err := rp.apply(nil)
		applyWall += time.Since(start)
		if err != nil {
			b.Fatalf("apply: %v", err)
		}

		b.StopTimer()
		if res.Remaining == nil || !res.Remaining.Empty() {
			b.Fatalf("not converged: %+v", res.Remaining)
		}
		// A batch of this provider is one UPDATE message.
		sum := res.Summary
		planned := 0
		for _, st := range p.Stages {
			planned += len(st.Batches)
		}
		if sum.Batches.OK != planned || sum.Batches.Failed != 0 || sum.Batches.Unknown != 0 || sum.Retries != 0 {
			b.Fatalf("%d batches planned; summary %+v", planned, sum)
		}
		msgs += sum.Batches.OK
		if p := rp.plan(); !p.Empty() {
			b.Fatalf("plan after apply has %d changes", len(p.Changes))
		}
		b.StartTimer()
	}
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	n := float64(b.N)
	b.ReportMetric(planWall.Seconds()/n, "plan-s")
	b.ReportMetric(applyWall.Seconds()/n, "apply-s")
	b.ReportMetric(float64(msgs)/n, "update-msgs")
	b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
}
