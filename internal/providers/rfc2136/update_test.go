package rfc2136

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/dnssync/dnssync/internal/model"
)

// live converts zone-file lines as ReadZone would.
func live(t *testing.T, lines ...string) []model.Record {
	t.Helper()
	var out []model.Record
	for _, l := range lines {
		r, err := RecordFromRR(zone, mustRR(t, l))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// sections renders a message's prerequisite and update sections as text,
// one RR a line, for readable comparisons.
func sections(m *dns.Msg) (prereqs, updates []string) {
	str := func(rr dns.RR) string {
		return strings.Join(strings.Fields(strings.ReplaceAll(rr.String(), "\t", " ")), " ")
	}
	for _, rr := range m.Answer {
		prereqs = append(prereqs, str(rr))
	}
	for _, rr := range m.Ns {
		updates = append(updates, str(rr))
	}
	return prereqs, updates
}

func TestBuildUpdatesSections(t *testing.T) {
	tests := []struct {
		name    string
		change  RRsetChange
		prereqs []string
		updates []string
	}{{
		name:    "create",
		change:  RRsetChange{Name: "new", Type: "A", After: []model.Record{rec("new", "A", "192.0.2.7", 300)}},
		prereqs: []string{"new.example.test. 0 NONE A"},
		updates: []string{"new.example.test. 300 IN A 192.0.2.7"},
	}, {
		name:    "delete",
		change:  RRsetChange{Name: "mail", Type: "A", Before: live(t, "mail 300 IN A 192.0.2.25", "mail 300 IN A 192.0.2.26")},
		prereqs: []string{"mail.example.test. 0 IN A 192.0.2.25", "mail.example.test. 0 IN A 192.0.2.26"},
		updates: []string{"mail.example.test. 0 CLASS255 A"},
	}, {
		name: "replace one member, keep the other",
		change: RRsetChange{Name: "mail", Type: "A",
			Before: live(t, "mail 300 IN A 192.0.2.25", "mail 300 IN A 192.0.2.26"),
			After:  []model.Record{rec("mail", "A", "192.0.2.25", 300), rec("mail", "A", "192.0.2.27", 300)}},
		prereqs: []string{"mail.example.test. 0 IN A 192.0.2.25", "mail.example.test. 0 IN A 192.0.2.26"},
		updates: []string{"mail.example.test. 0 NONE A 192.0.2.26", "mail.example.test. 300 IN A 192.0.2.27"},
	}, {
		name: "TTL change replaces the RRset",
		change: RRsetChange{Name: "mail", Type: "A",
			Before: live(t, "mail 300 IN A 192.0.2.25", "mail 300 IN A 192.0.2.26"),
			After:  []model.Record{rec("mail", "A", "192.0.2.25", 60), rec("mail", "A", "192.0.2.26", 60)}},
		prereqs: []string{"mail.example.test. 0 IN A 192.0.2.25", "mail.example.test. 0 IN A 192.0.2.26"},
		updates: []string{"mail.example.test. 0 CLASS255 A",
			"mail.example.test. 60 IN A 192.0.2.25", "mail.example.test. 60 IN A 192.0.2.26"},
	}, {
		name: "TXT split as on the server is matched exactly",
		change: RRsetChange{Name: "dkim", Type: "TXT",
			Before: live(t, `dkim 300 IN TXT "v=DKIM1; " "p=abc"`),
			After:  []model.Record{rec("dkim", "TXT", "v=DKIM1; p=xyz", 300)}},
		prereqs: []string{`dkim.example.test. 0 IN TXT "v=DKIM1; " "p=abc"`},
		updates: []string{`dkim.example.test. 0 NONE TXT "v=DKIM1; " "p=abc"`, `dkim.example.test. 300 IN TXT "v=DKIM1; p=xyz"`},
	}, {
		name: "MX priority change",
		change: RRsetChange{Name: "@", Type: "MX",
			Before: live(t, "@ 300 IN MX 10 mail"),
			After:  []model.Record{{Name: "@", Type: "MX", Value: "mail.example.test.", MX: 20, TTL: 300, Line: model.DefaultLine}}},
		prereqs: []string{"example.test. 0 IN MX 10 mail.example.test."},
		updates: []string{"example.test. 0 NONE MX 10 mail.example.test.", "example.test. 300 IN MX 20 mail.example.test."},
	}, {
		name: "apex NS when named explicitly",
		change: RRsetChange{Name: "@", Type: "NS",
			Before: live(t, "@ 3600 IN NS ns1", "@ 3600 IN NS ns2"),
			After:  live(t, "@ 3600 IN NS ns1", "@ 3600 IN NS ns3")},
		prereqs: []string{"example.test. 0 IN NS ns1.example.test.", "example.test. 0 IN NS ns2.example.test."},
		updates: []string{"example.test. 3600 IN NS ns3.example.test.", "example.test. 0 NONE NS ns2.example.test."},
	}, {
		name: "server spells a target differently",
		change: RRsetChange{Name: "@", Type: "MX",
			Before: live(t, "@ 300 IN MX 10 mail", "@ 300 IN MX 20 Mail2.Example.NET."),
			After:  []model.Record{mx("@", "mail.example.test.", 10)}},
		prereqs: []string{"example.test. 0 IN MX 10 mail.example.test.", "example.test. 0 IN MX 20 mail2.example.net."},
		updates: []string{"example.test. 0 CLASS255 MX", "example.test. 300 IN MX 10 mail.example.test."},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, err := BuildUpdates(zone, []RRsetChange{tt.change}, 65535)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != 1 {
				t.Fatalf("%d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if m.Opcode != dns.OpcodeUpdate || len(m.Question) != 1 || m.Question[0].Name != zone || m.Question[0].Qtype != dns.TypeSOA {
				t.Errorf("not an UPDATE of %s: %v", zone, m)
			}
			prereqs, updates := sections(m)
			if diff := cmp.Diff(tt.prereqs, prereqs); diff != "" {
				t.Errorf("prerequisites (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.updates, updates); diff != "" {
				t.Errorf("updates (-want +got):\n%s", diff)
			}
		})
	}
}

func mx(name, value string, prio int) model.Record {
	r := rec(name, "MX", value, 300)
	r.MX = prio
	return r
}

func TestBuildUpdatesOneMessageDeletionsFirst(t *testing.T) {
	changes := []RRsetChange{
		{Name: "new", Type: "A", After: []model.Record{rec("new", "A", "192.0.2.7", 300)}},
		{Name: "www", Type: "CNAME", After: []model.Record{rec("www", "CNAME", "example.test.", 300)}},
		{Name: "www", Type: "A", Before: live(t, "www 300 IN A 192.0.2.1")},
		{Name: "same", Type: "A", Before: live(t, "same 300 IN A 192.0.2.1"), After: live(t, "same 300 IN A 192.0.2.1")},
	}
	msgs, err := BuildUpdates(zone, changes, 65535)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want all changes in 1", len(msgs))
	}
	_, updates := sections(msgs[0])
	want := []string{
		"www.example.test. 0 CLASS255 A", // the A goes before the CNAME comes
		"new.example.test. 300 IN A 192.0.2.7",
		"www.example.test. 300 IN CNAME example.test.",
	}
	if diff := cmp.Diff(want, updates); diff != "" {
		t.Errorf("updates (-want +got):\n%s", diff)
	}
}

func TestBuildUpdatesSplitsOnRRsetBoundaries(t *testing.T) {
	var changes []RRsetChange
	for i := range 40 {
		name := fmt.Sprintf("host%02d", i)
		changes = append(changes, RRsetChange{Name: name, Type: "A", After: []model.Record{
			rec(name, "A", fmt.Sprintf("192.0.2.%d", i), 300), rec(name, "A", fmt.Sprintf("198.51.100.%d", i), 300)}})
	}
	all, err := BuildUpdates(zone, changes, 65535)
	if err != nil || len(all) != 1 {
		t.Fatalf("unlimited: %d messages, %v", len(all), err)
	}
	const limit = 400
	msgs, err := BuildUpdates(zone, changes, limit)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) < 3 {
		t.Fatalf("%d messages under a %d-octet limit, want several", len(msgs), limit)
	}
	seen := map[string]int{}
	for i, m := range msgs {
		if n := m.Len(); n > limit {
			t.Errorf("message %d is %d octets, limit %d", i, n, limit)
		}
		if packed, err := m.Pack(); err != nil || len(packed) > limit {
			t.Errorf("message %d packs to %d octets (%v)", i, len(packed), err)
		}
		// Every RRset's prerequisite and updates are in the same message.
		names := map[string]bool{}
		for _, rr := range m.Answer {
			names[rr.Header().Name] = true
		}
		for _, rr := range m.Ns {
			if !names[rr.Header().Name] {
				t.Errorf("message %d updates %s without its prerequisite", i, rr.Header().Name)
			}
			seen[rr.Header().Name]++
		}
	}
	if len(seen) != 40 {
		t.Errorf("%d RRsets in the messages, want 40", len(seen))
	}
	for n, c := range seen {
		if c != 2 {
			t.Errorf("%s: %d updates, want 2", n, c)
		}
	}

	// SplitChanges names the changes of each message, and each group
	// alone builds exactly that message again.
	groups, err := SplitChanges(zone, changes, limit)
	if err != nil || len(groups) != len(msgs) {
		t.Fatalf("SplitChanges: %d groups for %d messages, %v", len(groups), len(msgs), err)
	}
	n := 0
	for i, g := range groups {
		n += len(g)
		one, err := BuildUpdates(zone, g, limit)
		if err != nil || len(one) != 1 {
			t.Fatalf("group %d alone: %d messages, %v", i, len(one), err)
		}
		one[0].Id = msgs[i].Id // ids are random
		if one[0].String() != msgs[i].String() {
			t.Errorf("group %d alone builds another message:\n%s\nwant\n%s", i, one[0], msgs[i])
		}
	}
	if n != len(changes) {
		t.Errorf("%d changes in the groups, want %d", n, len(changes))
	}
}

// TestSplitChangesOrder: groups follow the message order (deletions
// first) and drop changes that change nothing.
func TestSplitChangesOrder(t *testing.T) {
	a := rec("a", "A", "192.0.2.1", 300)
	changes := []RRsetChange{
		{Name: "new", Type: "A", After: []model.Record{rec("new", "A", "192.0.2.9", 300)}},
		{Name: "a", Type: "A", Before: []model.Record{a}, After: []model.Record{a}},
		{Name: "old", Type: "TXT", Before: []model.Record{rec("old", "TXT", "bye", 300)}},
	}
	groups, err := SplitChanges(zone, changes, 65535)
	if err != nil || len(groups) != 1 {
		t.Fatalf("%d groups, %v", len(groups), err)
	}
	var got []string
	for _, c := range groups[0] {
		got = append(got, c.String())
	}
	if want := []string{"old TXT", "new A"}; !slices.Equal(got, want) {
		t.Errorf("group = %v, want %v", got, want)
	}
}

func TestBuildUpdatesTooLarge(t *testing.T) {
	big := RRsetChange{Name: "t", Type: "TXT", After: []model.Record{rec("t", "TXT", strings.Repeat("z", 2000), 300)}}
	_, err := BuildUpdates(zone, []RRsetChange{big}, 1000)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v, want ErrTooLarge", err)
	}
}

func TestBuildUpdatesRefuses(t *testing.T) {
	a := rec("www", "A", "192.0.2.1", 300)
	tests := []struct {
		name    string
		changes []RRsetChange
	}{
		{"SOA", []RRsetChange{{Name: "@", Type: "SOA", After: live(t, "@ 300 IN SOA ns1 h 2 3 4 5 6")}}},
		{"unmanaged type", []RRsetChange{{Name: "@", Type: "DNSKEY"}}},
		{"record of another name", []RRsetChange{{Name: "web", Type: "A", After: []model.Record{a}}}},
		{"record of another type", []RRsetChange{{Name: "www", Type: "AAAA", After: []model.Record{a}}}},
		{"duplicate record", []RRsetChange{{Name: "www", Type: "A", After: []model.Record{a, a}}}},
		{"two CNAMEs", []RRsetChange{{Name: "www", Type: "CNAME", After: []model.Record{
			rec("www", "CNAME", "a.example.net.", 300), rec("www", "CNAME", "b.example.net.", 300)}}}},
		{"mixed TTLs", []RRsetChange{{Name: "www", Type: "A", After: []model.Record{a, rec("www", "A", "192.0.2.2", 60)}}}},
		{"apex NS deleted", []RRsetChange{{Name: "@", Type: "NS", Before: live(t, "@ 3600 IN NS ns1")}}},
		{"apex NS TTL", []RRsetChange{{Name: "@", Type: "NS", Before: live(t, "@ 3600 IN NS ns1"), After: live(t, "@ 60 IN NS ns1")}}},
		{"RRset changed twice", []RRsetChange{
			{Name: "www", Type: "A", After: []model.Record{a}},
			{Name: "WWW", Type: "A", After: []model.Record{rec("WWW", "A", "192.0.2.2", 300)}}}},
		{"bad zone", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := zone
			if tt.changes == nil {
				z = "bad..zone"
			}
			if msgs, err := BuildUpdates(z, tt.changes, 65535); err == nil {
				t.Errorf("BuildUpdates = %d messages, want an error", len(msgs))
			}
		})
	}
}

func TestBuildUpdatesNothingToDo(t *testing.T) {
	msgs, err := BuildUpdates(zone, nil, 65535)
	if err != nil || len(msgs) != 0 {
		t.Errorf("BuildUpdates(nil) = %d messages, %v; want none", len(msgs), err)
	}
}

func TestChanges(t *testing.T) {
	before := live(t,
		"@ 3600 IN SOA ns1 hostmaster 1 3600 600 86400 300",
		"@ 3600 IN NS ns1",
		"@ 300 IN A 192.0.2.1",
		"mail 300 IN A 192.0.2.25",
		"mail 300 IN A 192.0.2.26",
		`dkim 300 IN TXT "v=DKIM1; " "p=abc"`,
		"old 300 IN A 192.0.2.9",
	)
	after := []model.Record{
		rec("@", "A", "192.0.2.1", 300),
		rec("mail", "A", "192.0.2.26", 300),
		rec("mail", "A", "192.0.2.25", 300),
		rec("dkim", "TXT", "v=DKIM1; p=abc", 300), // same text, other split: no change
		rec("new", "AAAA", "2001:db8::7", 300),
		rec("ttl", "A", "192.0.2.3", 60),
	}
	before = append(before, live(t, "ttl 300 IN A 192.0.2.3")...)
	got := Changes(before, after)
	var keys []string
	for _, c := range got {
		keys = append(keys, fmt.Sprintf("%s %s %d->%d", c.Name, c.Type, len(c.Before), len(c.After)))
	}
	want := []string{"new AAAA 0->1", "old A 1->0", "ttl A 1->1"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("Changes (-want +got):\n%s", diff)
	}
}
