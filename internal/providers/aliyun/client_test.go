package aliyun_test

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/aliyun"
	"github.com/dnssync/dnssync/internal/providers/aliyun/aliyuntest"
)

// TestClientOperations runs every operation against the emulator over
// loopback HTTP and over HTTPS (extra CA as a pool and as a PEM file).
func TestClientOperations(t *testing.T) {
	emu := newEmulator(t, aliyuntest.Options{})
	var insts []string
	for i := range 5 {
		insts = append(insts, emu.AddDomain(fmt.Sprintf("d%d.example", i), []string{"ns1.old.net", "ns2.old.net"}, false))
	}
	if err := emu.SetRegistryHost("d0.example", "ns1", []string{"192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	plain := httptest.NewServer(emu)
	defer plain.Close()
	secure := httptest.NewTLSServer(emu)
	defer secure.Close()
	pemFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: secure.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}

	transports := []struct {
		name string
		opts func() aliyun.Options
	}{
		{"http", func() aliyun.Options { return fastOptions(plain.URL) }},
		{"https pool", func() aliyun.Options { o := fastOptions(secure.URL); o.RootCAs = tlsPool(secure); return o }},
		{"https pem file", func() aliyun.Options { o := fastOptions(secure.URL); o.CAFile = pemFile; return o }},
	}
	for n, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ctx := context.Background()
			o := tr.opts()
			o.PageSize = 2 // five domains → three pages
			c := newClient(t, o)

			list, err := c.QueryDomainList(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, d := range list {
				names = append(names, d.DomainName)
			}
			if diff := cmp.Diff([]string{"d0.example", "d1.example", "d2.example", "d3.example", "d4.example"}, names); diff != "" {
				t.Errorf("domains over pages (-want +got):\n%s", diff)
			}
			d, err := c.QueryDomainByDomainName(ctx, "d0.example")
			if err != nil || d.InstanceID != insts[0] {
				t.Fatalf("QueryDomainByDomainName: %+v %v", d, err)
			}
			host := fmt.Sprintf("ns%d", n+2)
			no, err := c.SaveSingleTaskForCreatingDnsHost(ctx, insts[0], host, []string{"192.0.2.9", "2001:db8::9"})
			if err != nil {
				t.Fatal(err)
			}
			details, err := c.QueryTaskDetailList(ctx, no)
			if err != nil || len(details) != 1 || details[0].TaskStatus != "EXECUTE_SUCCESS" || details[0].TaskType != "CREATE_DNSHOST" {
				t.Fatalf("details %+v %v", details, err)
			}
			hosts, err := c.QueryDnsHost(ctx, insts[0])
			if err != nil {
				t.Fatal(err)
			}
			if !containsHost(hosts, host) {
				t.Errorf("created host missing: %+v", hosts)
			}
			no, err = c.SaveBatchTaskForModifyingDomainDns(ctx, []string{"d1.example", "d2.example"}, []string{"ns1.d0.example", "ns9.new.net"}, false)
			if err != nil {
				t.Fatal(err)
			}
			if details, err = c.QueryTaskDetailList(ctx, no); err != nil || len(details) != 2 {
				t.Fatalf("batch details %+v %v", details, err)
			}
			if _, err := c.SaveSingleTaskForSynchronizingDnsHost(ctx, insts[0]); err != nil {
				t.Fatal(err)
			}
			if _, err := c.SaveSingleTaskForModifyingDnsHost(ctx, insts[0], host, []string{"192.0.2.10"}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.SaveSingleTaskForDeletingDnsHost(ctx, insts[0], host); err != nil {
				t.Fatal(err)
			}
		})
	}
	d, _ := emu.Domain("d1.example")
	if diff := cmp.Diff([]string{"ns1.d0.example", "ns9.new.net"}, d.Nameservers); diff != "" {
		t.Errorf("nameservers (-want +got):\n%s", diff)
	}

	// Without the CA, HTTPS fails at once and is not retried.
	c := newClient(t, fastOptions(secure.URL))
	before := len(emu.Log())
	_, err := c.QueryDomainByDomainName(context.Background(), "d0.example")
	if err == nil || errors.Is(err, providers.ErrTransient) {
		t.Errorf("untrusted server: %v", err)
	}
	if len(emu.Log()) != before {
		t.Error("request reached the server despite the unknown CA")
	}
}

func containsHost(hs []aliyun.DNSHost, name string) bool {
	for _, h := range hs {
		if h.DnsName == name {
			return true
		}
	}
	return false
}

// TestRetryPolicy checks which failures are retried, for reads and writes,
// and that every attempt is signed afresh.
func TestRetryPolicy(t *testing.T) {
	tests := []struct {
		name          string
		write         bool
		steps         []string
		maxRetries    int
		wantAttempts  int
		wantErr       bool
		wantUnknown   bool
		wantTransient bool
		wantCode      string
		wantCommits   int
	}{
		{"read survives every transient kind", false, []string{"throttle", "unavailable", "busy", "internal", "bad-gateway", "networkio", "drop"}, 8, 8, false, false, false, "", 0},
		{"read gives up", false, []string{"throttle", "throttle", "throttle"}, 2, 3, true, false, true, "Throttling.User", 0},
		{"write retried when refused", true, []string{"throttle", "busy"}, 6, 3, false, false, false, "", 1},
		{"write 503 is unknown (spec §4.3)", true, []string{"unavailable"}, 6, 1, true, true, true, "ServiceUnavailable", 0},
		{"write 500 is unknown", true, []string{"internal"}, 6, 1, true, true, true, "InternalError", 0},
		{"write bad gateway is unknown", true, []string{"bad-gateway"}, 6, 1, true, true, true, "", 0},
		{"write NetworkIOError is unknown", true, []string{"networkio"}, 6, 1, true, true, true, "NetworkIOError", 0},
		{"write dropped is unknown", true, []string{"drop"}, 6, 1, true, true, false, "", 0},
		{"write lost answer is unknown", true, []string{"commit-then-internal"}, 6, 1, true, true, true, "InternalError", 1},
		{"write throttled to the end", true, []string{"throttle", "throttle"}, 1, 2, true, false, true, "Throttling.User", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu := newEmulator(t, aliyuntest.Options{})
			emu.AddDomain("example.com", []string{"ns1.old.net"}, false)
			sc := &script{next: emu, steps: tt.steps}
			ts := httptest.NewServer(sc)
			defer ts.Close()
			o := fastOptions(ts.URL)
			o.MaxRetries = tt.maxRetries
			c := newClient(t, o)
			var err error
			if tt.write {
				_, err = c.SaveBatchTaskForModifyingDomainDns(context.Background(), []string{"example.com"}, []string{"ns1.new.net"}, false)
			} else {
				_, err = c.QueryDomainByDomainName(context.Background(), "example.com")
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if got := errors.Is(err, providers.ErrOutcomeUnknown); got != tt.wantUnknown {
				t.Errorf("ErrOutcomeUnknown = %v (%v)", got, err)
			}
			if tt.wantErr && !tt.wantUnknown && !errors.Is(err, providers.ErrTransient) && tt.wantTransient {
				t.Errorf("not transient: %v", err)
			}
			var ae *aliyun.Error
			if tt.wantCode != "" && (!errors.As(err, &ae) || ae.Code != tt.wantCode) {
				t.Errorf("error %v, want code %s", err, tt.wantCode)
			}
			att := sc.attempts()
			if len(att) != tt.wantAttempts {
				t.Fatalf("%d attempts, want %d", len(att), tt.wantAttempts)
			}
			nonces := map[string]bool{}
			for _, a := range att {
				nonces[a.Get("SignatureNonce")] = true
				if a.Get("Signature") == "" || a.Get("Timestamp") == "" {
					t.Errorf("unsigned attempt: %v", a)
				}
			}
			if len(nonces) != len(att) {
				t.Errorf("nonces reused across %d attempts", len(att))
			}
			commits := 0
			for _, e := range emu.Log() {
				if e.Committed {
					commits++
				}
			}
			if commits != tt.wantCommits {
				t.Errorf("%d committed writes, want %d", commits, tt.wantCommits)
			}
		})
	}
}

func TestWriteConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	o := fastOptions("http://" + addr)
	o.MaxRetries = 2
	c := newClient(t, o)
	_, err = c.SaveSingleTaskForSynchronizingDnsHost(context.Background(), "S1")
	if err == nil || errors.Is(err, providers.ErrOutcomeUnknown) || !errors.Is(err, providers.ErrTransient) {
		t.Fatalf("refused connection: %v (unknown=%v)", err, errors.Is(err, providers.ErrOutcomeUnknown))
	}
}

func TestBusyAndBusinessErrors(t *testing.T) {
	emu := newEmulator(t, aliyuntest.Options{WaitDelay: time.Hour})
	inst := emu.AddDomain("example.com", []string{"ns1.old.net"}, false)
	ts := httptest.NewServer(emu)
	defer ts.Close()
	c := newClient(t, fastOptions(ts.URL))
	ctx := context.Background()
	if _, err := c.SaveSingleTaskForSynchronizingDnsHost(ctx, inst); err != nil {
		t.Fatal(err)
	}
	_, err := c.SaveBatchTaskForModifyingDomainDns(ctx, []string{"example.com"}, []string{"ns1.new.net"}, false)
	var ae *aliyun.Error
	if !errors.As(err, &ae) || ae.Code != "TaskIsBeingProcessed" || ae.RequestID == "" || ae.HTTPStatus != 400 {
		t.Fatalf("busy: %v", err)
	}
	if !errors.Is(err, providers.ErrBusy) || !errors.Is(err, aliyun.ErrTaskInProgress) || !errors.Is(err, providers.ErrTransient) || errors.Is(err, providers.ErrOutcomeUnknown) {
		t.Errorf("busy error classification: %v", err)
	}
	_, err = c.QueryDomainByDomainName(ctx, "missing.example")
	if !errors.Is(err, aliyun.ErrDomainNotFound) || errors.Is(err, providers.ErrTransient) {
		t.Errorf("missing domain: %v", err)
	}
	n := 0
	for _, e := range emu.Log() {
		if e.Code == "TaskIsBeingProcessed" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("TaskIsBeingProcessed answered %d times; the client must not retry it itself", n)
	}
}

// TestNoCredentialLeak: neither the secret nor the STS token appears in
// errors or debug logs, even when the server echoes its string to sign.
func TestNoCredentialLeak(t *testing.T) {
	const token = "CAIS+secret/token=="
	emu := aliyuntest.New(aliyuntest.Options{})
	emu.AddSTSKey(testKey, testSecret, token)
	emu.AddDomain("example.com", nil, true)
	ts := httptest.NewServer(emu)
	defer ts.Close()
	var logs syncBuffer
	for _, secret := range []string{testSecret, "wrong-secret"} {
		o := fastOptions(ts.URL)
		o.AccessKeySecret, o.SecurityToken, o.Logger = secret, token, debugLogger(&logs)
		c := newClient(t, o)
		_, err := c.QueryDomainByDomainName(context.Background(), "example.com")
		if secret == testSecret {
			if err != nil {
				t.Fatalf("STS call: %v", err)
			}
			continue
		}
		var ae *aliyun.Error
		if !errors.As(err, &ae) || ae.Code != "SignatureDoesNotMatch" {
			t.Fatalf("want SignatureDoesNotMatch, got %v", err)
		}
		if !strings.Contains(ae.Message, "[redacted]") {
			t.Errorf("token not redacted from the server's string to sign: %s", ae.Message)
		}
		checkNoSecret(t, "error", err.Error(), token, secret)
		checkNoSecret(t, "options", fmt.Sprint(o), token, secret)
	}
	checkNoSecret(t, "logs", logs.String(), token, testSecret)
	if !strings.Contains(logs.String(), "nonce=") {
		t.Error("debug log lacks the nonce")
	}
}

func checkNoSecret(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, form := range []string{s, aliyun.PercentEncode(s), aliyun.PercentEncode(aliyun.PercentEncode(s))} {
			if strings.Contains(text, form) {
				t.Errorf("%s contains a credential (%q): %s", where, form, text)
			}
		}
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	var hits []time.Time
	emu := newEmulator(t, aliyuntest.Options{})
	emu.AddDomain("example.com", nil, true)
	first := true
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits = append(hits, time.Now())
		if first {
			first = false
			w.Header().Set("x-acs-retry-after", "60")
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"Code":"Throttling","Message":"slow down","RequestId":"R"}`))
			return
		}
		emu.ServeHTTP(w, r)
	}))
	defer ts.Close()
	c := newClient(t, fastOptions(ts.URL)) // backoff alone would wait ≤ 4ms
	if _, err := c.QueryDomainByDomainName(context.Background(), "example.com"); err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 || hits[1].Sub(hits[0]) < 60*time.Millisecond {
		t.Errorf("retry came after %v, want ≥ 60ms (x-acs-retry-after)", hits[1].Sub(hits[0]))
	}
}

func TestEndpoint(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{"", "https://domain.aliyuncs.com/", false},
		{"domain-intl.aliyuncs.com", "https://domain-intl.aliyuncs.com/", false},
		{"https://domain.aliyuncs.com/", "https://domain.aliyuncs.com/", false},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/", false},
		{"ftp://x", "", true},
		{"https://u:p@host", "", true},
		{"https://host/path", "", true},
		{"https://host/?a=b", "", true},
	}
	for _, tt := range tests {
		c, err := aliyun.New(aliyun.Options{Endpoint: tt.in, AccessKeyID: "a", AccessKeySecret: "b"})
		if tt.bad {
			if err == nil {
				t.Errorf("%q accepted", tt.in)
			}
			continue
		}
		if err != nil || c.Endpoint() != tt.want {
			t.Errorf("%q: %v %v, want %s", tt.in, c, err, tt.want)
		}
	}
	if _, err := aliyun.New(aliyun.Options{AccessKeyID: "a"}); err == nil {
		t.Error("missing secret accepted")
	}
}

func TestRateLimit(t *testing.T) {
	emu := newEmulator(t, aliyuntest.Options{})
	emu.AddDomain("example.com", nil, true)
	ts := httptest.NewServer(emu)
	defer ts.Close()
	o := fastOptions(ts.URL)
	o.RateLimit, o.Burst = 1, 1 // one request per second after the first
	c := newClient(t, o)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := c.QueryDomainByDomainName(ctx, "example.com"); err != nil {
		t.Fatal(err)
	}
	// The second call cannot get a token before the deadline.
	_, err := c.SaveSingleTaskForSynchronizingDnsHost(ctx, "S1")
	if err == nil || errors.Is(err, providers.ErrOutcomeUnknown) {
		t.Fatalf("limited write: %v", err)
	}
	if n := len(emu.Log()); n != 1 {
		t.Errorf("%d requests reached the server, want 1", n)
	}
}

// TestWritesNeverResentAfterUnknownOutcome: for every write operation, an
// answer that does not prove nothing happened — 500, 502, 503, a dropped
// connection, a committed write whose answer is lost — ends the call with
// ErrOutcomeUnknown after exactly one request (spec §4.3).
func TestWritesNeverResentAfterUnknownOutcome(t *testing.T) {
	writes := []struct {
		name string
		call func(c *aliyun.Client, inst string) error
	}{
		{"SaveBatchTaskForModifyingDomainDns", func(c *aliyun.Client, _ string) error {
			_, err := c.SaveBatchTaskForModifyingDomainDns(context.Background(), []string{"example.com"}, []string{"ns1.new.net", "ns2.new.net"}, false)
			return err
		}},
		{"SaveSingleTaskForSynchronizingDnsHost", func(c *aliyun.Client, inst string) error {
			_, err := c.SaveSingleTaskForSynchronizingDnsHost(context.Background(), inst)
			return err
		}},
		{"SaveSingleTaskForCreatingDnsHost", func(c *aliyun.Client, inst string) error {
			_, err := c.SaveSingleTaskForCreatingDnsHost(context.Background(), inst, "ns9", []string{"192.0.2.9"})
			return err
		}},
		{"SaveSingleTaskForModifyingDnsHost", func(c *aliyun.Client, inst string) error {
			_, err := c.SaveSingleTaskForModifyingDnsHost(context.Background(), inst, "ns1", []string{"192.0.2.10"})
			return err
		}},
		{"SaveSingleTaskForDeletingDnsHost", func(c *aliyun.Client, inst string) error {
			_, err := c.SaveSingleTaskForDeletingDnsHost(context.Background(), inst, "ns1")
			return err
		}},
	}
	for _, w := range writes {
		for _, fault := range []string{"unavailable", "internal", "bad-gateway", "drop", "commit-then-internal"} {
			t.Run(w.name+"/"+fault, func(t *testing.T) {
				emu := newEmulator(t, aliyuntest.Options{})
				inst := emu.AddDomain("example.com", []string{"ns1.old.net"}, false)
				for _, set := range []func(string, string, []string) error{emu.SetRegistryHost, emu.SetRegistrarHost} {
					if err := set("example.com", "ns1.example.com", []string{"192.0.2.1"}); err != nil {
						t.Fatal(err)
					}
				}
				sc := &script{next: emu, steps: []string{fault}}
				ts := httptest.NewServer(sc)
				defer ts.Close()
				o := fastOptions(ts.URL)
				o.MaxRetries = 6
				err := w.call(newClient(t, o), inst)
				if !errors.Is(err, providers.ErrOutcomeUnknown) {
					t.Fatalf("err = %v, want an unknown outcome", err)
				}
				n := 0
				for _, a := range sc.attempts() {
					if a.Get("Action") == w.name {
						n++
					}
				}
				if n != 1 {
					t.Fatalf("%s sent %d times after %s", w.name, n, fault)
				}
			})
		}
	}
}
