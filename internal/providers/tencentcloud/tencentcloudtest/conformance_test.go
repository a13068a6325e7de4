package tencentcloudtest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	sdkerrors "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud/tencentcloudtest"
)

// The official SDK's common package (v1.3.213) is the conformance client:
// its signed requests must be accepted and a tampered one refused. The
// generated dnspod service package is not obtainable from the module
// proxy, so the dnspod actions go through the SDK's CommonRequest, which
// signs and sends exactly as the generated client does.

const (
	sdkID  = "AKIDsdkconformance000000000000000000"
	sdkKey = "sdk-conformance-secret-key-EXAMPLE"
)

// tamper rewrites the body after the SDK signed it.
type tamper struct {
	base http.RoundTripper
	on   bool
}

func (t *tamper) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.on && r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		b = bytes.Replace(b, []byte("example.com"), []byte("example.org"), 1)
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
	}
	return t.base.RoundTrip(r)
}

func sdkClient(t *testing.T, ts *httptest.Server, cred common.CredentialIface, tr http.RoundTripper) *common.Client {
	t.Helper()
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		t.Setenv(k, "")
	}
	cp := profile.NewClientProfile()
	cp.HttpProfile.Endpoint = ts.Listener.Addr().String()
	cp.HttpProfile.Scheme = "HTTP"
	cp.HttpProfile.ReqTimeout = 5
	c := common.NewCommonClient(cred, "", cp)
	if tr != nil {
		c.WithHttpTransport(tr)
	}
	return c
}

func send(c *common.Client, action string, params map[string]any) (map[string]any, error) {
	req := tchttp.NewCommonRequest("dnspod", "2021-03-23", action)
	if err := req.SetActionParameters(params); err != nil {
		return nil, err
	}
	resp := tchttp.NewCommonResponse()
	if err := c.Send(req, resp); err != nil {
		return nil, err
	}
	var out struct{ Response map[string]any }
	if err := json.Unmarshal(resp.GetBody(), &out); err != nil {
		return nil, err
	}
	return out.Response, nil
}

func sdkCode(err error) string {
	var se *sdkerrors.TencentCloudSDKError
	if errors.As(err, &se) {
		return se.Code
	}
	return ""
}

func TestSDKConformance(t *testing.T) {
	emu := tencentcloudtest.New(tencentcloudtest.Options{})
	emu.AddKey(sdkID, sdkKey)
	dom, err := emu.AddDomain("example.com", "DP_FREE")
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(emu)
	defer ts.Close()
	tr := &tamper{base: http.DefaultTransport}
	c := sdkClient(t, ts, common.NewCredential(sdkID, sdkKey), tr)

	r, err := send(c, "DescribeDomainList", map[string]any{})
	if err != nil {
		t.Fatalf("DescribeDomainList: %v", err)
	}
	if list := r["DomainList"].([]any); len(list) != 1 || list[0].(map[string]any)["Name"] != "example.com" || r["RequestId"] == "" {
		t.Fatalf("answer %v", r)
	}

	// CreateRecordBatch with DomainIdList as strings (the SDK's type), then
	// the task and the records it made.
	r, err = send(c, "CreateRecordBatch", map[string]any{
		"DomainIdList": []string{jsonNum(dom)},
		"RecordList": []map[string]any{
			{"SubDomain": "www", "RecordType": "A", "RecordLine": model.DefaultLine, "Value": "192.0.2.1", "TTL": 600},
			{"SubDomain": "@", "RecordType": "MX", "RecordLine": model.DefaultLine, "Value": "mx.example.net.", "MX": 10, "TTL": 600},
		},
	})
	if err != nil {
		t.Fatalf("CreateRecordBatch: %v", err)
	}
	job := r["JobId"].(float64)
	r, err = send(c, "DescribeBatchTask", map[string]any{"JobId": job})
	if err != nil {
		t.Fatalf("DescribeBatchTask: %v", err)
	}
	if r["SuccessCount"].(float64) != 2 || r["JobType"] != "record_add" {
		t.Fatalf("task %v", r)
	}
	r, err = send(c, "DescribeRecordList", map[string]any{"Domain": "example.com", "Limit": 3000})
	if err != nil {
		t.Fatalf("DescribeRecordList: %v", err)
	}
	var got []string
	for _, x := range r["RecordList"].([]any) {
		m := x.(map[string]any)
		if m["DefaultNS"] == true {
			continue
		}
		got = append(got, m["Name"].(string)+" "+m["Type"].(string)+" "+m["Value"].(string))
	}
	if d := cmp.Diff([]string{"www A 192.0.2.1", "@ MX mx.example.net."}, got); d != "" {
		t.Fatalf("records (-want +got):\n%s", d)
	}

	// Tampered after signing: refused, and nothing changed.
	tr.on = true
	_, err = send(c, "CreateRecord", map[string]any{"Domain": "example.com", "SubDomain": "evil", "RecordType": "A", "RecordLine": model.DefaultLine, "Value": "192.0.2.66"})
	if code := sdkCode(err); code != "AuthFailure.SignatureFailure" {
		t.Fatalf("tampered request: %v", err)
	}
	tr.on = false
	for _, rec := range emu.Records("example.com") {
		if rec.Name == "evil" {
			t.Fatal("tampered request was carried out")
		}
	}

	// A wrong key, an unknown id, and temporary credentials with a token.
	if _, err := send(sdkClient(t, ts, common.NewCredential(sdkID, "wrong"), nil), "DescribeDomainList", nil); sdkCode(err) != "AuthFailure.SignatureFailure" {
		t.Fatalf("wrong key: %v", err)
	}
	if _, err := send(sdkClient(t, ts, common.NewCredential("AKIDnobody", sdkKey), nil), "DescribeDomainList", nil); sdkCode(err) != "AuthFailure.SecretIdNotFound" {
		t.Fatalf("unknown id: %v", err)
	}
	emu.AddTempKey("AKIDtemporary", sdkKey, "sts-token")
	if _, err := send(sdkClient(t, ts, common.NewTokenCredential("AKIDtemporary", sdkKey, "sts-token"), nil), "DescribeDomainList", nil); err != nil {
		t.Fatalf("token credential: %v", err)
	}
	if _, err := send(sdkClient(t, ts, common.NewTokenCredential("AKIDtemporary", sdkKey, "other"), nil), "DescribeDomainList", nil); sdkCode(err) != "AuthFailure.TokenFailure" {
		t.Fatalf("wrong token: %v", err)
	}

	// The SDK's rate-limit retry reads the code from an HTTP 200 body.
	emu.Inject(tencentcloudtest.Injection{Action: "DescribeDomainList", Kind: tencentcloudtest.FaultRequestLimit})
	if _, err := send(c, "DescribeDomainList", nil); sdkCode(err) != "RequestLimitExceeded" {
		t.Fatalf("throttled: %v", err)
	}

	// The log never holds credentials.
	b, _ := json.Marshal(emu.Log())
	for _, s := range []string{sdkKey, "sts-token"} {
		if strings.Contains(string(b), s) {
			t.Fatalf("log holds %q", s)
		}
	}
	if !strings.Contains(string(b), "CreateRecordBatch") {
		t.Fatal("log misses the batch")
	}
}

func jsonNum(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
