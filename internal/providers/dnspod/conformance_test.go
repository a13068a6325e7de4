package dnspod_test

import (
	"strings"
	"testing"

	dnspodgo "github.com/nrdcg/dnspod-go"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest"
)

// TestThirdPartyClient runs github.com/nrdcg/dnspod-go v0.4.0 (the client
// lego and libdns use) against the emulator, the way lego's DNS-01 flow
// does: find the zone, list, create a TXT record, read it, remove it.
func TestThirdPartyClient(t *testing.T) {
	h := start(t, dnspodtest.Options{}, false, nil)
	h.domain(t, "example.com", "DP_Free")
	if _, err := h.emu.AddRecord("example.com", rec("www", "A", "192.0.2.1", 600)); err != nil {
		t.Fatal(err)
	}
	c := dnspodgo.NewClient(dnspodgo.CommonParams{LoginToken: token, Format: "json"})
	c.BaseURL = h.ts.URL + "/"

	domains, _, err := c.Domains.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(domains) != 1 || domains[0].Name != "example.com" {
		t.Fatalf("domains %+v", domains)
	}
	did := domains[0].ID.String()

	recs, _, err := c.Records.List(did, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 { // www + the two system NS rows
		t.Fatalf("%d records: %+v", len(recs), recs)
	}

	created, _, err := c.Records.Create(did, dnspodgo.Record{Name: "_acme-challenge", Type: "TXT", Line: "默认", Value: "token-value", TTL: "600"})
	if err != nil {
		t.Fatal(err)
	}
	if created.ID == "" {
		t.Fatal("no id")
	}
	// Record.Info uses other key names (sub_domain, record_type, …), so
	// this client only fills what shares a name with Record.List (spec §7.1).
	got, _, err := c.Records.Get(did, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != created.ID || got.Value != "token-value" || got.TTL != "600" {
		t.Fatalf("Records.Get %+v", got)
	}

	// v0.4.0's Records.Update never sends record_id (fixed only on the
	// module's master, spec §7.1). The service then answers a Modify without
	// record_id with code 8 ("record id error"), which this client reports as
	// an error, and nothing changes. Our own client sends record_id; its
	// Modify is tested in TestClientOperations.
	before := h.emu.Records("example.com")
	_, _, err = c.Records.Update(did, created.ID, dnspodgo.Record{Name: "_acme-challenge", Type: "TXT", Line: "默认", Value: "changed", TTL: "600"})
	if err == nil || !strings.Contains(err.Error(), "Record id invalid") {
		t.Fatalf("Update without record_id: err = %v", err)
	}
	if last := h.emu.Log()[len(h.emu.Log())-1]; last.Action != "Record.Modify" || last.Code != 8 || last.Params.Has("record_id") {
		t.Fatalf("log %+v", last)
	}
	after := h.emu.Records("example.com")
	if len(before) != len(after) {
		t.Fatal("zone changed")
	}
	for i := range before {
		if before[i] != after[i] {
			t.Fatalf("record changed: %v → %v", before[i], after[i])
		}
	}

	// lego's clean-up: list by sub_domain, remove each.
	txts, _, err := c.Records.List(did, "_acme-challenge")
	if err != nil {
		t.Fatal(err)
	}
	if len(txts) != 1 {
		t.Fatalf("sub_domain filter: %+v", txts)
	}
	if _, err := c.Records.Delete(did, txts[0].ID); err != nil {
		t.Fatal(err)
	}
	for _, r := range h.emu.Records("example.com") {
		if r.Type == model.TypeTXT {
			t.Fatalf("not removed: %v", r)
		}
	}
	// The client does not send error_on_empty, so an empty answer is the
	// documented code 10, which it surfaces as an error.
	if _, _, err := c.Records.List(did, "_acme-challenge"); err == nil || !strings.Contains(err.Error(), "No records") {
		t.Fatalf("empty list: %v", err)
	}
}
