package dnspod

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest"
)

// emulatorPage is a Record.List page as the emulator answers it, for a
// zone of n records of several types and lines.
func emulatorPage(t testing.TB, n int) []byte {
	t.Helper()
	pod := dnspodtest.New(dnspodtest.Options{})
	pod.AddToken("4242", "0123456789abcdef0123456789abcdef")
	if _, err := pod.AddDomain("example.com", "DP_Extra"); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		r := model.Record{Name: fmt.Sprintf("h%d", i), Type: model.TypeA, Line: model.DefaultLine, TTL: 600, Enabled: i%7 != 0,
			Value: fmt.Sprintf("192.0.2.%d", i%250)}
		switch i % 4 {
		case 1:
			r.Type, r.Value = model.TypeMX, fmt.Sprintf("mx%d.example.net.", i)
			r.MX = 10
		case 2:
			r.Type, r.Value = model.TypeTXT, fmt.Sprintf(`"v=spf1 include:%d.example.net ~all"`, i)
		case 3:
			r.Type, r.Value, r.Line, r.TTL = model.TypeCNAME, "t.example.net.", "电信", 60
		}
		if _, err := pod.AddRecord("example.com", r); err != nil {
			t.Fatal(err)
		}
	}
	form := url.Values{"login_token": {"4242,0123456789abcdef0123456789abcdef"}, "format": {"json"},
		"domain": {"example.com"}, "offset": {"0"}, "length": {"3000"}}
	req := httptest.NewRequest(http.MethodPost, "/Record.List", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	pod.ServeHTTP(w, req)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"records"`) {
		t.Fatalf("Record.List: %d %s", w.Code, w.Body.String())
	}
	return w.Body.Bytes()
}

// sameAsEncodingJSON checks the property the fast decoder must keep: when
// it decodes data, encoding/json decodes it without error into the same
// answer. It reports whether the fast decoder took it.
func sameAsEncodingJSON(t *testing.T, data []byte) bool {
	t.Helper()
	fast := recordListAnswer{size: 4}
	fast.reset()
	if !decodeRecordList(data, &fast) {
		return false
	}
	slow := recordListAnswer{size: 4}
	slow.reset()
	if err := json.Unmarshal(data, &slow); err != nil {
		t.Fatalf("fast decoder took %q, which encoding/json rejects: %v", data, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("decoding %q:\nfast %+v\nslow %+v", data, fast, slow)
	}
	return true
}

func TestDecodeRecordListLikeEncodingJSON(t *testing.T) {
	page := emulatorPage(t, 200)
	if !sameAsEncodingJSON(t, page) {
		t.Fatal("the fast decoder left the emulator's page to encoding/json")
	}
	cases := []struct {
		in   string
		fast bool // the fast decoder must take it
	}{
		{`{"status":{"code":"1","message":"ok","created_at":"2026-01-01 00:00:00"},"records":[]}`, true},
		{` {"status":{"code":1},"info":{"record_total":"3","sub_domains":7,"records_num":null}} ` + "\n", true},
		{`{"records":[{"id":1,"ttl":600,"enabled":true,"weight":"5","mx":null,"remark":false,"hold":"hold"}]}`, true},
		{`{"records":[{"id":"1","enabled":"enable"},{"id":"2","enabled":"0"},{"id":"3","enabled":" Yes "}]}`, true},
		{`{"records":[{"name":"a\"b","value":"\u00e9\ud83d\ude00","line":"默认","remark":"x\ty"}]}`, true},
		{`{"records":[{"name":null,"value":"v"}],"extra":{"a":[1,2,{"b":null}],"c":-0.5e+3}}`, true},
		{`{"domain":{"id":"9","name":"example.com","dnspod_ns":["a.","b."],"grade_ns":[],"ttl":600,"owner":null}}`, true},
		{`{"domain":{"dnspod_ns":null,"grade_ns":["x"]}}`, true},
		{"{\"records\":[{\"value\":\"bad \xff utf-8\",\"name\":\"\xc3\"}]}", true},
		{`{"records":[{"id":"1","unknown_key":{"deep":[[[]]]}}]}`, true},
		{`{}`, true},

		// Left to encoding/json (which may accept or reject them).
		{`{"Records":[{"id":"1"}]}`, false},
		{`{"records":[{"ID":"1"}]}`, false},
		{`{"records":[{"id":"1","id":"2"}]}`, false},
		{`{"records":[],"records":[{"id":"1"}]}`, false},
		{`{"records":null}`, false},
		{`{"records":[null]}`, false},
		{`{"records":[{"name":5}]}`, false},
		{`{"records":[{"enabled":"maybe"}]}`, false},
		{`{"records":[{"ttl":[600]}]}`, false},
		{`{"records":[{"ttl":01}]}`, false},
		{`{"records":[{"id":"1"}]} x`, false},
		{`{"records":[{"id":"1",}]}`, false},
		{`{"a":tru}`, false},
		{`{"a":"\x01"}`, false},
		{`{"a":"\q"}`, false},
		{`{"ſtatus":{"code":"1"}}`, false},
		{`{"domain":{"dnspod_ns":[null]}}`, false},
		{`null`, false},
		{`[]`, false},
		{``, false},
		{`{"a":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`, false},
	}
	for _, tc := range cases {
		if got := sameAsEncodingJSON(t, []byte(tc.in)); tc.fast && !got {
			t.Errorf("%s: left to encoding/json", tc.in)
		} else if !tc.fast && got {
			t.Errorf("%s: taken by the fast decoder", tc.in)
		}
	}
}

// TestDecodeRecordListMutations: thousands of damaged copies of an
// emulator page decode as encoding/json decodes them, or are left to it.
func TestDecodeRecordListMutations(t *testing.T) {
	page := string(emulatorPage(t, 3))
	pieces := []string{`"`, `\`, `\"`, `\u0041`, `{`, `}`, `[`, `]`, `,`, `:`, `null`, `true`, `0`, `-1.5e3`, ` `, "\n", "\x00", "\xff", `"ID"`, `"id"`, `"x":1,`}
	rng := rand.New(rand.NewPCG(7, 13))
	n, taken := 20000, 0
	if testing.Short() {
		n = 2000
	}
	for range n {
		s := page
		for range 1 + rng.IntN(3) {
			p := rng.IntN(len(s) + 1)
			switch rng.IntN(3) {
			case 0:
				s = s[:p] + pieces[rng.IntN(len(pieces))] + s[p:]
			case 1:
				if p < len(s) {
					s = s[:p] + s[p+1:]
				}
			default:
				q := min(len(s), p+rng.IntN(8))
				s = s[:p] + pieces[rng.IntN(len(pieces))] + s[q:]
			}
		}
		if sameAsEncodingJSON(t, []byte(s)) {
			taken++
		}
	}
	if taken == 0 {
		t.Fatal("the fast decoder took none of the mutations")
	}
}

// FuzzDecodeRecordListFast: whatever the fast decoder takes, encoding/json
// decodes the same way.
func FuzzDecodeRecordListFast(f *testing.F) {
	f.Add(emulatorPage(f, 3))
	f.Add([]byte(`{"status":{"code":"1"},"domain":{"id":12345,"ttl":600},"info":{"record_total":"1"},"records":[{"id":"1","name":"@","ttl":"600","mx":"0","enabled":"1","weight":null}]}`))
	f.Add([]byte(`{"records":[{"id":1,"ttl":600,"enabled":true,"weight":"5"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) { sameAsEncodingJSON(t, data) })
}

func BenchmarkDecodeRecordList(b *testing.B) {
	page := emulatorPage(b, 3000)
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		for b.Loop() {
			a := recordListAnswer{size: 3000}
			a.reset()
			if !decodeRecordList(page, &a) {
				b.Fatal("not taken")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		for b.Loop() {
			a := recordListAnswer{size: 3000}
			a.reset()
			if err := json.Unmarshal(page, &a); err != nil {
				b.Fatal(err)
			}
		}
	})
}
