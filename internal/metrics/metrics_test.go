package metrics_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/apply"
	"github.com/dnssync/dnssync/internal/metrics"
	"github.com/dnssync/dnssync/internal/metrics/metricstest"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
)

func scrape(t *testing.T, m *metrics.Metrics) metricstest.Families {
	t.Helper()
	f, err := metricstest.Scrape(m.Handler())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRecordingMethodsAppearInScrape(t *testing.T) {
	m := metrics.New()
	m.Reconciled("example.com", metrics.ResultApplied, 3)
	m.Reconciled("example.com", metrics.ResultApplied, 2)
	m.Reconciled("example.org", metrics.ResultRefused, 40)
	m.DriftDetected("example.com")
	m.Converged("example.com", time.Unix(1700000000, 0))
	m.SetConfigErrors(2)
	m.BatchSubmitted("dnspod", "dnspod:Batch.Record.Modify")
	m.TaskStarted("dnspod")
	m.TaskStarted("dnspod")
	m.TaskFinished("dnspod", "dnspod:Batch.Record.Modify", 3*time.Second)
	m.TaskStarted("aliyun")
	m.TaskAbandoned("aliyun")
	m.SetDomainStates(map[string]int{"applied": 1, "refused": 1})

	f := scrape(t, m)
	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"dnssync_reconciles_total", map[string]string{"domain": "example.com", "result": "applied"}, 2},
		{"dnssync_reconciles_total", map[string]string{"domain": "example.org", "result": "refused"}, 1},
		{"dnssync_changes_planned_total", map[string]string{"domain": "example.com"}, 5},
		{"dnssync_changes_planned_total", map[string]string{"domain": "example.org"}, 40},
		{"dnssync_drift_detected_total", map[string]string{"domain": "example.com"}, 1},
		{"dnssync_last_successful_apply_timestamp_seconds", map[string]string{"domain": "example.com"}, 1700000000},
		{"dnssync_config_errors", map[string]string{}, 2},
		{"dnssync_batches_submitted_total", map[string]string{"provider": "dnspod", "operation": "dnspod:Batch.Record.Modify"}, 1},
		{"dnssync_tasks_in_flight", map[string]string{"provider": "dnspod"}, 1},
		{"dnssync_tasks_in_flight", map[string]string{"provider": "aliyun"}, 0},
		{"dnssync_task_duration_seconds", map[string]string{"provider": "dnspod", "operation": "dnspod:Batch.Record.Modify"}, 1},
		{"dnssync_domains", map[string]string{"state": "refused"}, 1},
		{"dnssync_domains", map[string]string{"state": "failed"}, 0},
	}
	for _, tt := range tests {
		got, ok := f.Value(tt.name, tt.labels)
		if !ok || got != tt.want {
			t.Errorf("%s%v = %v (found %v), want %v; samples: %v", tt.name, tt.labels, got, ok, tt.want, f.Samples(tt.name))
		}
	}

	m.ForgetDomain("example.com")
	if _, ok := scrape(t, m).Value("dnssync_last_successful_apply_timestamp_seconds", map[string]string{"domain": "example.com"}); ok {
		t.Error("gauge of a forgotten domain still exported")
	}
}

func TestRegistriesAreSeparate(t *testing.T) {
	a, b := metrics.New(), metrics.New()
	a.Reconciled("example.com", metrics.ResultFailed, 0)
	if _, ok := scrape(t, b).Value("dnssync_reconciles_total", map[string]string{"domain": "example.com", "result": "failed"}); ok {
		t.Error("a sample recorded in one Metrics shows up in another")
	}
}

func TestNilMetricsIsNoOp(t *testing.T) {
	var m *metrics.Metrics
	m.Reconciled("x", metrics.ResultApplied, 1)
	m.TaskStarted("p")
	m.TaskFinished("p", "op", time.Second)
	if rt := m.Transport("p", http.DefaultTransport); rt != http.DefaultTransport {
		t.Error("nil Metrics should return next unchanged")
	}
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestTransportCountsCallsByOperationAndResult(t *testing.T) {
	// The server answers with the status in the "status" form/query value
	// and echoes the body so the test can check it reached it unchanged.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		code := http.StatusOK
		if strings.Contains(r.URL.Path, "Fail") || strings.Contains(string(body), "fail=1") {
			code = http.StatusServiceUnavailable
		}
		w.WriteHeader(code)
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()

	// The operation comes from the request's context, where the provider
	// client put it; the request itself is never parsed, so a body or
	// query that names another action changes nothing.
	form := url.Values{"Action": {"Misleading"}, "AccessKeyId": {"id"}, "Signature": {"s3cret"}}.Encode()
	type call struct {
		provider, op, method, url, body string
	}
	calls := []call{
		{"aliyun", "QueryTaskDetailList", http.MethodPost, srv.URL + "/", form},
		{"aliyun", "QueryTaskDetailList", http.MethodPost, srv.URL + "/", form},
		{"aliyun", "SaveBatchTaskForModifyingDomainDns", http.MethodPost, srv.URL + "/", "Action=X&fail=1"},
		{"aliyun", "QueryDomainList", http.MethodGet, srv.URL + "/?Action=Other", ""},
		{"dnspod", "Record.List", http.MethodPost, srv.URL + "/Record.List", "login_token=1,t&domain_id=2"},
		{"dnspod", "Batch.Record.Fail", http.MethodPost, srv.URL + "/Batch.Record.Fail", "login_token=1,t"},
		{"dnspod", "Record.Remove", http.MethodPost, deadURL + "/Record.Remove", "login_token=1,t"},
	}
	m := metrics.New()
	for _, c := range calls {
		client := &http.Client{Transport: m.Transport(c.provider, nil)}
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		req, err := http.NewRequestWithContext(providers.WithOperation(context.Background(), c.op), c.method, c.url, body)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			continue // the dead server
		}
		got, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if !bytes.Equal(got, []byte(c.body)) {
			t.Errorf("%s %s: server saw body %q, want %q", c.method, c.url, got, c.body)
		}
	}

	f := scrape(t, m)
	want := []string{
		"operation=Batch.Record.Fail,provider=dnspod,result=503 1",
		"operation=QueryDomainList,provider=aliyun,result=ok 1",
		"operation=QueryTaskDetailList,provider=aliyun,result=ok 2",
		"operation=Record.List,provider=dnspod,result=ok 1",
		"operation=Record.Remove,provider=dnspod,result=error 1",
		"operation=SaveBatchTaskForModifyingDomainDns,provider=aliyun,result=503 1",
	}
	if diff := cmp.Diff(want, f.Samples("dnssync_api_calls_total")); diff != "" {
		t.Errorf("api calls (-want +got):\n%s", diff)
	}
	// Every call is timed, the failed ones included.
	for _, c := range []struct {
		provider, op string
		n            float64
	}{{"aliyun", "QueryTaskDetailList", 2}, {"dnspod", "Record.Remove", 1}, {"dnspod", "Batch.Record.Fail", 1}} {
		if got, ok := f.Value("dnssync_api_call_duration_seconds", map[string]string{"provider": c.provider, "operation": c.op}); !ok || got != c.n {
			t.Errorf("api call latency of %s %s: %v observations (%v), want %v", c.provider, c.op, got, ok, c.n)
		}
	}
	for _, s := range f.Samples("dnssync_api_calls_total") {
		if strings.Contains(s, "s3cret") {
			t.Errorf("secret in a label: %s", s)
		}
	}
}

func TestTransportPassesThroughUnknownOperations(t *testing.T) {
	m := metrics.New()
	rt := m.Transport("dnspod", rtFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	}))
	for _, op := range []string{"", "bad action{}"} {
		req, _ := http.NewRequestWithContext(providers.WithOperation(context.Background(), op), http.MethodGet, "http://127.0.0.1/?Action=Misleading", nil)
		if _, err := rt.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"operation=other,provider=dnspod,result=ok 1",
		"operation=unknown,provider=dnspod,result=ok 1",
	}
	if diff := cmp.Diff(want, scrape(t, m).Samples("dnssync_api_calls_total")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestApplyReporter(t *testing.T) {
	m := metrics.New()
	r := m.ApplyReporter()
	const modify = plan.Op("dnspod:Batch.Record.Modify")
	events := []apply.Event{
		{Kind: apply.BatchSubmitted, Provider: "dnspod", Op: modify, BatchID: "s1.b1", TaskID: "j1"},
		{Kind: apply.TaskAwaiting, Provider: "dnspod", Op: modify, BatchID: "s1.b1", TaskID: "j1"},
		{Kind: apply.BatchSubmitted, Provider: "dnspod", Op: modify, BatchID: "s1.b2", TaskID: "j2"},
		{Kind: apply.TaskAwaiting, Provider: "dnspod", Op: modify, BatchID: "s1.b2", TaskID: "j2"},
		{Kind: apply.TaskAwaiting, Provider: "aliyun", Op: plan.Op("aliyun:SaveBatchTaskForModifyingDomainDns"), BatchID: "s2.b1", TaskID: "T9", Resumed: true},
		{Kind: apply.BatchDone, Provider: "dnspod", Op: modify, BatchID: "s1.b1", TaskID: "j1", Elapsed: 4 * time.Second},
		{Kind: apply.TaskAbandoned, Provider: "aliyun", Op: plan.Op("aliyun:SaveBatchTaskForModifyingDomainDns"), BatchID: "s2.b1", TaskID: "T9"},
		{Kind: apply.BatchDone, Provider: "aliyun", Op: plan.Op("aliyun:SaveBatchTaskForModifyingDomainDns"), BatchID: "s2.b1", TaskID: "T9"},
		{Kind: apply.BatchDone, Provider: "dnspod", Op: plan.Op("dnspod:Batch.Record.Create"), BatchID: "s1.b3"}, // submit failed: never in flight
	}
	for _, e := range events {
		r.Report(e)
	}
	f := scrape(t, m)
	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"dnssync_batches_submitted_total", map[string]string{"provider": "dnspod", "operation": string(modify)}, 2},
		{"dnssync_tasks_in_flight", map[string]string{"provider": "dnspod"}, 1},
		{"dnssync_tasks_in_flight", map[string]string{"provider": "aliyun"}, 0},
		{"dnssync_task_duration_seconds", map[string]string{"provider": "dnspod", "operation": string(modify)}, 1},
	}
	for _, tt := range tests {
		if got, ok := f.Value(tt.name, tt.labels); !ok || got != tt.want {
			t.Errorf("%s%v = %v (%v), want %v; %v", tt.name, tt.labels, got, ok, tt.want, f.Samples(tt.name))
		}
	}
	if _, ok := f.Value("dnssync_task_duration_seconds", map[string]string{"provider": "aliyun", "operation": string(plan.Op("aliyun:SaveBatchTaskForModifyingDomainDns"))}); ok {
		t.Error("an abandoned task's partial duration was observed")
	}
}

// TestOneOperationLabel: every metric that names a provider operation calls
// the label "operation", so one PromQL matcher works across them.
func TestOneOperationLabel(t *testing.T) {
	m := metrics.New()
	m.SetBuildInfo("v1.2.3", "abc1234", "go1.26.8")
	m.APICall("dnspod", "Record.List", "ok")
	m.APICallDuration("dnspod", "Record.List", time.Second)
	m.BatchSubmitted("dnspod", "dnspod:Batch.Record.Modify")
	m.TaskStarted("dnspod")
	m.TaskFinished("dnspod", "dnspod:Batch.Record.Modify", time.Second)
	f := scrape(t, m)
	withOp := 0
	for name, fam := range f {
		for _, mt := range fam.GetMetric() {
			for _, l := range mt.GetLabel() {
				switch l.GetName() {
				case "op", "action", "method":
					t.Errorf("%s has label %q; the operation is labelled \"operation\"", name, l.GetName())
				case "operation":
					withOp++
				}
			}
		}
	}
	if withOp < 4 {
		t.Errorf("%d series with an operation label, want the api calls, their latency, batches and task durations", withOp)
	}
	if got, ok := f.Value("dnssync_build_info", map[string]string{"version": "v1.2.3", "commit": "abc1234", "goversion": "go1.26.8"}); !ok || got != 1 {
		t.Errorf("build info: %v (%v); %v", got, ok, f.Samples("dnssync_build_info"))
	}
}

// TestOpenMetrics: /metrics answers in OpenMetrics when asked, as the
// documentation says, and in the text format otherwise.
func TestOpenMetrics(t *testing.T) {
	m := metrics.New()
	m.SetBuildInfo("v1", "c", "go")
	for _, tt := range []struct{ accept, wantType, wantBody string }{
		{"application/openmetrics-text; version=1.0.0", "application/openmetrics-text", "# EOF"},
		{"text/plain", "text/plain", "dnssync_build_info{"},
	} {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Header.Set("Accept", tt.accept)
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, req)
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, tt.wantType) || !strings.Contains(rec.Body.String(), tt.wantBody) {
			t.Errorf("Accept %q: Content-Type %q, body lacks %q", tt.accept, ct, tt.wantBody)
		}
	}
}
