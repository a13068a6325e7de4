package aliyuntest

import (
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestServerSignatureVectors(t *testing.T) {
	v1 := map[string]string{
		"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML", "SignatureMethod": "HMAC-SHA1",
		"SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0",
		"Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26",
	}
	v2 := map[string]string{
		"AccessKeyId": "accessKeyId", "Action": "", "Format": "JSON", "RegionId": "regionId",
		"SignatureMethod": "HMAC-SHA1", "SignatureNonce": "MOCK_UUID", "SignatureType": "",
		"SignatureVersion": "1.0", "Timestamp": "mock date", "Version": "",
	}
	v2t := map[string]string{"SecurityToken": "accessKeyStsToken"}
	for k, v := range v2 {
		v2t[k] = v
	}
	tests := []struct {
		name, method, secret string
		params               map[string]string
		want                 string
	}{
		{"V-1 GET", "GET", "testsecret", v1, "OLeaidS1JvxuMvnyHOwuJ+uX5qY="},
		{"V-1 POST", "POST", "testsecret", v1, "MxbnVAM4w6sft9xjVpe/GCKueuk="},
		{"V-2 GET", "GET", "accessKeySecret", v2, "7loPmFjvDnzOVnQeQNj85S6nFGY="},
		{"V-2 GET token", "GET", "accessKeySecret", v2t, "5Nxdcler+ihqWqv0Hr2On4PsBf4="},
		{"V-2 POST", "POST", "accessKeySecret", v2, "4CIK2DFr6jyKrv8SD31/SyTKEa4="},
		{"V-2 POST token", "POST", "accessKeySecret", v2t, "CTPJv7GCZobJvYYttHLDwgzRd18="},
	}
	for _, tt := range tests {
		if got := ServerSignature(ServerStringToSign(tt.method, tt.params), tt.secret); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	wantSTS := "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
	if diff := cmp.Diff(wantSTS, ServerStringToSign("GET", v1)); diff != "" {
		t.Errorf("V-1 string to sign (-want +got):\n%s", diff)
	}
}

// TestRawWireVectors replays V-3…V-6 exactly as SDK1 put them on the wire
// (spec §2.4) and checks the emulator accepts their signatures.
func TestRawWireVectors(t *testing.T) {
	raw := []struct {
		name, query, wantCode string
	}{
		{"V-3", "AccessKeyId=LTAI-test-id&Action=SaveBatchTaskForModifyingDomainDns&AliyunDns=false&DomainName.1=example.com&DomainNameServer.1=ns1.example.net&DomainNameServer.2=ns2.example.net&Format=JSON&Lang=en&RegionId=cn-hangzhou&Signature=eBmJOwwW7XA77B%2BTlx0fYTPGMUA%3D&SignatureMethod=HMAC-SHA1&SignatureNonce=f1c7b2e0-0c1a-4b7e-9d2a-000000000001&SignatureType=&SignatureVersion=1.0&Timestamp=2018-01-29T08%3A00%3A00Z&Version=2018-01-29", ""},
		{"V-4", "AccessKeyId=LTAI-test-id&Action=SaveSingleTaskForModifyingDnsHost&DnsName=ns1.example.com&Format=JSON&InstanceId=S20179H1BBI9test&Ip.1=192.0.2.10&Ip.2=2001%3Adb8%3A%3A53&RegionId=cn-hangzhou&Signature=djVXiCWeKQSLMxkTqUyCOPIFzoM%3D&SignatureMethod=HMAC-SHA1&SignatureNonce=f1c7b2e0-0c1a-4b7e-9d2a-000000000001&SignatureType=&SignatureVersion=1.0&Timestamp=2018-01-29T08%3A00%3A00Z&UserClientIp=127.0.0.1&Version=2018-01-29", "ParameterIllegal"},
		{"V-5", "AccessKeyId=LTAI-test-id&Action=QueryTaskDetailList&DomainName=%E4%BE%8B%E5%AD%90.%E4%B8%AD%E5%9B%BD&Format=JSON&PageNum=1&PageSize=1000&RegionId=cn-hangzhou&Signature=HUt5TdBRUQ7%2BPBcJSJUX4yy1Kr8%3D&SignatureMethod=HMAC-SHA1&SignatureNonce=f1c7b2e0-0c1a-4b7e-9d2a-000000000001&SignatureType=&SignatureVersion=1.0&TaskNo=a+b%2Ac~d%2Be%2Ff&Timestamp=2018-01-29T08%3A00%3A00Z&Version=2018-01-29", ""},
		{"V-6", "AccessKeyId=LTAI-test-id&Action=SaveBatchTaskForModifyingDomainDns&AliyunDns=false&DomainName.1=d1.example&DomainName.10=d10.example&DomainName.11=d11.example&DomainName.2=d2.example&DomainName.3=d3.example&DomainName.4=d4.example&DomainName.5=d5.example&DomainName.6=d6.example&DomainName.7=d7.example&DomainName.8=d8.example&DomainName.9=d9.example&DomainNameServer.1=ns1.example.net&DomainNameServer.2=ns2.example.net&Format=JSON&RegionId=cn-hangzhou&Signature=ZFAwWnyAjOE7hg3Hxy9vSLMPE8c%3D&SignatureMethod=HMAC-SHA1&SignatureNonce=f1c7b2e0-0c1a-4b7e-9d2a-000000000002&SignatureType=&SignatureVersion=1.0&Timestamp=2018-01-29T08%3A00%3A00Z&Version=2018-01-29", "DomainNotExist"},
	}
	for _, tt := range raw {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{Now: func() time.Time { return time.Date(2018, 1, 29, 8, 1, 0, 0, time.UTC) }})
			s.AddKey("LTAI-test-id", "test-secret")
			s.AddDomain("example.com", []string{"ns1.old.net", "ns2.old.net"}, false)
			ts := httptest.NewServer(s)
			defer ts.Close()
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			c := &caller{t: t, url: ts.URL, method: "POST"}
			r := c.send(v)
			if r.code() != tt.wantCode {
				t.Fatalf("code %q (HTTP %d), want %q: %v", r.code(), r.Status, tt.wantCode, r.Body)
			}
			// The same request again is a replay.
			if r := c.send(v); r.code() != "SignatureNonceUsed" || r.Status != 400 {
				t.Errorf("replay: %d %q", r.Status, r.code())
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	clk := newClock()
	s, ts := newTestServer(t, Options{Now: clk.Now})
	s.AddSTSKey("STS", "STS-SECRET", "the-token")
	s.AddDomain("example.com", []string{"ns1.example.net"}, false)

	tests := []struct {
		name       string
		prep       func(c *caller) url.Values
		wantStatus int
		wantCode   string
	}{
		{"ok POST query", func(c *caller) url.Values { return c.form("QueryDomainByDomainName", "DomainName", "example.com") }, 200, ""},
		{"ok POST body", func(c *caller) url.Values {
			c.useBody = true
			return c.form("QueryDomainByDomainName", "DomainName", "example.com")
		}, 200, ""},
		{"ok GET", func(c *caller) url.Values {
			c.method = "GET"
			return c.form("QueryDomainByDomainName", "DomainName", "example.com")
		}, 200, ""},
		{"GET signature used for POST", func(c *caller) url.Values {
			c.method = "GET"
			v := c.form("QueryDomainByDomainName", "DomainName", "example.com")
			c.method = "POST"
			return v
		}, 403, "SignatureDoesNotMatch"},
		{"missing timestamp", func(c *caller) url.Values {
			v := c.form("QueryDomainList", "PageNum", "1", "PageSize", "10")
			v.Del("Timestamp")
			return v
		}, 400, "MissingParameter"},
		{"unknown key", func(c *caller) url.Values { c.id = "NOPE"; return c.form("QueryDomainList") }, 404, "InvalidAccessKeyId.NotFound"},
		{"wrong secret", func(c *caller) url.Values { c.secret = "bad"; return c.form("QueryDomainList") }, 403, "SignatureDoesNotMatch"},
		{"tampered parameter", func(c *caller) url.Values {
			v := c.form("QueryDomainByDomainName", "DomainName", "example.com")
			v.Set("DomainName", "example.org")
			return v
		}, 403, "SignatureDoesNotMatch"},
		{"skewed timestamp", func(c *caller) url.Values {
			c.now = func() time.Time { return clk.Now().Add(-16 * time.Minute) }
			return c.form("QueryDomainList")
		}, 400, "InvalidTimeStamp.Expired"},
		{"bad timestamp", func(c *caller) url.Values {
			c.now = func() time.Time { return time.Time{} }
			v := c.form("QueryDomainList", "Timestamp", "yesterday")
			return v
		}, 400, "InvalidTimeStamp.Format"},
		{"wrong version", func(c *caller) url.Values { return c.form("QueryDomainList", "Version", "2017-12-18") }, 400, "InvalidVersion"},
		{"wrong method", func(c *caller) url.Values { return c.form("QueryDomainList", "SignatureMethod", "HMAC-SHA256") }, 400, "InvalidParameter"},
		{"XML format", func(c *caller) url.Values { return c.form("QueryDomainList", "Format", "XML") }, 400, "InvalidParameter"},
		{"unknown action", func(c *caller) url.Values { return c.form("DeleteEverything") }, 404, "InvalidAction.NotFound"},
		{"missing operation parameter", func(c *caller) url.Values { return c.form("QueryDomainByDomainName") }, 400, "MissingParameter"},
		{"STS ok", func(c *caller) url.Values {
			c.id, c.secret, c.token = "STS", "STS-SECRET", "the-token"
			return c.form("QueryDomainList", "PageNum", "1", "PageSize", "10")
		}, 200, ""},
		{"STS wrong token", func(c *caller) url.Values {
			c.id, c.secret, c.token = "STS", "STS-SECRET", "other"
			return c.form("QueryDomainList", "PageNum", "1", "PageSize", "10")
		}, 400, "InvalidSecurityToken.MismatchWithAccessKey"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCaller(t, ts, clk.Now)
			c.nonce = i * 1000
			r := c.send(tt.prep(c))
			if r.Status != tt.wantStatus || r.code() != tt.wantCode {
				t.Fatalf("got %d %q, want %d %q: %v", r.Status, r.code(), tt.wantStatus, tt.wantCode, r.Body)
			}
			if tt.wantCode == "SignatureDoesNotMatch" {
				msg := r.Body["Message"].(string)
				if !strings.Contains(msg, "server string to sign is:POST&%2F&") {
					t.Errorf("message lacks the server string to sign: %s", msg)
				}
			}
			if tt.wantCode != "" {
				for _, k := range []string{"RequestId", "HostId", "Recommend", "Message"} {
					if r.Body[k] == "" || r.Body[k] == nil {
						t.Errorf("error answer lacks %s", k)
					}
				}
			}
		})
	}
	for _, e := range s.Log() {
		if _, ok := e.Params["Signature"]; ok {
			t.Errorf("log entry %d keeps Signature", e.Seq)
		}
		if tok, ok := e.Params["SecurityToken"]; ok && tok != "***" {
			t.Errorf("log entry %d shows the security token", e.Seq)
		}
	}
}

func TestDuplicateParameter(t *testing.T) {
	clk := newClock()
	_, ts := newTestServer(t, Options{Now: clk.Now})
	c := newCaller(t, ts, clk.Now)
	v := c.form("QueryDomainList", "PageNum", "1", "PageSize", "10")
	v.Add("PageNum", "2")
	if r := c.send(v); r.code() != "InvalidParameter" {
		t.Fatalf("duplicate: %d %v", r.Status, r.Body)
	}
}

func TestTaskLifecycleAndBusy(t *testing.T) {
	clk := newClock()
	s, ts := newTestServer(t, Options{Now: clk.Now, WaitDelay: 10 * time.Second, ExecDelay: 20 * time.Second})
	s.AddDomain("example.com", []string{"ns1.old.net", "ns2.old.net"}, false)
	c := newCaller(t, ts, clk.Now)

	r := c.call("SaveBatchTaskForModifyingDomainDns", "DomainName.1", "example.com", "AliyunDns", "false",
		"DomainNameServer.1", "NS2.new.net.", "DomainNameServer.2", "ns1.new.net")
	if r.Status != 200 {
		t.Fatalf("submit: %v", r.Body)
	}
	no := r.Body["TaskNo"].(string)
	step := func(want string) {
		t.Helper()
		d := c.details(no)["example.com"]
		if d["TaskStatus"] != want {
			t.Fatalf("status %v, want %s", d["TaskStatus"], want)
		}
	}
	step("WAITING_EXECUTE")
	clk.Add(10 * time.Second)
	step("EXECUTING")
	if r := c.call("SaveSingleTaskForSynchronizingDnsHost", "InstanceId", s.Snapshot().Domains[0].InstanceID); r.code() != "TaskIsBeingProcessed" {
		t.Fatalf("second task while busy: %d %v", r.Status, r.Body)
	}
	if d, _ := s.Domain("example.com"); d.Nameservers[0] != "ns1.old.net" {
		t.Fatalf("changed before the task finished: %v", d.Nameservers)
	}
	clk.Add(20 * time.Second)
	step("EXECUTE_SUCCESS")
	d, _ := s.Domain("example.com")
	if diff := cmp.Diff([]string{"ns2.new.net", "ns1.new.net"}, d.Nameservers); diff != "" {
		t.Errorf("nameservers (-want +got):\n%s", diff)
	}
}

func TestNameserverChecks(t *testing.T) {
	tests := []struct {
		name       string
		registered []string
		ns         []string
		wantErr    string // "" = success
	}{
		{"external accepted by default", nil, []string{"ns1.elsewhere.net", "ns2.elsewhere.net"}, ""},
		{"glue host registered", nil, []string{"ns1.example.com", "ns9.elsewhere.net"}, ""},
		{"glue host missing", nil, []string{"ns7.example.com", "ns9.elsewhere.net"}, "ns7.example.com is not a registered DNS host of example.com"},
		{"glue only in registrar view", nil, []string{"ns2.example.com"}, "ns2.example.com is not a registered DNS host"},
		{"unregistered external", []string{"ns1.known.net"}, []string{"ns1.known.net", "ns1.unknown.net"}, "ns1.unknown.net is not registered"},
		{"alibaba servers", []string{}, []string{"ns1.alidns.com", "ns2.alidns.com"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			s, ts := newTestServer(t, Options{Now: clk.Now, RegisteredNameservers: tt.registered})
			s.AddDomain("example.com", nil, true)
			s.AddDomain("other.org", []string{"ns1.x.net"}, false)
			if err := s.SetRegistryHost("example.com", "ns1", []string{"192.0.2.1"}); err != nil {
				t.Fatal(err)
			}
			if err := s.SetRegistrarHost("example.com", "ns2.example.com", []string{"192.0.2.2"}); err != nil {
				t.Fatal(err)
			}
			c := newCaller(t, ts, clk.Now)
			kv := []string{"DomainName.1", "other.org", "AliyunDns", "false"}
			for i, n := range tt.ns {
				kv = append(kv, "DomainNameServer."+string(rune('1'+i)), n)
			}
			r := c.call("SaveBatchTaskForModifyingDomainDns", kv...)
			if r.Status != 200 {
				t.Fatalf("submit: %v", r.Body)
			}
			d := c.details(r.Body["TaskNo"].(string))["other.org"]
			got, _ := d["ErrorMsg"].(string)
			if tt.wantErr == "" {
				if d["TaskStatus"] != "EXECUTE_SUCCESS" {
					t.Fatalf("detail %v", d)
				}
				dom, _ := s.Domain("other.org")
				if diff := cmp.Diff(tt.ns, dom.Nameservers); diff != "" {
					t.Errorf("nameservers (-want +got):\n%s", diff)
				}
				return
			}
			if d["TaskStatus"] != "EXECUTE_FAILURE" || d["TaskStatusCode"].(float64) != 3 || !strings.Contains(got, tt.wantErr) {
				t.Fatalf("detail %v, want failure containing %q", d, tt.wantErr)
			}
			if d["TryCount"].(float64) != 5 {
				t.Errorf("TryCount %v, want 5", d["TryCount"])
			}
			if dom, _ := s.Domain("other.org"); dom.Nameservers[0] != "ns1.x.net" {
				t.Errorf("failed task changed nameservers: %v", dom.Nameservers)
			}
		})
	}
}

func TestDNSHostsTwoLayers(t *testing.T) {
	clk := newClock()
	s, ts := newTestServer(t, Options{Now: clk.Now})
	inst := s.AddDomain("example.com", []string{"ns1.example.com", "ns9.other.net"}, false)
	mustNil := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	mustNil(s.SetRegistryHost("example.com", "ns1", []string{"192.0.2.1"}))
	mustNil(s.SetRegistryHost("example.com", "ns2", []string{"192.0.2.2", "2001:db8::2"}))
	mustNil(s.SetRegistrarHost("example.com", "ns1", []string{"198.51.100.1"})) // inconsistent
	mustNil(s.SetRegistrarHost("example.com", "ns3", []string{"192.0.2.3"}))    // stale
	c := newCaller(t, ts, clk.Now)

	hosts := func() []any {
		t.Helper()
		r := c.call("QueryDnsHost", "InstanceId", inst)
		if r.Status != 200 {
			t.Fatalf("QueryDnsHost: %v", r.Body)
		}
		return r.Body["DnsHostList"].([]any)
	}
	want := []any{
		map[string]any{"DnsName": "ns1", "IpList": []any{"198.51.100.1"}},
		map[string]any{"DnsName": "ns3", "IpList": []any{"192.0.2.3"}},
	}
	if diff := cmp.Diff(want, hosts()); diff != "" {
		t.Fatalf("registrar view before sync (-want +got):\n%s", diff)
	}
	r := c.call("SaveSingleTaskForSynchronizingDnsHost", "InstanceId", inst)
	if r.Status != 200 || c.details(r.Body["TaskNo"].(string))["example.com"]["TaskType"] != "SYNC_DNSHOST" {
		t.Fatalf("sync: %v", r.Body)
	}
	want = []any{
		map[string]any{"DnsName": "ns1", "IpList": []any{"192.0.2.1"}},
		map[string]any{"DnsName": "ns2", "IpList": []any{"192.0.2.2", "2001:db8::2"}},
	}
	if diff := cmp.Diff(want, hosts()); diff != "" {
		t.Fatalf("registrar view after sync (-want +got):\n%s", diff)
	}

	type step struct {
		action string
		kv     []string
		status string
		msg    string
	}
	steps := []step{
		{"SaveSingleTaskForCreatingDnsHost", []string{"DnsName", "ns4.example.com", "Ip.1", "192.0.2.4"}, "EXECUTE_SUCCESS", ""},
		{"SaveSingleTaskForCreatingDnsHost", []string{"DnsName", "ns4", "Ip.1", "192.0.2.5"}, "EXECUTE_FAILURE", "already exists"},
		{"SaveSingleTaskForModifyingDnsHost", []string{"DnsName", "ns4", "Ip.1", "192.0.2.44", "Ip.2", "2001:db8::44"}, "EXECUTE_SUCCESS", ""},
		{"SaveSingleTaskForModifyingDnsHost", []string{"DnsName", "ns8", "Ip.1", "192.0.2.8"}, "EXECUTE_FAILURE", "does not exist"},
		{"SaveSingleTaskForDeletingDnsHost", []string{"DnsName", "ns1"}, "EXECUTE_FAILURE", "in use as a name server of example.com"},
		{"SaveSingleTaskForDeletingDnsHost", []string{"DnsName", "ns2"}, "EXECUTE_SUCCESS", ""},
	}
	for _, st := range steps {
		r := c.call(st.action, append([]string{"InstanceId", inst}, st.kv...)...)
		if r.Status != 200 {
			t.Fatalf("%s %v: %v", st.action, st.kv, r.Body)
		}
		d := c.details(r.Body["TaskNo"].(string))["example.com"]
		if d["TaskStatus"] != st.status || !strings.Contains(d["ErrorMsg"].(string), st.msg) {
			t.Errorf("%s %v: detail %v", st.action, st.kv, d)
		}
	}
	dom, _ := s.Domain("example.com")
	wantHosts := []HostState{{"ns1.example.com", []string{"192.0.2.1"}}, {"ns4.example.com", []string{"192.0.2.44", "2001:db8::44"}}}
	if diff := cmp.Diff(wantHosts, dom.RegistryHosts); diff != "" {
		t.Errorf("registry (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantHosts, dom.RegistrarHosts); diff != "" {
		t.Errorf("registrar (-want +got):\n%s", diff)
	}

	bad := []struct {
		kv   []string
		code string
	}{
		{[]string{"InstanceId", inst, "DnsName", "ns5"}, "MissingParameter"},
		{[]string{"InstanceId", inst, "DnsName", "ns5", "Ip.1", "999.1.1.1"}, "ParameterIllegal"},
		{[]string{"InstanceId", inst, "DnsName", "bad_name", "Ip.1", "192.0.2.5"}, "ParameterIllegal"},
		{[]string{"InstanceId", "S-unknown", "DnsName", "ns5", "Ip.1", "192.0.2.5"}, "ParameterIllegal"},
	}
	for _, b := range bad {
		if r := c.call("SaveSingleTaskForCreatingDnsHost", b.kv...); r.code() != b.code || r.Status != 400 {
			t.Errorf("%v: %d %q, want %s", b.kv, r.Status, r.code(), b.code)
		}
	}
}

func TestPagingAndFilters(t *testing.T) {
	clk := newClock()
	s, ts := newTestServer(t, Options{Now: clk.Now})
	kv := []string{"AliyunDns", "true"}
	for i := range 25 {
		name := "d" + string(rune('a'+i)) + ".example"
		s.AddDomain(name, []string{"ns1.x.net"}, false)
		kv = append(kv, "DomainName."+itoa(i+1), name)
	}
	c := newCaller(t, ts, clk.Now)
	r := c.call("SaveBatchTaskForModifyingDomainDns", kv...)
	no := r.Body["TaskNo"].(string)
	var seen []string
	for page := 1; ; page++ {
		r := c.call("QueryTaskDetailList", "TaskNo", no, "PageNum", itoa(page), "PageSize", "10")
		for _, d := range r.Body["Data"].(map[string]any)["TaskDetail"].([]any) {
			seen = append(seen, d.(map[string]any)["DomainName"].(string))
		}
		if r.Body["TotalPageNum"].(float64) != 3 || r.Body["TotalItemNum"].(float64) != 25 {
			t.Fatalf("paging fields: %v", r.Body)
		}
		if !r.Body["NextPage"].(bool) {
			break
		}
	}
	if len(seen) != 25 || seen[0] != "da.example" || seen[24] != "dy.example" {
		t.Errorf("details over pages: %v", seen)
	}
	if r := c.call("QueryTaskDetailList", "TaskNo", no, "PageNum", "1", "PageSize", "1001"); r.code() != "InvalidPageSize" {
		t.Errorf("PageSize 1001: %v", r.Body)
	}
	r = c.call("QueryDomainList", "PageNum", "1", "PageSize", "100", "DomainName", "dc.")
	doms := r.Body["Data"].(map[string]any)["Domain"].([]any)
	if len(doms) != 1 {
		t.Fatalf("filtered list: %v", doms)
	}
	dl := doms[0].(map[string]any)["DnsList"].(map[string]any)
	if diff := cmp.Diff(dl["Dns"], dl["DnsList"]); diff != "" || len(dl["Dns"].([]any)) != 2 {
		t.Errorf("DnsList: %v", dl)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
