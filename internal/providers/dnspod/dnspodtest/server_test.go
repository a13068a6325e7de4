package dnspodtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

const tok = "4242,0123456789abcdef0123456789abcdef"

type env struct {
	t   *testing.T
	s   *Server
	ts  *httptest.Server
	dom string // id of example.com
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	s := New(opts)
	s.AddToken("4242", "0123456789abcdef0123456789abcdef")
	id, err := s.AddDomain("example.com", "DP_Free")
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &env{t: t, s: s, ts: ts, dom: id}
}

// post sends action with the common parameters plus kv pairs and returns
// the HTTP status and the decoded body (numbers as float64, so JSON types
// can be asserted).
func (e *env) post(action string, kv ...string) (int, map[string]any) {
	e.t.Helper()
	f := url.Values{"login_token": {tok}, "format": {"json"}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	resp, err := http.PostForm(e.ts.URL+"/"+action, f)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return resp.StatusCode, map[string]any{"_raw": string(b)}
	}
	return resp.StatusCode, m
}

func code(m map[string]any) string {
	st, _ := m["status"].(map[string]any)
	c, _ := st["code"].(string)
	return c
}

func TestCommonParameters(t *testing.T) {
	e := newEnv(t, Options{})
	tests := []struct {
		name   string
		do     func() (int, map[string]any)
		http   int
		code   string
		rawHas string
	}{
		{name: "ok", do: func() (int, map[string]any) { return e.post("Info.Version") }, http: 200, code: "1"},
		{name: "GET refused", do: func() (int, map[string]any) {
			resp, err := http.Get(e.ts.URL + "/Record.List")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var m map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&m)
			return resp.StatusCode, m
		}, http: 200, code: "2"},
		{name: "bad token", do: func() (int, map[string]any) {
			resp, err := http.PostForm(e.ts.URL+"/Domain.List", url.Values{"login_token": {"4242,ffff"}, "format": {"json"}})
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var m map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&m)
			return resp.StatusCode, m
		}, http: 200, code: "-1"},
		{name: "xml notice", do: func() (int, map[string]any) { return e.post("Domain.List", "format", "xml") }, http: 200, rawHas: "<code>3</code>"},
		{name: "unknown action", do: func() (int, map[string]any) { return e.post("Nope.Nothing") }, http: 404, code: "3"},
		{name: "empty list is an error by default", do: func() (int, map[string]any) {
			return e.post("Record.List", "domain_id", e.dom, "sub_domain", "nothing")
		}, http: 200, code: "10"},
		{name: "error_on_empty=no", do: func() (int, map[string]any) {
			return e.post("Record.List", "domain_id", e.dom, "sub_domain", "nothing", "error_on_empty", "no")
		}, http: 200, code: "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, m := tt.do()
			if h != tt.http {
				t.Errorf("HTTP %d, want %d", h, tt.http)
			}
			if tt.rawHas != "" {
				if raw, _ := m["_raw"].(string); !strings.Contains(raw, tt.rawHas) {
					t.Errorf("body %q lacks %q", raw, tt.rawHas)
				}
				return
			}
			if c := code(m); c != tt.code {
				t.Errorf("code %q, want %q (%v)", c, tt.code, m)
			}
		})
	}
	for _, le := range e.s.Log() {
		if le.Params.Has("login_token") {
			t.Fatalf("log entry keeps login_token: %+v", le)
		}
	}
}

func TestHTMLUnauthorized(t *testing.T) {
	e := newEnv(t, Options{HTMLUnauthorized: true})
	resp, err := http.PostForm(e.ts.URL+"/Record.List", url.Values{"login_token": {"1,bad"}, "format": {"json"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 401 || !strings.Contains(string(b), "401 Authorization Required") {
		t.Fatalf("got %d %q", resp.StatusCode, b)
	}
}

// TestJSONTypes pins the per-operation JSON types of spec §6.
func TestJSONTypes(t *testing.T) {
	e := newEnv(t, Options{})
	_, m := e.post("Record.Create", "domain_id", e.dom, "sub_domain", "www", "record_type", "A", "record_line", "默认", "value", "192.0.2.1")
	if code(m) != "1" {
		t.Fatal(m)
	}
	rid := m["record"].(map[string]any)["id"]
	if _, ok := rid.(string); !ok {
		t.Errorf("Record.Create record.id is %T, want string", rid)
	}
	_, m = e.post("Record.Modify", "domain_id", e.dom, "record_id", rid.(string), "sub_domain", "www", "record_type", "A", "record_line", "默认", "value", "192.0.2.2", "ttl", "600")
	if _, ok := m["record"].(map[string]any)["id"].(float64); !ok {
		t.Errorf("Record.Modify record.id is %T, want number", m["record"].(map[string]any)["id"])
	}
	_, m = e.post("Domain.List")
	d := m["domains"].([]any)[0].(map[string]any)
	info := m["info"].(map[string]any)
	_, m2 := e.post("Domain.Info", "domain_id", e.dom)
	di := m2["domain"].(map[string]any)
	_, m3 := e.post("Record.List", "domain_id", e.dom)
	var www map[string]any
	for _, r := range m3["records"].([]any) {
		if r.(map[string]any)["name"] == "www" {
			www = r.(map[string]any)
		}
	}
	_, m4 := e.post("Record.Line", "domain_id", e.dom, "domain_grade", "DP_Free")
	ids := m4["line_ids"].(map[string]any)

	checks := []struct {
		where string
		v     any
		want  string
	}{
		{"Domain.List domains[].id", d["id"], "number"},
		{"Domain.List group_id", d["group_id"], "string"},
		{"Domain.List ttl", d["ttl"], "string"},
		{"Domain.List records", d["records"], "string"},
		{"Domain.List info.domain_total", info["domain_total"], "number"},
		{"Domain.List info.share_total", info["share_total"], "string"},
		{"Domain.Info id", di["id"], "string"},
		{"Domain.Info remark", di["remark"], "bool"},
		{"Record.List domain.ttl", m3["domain"].(map[string]any)["ttl"], "number"},
		{"Record.List info.record_total", m3["info"].(map[string]any)["record_total"], "string"},
		{"Record.List id", www["id"], "string"},
		{"Record.List ttl", www["ttl"], "string"},
		{"Record.List mx", www["mx"], "string"},
		{"Record.List enabled", www["enabled"], "string"},
		{"Record.List line_id", www["line_id"], "string"},
		{"Record.List weight", www["weight"], "null"},
		{"Record.Line 默认", ids["默认"], "number"},
		{"Record.Line 电信", ids["电信"], "string"},
	}
	for _, c := range checks {
		if got := jsonType(c.v); got != c.want {
			t.Errorf("%s: %s, want %s", c.where, got, c.want)
		}
	}
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	default:
		return fmt.Sprintf("%T", v)
	}
}

func TestRecordRules(t *testing.T) {
	e := newEnv(t, Options{})
	base := []string{"domain_id", e.dom, "record_line", "默认", "ttl", "600"}
	create := func(kv ...string) string {
		_, m := e.post("Record.Create", append(append([]string(nil), base...), kv...)...)
		return code(m)
	}
	if c := create("sub_domain", "www", "record_type", "A", "value", "192.0.2.1"); c != "1" {
		t.Fatalf("seed create: %s", c)
	}
	tests := []struct {
		name string
		kv   []string
		want string
	}{
		{"duplicate", []string{"sub_domain", "www", "record_type", "A", "value", "192.0.2.1"}, "104"},
		{"cname conflict", []string{"sub_domain", "www", "record_type", "CNAME", "value", "x.example.net."}, "31"},
		{"mx range", []string{"sub_domain", "m", "record_type", "MX", "value", "mx.example.net.", "mx", "21"}, "30"},
		{"ttl below grade", []string{"sub_domain", "t", "record_type", "A", "value", "192.0.2.1", "ttl", "60"}, "32"},
		{"line not in free grade", []string{"sub_domain", "l", "record_type", "A", "value", "192.0.2.1", "record_line", "移动"}, "26"},
		{"line id wins", []string{"sub_domain", "l", "record_type", "A", "value", "192.0.2.1", "record_line", "移动", "record_line_id", "10=1"}, "1"},
		{"bad sub_domain", []string{"sub_domain", "a b", "record_type", "A", "value", "192.0.2.1"}, "22"},
		{"bad type", []string{"sub_domain", "u", "record_type", "URL0", "value", "x"}, "27"},
		{"apex NS line", []string{"sub_domain", "@", "record_type", "NS", "value", "ns.example.net.", "record_line", "电信"}, "36"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c := create(tt.kv...); c != tt.want {
				t.Fatalf("code %s, want %s", c, tt.want)
			}
		})
	}
	// TTL below the grade on Modify is 29, and system NS rows are refused.
	var www, ns string
	for _, r := range e.s.Records("example.com") {
		if r.Name == "www" {
			www = r.ID
		}
		if r.System {
			ns = r.ID
		}
	}
	_, m := e.post("Record.Modify", "domain_id", e.dom, "record_id", www, "sub_domain", "www", "record_type", "A", "record_line", "默认", "value", "192.0.2.1", "ttl", "60")
	if code(m) != "29" {
		t.Errorf("modify low ttl: %v", m)
	}
	_, m = e.post("Record.Remove", "domain_id", e.dom, "record_id", ns)
	if code(m) != "7" {
		t.Errorf("remove system NS: %v", m)
	}
	_, m = e.post("Record.Modify", "domain_id", e.dom, "sub_domain", "www", "record_type", "A", "record_line", "默认", "value", "192.0.2.9")
	if code(m) != "8" {
		t.Errorf("modify without record_id: %v", m)
	}
}

func TestRecordListPaging(t *testing.T) {
	e := newEnv(t, Options{})
	for i := range 150 {
		if _, err := e.s.AddRecord("example.com", model.Record{Name: fmt.Sprintf("h%03d", i), Type: "A", Value: "192.0.2.1", TTL: 600, Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		kv       []string
		code     string
		n        int
		total    string
		subTotal string
	}{
		{name: "default page is 100", code: "1", n: 100, total: "152", subTotal: "152"},
		{name: "explicit length", kv: []string{"length", "3000"}, code: "1", n: 152, total: "152"},
		{name: "offset", kv: []string{"length", "100", "offset", "100"}, code: "1", n: 52, total: "152"},
		{name: "too long", kv: []string{"length", "3001"}, code: "8"},
		{name: "bad offset", kv: []string{"offset", "-1"}, code: "7"},
		{name: "sub_domain filter", kv: []string{"sub_domain", "h007"}, code: "1", n: 1, total: "1"},
		{name: "type filter", kv: []string{"record_type", "NS"}, code: "1", n: 2, total: "2"},
		{name: "keyword wins", kv: []string{"keyword", "h01", "record_type", "NS"}, code: "1", n: 10, total: "10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, m := e.post("Record.List", append([]string{"domain_id", e.dom}, tt.kv...)...)
			if code(m) != tt.code {
				t.Fatalf("code %s, want %s", code(m), tt.code)
			}
			if tt.code != "1" {
				return
			}
			if n := len(m["records"].([]any)); n != tt.n {
				t.Errorf("%d records, want %d", n, tt.n)
			}
			info := m["info"].(map[string]any)
			if info["record_total"] != tt.total || info["sub_domains"] != "152" {
				t.Errorf("info %v, want record_total %s", info, tt.total)
			}
		})
	}
}

func TestSystemNSRows(t *testing.T) {
	e := newEnv(t, Options{})
	_, m := e.post("Record.List", "domain_id", e.dom, "record_type", "NS")
	var got []string
	for _, r := range m["records"].([]any) {
		rm := r.(map[string]any)
		got = append(got, fmt.Sprint(rm["name"], " ", rm["value"], " ", rm["hold"]))
	}
	want := []string{"@ f1g1ns1.dnspod.net. hold", "@ f1g1ns2.dnspod.net. hold"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("NS rows (-want +got):\n%s", d)
	}
}

func TestBatchProgress(t *testing.T) {
	step := 40 * time.Millisecond
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	e := newEnv(t, Options{BatchStep: step, Now: clock})
	recs := `[{"sub_domain":"a","record_type":"A","record_line":"默认","value":"192.0.2.1","ttl":"600"},` +
		`{"sub_domain":"a","record_type":"CNAME","record_line":"默认","value":"x.example.net","ttl":"600"},` +
		`{"sub_domain":"","record_type":"MX","record_line":"默认","value":"mx.example.net","MX":"10","ttl":"600"}]`
	_, m := e.post("Batch.Record.Create", "domain_id", e.dom, "records", recs)
	if code(m) != "1" {
		t.Fatal(m)
	}
	job := m["job_id"].(string)
	states := func() []string {
		_, m := e.post("Batch.Detail", "job_id", job)
		var out []string
		for _, r := range m["detail"].([]any)[0].(map[string]any)["records"].([]any) {
			out = append(out, r.(map[string]any)["status"].(string))
		}
		return out
	}
	steps := []struct {
		at   time.Duration
		want []string
	}{
		{0, []string{"waiting", "waiting", "waiting"}},
		{step, []string{"running", "waiting", "waiting"}},
		{2 * step, []string{"ok", "waiting", "waiting"}},
		{3 * step, []string{"ok", "running", "waiting"}},
		{4 * step, []string{"ok", "error", "waiting"}}, // CNAME beside the A just created
		{6 * step, []string{"ok", "error", "ok"}},
	}
	start := now
	for _, s := range steps {
		now = start.Add(s.at)
		if d := cmp.Diff(s.want, states()); d != "" {
			t.Fatalf("at %v (-want +got):\n%s", s.at, d)
		}
	}
	_, m = e.post("Batch.Detail", "job_id", job)
	if m["total"].(float64) != 4 || m["success"].(float64) != 3 || m["fail"].(float64) != 1 {
		t.Errorf("counts %v/%v/%v", m["total"], m["success"], m["fail"])
	}
	r := m["detail"].([]any)[0].(map[string]any)["records"].([]any)
	if msg, _ := r[1].(map[string]any)["err_msg"].(string); !strings.Contains(msg, "conflicts") {
		t.Errorf("err_msg %q", msg)
	}
	if _, ok := r[0].(map[string]any)["record_id"].(float64); !ok {
		t.Errorf("record_id is %T, want number", r[0].(map[string]any)["record_id"])
	}
	if _, m := e.post("Batch.Detail", "job_id", "1"); code(m) != "8" {
		t.Errorf("unknown job: %v", m)
	}
}

func TestBatchModify(t *testing.T) {
	e := newEnv(t, Options{})
	var ids []string
	for i := range 3 {
		id, err := e.s.AddRecord("example.com", model.Record{Name: fmt.Sprintf("h%d", i), Type: "A", Value: "192.0.2.1", TTL: 600, Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	_, m := e.post("Batch.Record.Modify", "record_id", strings.Join(ids, ","), "change", "record_type", "change_to", "CNAME", "value", "t.example.net")
	if code(m) != "1" {
		t.Fatal(m)
	}
	d := m["detail"].([]any)[0].(map[string]any)
	if jsonType(d["domain_id"]) != "number" || jsonType(d["records"].([]any)[0].(map[string]any)["record_id"]) != "string" {
		t.Errorf("Batch.Record.Modify types: %v", d)
	}
	var got []string
	for _, r := range e.s.Records("example.com") {
		if !r.System {
			got = append(got, r.Name+" "+r.Type+" "+r.Value)
		}
	}
	want := []string{"h0 CNAME t.example.net.", "h1 CNAME t.example.net.", "h2 CNAME t.example.net."}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if _, m := e.post("Batch.Record.Modify", "record_id", "1", "change", "ttl", "change_to", "600"); code(m) != "8" {
		t.Errorf("unknown record: %v", m)
	}
	if _, m := e.post("Batch.Record.Modify", "record_id", ids[0], "change", "color", "change_to", "red"); code(m) != "6" {
		t.Errorf("bad field: %v", m)
	}
}

func TestRateLimitBan(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e := newEnv(t, Options{RateLimit: 1, Burst: 2, BanFor: time.Minute, Now: func() time.Time { return now }})
	var got []string
	for range 4 {
		_, m := e.post("Info.Version")
		got = append(got, code(m))
	}
	now = now.Add(30 * time.Second)
	_, m := e.post("Info.Version")
	got = append(got, code(m))
	now = now.Add(31 * time.Second)
	_, m = e.post("Info.Version")
	got = append(got, code(m))
	if d := cmp.Diff([]string{"1", "1", "-2", "-2", "-2", "1"}, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

func TestFaultsDeterministic(t *testing.T) {
	run := func(seed uint64) []string {
		e := newEnv(t, Options{Seed: seed, Faults: Faults{Throttle: 0.2, ServerError: 0.2, Drop: 0.1}})
		f := url.Values{"login_token": {tok}, "format": {"json"}}
		for range 40 {
			resp, err := http.PostForm(e.ts.URL+"/Info.Version", f)
			if err == nil {
				resp.Body.Close()
			}
		}
		var out []string
		for _, le := range e.s.Log() {
			out = append(out, le.Fault)
		}
		return out
	}
	a, b := run(7), run(7)
	if d := cmp.Diff(a, b); d != "" {
		t.Fatalf("same seed, different faults:\n%s", d)
	}
	counts := map[string]int{}
	for _, f := range a {
		counts[f]++
	}
	if counts["throttle"] == 0 || counts["5xx"] == 0 || counts["drop"] == 0 || counts[""] == 0 {
		t.Fatalf("fault mix %v", counts)
	}
	if d := cmp.Diff(a, run(8)); d == "" {
		t.Fatal("different seeds gave identical faults")
	}
}

func TestExportImport(t *testing.T) {
	e := newEnv(t, Options{})
	if _, err := e.s.AddDomain("example.org", "DP_Plus"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.AddRecord("example.org", model.Record{Name: "www", Type: "A", Value: "192.0.2.5", TTL: 120, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	_, m := e.post("Batch.Record.Create", "domain_id", e.dom, "records", `[{"sub_domain":"x","record_type":"TXT","value":"hi"}]`)
	if code(m) != "1" {
		t.Fatal(m)
	}
	b, err := e.s.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "0123456789abcdef") {
		t.Fatal("state export contains the token")
	}
	s2 := New(Options{})
	if err := s2.UnmarshalState(b); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(e.s.Export(), s2.Export()); d != "" {
		t.Fatalf("round trip (-orig +copy):\n%s", d)
	}
	// Ids continue after the imported ones.
	id, err := s2.AddRecord("example.org", model.Record{Name: "new", Type: "A", Value: "192.0.2.6", TTL: 600, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range e.s.Records("example.org") {
		if r.ID == id {
			t.Fatalf("id %s reused", id)
		}
	}
}

// TestListedRecordBytes: a Record.List row is written exactly as the map
// of spec §6 fields would be (encoding/json sorts map keys), for a plain
// record, a paused and modified one and a system row.
func TestListedRecordBytes(t *testing.T) {
	s := New(Options{Now: func() time.Time { return time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC) }})
	c := &call{s: s, now: s.opts.Now()}
	s.acct.Meta("7", c.now).Updated = time.Date(2024, 4, 1, 8, 30, 0, 0, time.UTC)
	recs := []model.Record{
		{ID: "6", Name: "www", Type: "A", Line: model.DefaultLine, Value: "192.0.2.1", TTL: 600, Enabled: true},
		{ID: "7", Name: "mail", Type: "MX", Line: "电信", Value: "mx.example.net.", MX: 10, TTL: 3600},
		{ID: "8", Name: "@", Type: "NS", Line: model.DefaultLine, Value: "f1g1ns1.dnspod.net.", TTL: 86400, Enabled: true, System: true},
	}
	for _, r := range recs {
		m := map[string]any{
			"id": r.ID, "name": r.Name, "line": r.Line, "line_id": lineID(r.Line), "type": r.Type,
			"ttl": strconv.Itoa(r.TTL), "value": r.Value, "weight": nil, "mx": strconv.Itoa(r.MX),
			"enabled": enabledStr(r.Enabled), "status": statusWord(r.Enabled) + "d", "monitor_status": "",
			"remark": "", "updated_on": c.updatedOn(r.ID), "use_aqb": "no",
		}
		if r.System {
			m["hold"] = "hold"
		}
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(c.listRecord(r, dnspodrules.LineIDs(), cst(c.now)))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(string(want), string(got)); d != "" {
			t.Errorf("record %s (-map +struct):\n%s", r.ID, d)
		}
	}
}
