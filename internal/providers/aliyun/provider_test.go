package aliyun_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/aliyun"
	"github.com/dnssync/dnssync/internal/providers/aliyun/aliyuntest"
)

func TestReadRegistrar(t *testing.T) {
	for _, style := range []string{"label", "fqdn"} {
		t.Run("emulator reports "+style, func(t *testing.T) {
			emu := newEmulator(t, aliyuntest.Options{DNSNameStyle: style})
			inst := emu.AddDomain("example.com", []string{"ns2.example.com", "ns1.example.com"}, false)
			emu.AddDomain("hosted.example", nil, true)
			for h, ips := range map[string][]string{"ns1": {"2001:db8::1", "192.0.2.1"}, "ns2": {"192.0.2.2"}} {
				if err := emu.SetRegistrarHost("example.com", h, ips); err != nil {
					t.Fatal(err)
				}
			}
			ts := httptest.NewServer(emu)
			defer ts.Close()
			p := aliyun.NewProvider("ali", newClient(t, fastOptions(ts.URL)))
			got, err := p.ReadRegistrar(context.Background(), "Example.COM.")
			if err != nil {
				t.Fatal(err)
			}
			want := &model.LiveRegistrar{
				InstanceID:  inst,
				Nameservers: []string{"ns1.example.com", "ns2.example.com"},
				DNSHosts: []model.DNSHost{
					{Host: "ns1.example.com", IPs: []string{"192.0.2.1", "2001:db8::1"}},
					{Host: "ns2.example.com", IPs: []string{"192.0.2.2"}},
				},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			hosted, err := p.ReadRegistrar(context.Background(), "hosted.example")
			if err != nil || !hosted.AliyunDNS || len(hosted.DNSHosts) != 0 || hosted.DNSHosts == nil {
				t.Errorf("hosted on Alibaba Cloud DNS: %+v %v", hosted, err)
			}
			if _, err := p.ReadRegistrar(context.Background(), "nope.example"); !errors.Is(err, aliyun.ErrDomainNotFound) {
				t.Errorf("unknown domain: %v", err)
			}
		})
	}

	// Raw answers in the loose shapes the docs show: upper case, trailing
	// dots, non-canonical IPv6, DnsHostList absent.
	raw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		switch r.Form.Get("Action") {
		case "QueryDomainByDomainName":
			_, _ = w.Write([]byte(`{"RequestId":"R","DomainName":"example.com","InstanceId":"S1","DnsList":{"Dns":["NS2.HICHINA.COM.","dns1.hichina.com"]}}`))
		case "QueryDnsHost":
			_, _ = w.Write([]byte(`{"RequestId":"R","DnsHostList":[{"DnsName":"NS1.example.com.","IpList":["2001:DB8:0::1"]}]}`))
		}
	}))
	defer raw.Close()
	p := aliyun.NewProvider("ali", newClient(t, fastOptions(raw.URL)))
	got, err := p.ReadRegistrar(context.Background(), "example.com")
	if err != nil {
		t.Fatal(err)
	}
	want := &model.LiveRegistrar{InstanceID: "S1", Nameservers: []string{"dns1.hichina.com", "ns2.hichina.com"}, AliyunDNS: true,
		DNSHosts: []model.DNSHost{{Host: "ns1.example.com", IPs: []string{"2001:db8::1"}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("raw shapes (-want +got):\n%s", diff)
	}
}

func TestSubmitAndPoll(t *testing.T) {
	ctx := context.Background()
	for _, style := range []aliyun.DNSNameStyle{aliyun.DNSNameLabel, aliyun.DNSNameFQDN} {
		t.Run(string(style), func(t *testing.T) {
			emu := newEmulator(t, aliyuntest.Options{})
			emu.AddDomain("example.com", []string{"ns1.old.net"}, false)
			emu.AddDomain("example.org", []string{"ns1.old.net"}, false)
			ts := httptest.NewServer(emu)
			defer ts.Close()
			o := fastOptions(ts.URL)
			o.BatchSize = 2
			p := aliyun.NewProvider("ali", newClient(t, o), aliyun.WithDNSNameStyle(style))

			steps := []struct {
				b        plan.Batch
				want     []providers.ItemResult
				wantName string // DnsName sent, if any
			}{
				{batchOf("s1.b1", "", aliyun.OpCreateDNSHost, []string{"example.com"}, aliyun.Payload{Host: "ns1.example.com", IPs: []string{"192.0.2.1"}}),
					[]providers.ItemResult{{Domain: "example.com", What: "CREATE_DNSHOST", State: providers.ItemOK}}, "ns1"},
				{batchOf("s1.b2", "", aliyun.OpCreateDNSHost, []string{"example.com"}, aliyun.Payload{Host: "ns2.example.com", IPs: []string{"192.0.2.2"}}),
					[]providers.ItemResult{{Domain: "example.com", What: "CREATE_DNSHOST", State: providers.ItemOK}}, "ns2"},
				{batchOf("s2.b1", "", aliyun.OpModifyDomainDNS, []string{"example.org", "example.com"}, aliyun.Payload{Nameservers: []string{"ns1.example.com", "ns2.example.com"}}),
					[]providers.ItemResult{{Domain: "example.com", What: "CHG_DNS", State: providers.ItemOK}, {Domain: "example.org", What: "CHG_DNS", State: providers.ItemOK}}, ""},
				{batchOf("s3.b1", "", aliyun.OpModifyDNSHost, []string{"example.com"}, aliyun.Payload{Host: "ns2.example.com", IPs: []string{"192.0.2.22", "2001:db8::22"}}),
					[]providers.ItemResult{{Domain: "example.com", What: "UPDATE_DNSHOST", State: providers.ItemOK}}, "ns2"},
				{batchOf("s3.b2", "", aliyun.OpSyncDNSHost, []string{"example.com"}, aliyun.Payload{}),
					[]providers.ItemResult{{Domain: "example.com", What: "SYNC_DNSHOST", State: providers.ItemOK}}, ""},
				{batchOf("s4.b1", "", aliyun.OpDeleteDNSHost, []string{"example.com"}, aliyun.Payload{Host: "ns1.example.com"}),
					[]providers.ItemResult{{Domain: "example.com", What: "DELETE_DNSHOST", State: providers.ItemFailed, Tries: 5,
						Message: "DNS host ns1.example.com is in use as a name server of example.com, example.org"}}, "ns1"},
			}
			for _, st := range steps {
				emu.ResetLog()
				task, err := p.Submit(ctx, st.b)
				if err != nil {
					t.Fatalf("%s: %v", st.b.ID, err)
				}
				if task.ID == "" || task.Provider != "ali" || task.BatchID != st.b.ID || task.Op != st.b.Op {
					t.Errorf("task %+v", task)
				}
				status, err := p.Poll(ctx, task)
				if err != nil {
					t.Fatal(err)
				}
				if !status.Done {
					t.Errorf("%s not done: %+v", st.b.ID, status)
				}
				if diff := cmp.Diff(st.want, status.Items); diff != "" {
					t.Errorf("%s items (-want +got):\n%s", st.b.ID, diff)
				}
				if st.wantName != "" {
					want := st.wantName
					if style == aliyun.DNSNameFQDN {
						want += ".example.com"
					}
					var sent string
					for _, e := range emu.Log() {
						if strings.HasPrefix(e.Action, "Save") {
							sent = e.Params["DnsName"]
						}
					}
					if sent != want {
						t.Errorf("%s sent DnsName %q, want %q", st.b.ID, sent, want)
					}
				}
			}
			live, err := p.ReadRegistrar(ctx, "example.com")
			if err != nil {
				t.Fatal(err)
			}
			wantHosts := []model.DNSHost{{Host: "ns1.example.com", IPs: []string{"192.0.2.1"}}, {Host: "ns2.example.com", IPs: []string{"192.0.2.22", "2001:db8::22"}}}
			if diff := cmp.Diff(wantHosts, live.DNSHosts); diff != "" {
				t.Errorf("hosts (-want +got):\n%s", diff)
			}

			// Refused before any request.
			emu.ResetLog()
			bad := []plan.Batch{
				batchOf("x1", "", aliyun.OpModifyDomainDNS, []string{"a.example", "b.example", "c.example"}, aliyun.Payload{Nameservers: []string{"ns1.x.net"}}),
				batchOf("x2", "", aliyun.OpCreateDNSHost, []string{"example.com"}, aliyun.Payload{Host: "ns1.example.net", IPs: []string{"192.0.2.1"}}),
				batchOf("x3", "", aliyun.OpCreateDNSHost, []string{"example.com", "example.org"}, aliyun.Payload{Host: "ns3.example.com", IPs: []string{"192.0.2.1"}}),
				{ID: "x4", Op: "dnspod:Batch.Record.Create", Domains: []string{"example.com"}, Payload: []byte("{}")},
				batchOf("x5", "", aliyun.OpCreateDNSHost, []string{"example.com"}, aliyun.Payload{Host: "ns3.example.com"}),
				{ID: "x6", Op: aliyun.OpModifyDomainDNS, Domains: []string{"example.com"}},
			}
			for _, b := range bad {
				if _, err := p.Submit(ctx, b); err == nil {
					t.Errorf("%s accepted", b.ID)
				}
			}
			if n := len(emu.Log()); n != 0 {
				t.Errorf("%d requests for refused batches", n)
			}
		})
	}
}

func TestPollInProgressAndBusy(t *testing.T) {
	ctx := context.Background()
	var now time.Time = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	emu := newEmulator(t, aliyuntest.Options{Now: clock, WaitDelay: time.Minute, ExecDelay: time.Minute})
	emu.AddDomain("example.com", []string{"ns1.old.net"}, false)
	ts := httptest.NewServer(emu)
	defer ts.Close()
	o := fastOptions(ts.URL)
	o.Now = clock
	p := aliyun.NewProvider("ali", newClient(t, o))
	b := batchOf("s1.b1", "", aliyun.OpModifyDomainDNS, []string{"example.com"}, aliyun.Payload{Nameservers: []string{"ns1.new.net", "ns2.new.net"}})
	task, err := p.Submit(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []providers.ItemState{providers.ItemWaiting, providers.ItemRunning, providers.ItemOK} {
		st, err := p.Poll(ctx, task)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Items) != 1 || st.Items[0].State != want || st.Done != want.Final() {
			t.Fatalf("poll: %+v, want %s", st, want)
		}
		if want == providers.ItemWaiting {
			if _, err := p.Submit(ctx, b); !errors.Is(err, providers.ErrBusy) || errors.Is(err, providers.ErrOutcomeUnknown) {
				t.Errorf("second submit while busy: %v", err)
			}
		}
		now = now.Add(time.Minute)
	}
}

func TestItemState(t *testing.T) {
	tests := []struct {
		d    aliyun.TaskDetail
		want providers.ItemState
	}{
		{aliyun.TaskDetail{TaskStatus: "WAITING_EXECUTE"}, providers.ItemWaiting},
		{aliyun.TaskDetail{TaskStatus: "EXECUTING"}, providers.ItemRunning},
		{aliyun.TaskDetail{TaskStatus: "EXECUTE_SUCCESS"}, providers.ItemOK},
		{aliyun.TaskDetail{TaskStatus: "EXECUTE_FAILURE"}, providers.ItemFailed},
		{aliyun.TaskDetail{TaskStatusCode: 1}, providers.ItemRunning},
		{aliyun.TaskDetail{TaskStatusCode: 2}, providers.ItemOK},
		{aliyun.TaskDetail{TaskStatusCode: 3}, providers.ItemFailed},
		{aliyun.TaskDetail{}, providers.ItemWaiting},
	}
	for _, tt := range tests {
		if got := aliyun.ItemState(tt.d); got != tt.want {
			t.Errorf("%+v: %s, want %s", tt.d, got, tt.want)
		}
	}
}
