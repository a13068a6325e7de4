package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/dnssync/dnssync/internal/providers"
)

// Transport returns an http.RoundTripper that counts every call in
// dnssync_api_calls_total{provider, operation, result}, times it in
// dnssync_api_call_duration_seconds{provider, operation} and passes it on
// to next (http.DefaultTransport when nil).
//
// operation is the name the provider client gave the call
// (providers.WithOperation on the request's context; "unknown" when it gave
// none): metrics never parse a provider's requests. result is "ok" for 2xx, the
// status code ("429", "503") otherwise, and "error" when no response came
// back (reset, timeout, cancelled). Nothing else of the request is looked at,
// so no credential can reach a label.
//
// The provider clients accept a custom *http.Client; wire it as
//
//	&http.Client{Transport: m.Transport("my-registrar", base)}
//
// A nil *Metrics returns next unchanged.
func (m *Metrics) Transport(provider string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if m == nil {
		return next
	}
	return &transport{m: m, provider: provider, next: next}
}

type transport struct {
	m        *Metrics
	provider string
	next     http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	op := cleanOp(providers.Operation(req.Context()))
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	t.m.APICallDuration(t.provider, op, time.Since(start))
	result := "error"
	if err == nil {
		result = statusResult(resp.StatusCode)
	}
	t.m.APICall(t.provider, op, result)
	return resp, err
}

func statusResult(code int) string {
	if code >= 200 && code < 300 {
		return "ok"
	}
	return strconv.Itoa(code)
}

// cleanOp keeps label values bounded and printable: operation names are
// short identifiers like "QueryTaskDetailList" or "Batch.Record.Modify".
func cleanOp(s string) string {
	if s == "" {
		return "unknown"
	}
	if len(s) > 64 {
		return "other"
	}
	for _, r := range s {
		ok := r == '.' || r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return "other"
		}
	}
	return s
}
