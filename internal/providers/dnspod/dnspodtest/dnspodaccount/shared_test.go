package dnspodaccount_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest/dnspodaccount"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud/tc3"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud/tencentcloudtest"
)

const (
	legacyToken = "4242,0123456789abcdef0123456789abcdef"
	v3ID        = "AKIDshared000000000000000000000000000"
	v3Key       = "shared-secret-key-EXAMPLE"
)

// clock is a settable time shared by both emulators and the account.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// apis are the two emulators over one account, each a real HTTP server.
type apis struct {
	t          *testing.T
	legacy, v3 *httptest.Server
	dp         *dnspodtest.Server
	tc         *tencentcloudtest.Server
	clk        *clock
}

func newAPIs(t *testing.T, step time.Duration) *apis {
	t.Helper()
	clk := &clock{t: time.Now()}
	acct := dnspodaccount.New(dnspodaccount.Options{Now: clk.now})
	dp := dnspodtest.New(dnspodtest.Options{Account: acct, Now: clk.now, BatchStep: step})
	dp.AddToken("4242", "0123456789abcdef0123456789abcdef")
	tc := tencentcloudtest.New(tencentcloudtest.Options{Account: acct, Now: clk.now, BatchStep: step})
	tc.AddKey(v3ID, v3Key)
	a := &apis{t: t, legacy: httptest.NewServer(dp), v3: httptest.NewServer(tc), dp: dp, tc: tc, clk: clk}
	t.Cleanup(a.legacy.Close)
	t.Cleanup(a.v3.Close)
	return a
}

// dnspod calls the legacy API and fails the test unless it answers code 1.
func (a *apis) dnspod(action string, kv ...string) map[string]any {
	a.t.Helper()
	m := a.dnspodRaw(action, kv...)
	if st := m["status"].(map[string]any); st["code"] != "1" {
		a.t.Fatalf("%s: status %v", action, st)
	}
	return m
}

func (a *apis) dnspodRaw(action string, kv ...string) map[string]any {
	a.t.Helper()
	f := url.Values{"login_token": {legacyToken}, "format": {"json"}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	resp, err := http.PostForm(a.legacy.URL+"/"+action, f)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		a.t.Fatalf("%s: %v", action, err)
	}
	return m
}

// tencent calls API 3.0 with a TC3-signed request and returns Response;
// wantErr is the expected Error.Code ("" for success).
func (a *apis) tencent(action string, body any, wantErr string) map[string]any {
	a.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		a.t.Fatal(err)
	}
	ts := a.clk.now().Unix()
	req, err := http.NewRequest(http.MethodPost, a.v3.URL+"/", bytes.NewReader(b))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-TC-Action", action)
	req.Header.Set("X-TC-Version", "2021-03-23")
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-TC-Language", "en-US")
	s := tc3.Compute(tc3.Input{Method: "POST", Headers: map[string]string{"content-type": "application/json", "host": req.URL.Host},
		Payload: b, Service: "dnspod", Timestamp: ts}, v3Key)
	req.Header.Set("Authorization", tc3.Authorization(v3ID, s))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct{ Response map[string]any }
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(&env); err != nil {
		a.t.Fatalf("%s: %v", action, err)
	}
	got := ""
	if e, ok := env.Response["Error"].(map[string]any); ok {
		got = e["Code"].(string)
	}
	if got != wantErr {
		a.t.Fatalf("%s: error %q, want %q (%v)", action, got, wantErr, env.Response)
	}
	return env.Response
}

// v3Rows are DescribeRecordList's rows by RecordId.
func (a *apis) v3Rows(domain string) map[string]map[string]any {
	a.t.Helper()
	r := a.tencent("DescribeRecordList", map[string]any{"Domain": domain, "Limit": 3000}, "")
	out := map[string]map[string]any{}
	for _, row := range r["RecordList"].([]any) {
		m := row.(map[string]any)
		out[m["RecordId"].(json.Number).String()] = m
	}
	return out
}

// legacyRows are Record.List's rows by id.
func (a *apis) legacyRows(domain string) map[string]map[string]any {
	a.t.Helper()
	r := a.dnspod("Record.List", "domain", domain, "length", "3000")
	out := map[string]map[string]any{}
	for _, row := range r["records"].([]any) {
		m := row.(map[string]any)
		out[m["id"].(string)] = m
	}
	return out
}

// TestBothAPIsServeOneAccount: what one API writes the other reads at
// once, with the same domain and record ids, each in its own wire format
// (grades DP_Plus / DP_PLUS, lines 国外 / 境外 with the same line id), and
// the account's rules hold across APIs.
func TestBothAPIsServeOneAccount(t *testing.T) {
	a := newAPIs(t, 0)
	domID, err := a.dp.AddDomain("example.com", "DP_Plus")
	if err != nil {
		t.Fatal(err)
	}

	// The domain, as API 3.0 lists it.
	list := a.tencent("DescribeDomainList", map[string]any{}, "")["DomainList"].([]any)
	if len(list) != 1 {
		t.Fatalf("API 3.0 lists %d domains, want 1", len(list))
	}
	d := list[0].(map[string]any)
	if d["DomainId"].(json.Number).String() != domID || d["Grade"] != "DP_PLUS" || d["Name"] != "example.com" {
		t.Errorf("API 3.0 domain %v, want id %s, grade DP_PLUS", d, domID)
	}

	// Written through the legacy API, read through API 3.0.
	rec := a.dnspod("Record.Create", "domain_id", domID, "sub_domain", "www", "record_type", "A",
		"record_line", "国外", "value", "192.0.2.1", "ttl", "600")["record"].(map[string]any)
	id := rec["id"].(string)
	row, ok := a.v3Rows("example.com")[id]
	if !ok {
		t.Fatalf("API 3.0 does not list record %s", id)
	}
	if row["Line"] != "境外" || row["LineId"] != "3=0" || row["Value"] != "192.0.2.1" || row["Name"] != "www" {
		t.Errorf("API 3.0 row %v, want www A 192.0.2.1 on 境外 (3=0)", row)
	}

	// Changed through API 3.0, read through the legacy API.
	n, _ := strconv.ParseUint(id, 10, 64)
	a.tencent("ModifyRecord", map[string]any{"Domain": "example.com", "RecordId": n, "SubDomain": "www", "RecordType": "A",
		"RecordLine": "境外", "Value": "192.0.2.2", "TTL": 300}, "")
	info := a.dnspod("Record.Info", "domain_id", domID, "record_id", id)["record"].(map[string]any)
	if info["value"] != "192.0.2.2" || info["record_line"] != "国外" || info["record_line_id"] != "3=0" || info["ttl"] != "300" {
		t.Errorf("legacy Record.Info %v, want 192.0.2.2 on 国外 (3=0), ttl 300", info)
	}

	// The rules see both APIs' records: a CNAME beside the A is refused
	// by API 3.0 with its own code, and by the legacy API with its own.
	a.tencent("CreateRecord", map[string]any{"Domain": "example.com", "SubDomain": "www", "RecordType": "CNAME",
		"RecordLine": "境外", "Value": "example.net."}, "InvalidParameter.ConflictRecord")
	if m := a.dnspodRaw("Record.Create", "domain_id", domID, "sub_domain", "www", "record_type", "A",
		"record_line", "国外", "value", "192.0.2.2"); m["status"].(map[string]any)["code"] != "104" {
		t.Errorf("a duplicate through the legacy API: %v, want code 104", m["status"])
	}

	// Created through API 3.0: the same id through both.
	v3 := a.tencent("CreateRecord", map[string]any{"Domain": "example.com", "SubDomain": "mail", "RecordType": "MX",
		"RecordLine": "默认", "Value": "mx.example.net.", "MX": 10}, "")
	mid := v3["RecordId"].(json.Number).String()
	lrow, ok := a.legacyRows("example.com")[mid]
	if !ok || lrow["type"] != "MX" || lrow["mx"] != "10" || lrow["value"] != "mx.example.net." {
		t.Fatalf("legacy Record.List row %s: %v", mid, lrow)
	}

	// Removed through the legacy API: gone for API 3.0.
	a.dnspod("Record.Remove", "domain_id", domID, "record_id", mid)
	m, _ := strconv.ParseUint(mid, 10, 64)
	a.tencent("DescribeRecord", map[string]any{"Domain": "example.com", "RecordId": m}, "InvalidParameter.RecordIdInvalid")

	// A domain API 3.0 knows the legacy API knows too.
	if _, err := a.tc.AddDomain("example.org", "DP_FREE"); err != nil {
		t.Fatal(err)
	}
	info2 := a.dnspod("Domain.Info", "domain", "example.org")["domain"].(map[string]any)
	if info2["grade"] != "DP_Free" {
		t.Errorf("legacy grade of a domain added through API 3.0: %v, want DP_Free", info2["grade"])
	}
	if _, err := a.dp.AddDomain("example.org", ""); err == nil {
		t.Error("the legacy emulator adds a domain the account holds")
	}
}

// TestBatchesOfEitherAPIAdvanceForBoth: a batch job of one API is applied
// when it is due, whichever API is asked; its records get ids both APIs
// report.
func TestBatchesOfEitherAPIAdvanceForBoth(t *testing.T) {
	a := newAPIs(t, time.Second)
	domID, err := a.tc.AddDomain("example.com", "DP_FREE")
	if err != nil {
		t.Fatal(err)
	}
	dom := strconv.FormatUint(domID, 10)

	// A legacy batch job: due at created + 2 steps.
	job := a.dnspod("Batch.Record.Create", "domain_id", dom,
		"records", `[{"sub_domain":"api","record_type":"A","record_line":"默认","value":"192.0.2.7","ttl":600}]`)["job_id"].(string)
	if _, ok := findByName(a.v3Rows("example.com"), "Name", "api"); ok {
		t.Fatal("API 3.0 lists the record before the legacy job ran")
	}
	a.clk.add(2 * time.Second)
	row, ok := findByName(a.v3Rows("example.com"), "Name", "api")
	if !ok {
		t.Fatal("API 3.0 does not list the record once the legacy job is due")
	}
	detail := a.dnspod("Batch.Detail", "job_id", job)["detail"].([]any)[0].(map[string]any)["records"].([]any)[0].(map[string]any)
	if got := strconv.Itoa(int(detail["record_id"].(float64))); got != row["RecordId"].(json.Number).String() || detail["status"] != "ok" {
		t.Errorf("legacy job item %v; API 3.0 id %v", detail, row["RecordId"])
	}

	// An API 3.0 task, read through the legacy API.
	a.tencent("CreateRecordBatch", map[string]any{"DomainIdList": []string{dom},
		"RecordList": []map[string]any{{"SubDomain": "cdn", "RecordType": "A", "RecordLine": "默认", "Value": "192.0.2.8"}}}, "")
	if _, ok := findByName(a.legacyRows("example.com"), "name", "cdn"); ok {
		t.Fatal("the legacy API lists the record before the API 3.0 task ran")
	}
	a.clk.add(2 * time.Second)
	if _, ok := findByName(a.legacyRows("example.com"), "name", "cdn"); !ok {
		t.Fatal("the legacy API does not list the record once the API 3.0 task is due")
	}
}

func findByName(rows map[string]map[string]any, key, name string) (map[string]any, bool) {
	for _, r := range rows {
		if r[key] == name {
			return r, true
		}
	}
	return nil, false
}

// TestSeparateAccountsStaySeparate: without a shared account each
// emulator keeps its own, with its own numbering.
func TestSeparateAccountsStaySeparate(t *testing.T) {
	dp := dnspodtest.New(dnspodtest.Options{})
	tc := tencentcloudtest.New(tencentcloudtest.Options{})
	if _, err := dp.AddDomain("example.com", ""); err != nil {
		t.Fatal(err)
	}
	if tc.HasDomain("example.com") {
		t.Error("an emulator of its own sees the other's domain")
	}
	if dp.Account() == tc.Account() {
		t.Error("two emulators without Options.Account share an account")
	}
}

// TestMXRangePerAPI: one account, two documented MX ranges. A priority
// of 30 written through API 3.0 (0–65535) is stored and read through the
// legacy API; the legacy API (1–20) refuses 30 itself, in a single
// Record.Create with code 30 and in a batch job as the item's error.
func TestMXRangePerAPI(t *testing.T) {
	a := newAPIs(t, 0)
	domID, err := a.dp.AddDomain("example.com", "DP_Plus")
	if err != nil {
		t.Fatal(err)
	}
	a.tencent("CreateRecord", map[string]any{"Domain": "example.com", "SubDomain": "@", "RecordType": "MX",
		"RecordLine": "默认", "Value": "mx30.example.net.", "MX": 30, "TTL": 600}, "")
	found := false
	for _, row := range a.legacyRows("example.com") {
		if row["type"] == "MX" && row["mx"] == "30" {
			found = true
		}
	}
	if !found {
		t.Errorf("the legacy API does not list the MX 30 written through API 3.0: %v", a.legacyRows("example.com"))
	}

	m := a.dnspodRaw("Record.Create", "domain_id", domID, "sub_domain", "@", "record_type", "MX",
		"record_line", "默认", "value", "mx31.example.net.", "mx", "31", "ttl", "600")
	if st := m["status"].(map[string]any); st["code"] != "30" {
		t.Errorf("legacy Record.Create with MX 31: status %v, want code 30", st)
	}

	job := a.dnspod("Batch.Record.Create", "domain_id", domID, "records",
		`[{"sub_domain":"@","record_type":"MX","record_line":"默认","value":"mx32.example.net.","mx":"32","ttl":"600"}]`)
	jobID := job["job_id"]
	detail := a.dnspod("Batch.Detail", "job_id", jobIDString(jobID))
	recs := detail["detail"].([]any)[0].(map[string]any)["records"].([]any)
	item := recs[0].(map[string]any)
	if item["status"] != "error" || item["err_msg"] == nil {
		t.Errorf("legacy batch item with MX 32: %v, want an error", item)
	}
	for _, row := range a.v3Rows("example.com") {
		if row["MX"] != nil && (row["MX"].(json.Number).String() == "31" || row["MX"].(json.Number).String() == "32") {
			t.Errorf("a priority the legacy API refused was stored: %v", row)
		}
	}
}

func jobIDString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}
