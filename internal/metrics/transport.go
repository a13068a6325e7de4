package metrics

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// maxFormPeek bounds how much of a request body Transport reads to find the
// Action parameter. Alibaba RPC forms are a few hundred bytes; a body larger
// than this is counted as operation "unknown" rather than buffered.
const maxFormPeek = 64 << 10

// Transport returns an http.RoundTripper that counts every call in
// dnssync_api_calls_total{provider, operation, result} and passes it on to
// next (http.DefaultTransport when nil).
//
// operation is the Alibaba RPC "Action" parameter (query string, or
// url-encoded form body) when present, otherwise the last path element
// (DNSPod "/Record.List" gives "Record.List"). result is "ok" for 2xx, the
// status code ("429", "503") otherwise, and "error" when no response came
// back (reset, timeout, cancelled). Nothing else of the request is looked at,
// so no credential can reach a label.
//
// The provider clients accept a custom *http.Client; wire it as
//
//	&http.Client{Transport: m.Transport("aliyun", base)}
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
	op, req := operation(req)
	resp, err := t.next.RoundTrip(req)
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

// operation finds the operation name of req. When it has to read the body
// (no GetBody to take a copy from), it returns a clone of req whose body
// replays what was read, so the request sent is byte-for-byte the original.
func operation(req *http.Request) (string, *http.Request) {
	if a := req.URL.Query().Get("Action"); a != "" {
		return cleanOp(a), req
	}
	if req.Body != nil && req.Body != http.NoBody && isForm(req.Header.Get("Content-Type")) {
		var head []byte
		if req.GetBody != nil {
			if rc, err := req.GetBody(); err == nil {
				head, _ = io.ReadAll(io.LimitReader(rc, maxFormPeek))
				_ = rc.Close()
			}
		} else {
			// Read a bounded prefix and put it back in front of the rest.
			head, _ = io.ReadAll(io.LimitReader(req.Body, maxFormPeek))
			clone := req.Clone(req.Context())
			clone.Body = readCloser{io.MultiReader(bytes.NewReader(head), req.Body), req.Body}
			req = clone
		}
		if len(head) < maxFormPeek {
			if v, err := url.ParseQuery(string(head)); err == nil {
				if a := v.Get("Action"); a != "" {
					return cleanOp(a), req
				}
			}
		}
	}
	if p := strings.Trim(req.URL.Path, "/"); p != "" {
		return cleanOp(path.Base(p)), req
	}
	return "unknown", req
}

type readCloser struct {
	io.Reader
	io.Closer
}

func isForm(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// cleanOp keeps label values bounded and printable: operation names are
// short identifiers like "QueryTaskDetailList" or "Batch.Record.Modify".
func cleanOp(s string) string {
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
