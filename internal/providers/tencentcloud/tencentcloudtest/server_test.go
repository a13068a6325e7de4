package tencentcloudtest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud/tc3"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud/tencentcloudtest"
)

const (
	rawID  = "AKIDraw00000000000000000000000000000"
	rawKey = "raw-secret-key-EXAMPLE"
)

// rawReq is a hand-built request; zero fields take correct values.
type rawReq struct {
	action, version, ct string
	body                string
	ts                  int64
	key                 string
	signed              []string // header names to sign; default content-type, host
	unsigned            bool
	drop                []string // headers to remove after signing
	set                 map[string]string
}

func (rq rawReq) do(t *testing.T, ts *httptest.Server) (int, map[string]any) {
	t.Helper()
	if rq.action == "" {
		rq.action = "DescribeDomainList"
	}
	if rq.version == "" {
		rq.version = "2021-03-23"
	}
	if rq.ct == "" {
		rq.ct = "application/json"
	}
	if rq.body == "" {
		rq.body = "{}"
	}
	if rq.ts == 0 {
		rq.ts = time.Now().Unix()
	}
	if rq.key == "" {
		rq.key = rawKey
	}
	if rq.signed == nil {
		rq.signed = []string{"content-type", "host"}
	}
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/", strings.NewReader(rq.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", rq.ct)
	req.Header.Set("X-TC-Action", rq.action)
	req.Header.Set("X-TC-Version", rq.version)
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(rq.ts, 10))
	req.Header.Set("X-TC-Language", "en-US")
	if rq.unsigned {
		req.Header.Set("X-TC-Content-SHA256", tc3.UnsignedPayload)
	}
	h := map[string]string{}
	for _, n := range rq.signed {
		if n == "host" {
			h[n] = req.URL.Host
		} else {
			h[n] = req.Header.Get(n)
		}
	}
	s := tc3.Compute(tc3.Input{Method: "POST", Headers: h, Payload: []byte(rq.body), Unsigned: rq.unsigned, Service: "dnspod", Timestamp: rq.ts}, rq.key)
	req.Header.Set("Authorization", tc3.Authorization(rawID, s))
	for _, d := range rq.drop {
		req.Header.Del(d)
	}
	for k, v := range rq.set {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct{ Response map[string]any }
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	if env.Response["RequestId"] == "" || env.Response["RequestId"] == nil {
		t.Errorf("no RequestId in %v", env.Response)
	}
	return resp.StatusCode, env.Response
}

func errCode(r map[string]any) string {
	if e, ok := r["Error"].(map[string]any); ok {
		return e["Code"].(string)
	}
	return ""
}

func newRaw(t *testing.T, o tencentcloudtest.Options) (*tencentcloudtest.Server, *httptest.Server) {
	t.Helper()
	emu := tencentcloudtest.New(o)
	emu.AddKey(rawID, rawKey)
	if _, err := emu.AddDomain("example.com", ""); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	return emu, ts
}

// TestProtocolErrors: every answer is HTTP 200 with the documented code.
func TestProtocolErrors(t *testing.T) {
	_, ts := newRaw(t, tencentcloudtest.Options{})
	tests := []struct {
		name string
		req  rawReq
		code string
	}{
		{"valid", rawReq{}, ""},
		{"x-tc-action signed", rawReq{signed: []string{"content-type", "host", "x-tc-action"}}, ""},
		{"unsigned payload", rawReq{unsigned: true}, ""},
		{"content-type with charset", rawReq{ct: "application/json; charset=utf-8"}, ""},
		{"no Authorization", rawReq{drop: []string{"Authorization"}}, "AuthFailure.InvalidAuthorization"},
		{"malformed Authorization", rawReq{set: map[string]string{"Authorization": "Basic abc"}}, "AuthFailure.InvalidAuthorization"},
		{"no timestamp", rawReq{drop: []string{"X-TC-Timestamp"}}, "MissingParameter"},
		{"old timestamp", rawReq{ts: time.Now().Add(-6 * time.Minute).Unix()}, "AuthFailure.SignatureExpire"},
		{"future timestamp", rawReq{ts: time.Now().Add(6 * time.Minute).Unix()}, "AuthFailure.SignatureExpire"},
		{"wrong key", rawReq{key: "nope"}, "AuthFailure.SignatureFailure"},
		{"host not signed", rawReq{signed: []string{"content-type"}}, "AuthFailure.SignatureFailure"},
		{"signed header missing", rawReq{signed: []string{"content-type", "host", "x-tc-region"}}, "AuthFailure.SignatureFailure"},
		{"content type changed after signing", rawReq{set: map[string]string{"Content-Type": "application/json; charset=utf-8"}}, "AuthFailure.SignatureFailure"},
		{"no version", rawReq{drop: []string{"X-TC-Version"}}, "MissingParameter"},
		{"wrong version", rawReq{version: "2018-08-26"}, "NoSuchVersion"},
		{"unknown action", rawReq{action: "DescribeEverything"}, "InvalidAction"},
		{"unknown parameter", rawReq{body: `{"Bogus":1}`}, "UnknownParameter"},
		{"wrong type", rawReq{body: `{"Limit":"ten"}`}, "InvalidParameter"},
		{"not JSON", rawReq{body: `Limit=1`}, "InvalidParameter"},
		{"form content type", rawReq{ct: "application/x-www-form-urlencoded"}, "InvalidParameter"},
		{"limit too big", rawReq{action: "DescribeRecordList", body: `{"Domain":"example.com","Limit":3001}`}, "InvalidParameterValue.LimitInvalid"},
		{"missing domain", rawReq{action: "DescribeRecordList", body: `{}`}, "MissingParameter"},
		{"unknown domain", rawReq{action: "DescribeRecordList", body: `{"Domain":"nope.example"}`}, "InvalidParameterValue.DomainNotExists"},
		{"empty filtered list", rawReq{action: "DescribeRecordList", body: `{"Domain":"example.com","RecordType":"TXT"}`}, "ResourceNotFound.NoDataOfRecord"},
		{"empty list allowed", rawReq{action: "DescribeRecordList", body: `{"Domain":"example.com","RecordType":"TXT","ErrorOnEmpty":"no"}`}, ""},
		{"empty batch", rawReq{action: "DeleteRecordBatch", body: `{"RecordIdList":[]}`}, "InvalidParameter.RecordsEmpty"},
		{"batch without domains", rawReq{action: "CreateRecordBatch", body: `{"DomainIdList":[],"RecordList":[{"RecordType":"A","Value":"192.0.2.1"}]}`}, "InvalidParameter.DomainsEmpty"},
		{"bad change", rawReq{action: "ModifyRecordBatch", body: `{"RecordIdList":[1],"Change":"weight","ChangeTo":"1"}`}, "InvalidParameter.ParamsIllegal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, r := tt.req.do(t, ts)
			if status != http.StatusOK || errCode(r) != tt.code {
				t.Fatalf("HTTP %d, %v; want code %q", status, r, tt.code)
			}
		})
	}
}

// TestTaskLimits: records per task, ids per DeleteRecordBatch, tasks in
// flight and submissions per hour, each configurable.
func TestTaskLimits(t *testing.T) {
	emu, ts := newRaw(t, tencentcloudtest.Options{MaxTaskRecords: 3, MaxDeleteIDs: 2, MaxRunningTasks: 1, MaxTasksPerHour: 2, BatchStep: time.Hour})
	var ids []string
	for i := range 3 {
		id, err := emu.AddRecord("example.com", model.Record{Name: fmt.Sprintf("h%d", i), Type: "A", Value: "192.0.2.1", TTL: 600, Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	dom := emu.Export().Domains[0].ID
	create := func(n int) string {
		var recs []string
		for i := range n {
			recs = append(recs, fmt.Sprintf(`{"SubDomain":"n%d","RecordType":"A","Value":"192.0.2.1"}`, i))
		}
		_, r := rawReq{action: "CreateRecordBatch", body: fmt.Sprintf(`{"DomainIdList":["%d"],"RecordList":[%s]}`, dom, strings.Join(recs, ","))}.do(t, ts)
		return errCode(r)
	}
	steps := []struct {
		name string
		got  func() string
		want string
	}{
		{"4 records", func() string { return create(4) }, "InvalidParameter.JobGreaterThanLimit"},
		{"3 ids to delete", func() string {
			_, r := rawReq{action: "DeleteRecordBatch", body: `{"RecordIdList":[` + strings.Join(ids, ",") + `]}`}.do(t, ts)
			return errCode(r)
		}, "InvalidParameter.JobGreaterThanLimit"},
		{"first task", func() string { return create(3) }, ""},
		{"second task while the first runs", func() string { return create(1) }, "InvalidParameter.BatchTaskCountLimit"},
	}
	for _, s := range steps {
		if got := s.got(); got != s.want {
			t.Fatalf("%s: code %q, want %q", s.name, got, s.want)
		}
	}

	// Hourly quota, on an emulator whose tasks finish at once; with a
	// window of a minute, the quota frees up as the first submissions age.
	now := time.Now()
	_, ts2 := newRaw(t, tencentcloudtest.Options{MaxTasksPerHour: 2, TaskWindow: time.Minute, Now: func() time.Time { return now }})
	dom2 := "86000001"
	for i, step := range []struct {
		after time.Duration
		want  string
	}{{0, ""}, {30 * time.Second, ""}, {0, "RequestLimitExceeded.BatchTaskLimit"}, {31 * time.Second, ""}, {0, "RequestLimitExceeded.BatchTaskLimit"}} {
		now = now.Add(step.after)
		_, r := rawReq{action: "CreateRecordBatch", ts: now.Unix(), body: `{"DomainIdList":[` + dom2 + `],"RecordList":[{"SubDomain":"x` + strconv.Itoa(i) + `","RecordType":"A","Value":"192.0.2.1"}]}`}.do(t, ts2)
		if errCode(r) != step.want {
			t.Fatalf("submission %d: %v, want %q", i, r, step.want)
		}
	}
}

func TestIndexDelayAndState(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	emu, ts := newRaw(t, tencentcloudtest.Options{Now: clock, IndexDelay: 30 * time.Second})
	body := `{"Domain":"example.com","SubDomain":"new","RecordType":"A","RecordLine":"默认","Value":"192.0.2.7","TTL":600}`
	if _, r := (rawReq{action: "CreateRecord", body: body, ts: now.Unix()}).do(t, ts); errCode(r) != "" {
		t.Fatal(r)
	}
	count := func() int {
		_, r := rawReq{action: "DescribeRecordList", body: `{"Domain":"example.com"}`, ts: now.Unix()}.do(t, ts)
		return int(r["RecordCountInfo"].(map[string]any)["TotalCount"].(float64))
	}
	if n := count(); n != 2 {
		t.Fatalf("new record visible at once: %d rows", n)
	}
	now = now.Add(31 * time.Second)
	if n := count(); n != 3 {
		t.Fatalf("%d rows after the index delay", n)
	}

	// Export → Import into a fresh emulator keeps ids and data.
	st := emu.Export()
	emu2 := tencentcloudtest.New(tencentcloudtest.Options{})
	if err := emu2.Import(st); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(emu.Records("example.com"), emu2.Records("example.com")); d != "" {
		t.Fatalf("(-before +after):\n%s", d)
	}
	id, err := emu2.AddRecord("example.com", model.Record{Name: "more", Type: "A", Value: "192.0.2.8", TTL: 600, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range st.Domains[0].Records {
		if r.ID == id {
			t.Fatalf("id %s reused after import", id)
		}
	}
}

// TestLogShape: params as sent, no credentials, faults and commits marked.
func TestLogShape(t *testing.T) {
	emu, ts := newRaw(t, tencentcloudtest.Options{})
	emu.Inject(tencentcloudtest.Injection{Action: "CreateRecord", Kind: tencentcloudtest.FaultRequestLimit})
	body := `{"Domain":"example.com","SubDomain":"www","RecordType":"A","RecordLine":"默认","Value":"192.0.2.7"}`
	for range 2 {
		rawReq{action: "CreateRecord", body: body}.do(t, ts)
	}
	log := emu.Log()
	if len(log) != 2 {
		t.Fatalf("%d entries", len(log))
	}
	got := []tencentcloudtest.LogEntry{log[0], log[1]}
	for i := range got {
		got[i].Time, got[i].RequestID = time.Time{}, ""
	}
	want := []tencentcloudtest.LogEntry{
		{Action: "CreateRecord", Params: json.RawMessage(body), Fault: tencentcloudtest.FaultRequestLimit, Code: "RequestLimitExceeded", HTTPStatus: 200},
		{Action: "CreateRecord", SecretID: rawID, Params: json.RawMessage(body), HTTPStatus: 200, Committed: true},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	b, _ := json.Marshal(log)
	if bytes.Contains(b, []byte(rawKey)) {
		t.Fatal("log holds the key")
	}
}
