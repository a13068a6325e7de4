package tencentcloud_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/credentials"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud/tencentcloudtest"
)

const (
	testID    = "AKIDdnssyncTEST00000000000000000000"
	testKey   = "sk-dnssync-test-0123456789abcdefEXAMPLE"
	testToken = "tok-dnssync-session-9876543210"
)

type harness struct {
	emu *tencentcloudtest.Server
	ts  *httptest.Server
	c   *tencentcloud.Client
	log *bytes.Buffer // the client's debug log
}

// fastOptions are client options for tests: no client-side limiter and
// millisecond back-offs.
func fastOptions(endpoint string) tencentcloud.Options {
	return tencentcloud.Options{
		Endpoint:        endpoint,
		Credentials:     tencentcloud.Credentials{SecretID: testID, SecretKey: credentials.Secret(testKey)},
		RateScale:       -1,
		MaxRetries:      4,
		MinBackoff:      time.Millisecond,
		MaxBackoff:      4 * time.Millisecond,
		ThrottleBackoff: 2 * time.Millisecond,
		Timeout:         5 * time.Second,
	}
}

// start runs an emulator on loopback (TLS or plain) with one key and a
// client for it; mod may adjust the client options.
func start(t *testing.T, eo tencentcloudtest.Options, useTLS bool, mod func(*tencentcloud.Options)) *harness {
	t.Helper()
	emu := tencentcloudtest.New(eo)
	emu.AddKey(testID, testKey)
	var ts *httptest.Server
	if useTLS {
		ts = httptest.NewTLSServer(emu)
	} else {
		ts = httptest.NewServer(emu)
	}
	t.Cleanup(ts.Close)
	o := fastOptions(ts.URL)
	if useTLS {
		pool := x509.NewCertPool()
		pool.AddCert(ts.Certificate())
		o.RootCAs = pool
	}
	var buf bytes.Buffer
	o.Logger = slog.New(slog.NewTextHandler(&lockedWriter{w: &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if mod != nil {
		mod(&o)
	}
	c, err := tencentcloud.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{emu: emu, ts: ts, c: c, log: &buf}
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (h *harness) domain(t *testing.T, name, grade string) tencentcloud.DomainRef {
	t.Helper()
	id, err := h.emu.AddDomain(name, grade)
	if err != nil {
		t.Fatal(err)
	}
	return tencentcloud.DomainRef{Name: name, ID: id}
}

func (h *harness) add(t *testing.T, domain string, r model.Record) string {
	t.Helper()
	id, err := h.emu.AddRecord(domain, r)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// calls counts logged requests of action.
func (h *harness) calls(action string) int {
	n := 0
	for _, e := range h.emu.Log() {
		if e.Action == action {
			n++
		}
	}
	return n
}

// wait polls a task until it is done.
func (h *harness) wait(t *testing.T, jobID uint64) *tencentcloud.BatchTask {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		bt, err := h.c.DescribeBatchTask(ctx, jobID)
		if err != nil {
			t.Fatalf("DescribeBatchTask: %v", err)
		}
		if bt.Status().Done {
			return bt
		}
	}
	t.Fatalf("task %d not done in time", jobID)
	return nil
}

func rec(name, typ, value string, ttl int) model.Record {
	return model.Record{Name: name, Type: typ, Line: model.DefaultLine, Value: value, TTL: ttl, Enabled: true}
}

// userRecords drops the system rows and ids, for comparisons.
func userRecords(rs []model.Record) []model.Record {
	var out []model.Record
	for _, r := range rs {
		if !r.System {
			r.ID = ""
			out = append(out, r)
		}
	}
	return out
}

// fakeClock is a settable clock shared by emulator and client.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
