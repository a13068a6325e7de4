package diff

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/benchzone"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
)

// benchZone builds a live zone of n records and a desired state in which
// 10% differ: 3% value changes (repointed to one of 20 new addresses), 3%
// TTL changes, 2% deletes and 2% creates.
func benchZone(r *rand.Rand, name, id string, n int) (model.Domain, model.LiveDomain) {
	live := make([]model.Record, 0, n+1)
	live = append(live, model.Record{ID: id + "-ns", Name: "@", Type: model.TypeNS, Line: model.DefaultLine,
		Value: "f1g1ns1.dnspod.net.", TTL: 86400, Enabled: true, System: true})
	want := make([]model.Record, 0, n)
	for i := range n {
		rr := model.Record{ID: fmt.Sprintf("%s-%d", id, i), Name: fmt.Sprintf("h%06d", i), Type: model.TypeA,
			Line: model.DefaultLine, Value: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), TTL: 600, Enabled: true}
		switch i % 10 {
		case 7:
			rr.Type, rr.Value = model.TypeTXT, fmt.Sprintf("v=spf1 include:%d.example.net ~all", i)
		case 8:
			rr.Type, rr.Value = model.TypeCNAME, fmt.Sprintf("t%d.example.net.", i%500)
		}
		live = append(live, rr)
		d := rr
		d.ID = ""
		switch x := r.IntN(100); {
		case x < 3 && d.Type == model.TypeA:
			d.Value = fmt.Sprintf("192.0.2.%d", 1+r.IntN(20))
		case x < 6:
			d.TTL = 1200
		case x < 8:
			continue // deleted
		}
		want = append(want, d)
	}
	for i := range n / 50 {
		want = append(want, model.Record{Name: fmt.Sprintf("new%06d", i), Type: model.TypeA, Line: model.DefaultLine,
			Value: fmt.Sprintf("198.51.100.%d", 1+i%200), TTL: 600, Enabled: true})
	}
	model.SortRecords(live)
	model.SortRecords(want)
	return model.Domain{Name: name, Unicode: name, DNS: &model.DNS{Provider: "dnspod", TTL: 600, Policy: model.PolicySync, Records: want}},
		model.LiveDomain{Name: name, DNS: &model.LiveDNS{DomainID: id, Records: live}}
}

// peakHeap samples the live heap every millisecond while f runs.
func peakHeap(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	var peak uint64
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				v := read()
				mu.Lock()
				peak = max(peak, v)
				mu.Unlock()
			}
		}
	}()
	f()
	v := read()
	close(done)
	wg.Wait()
	return max(peak, v)
}

func reportPlan(b *testing.B, p *plan.Plan, desired *model.Desired, live *model.Live) {
	changes := len(p.Changes)
	if changes == 0 {
		b.Fatal("benchmark input has no changes")
	}
	b.ReportMetric(float64(changes), "changes")
	b.ReportMetric(float64(p.Cost.Batches), "write-calls")
	b.ReportMetric(float64(p.Cost.APICalls), "api-calls")
	b.ReportMetric(float64(p.Cost.APICalls)/float64(changes), "calls/change")
	b.ReportMetric(float64(p.Cost.PerRecordCalls)/float64(changes), "per-record-calls/change")
	b.ReportMetric(float64(p.Cost.PerRecordCalls)/float64(p.Cost.APICalls), "x-fewer-calls")
	runtime.GC()
	base := peakHeap(func() {})
	peak := peakHeap(func() { planT(desired, live, Options{Force: true, AllowDelegation: true}) })
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peak-min(peak, base))/(1<<20), "plan-heap-MB")
}

func BenchmarkPlanZone(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(uint64(n), 1))
			dd, ld := benchZone(r, "example.com", "1", n)
			desired, live := &model.Desired{Domains: []model.Domain{dd}}, &model.Live{Domains: []model.LiveDomain{ld}}
			opts := Options{Force: true}
			b.ReportAllocs()
			var p *plan.Plan
			for b.Loop() {
				p = planT(desired, live, opts)
			}
			b.StopTimer()
			reportPlan(b, p, desired, live)
		})
	}
}

func BenchmarkPlanDomains(b *testing.B) {
	const domains, perZone = 1_000, 20
	r := rand.New(rand.NewPCG(7, 7))
	desired, live := &model.Desired{}, &model.Live{}
	for i := range domains {
		name := fmt.Sprintf("d%04d.example", i)
		dd, ld := benchZone(r, name, fmt.Sprint(1000+i), perZone)
		// A common change across domains: the same new record everywhere.
		dd.DNS.Records = append(dd.DNS.Records, model.Record{Name: "status", Type: model.TypeCNAME, Line: model.DefaultLine,
			Value: "status.example.net.", TTL: 600, Enabled: true})
		model.SortRecords(dd.DNS.Records)
		dd.Registrar = &model.Registrar{Provider: "aliyun", Nameservers: []string{"ns1.dnspod.net", "ns2.dnspod.net"}}
		ld.Registrar = &model.LiveRegistrar{Nameservers: []string{"ns1.dnspod.net", "ns2.dnspod.net"}}
		if i%3 == 0 { // a third move to new nameservers
			ld.Registrar.Nameservers = []string{"dns1.hichina.com", "dns2.hichina.com"}
		}
		desired.Domains = append(desired.Domains, dd)
		live.Domains = append(live.Domains, ld)
	}
	opts := Options{Force: true, AllowDelegation: true}
	b.ReportAllocs()
	var p *plan.Plan
	for b.Loop() {
		p = planT(desired, live, opts)
	}
	b.StopTimer()
	reportPlan(b, p, desired, live)
}

// benchZoneState is the benchmark zone of internal/benchzone as desired
// and live state.
func benchZoneState(n int) (*model.Desired, *model.Live) {
	want, have := benchzone.Records(n)
	return &model.Desired{Domains: []model.Domain{{Name: benchzone.Domain, Unicode: benchzone.Domain,
			DNS: &model.DNS{Provider: "dnspod", TTL: 600, Policy: model.PolicySync, Records: want}}}},
		&model.Live{Domains: []model.LiveDomain{{Name: benchzone.Domain, DNS: &model.LiveDNS{DomainID: "1", Records: have}}}}
}

// BenchmarkPlanScaling plans the benchmark zone of 20k, 100k and 500k
// records (40% A, 25% CNAME, 20% TXT, 15% MX; 10% differing) and reports
// time and allocation per record, which must stay within 1.5× of each
// other across the sizes (docs/BENCHMARKS.md).
func BenchmarkPlanScaling(b *testing.B) {
	for _, n := range []int{20_000, 100_000, 500_000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			desired, live := benchZoneState(n)
			opts := Options{Force: true}
			b.ReportAllocs()
			var p *plan.Plan
			for b.Loop() {
				p = planT(desired, live, opts)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/record")
			reportPlan(b, p, desired, live)
		})
	}
}
