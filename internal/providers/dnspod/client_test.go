package dnspod_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest"
)

func TestClientOperations(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", useTLS), func(t *testing.T) {
			h := start(t, dnspodtest.Options{}, useTLS, nil)
			dom := h.domain(t, "example.com", "DP_Free")
			ctx := context.Background()

			ds, err := h.c.DomainList(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != 1 || ds[0].ID.String() != dom || ds[0].Grade != "DP_Free" {
				t.Fatalf("domains %+v", ds)
			}
			id, err := h.c.RecordCreate(ctx, dom, dnspod.RecordParams{SubDomain: "www", Type: "A", Value: "192.0.2.1", TTL: 600})
			if err != nil {
				t.Fatal(err)
			}
			// Modify sends record_id and the complete record.
			if err := h.c.RecordModify(ctx, dom, id, dnspod.RecordParams{SubDomain: "www", Type: "CNAME", Value: "edge.example.net.", TTL: 1200, Status: "disable"}); err != nil {
				t.Fatal(err)
			}
			r, err := h.c.RecordInfo(ctx, dom, id)
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("%s %s %s %s %s %v", r.ID, r.Name, r.Type, r.Value, r.TTL, r.Enabled)
			if want := id + " www CNAME edge.example.net. 1200 false"; got != want {
				t.Fatalf("Record.Info = %q, want %q", got, want)
			}
			job, err := h.c.BatchRecordCreate(ctx, []string{dom}, []dnspod.BatchRecord{
				{SubDomain: "", Type: "MX", Value: "mx.example.net.", MX: 10, TTL: 600},
				{SubDomain: "api,app", Type: "A", Value: "192.0.2.7", TTL: 600},
			})
			if err != nil {
				t.Fatal(err)
			}
			det, err := h.c.BatchDetail(ctx, job.JobID.String())
			if err != nil {
				t.Fatal(err)
			}
			if det.Type != "record_add" || det.Total.IntOr(0) != 4 || det.Success.IntOr(0) != 4 {
				t.Fatalf("detail %+v", det)
			}
			z, err := h.c.RecordList(ctx, dom)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range z.Records {
				if r.Type == "A" {
					ids = append(ids, r.ID.String())
				}
			}
			if len(ids) != 2 {
				t.Fatalf("A records %v", ids)
			}
			job, err = h.c.BatchRecordModify(ctx, dnspod.BatchModify{RecordIDs: ids, Change: "ttl", ChangeTo: "3600"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.c.BatchDetail(ctx, job.JobID.String()); err != nil {
				t.Fatal(err)
			}
			if err := h.c.RecordRemove(ctx, dom, id); err != nil {
				t.Fatal(err)
			}
			var gotRecs []string
			for _, r := range h.emu.Records("example.com") {
				if !r.System {
					gotRecs = append(gotRecs, r.String())
				}
			}
			want := []string{"@ MX 10 mx.example.net. (ttl 600)", "api A 192.0.2.7 (ttl 3600)", "app A 192.0.2.7 (ttl 3600)"}
			if d := cmp.Diff(want, gotRecs); d != "" {
				t.Fatalf("state (-want +got):\n%s", d)
			}
			pv, err := h.c.DomainPurview(ctx, dom)
			if err != nil {
				t.Fatal(err)
			}
			if n, ok := dnspod.PurviewMinTTL(pv); !ok || n != 600 {
				t.Fatalf("purview min TTL %d %v", n, ok)
			}
			lines, err := h.c.RecordLine(ctx, dom, "DP_Free")
			if err != nil {
				t.Fatal(err)
			}
			if lines.LineIDs["默认"] != "0" || lines.LineIDs["联通"] != "10=1" {
				t.Fatalf("line ids %v", lines.LineIDs)
			}
			for _, e := range h.emu.Log() {
				if e.UserAgent != "dnssync/1.2.3 (ops@example.com)" || !e.UAOK {
					t.Fatalf("user agent %q (ok=%v)", e.UserAgent, e.UAOK)
				}
				if e.Params.Get("format") != "json" || e.Params.Get("error_on_empty") != "no" || e.Params.Get("lang") != "en" {
					t.Fatalf("common params %v", e.Params)
				}
			}
		})
	}
}

func TestTLSNeedsTheCA(t *testing.T) {
	h := start(t, dnspodtest.Options{}, true, func(o *dnspod.Options) { o.RootCAs = nil; o.MaxRetries = -1 })
	if _, err := h.c.DomainList(context.Background()); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err = %v, want a certificate error", err)
	}
}

func TestRecordListReadsAllPages(t *testing.T) {
	h := start(t, dnspodtest.Options{}, false, func(o *dnspod.Options) { o.PageSize = 100 })
	h.domain(t, "example.com", "DP_Free")
	for i := range 250 {
		if _, err := h.emu.AddRecord("example.com", model.Record{Name: fmt.Sprintf("h%03d", i), Type: "A", Value: "192.0.2.1", TTL: 600, Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	ds, _ := h.c.DomainList(context.Background())
	z, err := h.c.RecordList(context.Background(), ds[0].ID.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(z.Records) != 252 {
		t.Fatalf("%d records, want 252", len(z.Records))
	}
	for i := 1; i < len(z.Records); i++ {
		a, _ := strconv.Atoi(z.Records[i-1].ID.String())
		b, _ := strconv.Atoi(z.Records[i].ID.String())
		if a >= b {
			t.Fatalf("records out of list order at %d: %d then %d", i, a, b)
		}
	}
	var pages []string
	for _, e := range h.emu.Log() {
		if e.Action == "Record.List" {
			pages = append(pages, e.Params.Get("offset")+"/"+e.Params.Get("length"))
		}
	}
	// Pages after the first are fetched concurrently: compare as a set.
	slices.Sort(pages)
	if d := cmp.Diff([]string{"0/100", "100/100", "200/100"}, pages); d != "" {
		t.Fatalf("pages (-want +got):\n%s", d)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*dnspod.Options)
		ok   bool
	}{
		{"defaults", func(*dnspod.Options) {}, true},
		{"token without id", func(o *dnspod.Options) { o.Token = "abcdef" }, false},
		{"plain http to the internet", func(o *dnspod.Options) { o.Endpoint = "http://dnsapi.cn/" }, false},
		{"https default", func(o *dnspod.Options) { o.Endpoint = "" }, true},
		{"bad user agent", func(o *dnspod.Options) { o.UserAgent = "Mozilla" }, false},
		{"custom user agent", func(o *dnspod.Options) { o.UserAgent = "acme-dns/2.0 (dns@acme.example)" }, true},
		{"page too long", func(o *dnspod.Options) { o.PageSize = 3001 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := fastOptions("http://127.0.0.1:1/")
			tt.mod(&o)
			c, err := dnspod.New(o)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && strings.Contains(err.Error(), tokenSecret) {
				t.Fatal("error shows the token")
			}
			if c != nil && tt.name == "https default" && c.Options().Endpoint != dnspod.DefaultEndpoint {
				t.Fatalf("endpoint %q", c.Options().Endpoint)
			}
		})
	}
}

func TestTypedErrors(t *testing.T) {
	h := start(t, dnspodtest.Options{}, false, nil)
	dom := h.domain(t, "example.com", "DP_Free")
	ctx := context.Background()

	err := h.c.RecordRemove(ctx, dom, "1")
	var e *dnspod.Error
	if !errors.As(err, &e) || e.Code != 8 || e.Action != "Record.Remove" || e.HTTPStatus != 200 {
		t.Fatalf("err = %#v", err)
	}
	if errors.Is(err, providers.ErrTransient) || errors.Is(err, providers.ErrOutcomeUnknown) {
		t.Fatal("a refusal is neither transient nor unknown")
	}

	bad := start(t, dnspodtest.Options{}, false, func(o *dnspod.Options) { o.Token = tokenID + ",ffff" })
	if _, err := bad.c.DomainList(ctx); !errors.As(err, &e) || e.Code != dnspod.CodeLoginFailed {
		t.Fatalf("bad token: %v", err)
	}
	html := start(t, dnspodtest.Options{HTMLUnauthorized: true}, false, func(o *dnspod.Options) { o.Token = tokenID + ",ffff" })
	if _, err := html.c.DomainList(ctx); !errors.As(err, &e) || e.HTTPStatus != 401 || e.Code != 0 {
		t.Fatalf("HTML 401: %v", err)
	}
}

func TestReadsRetry(t *testing.T) {
	ctx := context.Background()
	t.Run("throttled until retries run out", func(t *testing.T) {
		h := start(t, dnspodtest.Options{Faults: dnspodtest.Faults{Throttle: 1}}, false, func(o *dnspod.Options) {
			o.MaxRetries = 2
			o.ThrottleBackoff = 20 * time.Millisecond
		})
		t0 := time.Now()
		_, err := h.c.DomainList(ctx)
		var e *dnspod.Error
		if !errors.As(err, &e) || e.Code != dnspod.CodeThrottled || !errors.Is(err, providers.ErrTransient) {
			t.Fatalf("err = %v", err)
		}
		if n := h.calls("Domain.List"); n != 3 {
			t.Fatalf("%d attempts, want 3", n)
		}
		if el := time.Since(t0); el < 40*time.Millisecond {
			t.Fatalf("throttle back-off not applied: %v", el)
		}
	})
	t.Run("5xx and drops are retried", func(t *testing.T) {
		h := start(t, dnspodtest.Options{Seed: 3, Faults: dnspodtest.Faults{ServerError: 0.3, Drop: 0.3}}, false, func(o *dnspod.Options) { o.MaxRetries = 30 })
		h.domain(t, "example.com", "DP_Free")
		for range 10 {
			if _, err := h.c.DomainList(ctx); err != nil {
				t.Fatal(err)
			}
		}
		faults := 0
		for _, e := range h.emu.Log() {
			if e.Fault != "" {
				faults++
			}
		}
		if faults == 0 {
			t.Fatal("no fault was injected; the test proves nothing")
		}
	})
}

func TestWritesAreNotRepeated(t *testing.T) {
	ctx := context.Background()
	rec := dnspod.RecordParams{SubDomain: "www", Type: "A", Value: "192.0.2.1", TTL: 600}
	tests := []struct {
		name      string
		faults    dnspodtest.Faults
		unknown   bool
		attempts  int
		committed bool
	}{
		{name: "5xx", faults: dnspodtest.Faults{ServerError: 1}, unknown: true, attempts: 1},
		{name: "dropped", faults: dnspodtest.Faults{Drop: 1}, unknown: true, attempts: 1},
		{name: "lost answer after commit", faults: dnspodtest.Faults{FailAfterCommit: 1}, unknown: true, attempts: 1, committed: true},
		{name: "throttled is definite and retried", faults: dnspodtest.Faults{Throttle: 1}, unknown: false, attempts: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, dnspodtest.Options{}, false, nil)
			dom := h.domain(t, "example.com", "DP_Free")
			tt.faults.Actions = []string{"Record.Create"}
			h.emu.SetFaults(tt.faults)
			_, err := h.c.RecordCreate(ctx, dom, rec)
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, providers.ErrOutcomeUnknown); got != tt.unknown {
				t.Fatalf("ErrOutcomeUnknown = %v, want %v (%v)", got, tt.unknown, err)
			}
			if n := h.calls("Record.Create"); n != tt.attempts {
				t.Fatalf("%d attempts, want %d", n, tt.attempts)
			}
			n := 0
			for _, r := range h.emu.Records("example.com") {
				if r.Name == "www" {
					n++
				}
			}
			if (n == 1) != tt.committed {
				t.Fatalf("%d records, committed want %v", n, tt.committed)
			}
		})
	}
	t.Run("never sent is retried", func(t *testing.T) {
		ts := httptest.NewServer(http.NotFoundHandler())
		url := ts.URL
		ts.Close() // connection refused: the request never left
		o := fastOptions(url)
		o.MaxRetries = 2
		c, err := dnspod.New(o)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.RecordCreate(ctx, "1", rec)
		if err == nil || errors.Is(err, providers.ErrOutcomeUnknown) || !errors.Is(err, providers.ErrTransient) {
			t.Fatalf("err = %v, want transient, not unknown", err)
		}
	})
}

func TestTokenNeverShown(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := start(t, dnspodtest.Options{Seed: 1, Faults: dnspodtest.Faults{Throttle: 0.3, ServerError: 0.3}}, false, func(o *dnspod.Options) {
		o.Logger = log
		o.MaxRetries = 1
	})
	dom := h.domain(t, "example.com", "DP_Free")
	ctx := context.Background()
	var errs []string
	for range 10 {
		if _, err := h.c.DomainList(ctx); err != nil {
			errs = append(errs, err.Error())
		}
		if _, err := h.c.RecordCreate(ctx, dom, dnspod.RecordParams{SubDomain: "x", Type: "A", Value: "192.0.2.1"}); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) == 0 {
		t.Fatal("no errors produced; the test proves nothing")
	}
	opts := fastOptions("https://dnsapi.cn/")
	all := strings.Join(errs, "\n") + buf.String() + fmt.Sprint(opts) + fmt.Sprintf("%+v %#v", opts, opts)
	if strings.Contains(all, tokenSecret) {
		t.Fatal("token secret appears in errors, logs or printed options")
	}
	if !strings.Contains(buf.String(), "dnspod") {
		t.Fatal("nothing was logged")
	}
}

func TestClientRateLimit(t *testing.T) {
	// 20 requests/second with a burst of 1: five calls need at least 200ms.
	h := start(t, dnspodtest.Options{}, false, func(o *dnspod.Options) { o.RateLimit = 20; o.Burst = 1 })
	t0 := time.Now()
	for range 5 {
		if _, err := h.c.DomainList(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(t0); el < 190*time.Millisecond {
		t.Fatalf("5 calls in %v: limiter not applied", el)
	}
}

func TestEmulatorLatency(t *testing.T) {
	h := start(t, dnspodtest.Options{Seed: 5, Faults: dnspodtest.Faults{Latency: 5 * time.Millisecond, LatencyShare: 1}}, false, nil)
	if _, err := h.c.DomainList(context.Background()); err != nil {
		t.Fatal(err)
	}
	if l := h.emu.Log(); len(l) != 1 || l[0].Latency != 5*time.Millisecond {
		t.Fatalf("log %+v", l)
	}
}

// TestRecordListAnswers: a Record.List page is read in one pass together
// with its status, yet answers are judged as before: the status first (an
// error code wins over a body that does not decode), then the body; and a
// throttled page is retried into a clean answer.
func TestRecordListAnswers(t *testing.T) {
	tests := []struct {
		name    string
		bodies  []string // answers in turn; the last repeats
		wantErr string   // substring; "" for success
		records int
	}{
		{name: "ok", bodies: []string{`{"status":{"code":"1"},"info":{"record_total":"1"},"records":[{"id":"5","name":"www","type":"A","ttl":"600","value":"192.0.2.1","enabled":"1"}]}`}, records: 1},
		{name: "status last", bodies: []string{`{"info":{"record_total":1},"records":[{"id":5,"name":"www","type":"A","ttl":600,"value":"192.0.2.1","enabled":1}],"status":{"code":1}}`}, records: 1},
		{name: "error code wins over bad records", bodies: []string{`{"status":{"code":"-1","message":"Login fail"},"records":"nope"}`}, wantErr: "code -1: Login fail"},
		{name: "bad records", bodies: []string{`{"status":{"code":"1"},"records":[{"id":{}}]}`}, wantErr: "decoding answer"},
		{name: "no status", bodies: []string{`{"records":[]}`}, wantErr: "no status in answer"},
		{name: "not json", bodies: []string{`<html>`}, wantErr: "undecodable answer"},
		{name: "throttled, then ok", bodies: []string{
			`{"status":{"code":"-2","message":"limited"},"records":[{"id":"9","name":"stale","type":"A","ttl":"1","value":"192.0.2.9"}],"domain":{"grade":"DP_Free"}}`,
			`{"status":{"code":"1"},"info":{"record_total":"1"},"records":[{"id":"5","name":"www","type":"A","ttl":"600","value":"192.0.2.1","enabled":"1"}]}`,
		}, records: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := min(int(n.Add(1))-1, len(tt.bodies)-1)
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, tt.bodies[i])
			}))
			t.Cleanup(ts.Close)
			c, err := dnspod.New(fastOptions(ts.URL))
			if err != nil {
				t.Fatal(err)
			}
			z, err := c.RecordList(context.Background(), "1")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(z.Records) != tt.records || z.Records[0].Name != "www" || z.Domain.Grade != "" {
				t.Fatalf("zone %+v", z)
			}
		})
	}
}
