package rfc2136

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
)

// seedRRs are zone-file lines whose wire forms seed FuzzRecordFromRR.
var seedRRs = []string{
	"www 300 IN A 192.0.2.1",
	"www 300 IN AAAA 2001:db8::1",
	"www 300 IN CNAME Host.Example.NET.",
	"@ 300 IN MX 10 mail",
	`t 300 IN TXT "a" "b\"c" "\000\255"`,
	"_sip._tcp 300 IN SRV 10 60 5060 sip",
	`@ 300 IN CAA 128 Issue "ca.example.net; x=\"y\""`,
	"host 300 IN PTR www",
	"@ 3600 IN NS ns1",
	"@ 3600 IN SOA ns1 hostmaster 1 3600 600 86400 300",
	"@ 300 IN RRSIG A 13 2 300 20300101000000 20200101000000 1 example.test. AAAA",
	`a\032b 300 IN A 192.0.2.1`,
}

// FuzzRecordFromRR feeds arbitrary wire RRs to the reader. Whatever it
// accepts must be writable, and writing then reading must give the same
// record: the conversion is stable, and exact unless the id says otherwise.
func FuzzRecordFromRR(f *testing.F) {
	for _, s := range seedRRs {
		rr := mustRR(f, s)
		buf := make([]byte, dns.Len(rr))
		off, err := dns.PackRR(rr, buf, 0, nil, false)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(buf[:off])
	}
	f.Fuzz(func(t *testing.T, wire []byte) {
		rr, _, err := dns.UnpackRR(wire, 0)
		if err != nil || rr == nil {
			return
		}
		rec, err := RecordFromRR(zone, rr)
		if err != nil || rec.System {
			return
		}
		back, err := RRFromRecord(zone, rec)
		if err != nil {
			t.Fatalf("read %v as %+v, which cannot be written: %v", rr, rec, err)
		}
		back = wireTrip(t, back)
		again, err := RecordFromRR(zone, back)
		if err != nil {
			t.Fatalf("written %v cannot be read: %v", back, err)
		}
		want := rec
		want.ID = strings.TrimSuffix(rec.ID, inexactSuffix)
		if diff := cmp.Diff(want, again); diff != "" {
			t.Fatalf("%v -> %v changed the record (-first +second):\n%s", rr, back, diff)
		}
		if !inexactID(rec.ID) && rr.Header().Ttl <= 1<<31-1 {
			a, errA := rdata(rr)
			b, errB := rdata(back)
			if errA != nil || errB != nil || string(a) != string(b) {
				t.Fatalf("%v written back as %v: RDATA differs but the id %q claims it is exact", rr, back, rec.ID)
			}
		}
	})
}

// FuzzRRFromRecord feeds arbitrary record fields to the writer. What it
// accepts must read back as a record that writes to the same RR again.
func FuzzRRFromRecord(f *testing.F) {
	f.Add("www", "A", "192.0.2.1", 0, 300, "")
	f.Add("@", "MX", "Mail.Example.TEST.", 10, 300, "")
	f.Add("t", "TXT", strings.Repeat("x", 300)+"\"\\", 0, 60, "")
	f.Add("t", "TXT", "abcdef", 0, 60, "0123456789abcdef/2,4")
	f.Add("_s._tcp", "SRV", "1 2 3 t.example.net.", 0, 0, "")
	f.Add("@", "CAA", `0 issue "ca.example.net; a=\"b\\\\c\001"`, 0, 300, "")
	f.Add("@", "CAA", "0 iodef mailto:x@example.net", 0, 300, "")
	f.Add(`a\.b`, "PTR", ".", 0, 300, "")
	f.Fuzz(func(t *testing.T, name, typ, value string, mx, ttl int, id string) {
		r := rec(name, typ, value, ttl)
		r.MX, r.ID = mx, id
		rr, err := RRFromRecord(zone, r)
		if err != nil {
			return
		}
		rr = wireTripOK(t, rr)
		if rr == nil {
			return
		}
		got, err := RecordFromRR(zone, rr)
		if err != nil {
			t.Fatalf("%+v written as %v cannot be read: %v", r, rr, err)
		}
		again, err := RRFromRecord(zone, got)
		if err != nil {
			t.Fatalf("%+v read back as %+v cannot be written: %v", r, got, err)
		}
		a, errA := rdata(rr)
		b, errB := rdata(wireTrip(t, again))
		if errA != nil || errB != nil || string(a) != string(b) || rr.Header().Name != again.Header().Name {
			t.Fatalf("%+v: %v read as %+v and written as %v", r, rr, got, again)
		}
	})
}

// wireTripOK is wireTrip for RRs that may not pack (a name over 255 octets
// once the zone is appended is caught by the packer, not before).
func wireTripOK(t *testing.T, rr dns.RR) dns.RR {
	t.Helper()
	buf := make([]byte, dns.Len(rr)+1)
	off, err := dns.PackRR(rr, buf, 0, nil, false)
	if err != nil {
		return nil
	}
	out, _, err := dns.UnpackRR(buf[:off], 0)
	if err != nil {
		t.Fatalf("%v packs but does not unpack: %v", rr, err)
	}
	return out
}

// FuzzLoadTSIGSecret reads arbitrary key files: no panic, and an error never
// quotes the file.
func FuzzLoadTSIGSecret(f *testing.F) {
	f.Add("c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==\n")
	f.Add("key \"k\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==\";\n};\n")
	f.Add("secret \"!!!\";")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content string) {
		p := filepath.Join(dir, "key")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := LoadTSIGSecret("", p)
		if err == nil {
			if checkSecret(s) != nil {
				t.Fatalf("accepted an invalid secret from %q", content)
			}
			return
		}
		if c := strings.TrimSpace(content); len(c) >= 8 && strings.Contains(err.Error(), c) {
			t.Fatalf("error quotes the file: %v", err)
		}
	})
}

// FuzzPayload feeds arbitrary batch payloads to what Submit and the
// simulator do with them: decode, build the messages, apply them to a
// zone. Nothing may panic; a message that builds must fit the limit, and
// the simulator must leave the zone as it was when it refuses.
func FuzzPayload(f *testing.F) {
	f.Add([]byte(`{"zone":"example.test","rrsets":[{"name":"www","type":"A","before":[{"value":"192.0.2.1","ttl":300}],"after":[{"value":"192.0.2.2","ttl":300}]}]}`))
	f.Add([]byte(`{"zone":"example.test","rrsets":[{"name":"@","type":"NS","before":[{"value":"ns1.example.test.","ttl":3600}],"after":[{"value":"ns9.example.net.","ttl":3600}]}]}`))
	f.Add([]byte(`{"zone":"example.test","rrsets":[{"name":"t","type":"TXT","after":[{"value":"x","ttl":1,"id":"0/0,1"}]},{"name":"t","type":"TXT"}]}`))
	f.Add([]byte(`{"zone":"","rrsets":[{"name":"a..b","type":"SOA"}]}`))
	live := &model.Live{Domains: []model.LiveDomain{{Name: "example.test", DNS: &model.LiveDNS{DomainID: "example.test"}}}}
	for _, s := range []string{"www 300 IN A 192.0.2.1", "@ 3600 IN NS ns1", "@ 3600 IN NS ns2", `t 300 IN TXT "x"`} {
		r, err := RecordFromRR(zone, mustRR(f, s))
		if err != nil {
			f.Fatal(err)
		}
		live.Domains[0].DNS.Records = append(live.Domains[0].DNS.Records, r)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b := plan.Batch{ID: "s1.b1", Op: OpUpdate, Payload: data}
		var p Payload
		if providers.DecodePayload(b, &p) != nil {
			return
		}
		const limit = 600
		if msgs, err := BuildUpdates(p.Zone, p.Changes(), limit); err == nil {
			for _, m := range msgs {
				if n := m.Len(); n > limit {
					t.Fatalf("message of %d octets, limit %d", n, limit)
				}
			}
		}
		b.Domains = []string{p.Zone}
		sim := NewSim(live)
		if err := sim.Apply(b); err != nil {
			out := &model.Live{Domains: []model.LiveDomain{{Name: "example.test"}}}
			sim.Export(out)
			before := &model.Live{Domains: []model.LiveDomain{{Name: "example.test"}}}
			NewSim(live).Export(before)
			if !cmp.Equal(before, out) {
				t.Fatalf("a refused batch changed the zone: %v", err)
			}
		}
	})
}
