package rfc2136_test

// Tests against real BIND 9, Knot DNS and PowerDNS processes (see
// servertest). Each test runs once per server, in parallel.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/miekg/dns"

	"github.com/dnssync/dnssync/internal/credentials"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/rfc2136"
	"github.com/dnssync/dnssync/internal/providers/rfc2136/servertest"
)

func eachServer(t *testing.T, fn func(t *testing.T, s *servertest.Server)) {
	t.Helper()
	for _, k := range servertest.Kinds() {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			fn(t, servertest.Start(t, k, servertest.Options{}))
		})
	}
}

func newClient(t testing.TB, s *servertest.Server, key servertest.Key, edit func(*rfc2136.Config)) *rfc2136.Client {
	t.Helper()
	cfg := rfc2136.Config{Server: s.Host, Port: s.Port, DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second,
		Key: rfc2136.TSIGKey{Name: key.Name, Algorithm: key.Algorithm, Secret: credentials.Secret(key.Secret)}}
	if edit != nil {
		edit(&cfg)
	}
	c, err := rfc2136.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func r(name, typ, value string, ttl int) model.Record {
	return model.Record{Name: name, Type: typ, Line: model.DefaultLine, Value: value, TTL: ttl, Enabled: true}
}

func mx(name, value string, prio, ttl int) model.Record {
	m := r(name, "MX", value, ttl)
	m.MX = prio
	return m
}

func system(rec model.Record) model.Record {
	rec.System = true
	return rec
}

// defaultZone is servertest.DefaultZoneFile() in canonical form.
func defaultZone() []model.Record {
	recs := []model.Record{
		system(r("@", "SOA", "ns1.example.test. hostmaster.example.test. 1 3600 600 86400 300", 3600)),
		system(r("@", "NS", "ns1.example.test.", 3600)),
		system(r("@", "NS", "ns2.example.test.", 3600)),
		r("@", "A", "192.0.2.1", 300),
		r("@", "AAAA", "2001:db8::1", 300),
		mx("@", "mail.example.test.", 10, 300),
		mx("@", "mail2.example.net.", 20, 300),
		r("@", "TXT", "v=spf1 mx -all", 300),
		r("@", "CAA", `0 issue "letsencrypt.org"`, 300),
		r("ns1", "A", "192.0.2.53", 300),
		r("ns2", "A", "192.0.2.54", 300),
		r("www", "CNAME", "example.test.", 300),
		r("mail", "A", "192.0.2.25", 300),
		r("mail", "A", "192.0.2.26", 300),
		r("_sip._tcp", "SRV", "10 60 5060 sip.example.test.", 300),
		r("sip", "AAAA", "2001:db8::5060", 600),
		r("selector._domainkey", "TXT", "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", 300),
		r("long", "TXT", strings.Repeat("a", 255)+strings.Repeat("b", 45), 300),
		r("host", "PTR", "www.example.test.", 300),
		r("sub", "NS", "ns.sub.example.test.", 300),
		r("ns.sub", "A", "192.0.2.99", 300),
	}
	model.SortRecords(recs)
	return recs
}

// ignoreID compares records without their ids; withoutSOA drops the SOA,
// whose serial servers bump on every update.
var ignoreID = cmpopts.IgnoreFields(model.Record{}, "ID")

func withoutSOA(recs []model.Record) []model.Record {
	var out []model.Record
	for _, rec := range recs {
		if rec.Type != rfc2136.TypeSOA {
			out = append(out, rec)
		}
	}
	return out
}

func readZone(t testing.TB, c *rfc2136.Client, s *servertest.Server) []model.Record {
	t.Helper()
	live, err := c.ReadZone(context.Background(), s.Zone)
	if err != nil {
		t.Fatalf("ReadZone: %v", err)
	}
	return live.Records
}

// apply builds and applies changes, failing the test on error.
func apply(t *testing.T, c *rfc2136.Client, s *servertest.Server, changes []rfc2136.RRsetChange) []*dns.Msg {
	t.Helper()
	msgs, err := c.BuildUpdates(s.Zone, changes)
	if err != nil {
		t.Fatalf("BuildUpdates: %v", err)
	}
	if _, err := c.ApplyAll(context.Background(), msgs); err != nil {
		t.Fatalf("ApplyAll: %v", err)
	}
	return msgs
}

// replace returns recs with every record of (name, type) replaced by with.
func replace(recs []model.Record, name, typ string, with ...model.Record) []model.Record {
	var out []model.Record
	for _, rec := range recs {
		if rec.Name != name || rec.Type != typ {
			out = append(out, rec)
		}
	}
	out = append(out, with...)
	model.SortRecords(out)
	return out
}

func TestServerReadZone(t *testing.T) {
	eachServer(t, func(t *testing.T, s *servertest.Server) {
		t.Logf("%s at %s", s.Version, s.Addr())
		c := newClient(t, s, s.Key, nil)
		snap, err := c.Transfer(context.Background(), s.Zone)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(defaultZone(), snap.Live.Records, ignoreID); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
		if snap.Live.DomainID != "example.test" || snap.Serial != 1 || len(snap.Skipped) != 0 {
			t.Errorf("domain id %q, serial %d, skipped %v", snap.Live.DomainID, snap.Serial, snap.Skipped)
		}
		ids := map[string]bool{}
		for _, rec := range snap.Live.Records {
			if rec.ID == "" || ids[rec.ID] {
				t.Errorf("%s: empty or repeated id %q", rec, rec.ID)
			}
			ids[rec.ID] = true
			// The DKIM key is split at an odd place, the long text at 255:
			// only the former needs its layout in the id.
			if rec.Name == "selector._domainkey" && !strings.HasSuffix(rec.ID, "/16,46") ||
				rec.Name == "long" && strings.Contains(rec.ID, "/") {
				t.Errorf("%s: id %q", rec.Name, rec.ID)
			}
		}

		// The transfer-only key reads the same; an unsigned transfer is refused.
		ro := newClient(t, s, s.ReadOnlyKey, nil)
		if diff := cmp.Diff(snap.Live.Records, readZone(t, ro, s)); diff != "" {
			t.Errorf("read-only key reads differently (-key +read-only):\n%s", diff)
		}
		q := new(dns.Msg)
		q.SetAxfr(s.Zone)
		env, err := (&dns.Transfer{}).In(q, s.Addr())
		if err == nil {
			for e := range env {
				if e.Error == nil && len(e.RR) > 0 {
					t.Errorf("unsigned transfer allowed: %d RRs", len(e.RR))
				}
			}
		}
	})
}

func TestServerApplyManyChangesAtomically(t *testing.T) {
	eachServer(t, func(t *testing.T, s *servertest.Server) {
		c := newClient(t, s, s.Key, nil)
		before := readZone(t, c, s)
		big := strings.Repeat("0123456789", 60)
		want := before
		want = replace(want, "new", "A", r("new", "A", "192.0.2.7", 300))
		want = replace(want, "mail", "A", r("mail", "A", "192.0.2.25", 300), r("mail", "A", "192.0.2.27", 300))
		want = replace(want, "sip", "AAAA", r("sip", "AAAA", "2001:db8::5060", 120))
		want = replace(want, "host", "PTR")
		want = replace(want, "www", "CNAME", r("www", "CNAME", "other.example.net.", 300))
		// BIND refuses an in-zone MX target without an address.
		want = replace(want, "@", "MX", mx("@", "mail.example.test.", 10, 300), mx("@", "mail3.example.test.", 30, 300))
		want = replace(want, "mail3", "AAAA", r("mail3", "AAAA", "2001:db8::25", 300))
		want = replace(want, "selector._domainkey", "TXT", r("selector._domainkey", "TXT", "v=DKIM1; k=rsa; p=NEWKEY", 300))
		want = replace(want, "big", "TXT", r("big", "TXT", big, 300))
		want = replace(want, "@", "CAA", r("@", "CAA", `0 issue "letsencrypt.org"`, 300), r("@", "CAA", `0 iodef "mailto:hostmaster@example.test"`, 300))
		want = replace(want, "_sip._tcp", "SRV", r("_sip._tcp", "SRV", "10 20 5061 sip.example.test.", 300))
		want = replace(want, "ptr2", "PTR", r("ptr2", "PTR", "host.example.net.", 300))

		changes := rfc2136.Changes(before, want)
		if len(changes) != 12 {
			t.Fatalf("%d changes, want 12: %v", len(changes), changes)
		}
		if msgs := apply(t, c, s, changes); len(msgs) != 1 {
			t.Errorf("%d messages, want all changes in one", len(msgs))
		}
		got := readZone(t, c, s)
		if diff := cmp.Diff(withoutSOA(want), withoutSOA(got), ignoreID); diff != "" {
			t.Errorf("zone after update (-want +got):\n%s", diff)
		}
		if left := rfc2136.Changes(got, want); len(left) != 0 {
			t.Errorf("changes left after applying: %v", left)
		}
	})
}

func TestServerPrerequisiteFailure(t *testing.T) {
	tests := []struct {
		name   string
		behind []rfc2136.RRsetChange // made by someone else after our read
		ours   func(before []model.Record) []model.Record
	}{{
		name: "RRset changed behind our back",
		behind: []rfc2136.RRsetChange{{Name: "mail", Type: "A",
			Before: []model.Record{r("mail", "A", "192.0.2.25", 300), r("mail", "A", "192.0.2.26", 300)},
			After:  []model.Record{r("mail", "A", "192.0.2.25", 300), r("mail", "A", "192.0.2.26", 300), r("mail", "A", "192.0.2.99", 300)}}},
		ours: func(b []model.Record) []model.Record {
			b = replace(b, "new", "A", r("new", "A", "192.0.2.7", 300))
			return replace(b, "mail", "A", r("mail", "A", "192.0.2.25", 300))
		},
	}, {
		name: "RRset created behind our back",
		behind: []rfc2136.RRsetChange{{Name: "new", Type: "A",
			After: []model.Record{r("new", "A", "192.0.2.8", 300)}}},
		ours: func(b []model.Record) []model.Record {
			b = replace(b, "host", "PTR")
			return replace(b, "new", "A", r("new", "A", "192.0.2.7", 300))
		},
	}, {
		name: "RRset deleted behind our back",
		behind: []rfc2136.RRsetChange{{Name: "www", Type: "CNAME",
			Before: []model.Record{r("www", "CNAME", "example.test.", 300)}}},
		ours: func(b []model.Record) []model.Record {
			b = replace(b, "new", "A", r("new", "A", "192.0.2.7", 300))
			return replace(b, "www", "CNAME", r("www", "CNAME", "other.example.net.", 300))
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachServer(t, func(t *testing.T, s *servertest.Server) {
				c := newClient(t, s, s.Key, nil)
				before := readZone(t, c, s)
				msgs, err := c.BuildUpdates(s.Zone, rfc2136.Changes(before, tt.ours(before)))
				if err != nil {
					t.Fatal(err)
				}

				other := newClient(t, s, s.Key, nil)
				apply(t, other, s, tt.behind)
				changed := readZone(t, other, s)

				_, err = c.ApplyAll(context.Background(), msgs)
				if !errors.Is(err, rfc2136.ErrPrerequisite) {
					t.Fatalf("ApplyAll = %v, want ErrPrerequisite", err)
				}
				if !strings.Contains(err.Error(), "re-plan") {
					t.Errorf("message does not say to re-plan: %v", err)
				}
				if diff := cmp.Diff(changed, readZone(t, c, s)); diff != "" {
					t.Errorf("part of the failed update was applied (-expected +zone):\n%s", diff)
				}
			})
		})
	}
}

func TestServerLongTXT(t *testing.T) {
	eachServer(t, func(t *testing.T, s *servertest.Server) {
		c := newClient(t, s, s.Key, nil)
		for _, n := range []int{1, 255, 256, 600, 2000} {
			name := fmt.Sprintf("txt%d", n)
			value := strings.Repeat(string(rune('a'+n%26)), n-1) + "\""
			apply(t, c, s, []rfc2136.RRsetChange{{Name: name, Type: "TXT", After: []model.Record{r(name, "TXT", value, 300)}}})
			var got []model.Record
			for _, rec := range readZone(t, c, s) {
				if rec.Name == name {
					got = append(got, rec)
				}
			}
			if diff := cmp.Diff([]model.Record{r(name, "TXT", value, 300)}, got, ignoreID); diff != "" {
				t.Errorf("%d octets (-want +got):\n%s", n, diff)
				continue
			}
			if strings.Contains(got[0].ID, "/") {
				t.Errorf("%d octets: stored with an unusual split: id %s", n, got[0].ID)
			}
			// What was read can be changed again: the prerequisites match.
			apply(t, c, s, []rfc2136.RRsetChange{{Name: name, Type: "TXT", Before: got,
				After: []model.Record{r(name, "TXT", "short", 300)}}})
		}
	})
}

func TestServerWrongKey(t *testing.T) {
	const wrongSecret = "d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmc="
	type want struct{ read, update []error }
	tests := []struct {
		name string
		key  func(s *servertest.Server) servertest.Key
		want map[servertest.Kind]want
	}{{
		name: "wrong secret",
		key: func(s *servertest.Server) servertest.Key {
			k := s.Key
			k.Secret = wrongSecret
			return k
		},
		want: map[servertest.Kind]want{
			servertest.BIND:     {[]error{rfc2136.ErrNotAuth, rfc2136.ErrTSIG}, []error{rfc2136.ErrNotAuth, rfc2136.ErrTSIG}},
			servertest.Knot:     {[]error{rfc2136.ErrNotAuth, rfc2136.ErrTSIG}, []error{rfc2136.ErrNotAuth, rfc2136.ErrTSIG}},
			servertest.PowerDNS: {[]error{rfc2136.ErrNotAuth}, []error{rfc2136.ErrRefused}},
		},
	}, {
		name: "unknown key",
		key: func(s *servertest.Server) servertest.Key {
			k := s.Key
			k.Name = "unknown-key"
			return k
		},
		want: map[servertest.Kind]want{
			servertest.BIND:     {[]error{rfc2136.ErrNotAuth, rfc2136.ErrTSIG}, []error{rfc2136.ErrNotAuth, rfc2136.ErrTSIG}},
			servertest.Knot:     {[]error{rfc2136.ErrNotAuth, rfc2136.ErrTSIG}, []error{rfc2136.ErrNotAuth, rfc2136.ErrTSIG}},
			servertest.PowerDNS: {[]error{rfc2136.ErrNotAuth}, []error{rfc2136.ErrRefused}},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachServer(t, func(t *testing.T, s *servertest.Server) {
				good := newClient(t, s, s.Key, nil)
				bad := newClient(t, s, tt.key(s), nil)
				before := readZone(t, good, s)
				check := func(op string, err error, want []error) {
					t.Helper()
					for _, w := range want {
						if !errors.Is(err, w) {
							t.Errorf("%s: %v does not match %v", op, err, w)
						}
					}
					for _, notWanted := range []error{rfc2136.ErrZoneNotFound, providers.ErrOutcomeUnknown} {
						if errors.Is(err, notWanted) {
							t.Errorf("%s: %v matches %v", op, err, notWanted)
						}
					}
					msg := fmt.Sprint(err)
					if strings.Contains(msg, s.Key.Secret) || strings.Contains(msg, wrongSecret) {
						t.Errorf("%s: message shows a secret: %s", op, msg)
					}
					if !strings.Contains(msg, s.Zone) || !strings.Contains(msg, s.Addr()) {
						t.Errorf("%s: message does not name zone and server: %s", op, msg)
					}
				}
				_, err := bad.ReadZone(context.Background(), s.Zone)
				check("read", err, tt.want[s.Kind].read)
				msgs, err := bad.BuildUpdates(s.Zone, []rfc2136.RRsetChange{{Name: "new", Type: "A",
					After: []model.Record{r("new", "A", "192.0.2.7", 300)}}})
				if err != nil {
					t.Fatal(err)
				}
				_, err = bad.Apply(context.Background(), msgs[0])
				check("update", err, tt.want[s.Kind].update)
				if diff := cmp.Diff(before, readZone(t, good, s)); diff != "" {
					t.Errorf("refused update changed the zone (-before +after):\n%s", diff)
				}
			})
		})
	}
}

func TestServerRefused(t *testing.T) {
	newA := []rfc2136.RRsetChange{{Name: "new", Type: "A", After: []model.Record{r("new", "A", "192.0.2.7", 300)}}}
	eachServer(t, func(t *testing.T, s *servertest.Server) {
		good := newClient(t, s, s.Key, nil)
		before := readZone(t, good, s)
		ro := newClient(t, s, s.ReadOnlyKey, nil)
		msgs, err := ro.BuildUpdates(s.Zone, newA)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ro.Apply(context.Background(), msgs[0])
		if s.Kind == servertest.Knot {
			// Knot answers a key its acl does not allow with NOTAUTH and
			// TSIG error BADKEY; it refuses updates of a frozen zone.
			if !errors.Is(err, rfc2136.ErrNotAuth) || !errors.Is(err, rfc2136.ErrTSIG) {
				t.Errorf("update with the transfer-only key = %v, want NOTAUTH with a TSIG error", err)
			}
			// -b: wait until the freeze is in force; without it knotc
			// only queues the event. Even then Knot may hold an update
			// without answering for a moment; once frozen it refuses at
			// once. A held update is never applied: the zone stays frozen
			// to the end of the test, which checks it.
			s.KnotControl(t, "-b", "zone-freeze", s.Zone)
			for try := 0; ; try++ {
				_, err = good.Apply(context.Background(), msgs[0])
				if !errors.Is(err, providers.ErrOutcomeUnknown) || try == 4 {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
		if !errors.Is(err, rfc2136.ErrRefused) {
			t.Fatalf("Apply = %v, want ErrRefused", err)
		}
		for _, hint := range []string{"allow-update", "acl", "TSIG-ALLOW-DNSUPDATE"} {
			if !strings.Contains(err.Error(), hint) {
				t.Errorf("message does not mention %s: %v", hint, err)
			}
		}
		if diff := cmp.Diff(before, readZone(t, good, s)); diff != "" {
			t.Errorf("refused update changed the zone (-before +after):\n%s", diff)
		}
	})
}

func TestServerApexNS(t *testing.T) {
	// Replacing every apex NS at once: servers ignore deleting the last NS,
	// so the new ones must be in place first.
	eachServer(t, func(t *testing.T, s *servertest.Server) {
		c := newClient(t, s, s.Key, nil)
		before := readZone(t, c, s)
		var ns []model.Record
		for _, rec := range before {
			if rec.Name == "@" && rec.Type == "NS" {
				ns = append(ns, rec)
			}
		}
		newNS := []model.Record{r("@", "NS", "ns3.example.test.", 3600), r("@", "NS", "ns4.example.test.", 3600)}
		want := replace(before, "@", "NS", system(newNS[0]), system(newNS[1]))
		want = replace(want, "ns3", "A", r("ns3", "A", "192.0.2.55", 300))
		want = replace(want, "ns4", "A", r("ns4", "A", "192.0.2.56", 300))
		changes := append(rfc2136.Changes(before, want), rfc2136.RRsetChange{Name: "@", Type: "NS", Before: ns, After: newNS})
		apply(t, c, s, changes)
		if diff := cmp.Diff(withoutSOA(want), withoutSOA(readZone(t, c, s)), ignoreID); diff != "" {
			t.Errorf("zone after update (-want +got):\n%s", diff)
		}
	})
}

func TestServerSplitMessages(t *testing.T) {
	tests := []struct {
		name string
		edit func(*rfc2136.Config)
	}{
		{"tcp 400 octets", func(c *rfc2136.Config) { c.MaxMessageSize = 400 }},
		{"udp default", func(c *rfc2136.Config) { c.Transport = rfc2136.TransportUDP }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachServer(t, func(t *testing.T, s *servertest.Server) {
				c := newClient(t, s, s.Key, tt.edit)
				before := readZone(t, c, s)
				want := replace(before, "mail", "A") // a deletion among the creations
				for i := range 30 {
					name := fmt.Sprintf("host%02d", i)
					want = replace(want, name, "A", r(name, "A", fmt.Sprintf("192.0.2.%d", i), 300), r(name, "A", fmt.Sprintf("198.51.100.%d", i), 300))
				}
				msgs := apply(t, c, s, rfc2136.Changes(before, want))
				if len(msgs) < 3 {
					t.Errorf("%d messages, want several", len(msgs))
				}
				if diff := cmp.Diff(withoutSOA(want), withoutSOA(readZone(t, c, s)), ignoreID); diff != "" {
					t.Errorf("zone after update (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestServerLargeZoneTransfer(t *testing.T) {
	// Large enough that every server sends the transfer in several
	// messages, each signed over the previous one's MAC.
	eachServer(t, func(t *testing.T, s *servertest.Server) {
		c := newClient(t, s, s.Key, nil)
		before := readZone(t, c, s)
		want := before
		var add []model.Record
		for i := range 1500 {
			name := fmt.Sprintf("bulk%04d", i)
			add = append(add, r(name, "TXT", fmt.Sprintf("record %04d %s", i, strings.Repeat("x", 60)), 300))
		}
		want = append(want, add...)
		model.SortRecords(want)
		msgs := apply(t, c, s, rfc2136.Changes(before, want))
		if len(msgs) < 2 {
			t.Errorf("%d messages for %d records, want the 64 KiB limit to split them", len(msgs), len(add))
		}
		if diff := cmp.Diff(withoutSOA(want), withoutSOA(readZone(t, c, s)), ignoreID); diff != "" {
			t.Errorf("zone after update (-want +got):\n%s", diff)
		}
	})
}

func TestServerZoneNotFound(t *testing.T) {
	eachServer(t, func(t *testing.T, s *servertest.Server) {
		c := newClient(t, s, s.Key, nil)
		_, err := c.ReadZone(context.Background(), "missing.test")
		if !errors.Is(err, rfc2136.ErrZoneNotFound) || !strings.Contains(fmt.Sprint(err), "missing.test.") {
			t.Errorf("ReadZone(missing.test) = %v, want ErrZoneNotFound naming the zone", err)
		}
		msgs, err := rfc2136.BuildUpdates("missing.test", []rfc2136.RRsetChange{{Name: "a", Type: "A",
			After: []model.Record{r("a", "A", "192.0.2.1", 300)}}}, 60000)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Apply(context.Background(), msgs[0]); !errors.Is(err, rfc2136.ErrZoneNotFound) {
			t.Errorf("update of missing.test = %v, want ErrZoneNotFound", err)
		}
	})
}

// dropAnswers is a TCP proxy to target that passes requests on but never
// passes an answer back: the update reaches the server, its outcome does not
// reach the client.
func dropAnswers(t *testing.T, target string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer in.Close()
				out, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer out.Close()
				_ = in.SetDeadline(time.Now().Add(10 * time.Second))
				_ = out.SetDeadline(time.Now().Add(10 * time.Second))
				// Requests go through; answers are read and dropped until
				// the client hangs up.
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _ = io.Copy(io.Discard, out)
				}()
				_, _ = io.Copy(out, in)
				_ = out.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

func TestServerUnknownOutcomeMayHaveApplied(t *testing.T) {
	eachServer(t, func(t *testing.T, s *servertest.Server) {
		proxy := dropAnswers(t, s.Addr())
		host, portText, _ := net.SplitHostPort(proxy)
		port, err := strconv.Atoi(portText)
		if err != nil {
			t.Fatal(err)
		}
		c := newClient(t, s, s.Key, func(c *rfc2136.Config) {
			c.Server, c.Port = host, port
			c.ReadTimeout = 500 * time.Millisecond
		})
		msgs, err := c.BuildUpdates(s.Zone, []rfc2136.RRsetChange{{Name: "new", Type: "A",
			After: []model.Record{r("new", "A", "192.0.2.7", 300)}}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Apply(context.Background(), msgs[0])
		if !errors.Is(err, providers.ErrOutcomeUnknown) {
			t.Fatalf("Apply = %v, want ErrOutcomeUnknown", err)
		}
		// It did apply: this is why an unknown outcome is never retried
		// blindly. Sending the same message again is harmless all the same,
		// because its prerequisite no longer holds.
		found := false
		direct := newClient(t, s, s.Key, nil)
		for _, rec := range readZone(t, direct, s) {
			found = found || rec.Name == "new" && rec.Value == "192.0.2.7"
		}
		if !found {
			t.Error("the update did not reach the server")
		}
		if _, err := direct.Apply(context.Background(), msgs[0]); !errors.Is(err, rfc2136.ErrPrerequisite) {
			t.Errorf("replaying the applied message = %v, want ErrPrerequisite", err)
		}
	})
}
