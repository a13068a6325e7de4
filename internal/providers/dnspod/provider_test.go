package dnspod_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest"
)

func rec(name, typ, value string, ttl int) model.Record {
	return model.Record{Name: name, Type: typ, Line: model.DefaultLine, Value: value, TTL: ttl, Enabled: true}
}

func TestReadZone(t *testing.T) {
	h := start(t, dnspodtest.Options{}, false, nil)
	dom := h.domain(t, "example.com", "DP_Plus")
	seed := []model.Record{
		rec("www", "A", "192.0.2.1", 600),
		{Name: "www", Type: "A", Line: "电信", Value: "192.0.2.2", TTL: 600, Enabled: true},
		{Name: "@", Type: "MX", Line: model.DefaultLine, Value: "MX.Example.NET", MX: 10, TTL: 600, Enabled: true},
		rec("@", "TXT", "v=spf1 -all", 600),
		{Name: "old", Type: "CNAME", Line: model.DefaultLine, Value: "target.example.net", TTL: 120, Enabled: false},
		rec("_sip._tcp", "SRV", "10 5 5060 SIP.example.com", 600),
		rec("sub", "NS", "ns1.other.example", 600),
		rec("@", "CAA", `0 ISSUE "ca.example.net"`, 600),
	}
	want := &model.LiveDNS{DomainID: dom, Grade: "DP_Plus", MinTTL: 120}
	for _, r := range seed {
		id, err := h.emu.AddRecord("example.com", r)
		if err != nil {
			t.Fatal(err)
		}
		r.ID = id
		want.Records = append(want.Records, r)
	}
	want.Records[2].Value = "mx.example.net."
	want.Records[4].Value = "target.example.net."
	want.Records[5].Value = "10 5 5060 sip.example.com."
	want.Records[6].Value = "ns1.other.example."
	want.Records[7].Value = `0 issue "ca.example.net"` // RFC 8659: tags are case-insensitive
	for _, r := range h.emu.Records("example.com") {
		if r.System {
			want.Records = append(want.Records, r)
		}
	}
	model.SortRecords(want.Records)

	p := dnspod.NewProvider("dnspod", h.c)
	got, err := p.ReadZone(context.Background(), "Example.COM.")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("ReadZone (-want +got):\n%s", d)
	}
	sys := 0
	for _, r := range got.Records {
		if r.System {
			sys++
		}
	}
	if sys != 2 {
		t.Fatalf("%d system rows, want 2", sys)
	}
	// Domain.List and Domain.Purview are cached.
	if _, err := p.ReadZone(context.Background(), "example.com"); err != nil {
		t.Fatal(err)
	}
	if h.calls("Domain.List") != 1 || h.calls("Domain.Purview") != 1 || h.calls("Record.List") != 2 {
		t.Fatalf("calls: Domain.List %d, Domain.Purview %d, Record.List %d", h.calls("Domain.List"), h.calls("Domain.Purview"), h.calls("Record.List"))
	}
	if _, err := p.ReadZone(context.Background(), "missing.example"); !errors.Is(err, dnspod.ErrUnknownDomain) {
		t.Fatalf("unknown domain: %v", err)
	}
}

func TestReadZoneMinTTLFallback(t *testing.T) {
	h := start(t, dnspodtest.Options{Faults: dnspodtest.Faults{ServerError: 1, Actions: []string{"Domain.Purview"}}}, false, func(o *dnspod.Options) {
		o.MaxRetries = -1
		o.DefaultMinTTL = 300
	})
	h.domain(t, "example.com", "DP_Ultra")
	got, err := dnspod.NewProvider("dnspod", h.c).ReadZone(context.Background(), "example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got.MinTTL != 300 {
		t.Fatalf("MinTTL %d, want the configured 300", got.MinTTL)
	}
}

// pollUntilDone polls a task, returning every distinct status seen.
func pollUntilDone(t *testing.T, p *dnspod.Provider, task providers.Task) []providers.TaskStatus {
	t.Helper()
	var seen []providers.TaskStatus
	for range 200 {
		st, err := p.Poll(context.Background(), task)
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) == 0 || !cmp.Equal(seen[len(seen)-1], st) {
			seen = append(seen, st)
		}
		if st.Done {
			return seen
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("task never finished")
	return nil
}

func TestExecutor(t *testing.T) {
	h := start(t, dnspodtest.Options{BatchStep: 3 * time.Millisecond}, false, nil)
	d1 := h.domain(t, "example.com", "DP_Free")
	d2 := h.domain(t, "example.org", "DP_Free")
	p := dnspod.NewProvider("dnspod", h.c)
	ctx := context.Background()

	create := batchOf("s1.b1", "dnspod", dnspod.OpCreate, []string{"example.com", "example.org"}, dnspod.Payload{DomainIDs: []string{d1, d2}, Records: []model.Record{
		rec("@", "A", "192.0.2.1", 600),
		{Name: "@", Type: "MX", Line: model.DefaultLine, Value: "mx.example.net.", MX: 5, TTL: 600, Enabled: true},
		{Name: "paused", Type: "TXT", Line: model.DefaultLine, Value: "hello world", TTL: 600},
	}})
	task, err := p.Submit(ctx, create)
	if err != nil {
		t.Fatal(err)
	}
	if task.ID == "" || task.Sync || task.BatchID != "s1.b1" {
		t.Fatalf("task %+v", task)
	}
	seen := pollUntilDone(t, p, task)
	if len(seen) < 2 || seen[0].Done {
		t.Fatalf("expected intermediate states, saw %d", len(seen))
	}
	final := seen[len(seen)-1]
	if len(final.Items) != 6 {
		t.Fatalf("%d items, want 6", len(final.Items))
	}
	for _, it := range final.Items {
		if it.State != providers.ItemOK || it.RecordID == "" {
			t.Fatalf("item %+v", it)
		}
	}
	live, err := p.ReadZone(ctx, "example.org")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var aIDs []string
	for _, r := range live.Records {
		if !r.System {
			got = append(got, r.String())
		}
		if r.Type == "A" {
			aIDs = append(aIDs, r.ID)
		}
	}
	want := []string{"@ A 192.0.2.1 (ttl 600)", "@ MX 5 mx.example.net. (ttl 600)", `paused TXT "hello world" (ttl 600, disabled)`}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("zone (-want +got):\n%s", d)
	}
	live1, _ := p.ReadZone(ctx, "example.com")
	for _, r := range live1.Records {
		if r.Type == "A" {
			aIDs = append(aIDs, r.ID)
		}
	}

	// One Batch.Record.Modify spanning both domains.
	mod := batchOf("s2.b1", "dnspod", dnspod.OpModify, nil, dnspod.Payload{RecordIDs: aIDs, Field: "ttl", To: "1200"})
	task, err = p.Submit(ctx, mod)
	if err != nil {
		t.Fatal(err)
	}
	mseen := pollUntilDone(t, p, task)
	last := mseen[len(mseen)-1]
	if len(last.Items) != 2 || last.Items[0].State != providers.ItemOK || last.Items[1].State != providers.ItemOK {
		t.Fatalf("modify items %+v", last.Items)
	}
	for _, d := range []string{"example.com", "example.org"} {
		for _, r := range h.emu.Records(d) {
			if r.Type == "A" && r.TTL != 1200 {
				t.Fatalf("%s: %v", d, r)
			}
		}
	}

	// Remove is synchronous; a refusal is the item's result.
	var sysID string
	for _, r := range live.Records {
		if r.System {
			sysID = r.ID
		}
	}
	tests := []struct {
		id    string
		state providers.ItemState
	}{{aIDs[0], providers.ItemOK}, {sysID, providers.ItemFailed}}
	for _, tt := range tests {
		task, err := p.Submit(ctx, batchOf("s3", "", dnspod.OpRemove, []string{"example.org"}, dnspod.Payload{RecordIDs: []string{tt.id}}))
		if err != nil {
			t.Fatal(err)
		}
		st, err := p.Poll(ctx, task)
		if err != nil {
			t.Fatal(err)
		}
		if !task.Sync || !st.Done || len(st.Items) != 1 || st.Items[0].State != tt.state {
			t.Fatalf("remove %s: %+v %+v", tt.id, task, st)
		}
	}
}

func TestBatchMXKey(t *testing.T) {
	tests := []struct {
		name      string
		clientKey string
		emuKeys   []string
		state     providers.ItemState
	}{
		{"documented MX", "", []string{"MX"}, providers.ItemOK},
		{"lower-case accepted", "mx", []string{"mx"}, providers.ItemOK},
		{"server wants lower-case", "", []string{"mx"}, providers.ItemFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, dnspodtest.Options{BatchMXKeys: tt.emuKeys}, false, func(o *dnspod.Options) { o.BatchMXKey = tt.clientKey })
			id := h.domain(t, "example.com", "DP_Free")
			p := dnspod.NewProvider("dnspod", h.c)
			task, err := p.Submit(context.Background(), batchOf("", "", dnspod.OpCreate, []string{"example.com"}, dnspod.Payload{DomainIDs: []string{id}, Records: []model.Record{{Name: "@", Type: "MX", Line: model.DefaultLine, Value: "mx.example.net.", MX: 10, TTL: 600, Enabled: true}}}))
			if err != nil {
				t.Fatal(err)
			}
			st := pollUntilDone(t, p, task)
			items := st[len(st)-1].Items
			if len(items) != 1 || items[0].State != tt.state {
				t.Fatalf("items %+v", items)
			}
			if tt.state == providers.ItemFailed && items[0].Message == "" {
				t.Fatal("failed item without the provider's message")
			}
		})
	}
}

func TestPollFailedItems(t *testing.T) {
	h := start(t, dnspodtest.Options{Seed: 9, Faults: dnspodtest.Faults{FailItem: 1}}, false, nil)
	id := h.domain(t, "example.com", "DP_Free")
	p := dnspod.NewProvider("dnspod", h.c)
	task, err := p.Submit(context.Background(), batchOf("", "", dnspod.OpCreate, []string{"example.com"}, dnspod.Payload{DomainIDs: []string{id}, Records: []model.Record{rec("a", "A", "192.0.2.1", 600), rec("b", "A", "192.0.2.2", 600)}}))
	if err != nil {
		t.Fatal(err)
	}
	st := pollUntilDone(t, p, task)
	want := []providers.ItemResult{
		{Domain: "example.com", What: "a A 192.0.2.1", State: providers.ItemFailed},
		{Domain: "example.com", What: "b A 192.0.2.2", State: providers.ItemFailed},
	}
	if d := cmp.Diff(want, st[len(st)-1].Items, cmpopts.IgnoreFields(providers.ItemResult{}, "Message")); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	if n := len(h.emu.Records("example.com")); n != 2 {
		t.Fatalf("failed items changed the zone: %d records", n)
	}
}

// TestReadZonePages: a zone of many pages, fetched concurrently and
// arriving out of order, reads as every record once, in canonical form,
// the system rows marked, as from a single page.
func TestReadZonePages(t *testing.T) {
	h := start(t, dnspodtest.Options{Seed: 7, Faults: dnspodtest.Faults{LatencyShare: 0.5, Latency: 3 * time.Millisecond}}, false,
		func(o *dnspod.Options) { o.PageSize = 7 })
	h.domain(t, "example.com", "DP_Free")
	want := &model.LiveDNS{Grade: "DP_Free"}
	for i := range 60 {
		r := rec(fmt.Sprintf("h%02d", i), "CNAME", fmt.Sprintf("T%d.Example.NET", i), 600)
		id, err := h.emu.AddRecord("example.com", r)
		if err != nil {
			t.Fatal(err)
		}
		r.ID, r.Value = id, fmt.Sprintf("t%d.example.net.", i)
		want.Records = append(want.Records, r)
	}
	for _, r := range h.emu.Records("example.com") {
		if r.System {
			want.Records = append(want.Records, r)
		}
	}
	model.SortRecords(want.Records)

	got, err := dnspod.NewProvider("dnspod", h.c).ReadZone(context.Background(), "example.com")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got, cmpopts.IgnoreFields(model.LiveDNS{}, "DomainID", "MinTTL")); d != "" {
		t.Fatalf("ReadZone (-want +got):\n%s", d)
	}
	if n := h.calls("Record.List"); n != 9 {
		t.Fatalf("%d Record.List calls, want 9 pages of 7 for 62 records", n)
	}
}
