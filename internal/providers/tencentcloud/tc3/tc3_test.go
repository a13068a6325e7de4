package tc3

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	exampleID  = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
	exampleKey = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
)

// TestVectors checks the spec's vectors (§1.4): Tencent's published CVM
// example (A) and the dnspod cases B1–B3, every intermediate value.
func TestVectors(t *testing.T) {
	tests := []struct {
		name                            string
		in                              Input
		hashedPayload, hashedCanonical  string
		kDate, kService, kSigning, sign string
		scope                           string
	}{
		{
			name: "A cvm published example",
			in: Input{Method: "POST", Service: "cvm", Timestamp: 1551113065,
				Headers: map[string]string{"Content-Type": "application/json; charset=utf-8", "Host": "cvm.tencentcloudapi.com"},
				Payload: []byte(`{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`)},
			hashedPayload:   "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064",
			hashedCanonical: "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031",
			kDate:           "d1308c81fe71cfd4e06437bbc067b2b8a3d2d8c0e375d547f15c41d5214b395a",
			kService:        "3c7cb7c7795393edc14fd2e0e6434a518564b4504b88e94f5d11bf59ba3e7050",
			kSigning:        "ac658d5dde49e9bfdd14e04e062f66b05d9f637d44b8a8d845327d4a77f666b1",
			sign:            "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
			scope:           "2019-02-25/cvm/tc3_request",
		},
		{
			name: "B1 dnspod content-type;host",
			in: Input{Method: "POST", Service: "dnspod", Timestamp: 1700000000,
				Headers: map[string]string{"content-type": "application/json", "host": "dnspod.tencentcloudapi.com"},
				Payload: []byte(`{"Domain":"example.com","Limit":3000,"Offset":0}`)},
			hashedPayload:   "84a217c715cea288213f0269df73ff0c3685d2a35c22dfc25a1531e28fdc4f87",
			hashedCanonical: "70a39e955c87165801d3e307fa0973206e53740e8988285d256e351aff519e55",
			sign:            "db7c73e96f9268df98647de1fa482c1f5112a5be2b6cec30b7a3aef23675a6f6",
			scope:           "2023-11-14/dnspod/tc3_request",
		},
		{
			name: "B2 dnspod signing x-tc-action",
			in: Input{Method: "POST", Service: "dnspod", Timestamp: 1700000000,
				// The value is lower-cased by canonicalisation.
				Headers: map[string]string{"Content-Type": "application/json", "Host": "dnspod.tencentcloudapi.com", "X-TC-Action": "DescribeRecordList"},
				Payload: []byte(`{"Domain":"example.com","Limit":3000,"Offset":0}`)},
			hashedPayload:   "84a217c715cea288213f0269df73ff0c3685d2a35c22dfc25a1531e28fdc4f87",
			hashedCanonical: "ceab772be6240a01e49283619d7cc937dbb6d626314f3f37a34a0048d8e92233",
			sign:            "d6bce6c38ca487cd0530f59a6336b4b5da7b2115f69b4ed960415e9cf8da34f8",
			scope:           "2023-11-14/dnspod/tc3_request",
		},
		{
			name: "B3 dnspod loopback host with port",
			in: Input{Method: "POST", Service: "dnspod", Timestamp: 1700000000,
				Headers: map[string]string{"content-type": "application/json", "host": "127.0.0.1:8080"},
				Payload: []byte(`{"JobId":12345}`)},
			hashedPayload:   "cde907d952e7c3253df7b2eb58f494496c7a7e1f792a7171c82c6b9da4e995eb",
			hashedCanonical: "9ab661490e9f31118986402793aea4400145033155644c6ad7a9ea8ce043161d",
			sign:            "ff7c4a39a624be3fb20b49da56108f242538011855483d888c53eee3cce9264e",
			scope:           "2023-11-14/dnspod/tc3_request",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Compute(tt.in, exampleKey)
			got := map[string]string{
				"hashed payload": s.HashedPayload, "hashed canonical request": s.HashedCanonicalRequest,
				"scope": s.CredentialScope, "signature": s.Signature,
			}
			want := map[string]string{
				"hashed payload": tt.hashedPayload, "hashed canonical request": tt.hashedCanonical,
				"scope": tt.scope, "signature": tt.sign,
			}
			if tt.kDate != "" {
				got["kDate"], got["kService"], got["kSigning"] = hex.EncodeToString(s.KDate), hex.EncodeToString(s.KService), hex.EncodeToString(s.KSigning)
				want["kDate"], want["kService"], want["kSigning"] = tt.kDate, tt.kService, tt.kSigning
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got):\n%s\ncanonical request:\n%s", d, s.CanonicalRequest)
			}
		})
	}
}

// TestCanonicalRequestShape pins the layout of step 1: six lines, an empty
// line after the header block, no trailing newline.
func TestCanonicalRequestShape(t *testing.T) {
	s := Compute(Input{Method: "POST", Service: "dnspod", Timestamp: 1700000000,
		Headers: map[string]string{"Host": " Dnspod.TencentCloudAPI.com ", "Content-Type": "application/json"},
		Payload: []byte(`{}`)}, exampleKey)
	want := "POST\n/\n\ncontent-type:application/json\nhost:dnspod.tencentcloudapi.com\n\ncontent-type;host\n" + HashHex([]byte(`{}`))
	if d := cmp.Diff(want, s.CanonicalRequest); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	if want := "TC3-HMAC-SHA256\n1700000000\n2023-11-14/dnspod/tc3_request\n" + s.HashedCanonicalRequest; s.StringToSign != want {
		t.Fatalf("string to sign %q", s.StringToSign)
	}
}

func TestUnsignedPayload(t *testing.T) {
	in := Input{Method: "POST", Service: "dnspod", Timestamp: 1700000000, Unsigned: true,
		Headers: map[string]string{"content-type": "application/json", "host": "h"}, Payload: []byte(`{"a":1}`)}
	a := Compute(in, exampleKey)
	in.Payload = []byte(`{"a":2}`)
	b := Compute(in, exampleKey)
	if a.HashedPayload != HashHex([]byte(UnsignedPayload)) || a.Signature != b.Signature {
		t.Fatalf("unsigned payload must not depend on the body: %s %s", a.Signature, b.Signature)
	}
}

// TestDateIsUTC: 1551113065 is 2019-02-26 in UTC+8 but 2019-02-25 in UTC.
func TestDateIsUTC(t *testing.T) {
	if got := Date(1551113065); got != "2019-02-25" {
		t.Fatalf("Date = %s", got)
	}
}

func TestAuthorizationRoundTrip(t *testing.T) {
	s := Compute(Input{Method: "POST", Service: "dnspod", Timestamp: 1700000000,
		Headers: map[string]string{"content-type": "application/json", "host": "dnspod.tencentcloudapi.com"},
		Payload: []byte(`{"Domain":"example.com","Limit":3000,"Offset":0}`)}, exampleKey)
	h := Authorization(exampleID, s)
	want := "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2023-11-14/dnspod/tc3_request, SignedHeaders=content-type;host, Signature=db7c73e96f9268df98647de1fa482c1f5112a5be2b6cec30b7a3aef23675a6f6"
	if h != want {
		t.Fatalf("Authorization\n got %s\nwant %s", h, want)
	}
	a, err := ParseAuthorization(h)
	if err != nil {
		t.Fatal(err)
	}
	wantAuth := Auth{SecretID: exampleID, Date: "2023-11-14", Service: "dnspod", Terminator: Terminator,
		SignedHeaders: []string{"content-type", "host"}, Signature: s.Signature}
	if d := cmp.Diff(wantAuth, a); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

func TestParseAuthorizationRejects(t *testing.T) {
	for _, h := range []string{
		"",
		"HMAC-SHA256 Credential=a/2023-11-14/dnspod/tc3_request, SignedHeaders=host, Signature=00",
		"TC3-HMAC-SHA256 Credential=a/2023-11-14/dnspod, SignedHeaders=host, Signature=00",
		"TC3-HMAC-SHA256 Credential=a/2023-11-14/dnspod/tc3_request, Signature=00",
		"TC3-HMAC-SHA256 Credential=a/2023-11-14/dnspod/tc3_request, SignedHeaders=host, Signature=00, Extra=1",
		"TC3-HMAC-SHA256 Credential=a/2023-11-14/dnspod/tc3_request, SignedHeaders=host, SignedHeaders=host, Signature=00",
		"TC3-HMAC-SHA256 Credential=/2023-11-14/dnspod/tc3_request, SignedHeaders=host, Signature=00",
		"TC3-HMAC-SHA256 garbage",
	} {
		if _, err := ParseAuthorization(h); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseAuthorization(%q) = %v, want ErrMalformed", h, err)
		}
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("TC3-HMAC-SHA256 Credential=AKID/2023-11-14/dnspod/tc3_request, SignedHeaders=content-type;host, Signature=ab")
	f.Add("TC3-HMAC-SHA256 Credential=a/b/c/d,SignedHeaders=x,Signature=y")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := ParseAuthorization(h)
		if err != nil {
			return
		}
		if a.SecretID == "" || a.Signature == "" || len(a.SignedHeaders) == 0 {
			t.Fatalf("accepted incomplete header %q: %+v", h, a)
		}
	})
}
