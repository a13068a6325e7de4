package aliyuntest

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func (c *caller) try(v map[string][]string) (int, string, error) {
	req, err := http.NewRequest("POST", c.url+"/", strings.NewReader(encode(v)))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("x-acs-retry-after"), nil
}

func encode(v map[string][]string) string {
	var parts []string
	for k, vs := range v {
		parts = append(parts, k+"="+strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D", ":", "%3A").Replace(vs[0]))
	}
	return strings.Join(parts, "&")
}

func TestFaults(t *testing.T) {
	write := func(c *caller) map[string][]string {
		return c.form("SaveBatchTaskForModifyingDomainDns", "DomainName.1", "example.com", "AliyunDns", "true")
	}
	tests := []struct {
		name          string
		faults        Faults
		wantStatus    []int // any of
		wantErr       bool
		wantFault     string
		wantCommitted bool
		wantRetry     string
	}{
		{"throttle", Faults{Throttle: 1, RetryAfter: 250 * time.Millisecond}, []int{400}, false, FaultThrottle, false, "250"},
		{"server error", Faults{ServerError: 1}, []int{500, 503}, false, FaultServerError, false, ""},
		{"drop", Faults{DropConn: 1}, nil, true, FaultDrop, false, ""},
		{"commit loss", Faults{CommitLoss: 1}, []int{500, 0}, false, "commit-loss", true, ""},
		{"other action only", Faults{Throttle: 1, Actions: []string{"QueryDnsHost"}}, []int{200}, false, "", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			s, ts := newTestServer(t, Options{Now: clk.Now, Seed: 7, Faults: tt.faults})
			s.AddDomain("example.com", []string{"ns1.x.net"}, false)
			c := newCaller(t, ts, clk.Now)
			status, retry, err := c.try(write(c))
			// A dropped connection is a transport error; commit loss may drop too.
			mayDrop := tt.wantErr || contains(tt.wantStatus, 0)
			if err != nil && !mayDrop || err == nil && tt.wantErr {
				t.Fatalf("err %v, status %d", err, status)
			}
			if err == nil && len(tt.wantStatus) > 0 && !contains(tt.wantStatus, status) {
				t.Fatalf("status %d, want one of %v", status, tt.wantStatus)
			}
			if retry != tt.wantRetry {
				t.Errorf("x-acs-retry-after %q, want %q", retry, tt.wantRetry)
			}
			log := s.Log()
			if len(log) != 1 {
				t.Fatalf("log: %+v", log)
			}
			e := log[0]
			if !strings.HasPrefix(e.Fault, tt.wantFault) || (tt.wantFault == "" && e.Fault != "") {
				t.Errorf("fault %q, want %q", e.Fault, tt.wantFault)
			}
			if e.Committed != tt.wantCommitted {
				t.Errorf("committed %v", e.Committed)
			}
			d, _ := s.Domain("example.com")
			if d.AliyunDNS != tt.wantCommitted {
				t.Errorf("state changed=%v, want %v", d.AliyunDNS, tt.wantCommitted)
			}
			if tt.wantErr && e.Status != 0 {
				t.Errorf("dropped request logged with status %d", e.Status)
			}
		})
	}
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func TestFailItemsAndDeterminism(t *testing.T) {
	run := func() []string {
		clk := newClock()
		s, ts := newTestServer(t, Options{Now: clk.Now, Seed: 42, Faults: Faults{FailItems: 0.5, Throttle: 0.3}})
		for _, n := range []string{"a.example", "b.example", "c.example", "d.example"} {
			s.AddDomain(n, []string{"ns1.x.net"}, false)
		}
		c := newCaller(t, ts, clk.Now)
		var out []string
		for i := 0; i < 8; i++ {
			r := c.call("SaveBatchTaskForModifyingDomainDns", "DomainName.1", "a.example", "DomainName.2", "b.example",
				"DomainName.3", "c.example", "DomainName.4", "d.example", "AliyunDns", "true")
			if r.Status != 200 {
				out = append(out, r.code())
				continue
			}
			s.SetFaults(Faults{})
			for _, n := range []string{"a.example", "b.example", "c.example", "d.example"} {
				d := c.details(r.Body["TaskNo"].(string))[n]
				out = append(out, d["TaskStatus"].(string))
				if d["TaskStatus"] == "EXECUTE_FAILURE" && (d["TryCount"].(float64) != 5 || !strings.Contains(d["ErrorMsg"].(string), "injected")) {
					t.Errorf("failed detail %v", d)
				}
			}
			s.SetFaults(Faults{FailItems: 0.5, Throttle: 0.3})
		}
		return out
	}
	a, b := run(), run()
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed, different runs (-a +b):\n%s", diff)
	}
	joined := strings.Join(a, " ")
	for _, want := range []string{"EXECUTE_FAILURE", "EXECUTE_SUCCESS", "Throttling.User"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no %s in %v", want, a)
		}
	}
}

func TestExportImport(t *testing.T) {
	clk := newClock()
	s, ts := newTestServer(t, Options{Now: clk.Now, WaitDelay: time.Minute})
	inst := s.AddDomain("example.com", []string{"ns1.x.net"}, false)
	if err := s.SetRegistryHost("example.com", "ns1", []string{"192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	c := newCaller(t, ts, clk.Now)
	r := c.call("SaveSingleTaskForSynchronizingDnsHost", "InstanceId", inst)
	if r.Status != 200 {
		t.Fatal(r.Body)
	}
	data, err := s.Export()
	if err != nil {
		t.Fatal(err)
	}

	// A restarted sandbox: new server, same clock, state imported.
	s2 := New(Options{Now: clk.Now, WaitDelay: time.Minute})
	s2.AddKey("AK", "SK")
	if err := s2.Import(data); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s.Snapshot(), s2.Snapshot()); diff != "" {
		t.Fatalf("state after import (-want +got):\n%s", diff)
	}
	// The pending task keeps running after the restart.
	clk.Add(time.Minute)
	d, _ := s2.Domain("example.com")
	if diff := cmp.Diff([]HostState{{"ns1.example.com", []string{"192.0.2.1"}}}, d.RegistrarHosts); diff != "" {
		t.Errorf("sync after import (-want +got):\n%s", diff)
	}
	if err := s2.Import([]byte(`{"version": 99}`)); err == nil {
		t.Error("foreign version accepted")
	}
}
