package tencentcloud_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/credentials"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud/tencentcloudtest"
)

func TestDescribeDomainListPages(t *testing.T) {
	h := start(t, tencentcloudtest.Options{}, true, func(o *tencentcloud.Options) { o.PageSize = 3 })
	var want []string
	for i := range 7 {
		name := fmt.Sprintf("zone%d.example", i)
		h.domain(t, name, "")
		want = append(want, name)
	}
	list, err := h.c.DescribeDomainList(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range list {
		got = append(got, d.Name)
		if d.DomainID == 0 || d.Grade != "DP_FREE" {
			t.Errorf("domain %+v", d)
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	if n := h.calls("DescribeDomainList"); n != 3 {
		t.Errorf("%d pages read, want 3", n)
	}
	d, err := h.c.FindDomain(context.Background(), "ZONE3.example.")
	if err != nil || d.Name != "zone3.example" {
		t.Fatalf("FindDomain = %+v, %v", d, err)
	}
	if _, err := h.c.FindDomain(context.Background(), "nope.example"); !errors.Is(err, tencentcloud.ErrDomainNotFound) {
		t.Fatalf("FindDomain(missing) = %v", err)
	}
}

func TestDomainLimits(t *testing.T) {
	h := start(t, tencentcloudtest.Options{}, false, nil)
	tests := []struct {
		grade      string
		minTTL     int
		hasMobile  bool
		firstLine  tencentcloud.Line
		domainName string
	}{
		{"DP_FREE", 600, false, tencentcloud.Line{Name: model.DefaultLine, LineID: "0"}, "free.example"},
		{"DP_EXPERT", 1, true, tencentcloud.Line{Name: model.DefaultLine, LineID: "0"}, "expert.example"},
	}
	for _, tt := range tests {
		t.Run(tt.grade, func(t *testing.T) {
			d := h.domain(t, tt.domainName, tt.grade)
			l, err := h.c.DomainLimits(context.Background(), tencentcloud.DomainRef{Name: d.Name})
			if err != nil {
				t.Fatal(err)
			}
			mobile := slices.ContainsFunc(l.Lines, func(x tencentcloud.Line) bool { return x.Name == "移动" && x.LineID == "10=3" })
			if l.Grade != tt.grade || l.MinTTL != tt.minTTL || !l.MinTTLFromService || mobile != tt.hasMobile || l.Lines[0] != tt.firstLine {
				t.Fatalf("limits %+v", l)
			}
		})
	}
}

func TestDescribeRecordListCanonical(t *testing.T) {
	h := start(t, tencentcloudtest.Options{}, true, nil)
	d := h.domain(t, "example.com", "DP_EXPERT")
	mx := rec("@", "MX", "Mail.Example.COM", 600)
	mx.MX = 10
	line := rec("www", "A", "192.0.2.2", 600)
	line.Line = "电信"
	off := rec("old", "AAAA", "2001:DB8::0", 3600)
	off.Enabled = false
	for _, r := range []model.Record{
		rec("www", "A", "192.0.2.1", 600), line, mx, rec("alias", "CNAME", "target.example.net", 600),
		rec("@", "TXT", "v=spf1 -all", 600), off, rec("_sip._tcp", "SRV", "10 5 5060 SIP.example.com", 600),
	} {
		h.add(t, "example.com", r)
	}
	got, err := h.c.DescribeRecordList(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	wantMX := rec("@", "MX", "mail.example.com.", 600)
	wantMX.MX = 10
	wantOff := rec("old", "AAAA", "2001:db8::", 3600)
	wantOff.Enabled = false
	want := []model.Record{
		{Name: "@", Type: "NS", Line: model.DefaultLine, Value: "ns3.dnsv5.com.", TTL: 86400, Enabled: true, System: true},
		{Name: "@", Type: "NS", Line: model.DefaultLine, Value: "ns4.dnsv5.com.", TTL: 86400, Enabled: true, System: true},
		wantMX, rec("@", "TXT", "v=spf1 -all", 600),
		rec("_sip._tcp", "SRV", "10 5 5060 sip.example.com.", 600),
		rec("alias", "CNAME", "target.example.net.", 600),
		wantOff,
		rec("www", "A", "192.0.2.1", 600), line,
	}
	model.SortRecords(want)
	for i := range got {
		if got[i].ID == "" {
			t.Errorf("record %v has no id", got[i])
		}
		got[i].ID = ""
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

// TestDescribeRecordListPagesConcurrently: 3 pages of 4 beyond the first
// are fetched, every record once, ids above 2^31 intact.
func TestDescribeRecordListPagesConcurrently(t *testing.T) {
	h := start(t, tencentcloudtest.Options{}, false, func(o *tencentcloud.Options) { o.PageSize = 4; o.ListConcurrency = 3 })
	d := h.domain(t, "example.com", "")
	want := map[string]bool{}
	for i := range 14 {
		id := h.add(t, "example.com", rec(fmt.Sprintf("h%02d", i), "A", "192.0.2.1", 600))
		want[id] = true
	}
	got, err := h.c.DescribeRecordList(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 16 {
		t.Fatalf("%d records, want 16", len(got))
	}
	for _, r := range got {
		if n, _ := tencentcloud.ParseID(r.ID); n <= 1<<31 {
			t.Errorf("id %s not above 2^31", r.ID)
		}
		delete(want, r.ID)
	}
	if len(want) != 0 {
		t.Fatalf("missing %v", want)
	}
	if n := h.calls("DescribeRecordList"); n != 4 {
		t.Fatalf("%d pages read, want 4", n)
	}
}

func TestSingleRecordWrites(t *testing.T) {
	h := start(t, tencentcloudtest.Options{}, true, nil)
	d := h.domain(t, "example.com", "")
	ctx := context.Background()

	mx := rec("@", "MX", "mx.example.net.", 600)
	mx.MX = 5
	id, err := h.c.CreateRecord(ctx, d, mx)
	if err != nil {
		t.Fatal(err)
	}
	mx.ID, mx.TTL, mx.Enabled = id, 1200, false
	if err := h.c.ModifyRecord(ctx, d, mx); err != nil {
		t.Fatal(err)
	}
	got := userRecords(h.emu.Records("example.com"))
	want := mx
	want.ID = ""
	if d := cmp.Diff([]model.Record{want}, got); d != "" {
		t.Fatalf("after modify (-want +got):\n%s", d)
	}
	if err := h.c.DeleteRecord(ctx, d, id); err != nil {
		t.Fatal(err)
	}
	if got := userRecords(h.emu.Records("example.com")); len(got) != 0 {
		t.Fatalf("left %v", got)
	}
	// Deleting again: the id is unknown now.
	var ae *tencentcloud.APIError
	if err := h.c.DeleteRecord(ctx, d, id); !errors.As(err, &ae) || ae.Code != tencentcloud.CodeRecordIDInvalid || ae.RequestID == "" || ae.Action != "DeleteRecord" {
		t.Fatalf("second delete: %v", err)
	}
}

func TestBatchLifecycle(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	h := start(t, tencentcloudtest.Options{Now: clock.Now, BatchStep: time.Second}, false, nil)
	d := h.domain(t, "example.com", "")
	ctx := context.Background()

	recs := []model.Record{rec("a", "A", "192.0.2.1", 600), rec("b", "CNAME", "t.example.net", 600)}
	job, err := h.c.CreateRecordBatch(ctx, []uint64{d.ID}, recs)
	if err != nil {
		t.Fatal(err)
	}
	if job.JobID == 0 || len(job.DetailList) != 1 || len(job.DetailList[0].RecordList) != 2 || job.DetailList[0].RecordList[1].Status != "waiting" {
		t.Fatalf("echo %+v", job)
	}
	states := func() []providers.ItemState {
		bt, err := h.c.DescribeBatchTask(ctx, uint64(job.JobID))
		if err != nil {
			t.Fatal(err)
		}
		var out []providers.ItemState
		for _, it := range bt.Status().Items {
			out = append(out, it.State)
		}
		return out
	}
	steps := []struct {
		advance time.Duration
		want    []providers.ItemState
	}{
		{0, []providers.ItemState{providers.ItemWaiting, providers.ItemWaiting}},
		{1500 * time.Millisecond, []providers.ItemState{providers.ItemRunning, providers.ItemWaiting}},
		{time.Second, []providers.ItemState{providers.ItemOK, providers.ItemWaiting}},
		{time.Second, []providers.ItemState{providers.ItemOK, providers.ItemRunning}},
		{time.Second, []providers.ItemState{providers.ItemOK, providers.ItemOK}},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		if d := cmp.Diff(s.want, states()); d != "" {
			t.Fatalf("step %d (-want +got):\n%s", i, d)
		}
	}
	bt, err := h.c.DescribeBatchTask(ctx, uint64(job.JobID))
	if err != nil {
		t.Fatal(err)
	}
	st := bt.Status()
	if !st.Done || bt.JobType != "record_add" || bt.SuccessCount.V != 2 || bt.TotalCount.V != 2 {
		t.Fatalf("task %+v", bt)
	}
	ids := map[string]string{}
	for _, it := range st.Items {
		ids[strings.Fields(it.What)[0]] = it.RecordID
	}
	live, err := h.c.DescribeRecordList(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]model.Record{}
	for _, r := range live {
		byName[r.Name] = r
	}
	if ids["a"] != byName["a"].ID || ids["b"] != byName["b"].ID || ids["a"] == "" {
		t.Fatalf("task ids %v, live %v", ids, byName)
	}

	// ModifyRecordBatch: one field, one value; status as ENABLE/DISABLE.
	a, b := byName["a"], byName["b"]
	aid, _ := tencentcloud.ParseID(a.ID)
	bid, _ := tencentcloud.ParseID(b.ID)
	a.TTL = 3600
	ch, err := tencentcloud.ChangeFor(tencentcloud.ChangeTTL, a, []uint64{aid, bid}, false)
	if err != nil {
		t.Fatal(err)
	}
	mj, err := h.c.ModifyRecordBatch(ctx, ch)
	if err != nil {
		t.Fatal(err)
	}
	a.Enabled = false
	ch, _ = tencentcloud.ChangeFor(tencentcloud.ChangeStatus, a, []uint64{aid}, false)
	sj, err := h.c.ModifyRecordBatch(ctx, ch)
	if err != nil {
		t.Fatal(err)
	}
	// ModifyRecordBatchV3: per-record changes.
	b.TTL, b.Value, b.Line = 1200, "u.example.net.", "联通"
	item, err := tencentcloud.ModifyItem(b)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute) // the two earlier tasks finish first
	vj, err := h.c.ModifyRecordBatchV3(ctx, []tencentcloud.ModifyRecordItem{item})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	for _, j := range []uint64{uint64(mj.JobID), uint64(sj.JobID), vj} {
		bt, err := h.c.DescribeBatchTask(ctx, j)
		if err != nil {
			t.Fatal(err)
		}
		if st := bt.Status(); !st.Done || slices.ContainsFunc(st.Items, func(it providers.ItemResult) bool { return it.State != providers.ItemOK }) {
			t.Fatalf("task %d: %+v", j, st)
		}
	}
	a.ID, b.ID = "", ""
	wantB := b
	wantB.Line = "联通"
	want := []model.Record{wantB, a}
	want[1].TTL = 3600
	model.SortRecords(want)
	if d := cmp.Diff(want, userRecords(h.emu.Records("example.com"))); d != "" {
		t.Fatalf("after modifies (-want +got):\n%s", d)
	}

	// DeleteRecordBatch.
	dj, err := h.c.DeleteRecordBatch(ctx, []uint64{aid, bid})
	if err != nil {
		t.Fatal(err)
	}
	if len(dj.DetailList) != 1 || dj.DetailList[0].Operation != "remove" || !strings.Contains(dj.DetailList[0].RecordList, `"sub_domain"`) {
		t.Fatalf("delete echo %+v", dj)
	}
	clock.Advance(time.Minute)
	bt, err = h.c.DescribeBatchTask(ctx, uint64(dj.JobID))
	if err != nil || !bt.Status().Done || bt.JobType != "record_remove" {
		t.Fatalf("delete task %+v, %v", bt, err)
	}
	if got := userRecords(h.emu.Records("example.com")); len(got) != 0 {
		t.Fatalf("left %v", got)
	}
}

// TestBatchItemFailures: per-record results carry the provider's message;
// an injected failure and a rule violation fail only their items.
func TestBatchItemFailures(t *testing.T) {
	h := start(t, tencentcloudtest.Options{Language: "en-US"}, false, func(o *tencentcloud.Options) { o.Language = "zh-CN" })
	d := h.domain(t, "example.com", "")
	h.add(t, "example.com", rec("taken", "A", "192.0.2.1", 600))
	ctx := context.Background()
	job, err := h.c.CreateRecordBatch(ctx, []uint64{d.ID}, []model.Record{
		rec("fresh", "A", "192.0.2.9", 600),
		rec("taken", "CNAME", "x.example.net", 600), // conflicts with the A record
		rec("short", "A", "192.0.2.9", 60),          // below the free grade's 600
	})
	if err != nil {
		t.Fatal(err)
	}
	st := h.wait(t, uint64(job.JobID)).Status()
	got := map[string]providers.ItemState{}
	msgs := map[string]string{}
	for _, it := range st.Items {
		name := strings.Fields(it.What)[0]
		got[name], msgs[name] = it.State, it.Message
	}
	want := map[string]providers.ItemState{"fresh": providers.ItemOK, "taken": providers.ItemFailed, "short": providers.ItemFailed}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	if !strings.Contains(msgs["taken"], "冲突") || !strings.Contains(msgs["short"], "TTL") || msgs["fresh"] != "" {
		t.Fatalf("messages %q", msgs)
	}

	h.emu.Inject(tencentcloudtest.Injection{Kind: tencentcloudtest.FaultFailItems})
	job, err = h.c.CreateRecordBatch(ctx, []uint64{d.ID}, []model.Record{rec("x1", "A", "192.0.2.9", 600)})
	if err != nil {
		t.Fatal(err)
	}
	st = h.wait(t, uint64(job.JobID)).Status()
	if len(st.Items) != 1 || st.Items[0].State != providers.ItemFailed || st.Items[0].Message == "" {
		t.Fatalf("injected failure: %+v", st)
	}
}

func TestAPIErrors(t *testing.T) {
	h := start(t, tencentcloudtest.Options{}, false, nil)
	d := h.domain(t, "example.com", "")
	h.add(t, "example.com", rec("www", "A", "192.0.2.1", 600))
	ctx := context.Background()
	tests := []struct {
		name      string
		call      func() error
		code      string
		transient bool
		is        error
	}{
		{"unknown domain", func() error {
			_, err := h.c.DescribeRecordList(ctx, tencentcloud.DomainRef{Name: "nope.example"})
			return err
		}, tencentcloud.CodeDomainNotExists, false, tencentcloud.ErrDomainNotFound},
		{"conflict", func() error {
			_, err := h.c.CreateRecord(ctx, d, rec("www", "CNAME", "x.example.net", 600))
			return err
		}, "InvalidParameter.ConflictRecord", false, nil},
		{"duplicate", func() error {
			_, err := h.c.CreateRecord(ctx, d, rec("www", "A", "192.0.2.1", 600))
			return err
		}, "InvalidParameter.DomainRecordExist", false, nil},
		{"ttl below grade", func() error {
			_, err := h.c.CreateRecord(ctx, d, rec("low", "A", "192.0.2.1", 60))
			return err
		}, "LimitExceeded.RecordTtlLimit", false, nil},
		{"line not on grade", func() error {
			r := rec("m", "A", "192.0.2.1", 600)
			r.Line = "移动"
			_, err := h.c.CreateRecord(ctx, d, r)
			return err
		}, "InvalidParameter.RecordLineInvalid", false, nil},
		{"unknown job", func() error {
			_, err := h.c.DescribeBatchTask(ctx, 42)
			return err
		}, "InvalidParameter.BatchTaskNotExist", false, nil},
		{"system NS row", func() error {
			for _, r := range h.emu.Records("example.com") {
				if r.System {
					return h.c.DeleteRecord(ctx, d, r.ID)
				}
			}
			return nil
		}, "UnsupportedOperation", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var ae *tencentcloud.APIError
			if !errors.As(err, &ae) || ae.Code != tt.code {
				t.Fatalf("err = %v, want code %s", err, tt.code)
			}
			if errors.Is(err, providers.ErrTransient) != tt.transient {
				t.Errorf("transient = %v", !tt.transient)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("not %v", tt.is)
			}
			if errors.Is(err, providers.ErrOutcomeUnknown) {
				t.Error("a refusal is not an unknown outcome")
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*tencentcloud.Options)
		code string
	}{
		{"wrong key", func(o *tencentcloud.Options) { o.Credentials.SecretKey = "wrong-key" }, tencentcloud.CodeSignatureFailure},
		{"unknown id", func(o *tencentcloud.Options) { o.Credentials.SecretID = "AKIDunknown" }, tencentcloud.CodeSecretIDNotFound},
		{"clock skew", func(o *tencentcloud.Options) { o.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) } }, tencentcloud.CodeSignatureExpire},
		{"token for a long-term key", func(o *tencentcloud.Options) { o.Credentials.SessionToken = "stray" }, "AuthFailure.TokenFailure"},
		{"signing x-tc-action too", func(o *tencentcloud.Options) { o.SignAction = true }, ""},
		{"skew within 5 minutes", func(o *tencentcloud.Options) { o.Now = func() time.Time { return time.Now().Add(4 * time.Minute) } }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, tencentcloudtest.Options{}, false, tt.mod)
			h.domain(t, "example.com", "")
			_, err := h.c.DescribeDomainList(context.Background())
			var ae *tencentcloud.APIError
			switch {
			case tt.code == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.code != "" && (!errors.As(err, &ae) || ae.Code != tt.code):
				t.Fatalf("err = %v, want %s", err, tt.code)
			}
		})
	}

	t.Run("temporary credentials", func(t *testing.T) {
		h := start(t, tencentcloudtest.Options{}, false, func(o *tencentcloud.Options) {
			o.Credentials = tencentcloud.Credentials{SecretID: "AKIDtemp", SecretKey: testKey, SessionToken: testToken}
		})
		h.emu.AddTempKey("AKIDtemp", testKey, testToken)
		if _, err := h.c.DescribeDomainList(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestEndpointRules(t *testing.T) {
	creds := tencentcloud.Credentials{SecretID: testID, SecretKey: credentials.Secret(testKey)}
	tests := []struct {
		endpoint string
		want     string // effective endpoint, "" = refused
	}{
		{"", "https://dnspod.tencentcloudapi.com/"},
		{"dnspod.intl.tencentcloudapi.com", "https://dnspod.intl.tencentcloudapi.com/"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/"},
		{"http://localhost:1", "http://localhost:1/"},
		{"http://[::1]:1", "http://[::1]:1/"},
		{"http://dnspod.tencentcloudapi.com", ""},
		{"ftp://dnspod.tencentcloudapi.com", ""},
		{"https://dnspod.tencentcloudapi.com/v3", ""},
		{"https://user:pw@dnspod.tencentcloudapi.com", ""},
	}
	for _, tt := range tests {
		c, err := tencentcloud.New(tencentcloud.Options{Endpoint: tt.endpoint, Credentials: creds})
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%q accepted", tt.endpoint)
		case tt.want != "" && err != nil:
			t.Errorf("%q refused: %v", tt.endpoint, err)
		case tt.want != "" && c.Endpoint() != tt.want:
			t.Errorf("%q → %s", tt.endpoint, c.Endpoint())
		}
		if err != nil && strings.Contains(err.Error(), "pw@") {
			t.Errorf("error echoes the user info: %v", err)
		}
	}
	if _, err := tencentcloud.New(tencentcloud.Options{Credentials: tencentcloud.Credentials{SecretID: testID}}); !errors.Is(err, credentials.ErrMissing) {
		t.Errorf("missing key: %v", err)
	}
}

// TestLocalLimits: the client refuses what the service would, without
// sending anything.
func TestLocalLimits(t *testing.T) {
	h := start(t, tencentcloudtest.Options{}, false, func(o *tencentcloud.Options) { o.MaxBatchRecords = 2; o.MaxDeleteIDs = 1 })
	d := h.domain(t, "example.com", "")
	ctx := context.Background()
	r := rec("a", "A", "192.0.2.1", 600)
	off := r
	off.Enabled = false
	for name, call := range map[string]func() error{
		"too many records": func() error {
			_, err := h.c.CreateRecordBatch(ctx, []uint64{d.ID}, []model.Record{r, r, r})
			return err
		},
		"disabled in a batch create": func() error {
			_, err := h.c.CreateRecordBatch(ctx, []uint64{d.ID}, []model.Record{off})
			return err
		},
		"too many deletes": func() error {
			_, err := h.c.DeleteRecordBatch(ctx, []uint64{1, 2})
			return err
		},
		"bad id": func() error { return h.c.DeleteRecord(ctx, d, "12x") },
		"no TTL": func() error {
			r0 := r
			r0.TTL = 0
			_, err := h.c.CreateRecord(ctx, d, r0)
			return err
		},
	} {
		if err := call(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if n := len(h.emu.Log()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}
