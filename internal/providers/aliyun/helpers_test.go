package aliyun_test

import (
	"bytes"
	"crypto/x509"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers/aliyun"
	"github.com/dnssync/dnssync/internal/providers/aliyun/aliyuntest"
)

const (
	testKey    = "LTAI-test-id"
	testSecret = "test-secret-value"
)

// fastOptions keeps retries quick and the limiter out of the way.
func fastOptions(endpoint string) aliyun.Options {
	return aliyun.Options{
		Endpoint: endpoint, AccessKeyID: testKey, AccessKeySecret: testSecret,
		RateLimit: -1, MaxRetries: 6, MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond,
		Timeout: 5 * time.Second,
	}
}

func newEmulator(t *testing.T, opts aliyuntest.Options) *aliyuntest.Server {
	t.Helper()
	s := aliyuntest.New(opts)
	s.AddKey(testKey, testSecret)
	return s
}

func newClient(t *testing.T, o aliyun.Options) *aliyun.Client {
	t.Helper()
	c, err := aliyun.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// script answers the first requests with canned faults, then hands over
// to the emulator. It records every attempt's form.
type script struct {
	next  http.Handler
	mu    sync.Mutex
	steps []string
	seen  []url.Values
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	s.seen = append(s.seen, r.Form)
	step := ""
	if len(s.steps) > 0 {
		step, s.steps = s.steps[0], s.steps[1:]
	}
	s.mu.Unlock()
	errBody := func(status int, code string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"RequestId":"R-1","HostId":"domain.aliyuncs.com","Code":"` + code + `","Message":"scripted"}`))
	}
	switch step {
	case "":
		s.next.ServeHTTP(w, r)
	case "throttle":
		errBody(400, "Throttling.User")
	case "unavailable":
		errBody(503, "ServiceUnavailable")
	case "busy":
		errBody(400, "Busy")
	case "internal":
		errBody(500, "InternalError")
	case "bad-gateway":
		w.WriteHeader(502)
		_, _ = w.Write([]byte("<html>bad gateway</html>"))
	case "networkio":
		errBody(400, "NetworkIOError")
	case "drop":
		conn, _, _ := w.(http.Hijacker).Hijack()
		_ = conn.Close()
	case "commit-then-internal":
		// The emulator acts, the answer is lost.
		rec := httptest.NewRecorder()
		s.next.ServeHTTP(rec, r)
		errBody(500, "InternalError")
	default:
		panic("unknown step " + step)
	}
}

func (s *script) attempts() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.seen...)
}

func tlsPool(ts *httptest.Server) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	return pool
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func debugLogger(w *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// batchOf is a plan batch of this provider for tests.
func batchOf(id, provider string, op plan.Op, domains []string, p aliyun.Payload) plan.Batch {
	b := aliyun.NewBatch(provider, op, domains, p)
	b.ID = id
	return b
}
