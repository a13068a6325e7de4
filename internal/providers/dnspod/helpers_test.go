package dnspod_test

import (
	"crypto/x509"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest"
)

const (
	tokenID     = "4242"
	tokenSecret = "0123456789abcdef0123456789abcdef"
	token       = tokenID + "," + tokenSecret
)

type harness struct {
	emu *dnspodtest.Server
	ts  *httptest.Server
	c   *dnspod.Client
}

// fastOptions are client options for tests: no client-side limiter and
// millisecond back-offs.
func fastOptions(endpoint string) dnspod.Options {
	return dnspod.Options{
		Endpoint:        endpoint,
		Token:           token,
		Version:         "1.2.3",
		Contact:         "ops@example.com",
		RateLimit:       -1,
		MaxRetries:      4,
		MinBackoff:      time.Millisecond,
		MaxBackoff:      4 * time.Millisecond,
		ThrottleBackoff: 2 * time.Millisecond,
		Timeout:         5 * time.Second,
	}
}

// start runs an emulator (TLS or plain) on loopback with one token and a
// client for it; mod may adjust the client options.
func start(t *testing.T, eo dnspodtest.Options, useTLS bool, mod func(*dnspod.Options)) *harness {
	t.Helper()
	emu := dnspodtest.New(eo)
	emu.AddToken(tokenID, tokenSecret)
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
	if mod != nil {
		mod(&o)
	}
	c, err := dnspod.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{emu: emu, ts: ts, c: c}
}

func (h *harness) domain(t *testing.T, name, grade string) string {
	t.Helper()
	id, err := h.emu.AddDomain(name, grade)
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

// batchOf is a plan batch of this provider for tests.
func batchOf(id, provider string, op plan.Op, domains []string, p dnspod.Payload) plan.Batch {
	b := dnspod.NewBatch(provider, op, domains, p)
	b.ID = id
	return b
}
