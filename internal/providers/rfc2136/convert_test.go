package rfc2136

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/miekg/dns"

	"github.com/dnssync/dnssync/internal/model"
)

const zone = "example.test."

// mustRR parses s (relative to zone) and returns the RR as it comes off the
// wire: the library keeps some fields in presentation form after parsing
// text but in raw form after unpacking, and servers give us the latter.
func mustRR(t testing.TB, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR("$ORIGIN " + zone + "\n" + s)
	if err != nil {
		t.Fatalf("NewRR(%q): %v", s, err)
	}
	return wireTrip(t, rr)
}

func wireTrip(t testing.TB, rr dns.RR) dns.RR {
	t.Helper()
	buf := make([]byte, dns.Len(rr))
	off, err := dns.PackRR(rr, buf, 0, nil, false)
	if err != nil {
		t.Fatalf("PackRR(%v): %v", rr, err)
	}
	out, _, err := dns.UnpackRR(buf[:off], 0)
	if err != nil {
		t.Fatalf("UnpackRR(%v): %v", rr, err)
	}
	return out
}

func rec(name, typ, value string, ttl int) model.Record {
	return model.Record{Name: name, Type: typ, Line: model.DefaultLine, Value: value, TTL: ttl, Enabled: true}
}

func TestRecordFromRR(t *testing.T) {
	long := strings.Repeat("x", 300)
	mx := rec("@", "MX", "mail.example.test.", 300)
	mx.MX = 10
	soa := rec("@", "SOA", "ns1.example.test. hostmaster.example.test. 7 3600 600 86400 300", 3600)
	soa.System = true
	apexNS := rec("@", "NS", "ns1.example.test.", 3600)
	apexNS.System = true
	tests := []struct {
		name string
		rr   string
		want model.Record
	}{
		{"A", "www 300 IN A 192.0.2.1", rec("www", "A", "192.0.2.1", 300)},
		{"AAAA compressed", "www 300 IN AAAA 2001:0db8:0:0:0:0:0:0001", rec("www", "AAAA", "2001:db8::1", 300)},
		{"owner upper-case", "WWW.Example.TEST. 300 IN A 192.0.2.1", rec("www", "A", "192.0.2.1", 300)},
		{"wildcard", "*.dev 60 IN A 192.0.2.2", rec("*.dev", "A", "192.0.2.2", 60)},
		{"CNAME target lower-case absolute", "www 300 IN CNAME Host.Example.NET.", rec("www", "CNAME", "host.example.net.", 300)},
		{"CNAME to apex", "www 300 IN CNAME @", rec("www", "CNAME", "example.test.", 300)},
		{"MX", "@ 300 IN MX 10 Mail", mx},
		{"TXT one string", `@ 300 IN TXT "v=spf1 -all"`, rec("@", "TXT", "v=spf1 -all", 300)},
		{"TXT strings concatenated", `t 300 IN TXT "a b" "c"`, rec("t", "TXT", "a bc", 300)},
		{"TXT escapes", `t 300 IN TXT "say \"hi\" \\ \009 \195\169"`, rec("t", "TXT", "say \"hi\" \\ \t é", 300)},
		{"TXT long split at 255", `t 300 IN TXT "` + long[:255] + `" "` + long[255:] + `"`, rec("t", "TXT", long, 300)},
		{"SRV", "_sip._tcp 300 IN SRV 10 60 5060 SIP.example.test.", rec("_sip._tcp", "SRV", "10 60 5060 sip.example.test.", 300)},
		{"SRV no service", "_x._tcp 300 IN SRV 0 0 0 .", rec("_x._tcp", "SRV", "0 0 0 .", 300)},
		{"CAA tag lower-cased", `@ 300 IN CAA 128 ISSUE "letsencrypt.org"`, rec("@", "CAA", `128 issue "letsencrypt.org"`, 300)},
		{"CAA quote in value", `@ 300 IN CAA 0 iodef "mailto:a\"b@example.test"`, rec("@", "CAA", `0 iodef "mailto:a\"b@example.test"`, 300)},
		{"PTR", "host 300 IN PTR www", rec("host", "PTR", "www.example.test.", 300)},
		{"NS delegation", "sub 300 IN NS ns.sub", rec("sub", "NS", "ns.sub.example.test.", 300)},
		{"NS apex is system", "@ 3600 IN NS ns1", apexNS},
		{"SOA is system", "@ 3600 IN SOA ns1 hostmaster 7 3600 600 86400 300", soa},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RecordFromRR(zone, mustRR(t, tt.rr))
			if err != nil {
				t.Fatal(err)
			}
			if got.ID == "" {
				t.Error("record has no ID")
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(model.Record{}, "ID")); diff != "" {
				t.Errorf("RecordFromRR(%q) mismatch (-want +got):\n%s", tt.rr, diff)
			}
		})
	}
}

func TestRecordFromRRRefuses(t *testing.T) {
	tests := []struct {
		rr   string
		want error
	}{
		{"@ 300 IN DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==", ErrUnsupportedType},
		{"@ 300 IN HINFO cpu os", ErrUnsupportedType},
		{"www.example.org. 300 IN A 192.0.2.1", ErrOutOfZone},
		{"testexample.test. 300 IN A 192.0.2.1", ErrOutOfZone},
	}
	for _, tt := range tests {
		_, err := RecordFromRR(zone, mustRR(t, tt.rr))
		if !errors.Is(err, tt.want) {
			t.Errorf("RecordFromRR(%q) = %v, want %v", tt.rr, err, tt.want)
		}
	}
}

func TestRecordIDs(t *testing.T) {
	a1, _ := RecordFromRR(zone, mustRR(t, "www 300 IN A 192.0.2.1"))
	a2, _ := RecordFromRR(zone, mustRR(t, "www 600 IN A 192.0.2.1"))
	a3, _ := RecordFromRR(zone, mustRR(t, "www 300 IN A 192.0.2.2"))
	if a1.ID != a2.ID {
		t.Errorf("TTL changed the id: %s vs %s", a1.ID, a2.ID)
	}
	if a1.ID == a3.ID {
		t.Errorf("different values share id %s", a1.ID)
	}

	std, _ := RecordFromRR(zone, mustRR(t, `t 300 IN TXT "abc"`))
	odd, _ := RecordFromRR(zone, mustRR(t, `t 300 IN TXT "a" "bc"`))
	if std.Value != odd.Value {
		t.Fatalf("values differ: %q vs %q", std.Value, odd.Value)
	}
	if strings.Contains(std.ID, "/") || !strings.HasSuffix(odd.ID, "/1,2") {
		t.Errorf("ids %q and %q: want the layout only on the unusual split", std.ID, odd.ID)
	}

	lower, _ := RecordFromRR(zone, mustRR(t, "@ 300 IN MX 10 mail.example.net."))
	upper, _ := RecordFromRR(zone, mustRR(t, "@ 300 IN MX 10 Mail.Example.NET."))
	caa, _ := RecordFromRR(zone, mustRR(t, `@ 300 IN CAA 0 Issue "ca.example.net"`))
	if lower.Value != upper.Value || inexactID(lower.ID) || !inexactID(upper.ID) || !inexactID(caa.ID) {
		t.Errorf("ids %q, %q, %q: want the inexact mark only where the server's spelling differs", lower.ID, upper.ID, caa.ID)
	}
}

func TestRRFromRecordRoundTrip(t *testing.T) {
	// Each RR read and written back must give the same wire data, so that
	// prerequisites and deletions match what the server holds.
	rrs := []string{
		"www 300 IN A 192.0.2.1",
		"www 300 IN AAAA 2001:db8::1",
		"v4mapped 300 IN AAAA ::ffff:192.0.2.1",
		"www 300 IN CNAME host.example.net.",
		"@ 300 IN MX 10 mail",
		`t 300 IN TXT "v=spf1 -all"`,
		`t 300 IN TXT "a" "bc" "def"`,
		`t 300 IN TXT "` + strings.Repeat("y", 255) + `" "z"`,
		`t 300 IN TXT "\000\255\"\\"`,
		`t 300 IN TXT ""`,
		"_sip._tcp 300 IN SRV 10 60 5060 sip",
		`@ 300 IN CAA 0 issue "letsencrypt.org; validationmethods=dns-01"`,
		`@ 300 IN CAA 0 iodef "mailto:a\"b\\c@example.test"`,
		"host 300 IN PTR www",
		"sub 300 IN NS ns.sub",
		`a\032b 300 IN A 192.0.2.1`,
		`a\.b 300 IN A 192.0.2.1`,
	}
	for _, s := range rrs {
		rr := mustRR(t, s)
		r, err := RecordFromRR(zone, rr)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		back, err := RRFromRecord(zone, r)
		if err != nil {
			t.Fatalf("%s: RRFromRecord(%+v): %v", s, r, err)
		}
		if back = wireTrip(t, back); !dns.IsDuplicate(rr, back) || rr.Header().Ttl != back.Header().Ttl {
			t.Errorf("round trip of %q gave %q", rr, back)
		}
	}
}

func TestRRFromRecordTXTSplit(t *testing.T) {
	for _, n := range []int{0, 1, 255, 256, 510, 511, 1000} {
		r := rec("t", "TXT", strings.Repeat("q", n), 300)
		rr, err := RRFromRecord(zone, r)
		if err != nil {
			t.Fatal(err)
		}
		var lens []int
		for _, s := range rr.(*dns.TXT).Txt {
			lens = append(lens, len(s))
		}
		if diff := cmp.Diff(txtLayout(n), lens); diff != "" {
			t.Errorf("%d octets split as %v (-want +got):\n%s", n, lens, diff)
		}
		for _, l := range lens[:len(lens)-1] {
			if l != 255 {
				t.Errorf("%d octets: inner string of %d octets", n, l)
			}
		}
	}
}

func TestRRFromRecordRefuses(t *testing.T) {
	mxOnA := rec("www", "A", "192.0.2.1", 300)
	mxOnA.MX = 5
	line := rec("www", "A", "192.0.2.1", 300)
	line.Line = "电信"
	tests := []struct {
		name string
		r    model.Record
	}{
		{"SOA", rec("@", "SOA", "ns1.example.test. h.example.test. 1 2 3 4 5", 300)},
		{"unknown type", rec("@", "HINFO", "a b", 300)},
		{"bad A", rec("www", "A", "2001:db8::1", 300)},
		{"bad AAAA", rec("www", "AAAA", "192.0.2.1", 300)},
		{"relative target", rec("www", "CNAME", "host", 300)},
		{"absolute name", rec("www.example.test.", "A", "192.0.2.1", 300)},
		{"empty name", rec("", "A", "192.0.2.1", 300)},
		{"label too long", rec(strings.Repeat("a", 64), "A", "192.0.2.1", 300)},
		{"negative TTL", rec("www", "A", "192.0.2.1", -1)},
		{"SRV fields", rec("_s._tcp", "SRV", "1 2 x.example.test.", 300)},
		{"SRV port", rec("_s._tcp", "SRV", "1 2 70000 x.example.test.", 300)},
		{"CAA flags", rec("@", "CAA", `256 issue "x"`, 300)},
		{"CAA tag", rec("@", "CAA", `0 is-sue "x"`, 300)},
		{"CAA quotes", rec("@", "CAA", `0 issue "x`, 300)},
		{"CAA trailing", rec("@", "CAA", `0 issue "x" y`, 300)},
		{"MX priority on A", mxOnA},
		{"line", line},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if rr, err := RRFromRecord(zone, tt.r); err == nil {
				t.Errorf("RRFromRecord(%+v) = %v, want an error", tt.r, rr)
			}
		})
	}
}
