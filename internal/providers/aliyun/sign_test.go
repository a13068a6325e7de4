package aliyun

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Spec §2.4 vectors. Each lists the parameters (Signature excluded).
func v1() map[string]string {
	return map[string]string{
		"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML", "SignatureMethod": "HMAC-SHA1",
		"SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0",
		"Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26",
	}
}

func v2(token bool) map[string]string {
	p := map[string]string{
		"AccessKeyId": "accessKeyId", "Action": "", "Format": "JSON", "RegionId": "regionId",
		"SignatureMethod": "HMAC-SHA1", "SignatureNonce": "MOCK_UUID", "SignatureType": "",
		"SignatureVersion": "1.0", "Timestamp": "mock date", "Version": "",
	}
	if token {
		p["SecurityToken"] = "accessKeyStsToken"
	}
	return p
}

func sdkCommon(nonce string) map[string]string {
	return map[string]string{
		"AccessKeyId": "LTAI-test-id", "Format": "JSON", "RegionId": "cn-hangzhou", "SignatureMethod": "HMAC-SHA1",
		"SignatureNonce": nonce, "SignatureType": "", "SignatureVersion": "1.0",
		"Timestamp": "2018-01-29T08:00:00Z", "Version": "2018-01-29",
	}
}

func with(p map[string]string, kv ...string) map[string]string {
	for i := 0; i < len(kv); i += 2 {
		p[kv[i]] = kv[i+1]
	}
	return p
}

func v3() map[string]string {
	return with(sdkCommon("f1c7b2e0-0c1a-4b7e-9d2a-000000000001"),
		"Action", "SaveBatchTaskForModifyingDomainDns", "AliyunDns", "false", "DomainName.1", "example.com",
		"DomainNameServer.1", "ns1.example.net", "DomainNameServer.2", "ns2.example.net", "Lang", "en")
}

func v4() map[string]string {
	return with(sdkCommon("f1c7b2e0-0c1a-4b7e-9d2a-000000000001"),
		"Action", "SaveSingleTaskForModifyingDnsHost", "DnsName", "ns1.example.com", "InstanceId", "S20179H1BBI9test",
		"Ip.1", "192.0.2.10", "Ip.2", "2001:db8::53", "UserClientIp", "127.0.0.1")
}

func v5() map[string]string {
	return with(sdkCommon("f1c7b2e0-0c1a-4b7e-9d2a-000000000001"),
		"Action", "QueryTaskDetailList", "DomainName", "例子.中国", "PageNum", "1", "PageSize", "1000",
		"TaskNo", "a b*c~d+e/f")
}

func v6() map[string]string {
	p := with(sdkCommon("f1c7b2e0-0c1a-4b7e-9d2a-000000000002"),
		"Action", "SaveBatchTaskForModifyingDomainDns", "AliyunDns", "false",
		"DomainNameServer.1", "ns1.example.net", "DomainNameServer.2", "ns2.example.net")
	for i := 1; i <= 11; i++ {
		p["DomainName."+strconv.Itoa(i)] = "d" + strconv.Itoa(i) + ".example"
	}
	return p
}

func TestSignVectors(t *testing.T) {
	tests := []struct {
		name, method, secret string
		params               map[string]string
		want                 string
	}{
		{"V-1 GET", "GET", "testsecret", v1(), "OLeaidS1JvxuMvnyHOwuJ+uX5qY="},
		{"V-1 POST", "POST", "testsecret", v1(), "MxbnVAM4w6sft9xjVpe/GCKueuk="},
		{"V-2 GET", "GET", "accessKeySecret", v2(false), "7loPmFjvDnzOVnQeQNj85S6nFGY="},
		{"V-2 GET token", "GET", "accessKeySecret", v2(true), "5Nxdcler+ihqWqv0Hr2On4PsBf4="},
		{"V-2 POST", "POST", "accessKeySecret", v2(false), "4CIK2DFr6jyKrv8SD31/SyTKEa4="},
		{"V-2 POST token", "POST", "accessKeySecret", v2(true), "CTPJv7GCZobJvYYttHLDwgzRd18="},
		{"V-3", "POST", "test-secret", v3(), "eBmJOwwW7XA77B+Tlx0fYTPGMUA="},
		{"V-4", "POST", "test-secret", v4(), "djVXiCWeKQSLMxkTqUyCOPIFzoM="},
		{"V-5", "POST", "test-secret", v5(), "HUt5TdBRUQ7+PBcJSJUX4yy1Kr8="},
		{"V-6", "POST", "test-secret", v6(), "ZFAwWnyAjOE7hg3Hxy9vSLMPE8c="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sign(tt.method, tt.params, tt.secret); got != tt.want {
				t.Errorf("Sign = %s, want %s\nstring to sign: %s", got, tt.want, StringToSign(tt.method, tt.params))
			}
			// A Signature already in the set must not take part.
			tt.params["Signature"] = "ignored"
			if got := Sign(tt.method, tt.params, tt.secret); got != tt.want {
				t.Errorf("Sign with Signature present = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCanonicalAndStringToSign(t *testing.T) {
	tests := []struct {
		name           string
		params         map[string]string
		canonical, sts string
	}{
		{"V-1", v1(),
			"AccessKeyId=testid&Action=DescribeRegions&Format=XML&SignatureMethod=HMAC-SHA1&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0&Timestamp=2016-02-23T12%3A46%3A24Z&Version=2014-05-26",
			"GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"},
		{"V-2", v2(false),
			"AccessKeyId=accessKeyId&Action=&Format=JSON&RegionId=regionId&SignatureMethod=HMAC-SHA1&SignatureNonce=MOCK_UUID&SignatureType=&SignatureVersion=1.0&Timestamp=mock%20date&Version=", ""},
		{"V-3", v3(),
			"AccessKeyId=LTAI-test-id&Action=SaveBatchTaskForModifyingDomainDns&AliyunDns=false&DomainName.1=example.com&DomainNameServer.1=ns1.example.net&DomainNameServer.2=ns2.example.net&Format=JSON&Lang=en&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1&SignatureNonce=f1c7b2e0-0c1a-4b7e-9d2a-000000000001&SignatureType=&SignatureVersion=1.0&Timestamp=2018-01-29T08%3A00%3A00Z&Version=2018-01-29",
			"POST&%2F&AccessKeyId%3DLTAI-test-id%26Action%3DSaveBatchTaskForModifyingDomainDns%26AliyunDns%3Dfalse%26DomainName.1%3Dexample.com%26DomainNameServer.1%3Dns1.example.net%26DomainNameServer.2%3Dns2.example.net%26Format%3DJSON%26Lang%3Den%26RegionId%3Dcn-hangzhou%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Df1c7b2e0-0c1a-4b7e-9d2a-000000000001%26SignatureType%3D%26SignatureVersion%3D1.0%26Timestamp%3D2018-01-29T08%253A00%253A00Z%26Version%3D2018-01-29"},
		{"V-4", v4(),
			"AccessKeyId=LTAI-test-id&Action=SaveSingleTaskForModifyingDnsHost&DnsName=ns1.example.com&Format=JSON&InstanceId=S20179H1BBI9test&Ip.1=192.0.2.10&Ip.2=2001%3Adb8%3A%3A53&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1&SignatureNonce=f1c7b2e0-0c1a-4b7e-9d2a-000000000001&SignatureType=&SignatureVersion=1.0&Timestamp=2018-01-29T08%3A00%3A00Z&UserClientIp=127.0.0.1&Version=2018-01-29",
			"POST&%2F&AccessKeyId%3DLTAI-test-id%26Action%3DSaveSingleTaskForModifyingDnsHost%26DnsName%3Dns1.example.com%26Format%3DJSON%26InstanceId%3DS20179H1BBI9test%26Ip.1%3D192.0.2.10%26Ip.2%3D2001%253Adb8%253A%253A53%26RegionId%3Dcn-hangzhou%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Df1c7b2e0-0c1a-4b7e-9d2a-000000000001%26SignatureType%3D%26SignatureVersion%3D1.0%26Timestamp%3D2018-01-29T08%253A00%253A00Z%26UserClientIp%3D127.0.0.1%26Version%3D2018-01-29"},
		{"V-5", v5(),
			"AccessKeyId=LTAI-test-id&Action=QueryTaskDetailList&DomainName=%E4%BE%8B%E5%AD%90.%E4%B8%AD%E5%9B%BD&Format=JSON&PageNum=1&PageSize=1000&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1&SignatureNonce=f1c7b2e0-0c1a-4b7e-9d2a-000000000001&SignatureType=&SignatureVersion=1.0&TaskNo=a%20b%2Ac~d%2Be%2Ff&Timestamp=2018-01-29T08%3A00%3A00Z&Version=2018-01-29",
			"POST&%2F&AccessKeyId%3DLTAI-test-id%26Action%3DQueryTaskDetailList%26DomainName%3D%25E4%25BE%258B%25E5%25AD%2590.%25E4%25B8%25AD%25E5%259B%25BD%26Format%3DJSON%26PageNum%3D1%26PageSize%3D1000%26RegionId%3Dcn-hangzhou%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Df1c7b2e0-0c1a-4b7e-9d2a-000000000001%26SignatureType%3D%26SignatureVersion%3D1.0%26TaskNo%3Da%2520b%252Ac~d%252Be%252Ff%26Timestamp%3D2018-01-29T08%253A00%253A00Z%26Version%3D2018-01-29"},
		{"V-6", v6(),
			"AccessKeyId=LTAI-test-id&Action=SaveBatchTaskForModifyingDomainDns&AliyunDns=false&DomainName.1=d1.example&DomainName.10=d10.example&DomainName.11=d11.example&DomainName.2=d2.example&DomainName.3=d3.example&DomainName.4=d4.example&DomainName.5=d5.example&DomainName.6=d6.example&DomainName.7=d7.example&DomainName.8=d8.example&DomainName.9=d9.example&DomainNameServer.1=ns1.example.net&DomainNameServer.2=ns2.example.net&Format=JSON&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1&SignatureNonce=f1c7b2e0-0c1a-4b7e-9d2a-000000000002&SignatureType=&SignatureVersion=1.0&Timestamp=2018-01-29T08%3A00%3A00Z&Version=2018-01-29",
			"POST&%2F&AccessKeyId%3DLTAI-test-id%26Action%3DSaveBatchTaskForModifyingDomainDns%26AliyunDns%3Dfalse%26DomainName.1%3Dd1.example%26DomainName.10%3Dd10.example%26DomainName.11%3Dd11.example%26DomainName.2%3Dd2.example%26DomainName.3%3Dd3.example%26DomainName.4%3Dd4.example%26DomainName.5%3Dd5.example%26DomainName.6%3Dd6.example%26DomainName.7%3Dd7.example%26DomainName.8%3Dd8.example%26DomainName.9%3Dd9.example%26DomainNameServer.1%3Dns1.example.net%26DomainNameServer.2%3Dns2.example.net%26Format%3DJSON%26RegionId%3Dcn-hangzhou%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Df1c7b2e0-0c1a-4b7e-9d2a-000000000002%26SignatureType%3D%26SignatureVersion%3D1.0%26Timestamp%3D2018-01-29T08%253A00%253A00Z%26Version%3D2018-01-29"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.canonical, CanonicalQuery(tt.params)); diff != "" {
				t.Errorf("canonical query (-want +got):\n%s", diff)
			}
			method := "POST"
			if tt.name == "V-1" {
				method = "GET"
			}
			if tt.sts != "" {
				if diff := cmp.Diff(tt.sts, StringToSign(method, tt.params)); diff != "" {
					t.Errorf("string to sign (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestPercentEncode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"AZaz09-_.~", "AZaz09-_.~"},
		{"a b", "a%20b"},
		{"*", "%2A"},
		{"+/:=&", "%2B%2F%3A%3D%26"},
		{"例", "%E4%BE%8B"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := PercentEncode(tt.in); got != tt.want {
			t.Errorf("PercentEncode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSignedBodyMatchesV3 builds the wire body of a real call with the
// timestamp and nonce pinned to V-3 and checks the signature it carries.
func TestSignedBodyMatchesV3(t *testing.T) {
	c, err := New(Options{
		AccessKeyID: "LTAI-test-id", AccessKeySecret: "test-secret", Lang: "en", RegionID: "cn-hangzhou",
		Now: func() time.Time { return time.Date(2018, 1, 29, 8, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	c.nonce = func() string { return "f1c7b2e0-0c1a-4b7e-9d2a-000000000001" }
	p := map[string]string{"AliyunDns": "false"}
	addList(p, "DomainName", []string{"example.com"})
	addList(p, "DomainNameServer", []string{"ns1.example.net", "ns2.example.net"})
	body, _, sig := c.signedBody(&callState{action: "SaveBatchTaskForModifyingDomainDns", params: p, write: true})
	if sig != "eBmJOwwW7XA77B+Tlx0fYTPGMUA=" {
		t.Errorf("signature %s, want V-3's", sig)
	}
	got, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{}
	for k, v := range v3() {
		want.Set(k, v)
	}
	want.Set("Signature", "eBmJOwwW7XA77B+Tlx0fYTPGMUA=")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}
