package aliyuntest_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/domain"
	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/providers/aliyun/aliyuntest"
)

// The official Alibaba Cloud Go SDK (services/domain, v1.63.107) is the
// conformance client: if it can drive the emulator, the emulator speaks
// the protocol the SDK was built for.

func clearProxy(t *testing.T) {
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		t.Setenv(k, "")
	}
}

func sdkClient(t *testing.T, ts *httptest.Server, cred interface{}) *domain.Client {
	t.Helper()
	var c *domain.Client
	var err error
	cfg := sdk.NewConfig().WithScheme("HTTP").WithTimeout(5 * time.Second)
	switch cr := cred.(type) {
	case *credentials.AccessKeyCredential:
		c, err = domain.NewClientWithOptions("cn-hangzhou", cfg, cr)
	case *credentials.StsTokenCredential:
		c, err = domain.NewClientWithOptions("cn-hangzhou", cfg, cr)
	}
	if err != nil {
		t.Fatal(err)
	}
	c.Domain = ts.Listener.Addr().String()
	return c
}

func TestSDKConformance(t *testing.T) {
	clearProxy(t)
	s := aliyuntest.New(aliyuntest.Options{WaitDelay: 10 * time.Millisecond, ExecDelay: 20 * time.Millisecond})
	s.AddKey("LTAI-test-id", "test-secret")
	s.AddSTSKey("STS.test", "sts-secret", "sts-token")
	inst := s.AddDomain("example.com", []string{"ns1.old.net", "ns2.old.net"}, false)
	if err := s.SetRegistryHost("example.com", "ns1", []string{"192.0.2.53", "2001:db8::53"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRegistrarHost("example.com", "ns1", []string{"192.0.2.53", "2001:db8::53"}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	c := sdkClient(t, ts, credentials.NewAccessKeyCredential("LTAI-test-id", "test-secret"))

	req := domain.CreateSaveBatchTaskForModifyingDomainDnsRequest()
	req.DomainName = &[]string{"example.com"}
	req.DomainNameServer = &[]string{"ns1.example.com", "ns2.example.net"}
	req.AliyunDns = requests.NewBoolean(false)
	req.Lang = "en"
	resp, err := c.SaveBatchTaskForModifyingDomainDns(req)
	if err != nil {
		t.Fatalf("SaveBatchTaskForModifyingDomainDns: %v", err)
	}
	if resp.TaskNo == "" || resp.RequestId == "" {
		t.Fatalf("answer without TaskNo/RequestId: %+v", resp)
	}

	var detail domain.TaskDetail
	for deadline := time.Now().Add(5 * time.Second); ; {
		q := domain.CreateQueryTaskDetailListRequest()
		q.TaskNo = resp.TaskNo
		q.PageNum = requests.NewInteger(1)
		q.PageSize = requests.NewInteger(1000)
		qr, err := c.QueryTaskDetailList(q)
		if err != nil {
			t.Fatalf("QueryTaskDetailList: %v", err)
		}
		if len(qr.Data.TaskDetail) != 1 || qr.TotalItemNum != 1 {
			t.Fatalf("details: %+v", qr)
		}
		detail = qr.Data.TaskDetail[0]
		if detail.TaskStatusCode >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task still %s", detail.TaskStatus)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if detail.TaskStatus != "EXECUTE_SUCCESS" || detail.DomainName != "example.com" || detail.InstanceId != inst || detail.TaskType != "CHG_DNS" {
		t.Fatalf("detail: %+v", detail)
	}

	hq := domain.CreateQueryDnsHostRequest()
	hq.InstanceId = inst
	hr, err := c.QueryDnsHost(hq)
	if err != nil {
		t.Fatalf("QueryDnsHost: %v", err)
	}
	want := []domain.DnsHost{{DnsName: "ns1", IpList: []string{"192.0.2.53", "2001:db8::53"}}}
	if diff := cmp.Diff(want, hr.DnsHostList); diff != "" {
		t.Errorf("DnsHostList (-want +got):\n%s", diff)
	}

	dq := domain.CreateQueryDomainByDomainNameRequest()
	dq.DomainName = "example.com"
	dr, err := c.QueryDomainByDomainName(dq)
	if err != nil {
		t.Fatalf("QueryDomainByDomainName: %v", err)
	}
	if diff := cmp.Diff([]string{"ns1.example.com", "ns2.example.net"}, dr.DnsList.Dns); diff != "" || dr.InstanceId != inst {
		t.Errorf("domain %s (-want +got):\n%s", dr.InstanceId, diff)
	}

	// STS credentials: the token is signed like any other parameter.
	sc := sdkClient(t, ts, credentials.NewStsTokenCredential("STS.test", "sts-secret", "sts-token"))
	lq := domain.CreateQueryDomainListRequest()
	lq.PageNum = requests.NewInteger(1)
	lq.PageSize = requests.NewInteger(10)
	lr, err := sc.QueryDomainList(lq)
	if err != nil {
		t.Fatalf("QueryDomainList with STS: %v", err)
	}
	if len(lr.Data.Domain) != 1 || lr.Data.Domain[0].InstanceId != inst {
		t.Errorf("domain list: %+v", lr.Data)
	}

	// A business error comes back as the SDK's ServerError.
	dq.DomainName = "missing.example"
	_, err = c.QueryDomainByDomainName(dq)
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) || se.ErrorCode() != "DomainNotExist" || se.HttpStatus() != 400 || se.RequestId() == "" {
		t.Errorf("unknown domain: %v", err)
	}
}

type rewrite func(*http.Request)

func (f rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	f(r)
	return http.DefaultTransport.RoundTrip(r)
}

func TestSDKSignatureRefused(t *testing.T) {
	clearProxy(t)
	s := aliyuntest.New(aliyuntest.Options{})
	s.AddKey("LTAI-test-id", "test-secret")
	s.AddDomain("example.com", []string{"ns1.old.net"}, false)
	ts := httptest.NewServer(s)
	defer ts.Close()

	tests := []struct {
		name, secret  string
		tamper        bool
		wantRecommend string
	}{
		// Same string to sign on both sides, different key: the SDK blames the secret.
		{"wrong secret", "not-the-secret", false, "InvalidAccessKeySecret"},
		// Signature altered in flight.
		{"tampered signature", "test-secret", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sdkClient(t, ts, credentials.NewAccessKeyCredential("LTAI-test-id", tt.secret))
			if tt.tamper {
				c.SetTransport(rewrite(func(r *http.Request) {
					q := r.URL.Query()
					sig := q.Get("Signature")
					q.Set("Signature", "A"+sig[1:])
					if sig[0] == 'A' {
						q.Set("Signature", "B"+sig[1:])
					}
					r.URL.RawQuery = q.Encode()
				}))
			}
			req := domain.CreateSaveBatchTaskForModifyingDomainDnsRequest()
			req.DomainName = &[]string{"example.com"}
			req.DomainNameServer = &[]string{"ns1.new.net"}
			req.AliyunDns = requests.NewBoolean(false)
			_, err := c.SaveBatchTaskForModifyingDomainDns(req)
			var se *sdkerrors.ServerError
			if !errors.As(err, &se) || se.ErrorCode() != "SignatureDoesNotMatch" {
				t.Fatalf("want SignatureDoesNotMatch, got %v", err)
			}
			if se.HttpStatus() != 403 {
				t.Errorf("HTTP %d, want 403", se.HttpStatus())
			}
			if !strings.Contains(se.Message(), "server string to sign is:POST&%2F&") {
				t.Errorf("message: %s", se.Message())
			}
			if tt.wantRecommend != "" && !strings.Contains(se.Recommend(), tt.wantRecommend) {
				t.Errorf("recommend %q, want it to blame the secret", se.Recommend())
			}
		})
	}
	if d, _ := s.Domain("example.com"); d.Nameservers[0] != "ns1.old.net" {
		t.Errorf("refused request changed state: %v", d.Nameservers)
	}
	for _, e := range s.Log() {
		if e.Committed || e.Code != "SignatureDoesNotMatch" {
			t.Errorf("log: %+v", e)
		}
	}
}
