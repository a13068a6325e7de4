package rfc2136

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/dnssync/dnssync/internal/diff"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/simulate"
)

// testPlanner is the planner of provider "ns" packing messages of at most
// maxSize octets (0: the TCP default).
func testPlanner(maxSize int) *Planner {
	cfg := Config{Server: "127.0.0.1", Key: TSIGKey{Name: "dnssync-key", Algorithm: AlgHMACSHA256}, MaxMessageSize: maxSize}
	return NewPlanner("ns", Type{}.Caps(providers.Config{}), cfg)
}

// liveDomain is a zone as ReadZone returns it: SOA, two apex NS, and lines
// (zone-file syntax, relative to the test zone).
func liveDomain(t *testing.T, name string, lines ...string) model.LiveDomain {
	t.Helper()
	origin := name + "."
	all := append([]string{"@ 3600 IN SOA ns1 hostmaster 1 3600 600 86400 300", "@ 3600 IN NS ns1", "@ 3600 IN NS ns2"}, lines...)
	var recs []model.Record
	for _, l := range all {
		rr := mustRRIn(t, origin, l)
		r, err := RecordFromRR(origin, rr)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	ownApexNS(recs)
	model.SortRecords(recs)
	return model.LiveDomain{Name: name, DNS: &model.LiveDNS{DomainID: name, Records: recs}}
}

func want(name, typ, value string, ttl int) model.Record {
	r := model.Record{Name: name, Type: typ, Line: model.DefaultLine, Value: value, TTL: ttl, Enabled: true,
		Pos: model.Pos{File: "zone.yaml", Line: 1}}
	return r
}

func wantMX(name, value string, prio, ttl int) model.Record {
	r := want(name, model.TypeMX, value, ttl)
	r.MX = prio
	return r
}

// mustRRIn is mustRR relative to another origin.
func mustRRIn(t testing.TB, origin, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR("$ORIGIN " + origin + "\n" + s)
	if err != nil {
		t.Fatalf("NewRR(%q): %v", s, err)
	}
	return wireTrip(t, rr)
}

func desiredDomain(name string, recs ...model.Record) model.Domain {
	return model.Domain{Name: name, Unicode: name, DNS: &model.DNS{Provider: "ns", TTL: 300, Policy: model.PolicySync, Records: recs}}
}

func planOf(pl *Planner, desired *model.Desired, live *model.Live) *plan.Plan {
	return diff.Plan(desired, live, diff.Options{Planners: map[string]providers.Planner{"ns": pl}, Force: true})
}

// replay applies p to live in the simulator and returns the result.
func replay(t *testing.T, live *model.Live, p *plan.Plan) *model.Live {
	t.Helper()
	out, err := simulate.Apply(live, p, map[string]simulate.Factory{
		"ns": func(l *model.Live, _ func() string) simulate.Model { return NewSim(l) }})
	if err != nil {
		t.Fatalf("simulate: %v", err)
	}
	return out
}

func kinds(p *plan.Plan) map[plan.ChangeKind]int {
	m := map[plan.ChangeKind]int{}
	for _, c := range p.Changes {
		m[c.Kind]++
	}
	return m
}

// TestPlanOneUpdatePerZone: all of a zone's changes travel in one UPDATE,
// one batch per zone in one stage, reported record by record; replayed,
// they converge.
func TestPlanOneUpdatePerZone(t *testing.T) {
	live := &model.Live{Domains: []model.LiveDomain{
		liveDomain(t, "a.test",
			"www 300 IN A 192.0.2.1", "www 300 IN A 192.0.2.2",
			"mail 300 IN A 192.0.2.25", "old 300 IN TXT bye",
			"@ 300 IN MX 10 mail"),
		liveDomain(t, "b.test", "www 300 IN A 192.0.2.9"),
	}}
	desired := &model.Desired{Domains: []model.Domain{
		desiredDomain("a.test",
			want("www", "A", "192.0.2.1", 300), want("www", "A", "192.0.2.3", 300), // one goes, one comes
			want("mail", "A", "192.0.2.25", 600), // TTL only
			wantMX("@", "mail.a.test.", 20, 300),
			want("host", "PTR", "www.a.test.", 300)),
		desiredDomain("b.test", want("www", "A", "192.0.2.9", 300), want("v6", "AAAA", "2001:db8::1", 300)),
	}}
	p := planOf(testPlanner(0), desired, live)
	if len(p.Refusals) > 0 {
		t.Fatalf("refusals: %v", p.Refusals)
	}
	if len(p.Stages) != 1 || p.Stages[0].Name != "records" || len(p.Stages[0].Batches) != 2 {
		t.Fatalf("stages: %+v", p.Stages)
	}
	if got, want := kinds(p), map[plan.ChangeKind]int{plan.RecordCreate: 4, plan.RecordDelete: 3, plan.RecordUpdate: 1}; !cmp.Equal(got, want) {
		t.Errorf("changes by kind = %v, want %v", got, want)
	}
	a := p.Stages[0].Batches[0]
	if a.Op != OpUpdate || a.Items != 5 || len(a.Domains) != 1 || a.Domains[0] != "a.test" || len(a.Changes) != 7 {
		t.Errorf("batch of a.test: %+v", a)
	}
	// In message order: deletions, replacements, creations.
	if want := "a.test: 5 RRsets (-old TXT, ~@ MX, ~mail A, ~www A, +host PTR)"; a.Detail != want {
		t.Errorf("detail %q, want %q", a.Detail, want)
	}
	if p.Cost.Batches != 2 || p.Cost.Tasks != 0 || p.Cost.LowerBound != 2 {
		t.Errorf("cost %+v", p.Cost)
	}
	after := replay(t, live, p)
	if again := planOf(testPlanner(0), desired, after); !again.Empty() {
		t.Errorf("not converged: %+v", again.Changes)
	}
}

// TestPlanPayloadAsRead: Before records travel exactly as read, ids
// included, so that a TXT record split oddly on the server is matched
// octet for octet by the prerequisite.
func TestPlanPayloadAsRead(t *testing.T) {
	live := &model.Live{Domains: []model.LiveDomain{liveDomain(t, "a.test", `dkim 300 IN TXT "v=DKIM1; " "p=abc"`)}}
	desired := &model.Desired{Domains: []model.Domain{desiredDomain("a.test", want("dkim", "TXT", "v=DKIM1; p=abc", 600))}}
	p := planOf(testPlanner(0), desired, live)
	if len(p.Stages) != 1 {
		t.Fatalf("stages: %+v", p.Stages)
	}
	var pl Payload
	if err := providers.DecodePayload(p.Stages[0].Batches[0], &pl); err != nil {
		t.Fatal(err)
	}
	var read model.Record
	for _, r := range live.Domains[0].DNS.Records {
		if r.Name == "dkim" {
			read = r
		}
	}
	wantPayload := Payload{Zone: "a.test", RRsets: []PayloadRRset{{Name: "dkim", Type: "TXT",
		Before: []PayloadRecord{{Value: read.Value, TTL: 300, ID: read.ID}},
		After:  []PayloadRecord{{Value: read.Value, TTL: 600, ID: read.ID}}}}}
	if d := cmp.Diff(wantPayload, pl); d != "" {
		t.Errorf("payload (-want +got):\n%s", d)
	}
	if !strings.Contains(read.ID, "/9,5") {
		t.Errorf("id %q does not carry the split", read.ID)
	}
	replay(t, live, p)
}

// TestPlanSplitsAtSizeLimit: over the size limit the zone's changes spread
// over several messages, each its own step, deletions first, every RRset
// whole in one message.
func TestPlanSplitsAtSizeLimit(t *testing.T) {
	lines := []string{"alias 300 IN A 192.0.2.1"}
	var recs []model.Record
	for i := range 30 {
		n := "h" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		recs = append(recs, want(n, "TXT", strings.Repeat("t", 60), 300))
	}
	recs = append(recs, want("alias", "CNAME", "elsewhere.example.", 300)) // the A must go first
	live := &model.Live{Domains: []model.LiveDomain{liveDomain(t, "a.test", lines...)}}
	desired := &model.Desired{Domains: []model.Domain{desiredDomain("a.test", recs...)}}
	pl := testPlanner(700)
	p := planOf(pl, desired, live)
	if len(p.Refusals) > 0 {
		t.Fatalf("refusals: %v", p.Refusals)
	}
	if len(p.Stages) < 3 {
		t.Fatalf("%d stages under a 700-octet limit, want several", len(p.Stages))
	}
	items := 0
	for i, s := range p.Stages {
		if len(s.Batches) != 1 {
			t.Fatalf("stage %s: %d batches", s.Name, len(s.Batches))
		}
		b := s.Batches[0]
		items += b.Items
		if !strings.Contains(b.Detail, "message "+string(rune('1'+i))) {
			t.Errorf("stage %d detail %q", i, b.Detail)
		}
	}
	if first := p.Stages[0].Batches[0].Detail; !strings.Contains(first, "-alias A") {
		t.Errorf("the deletion is not in the first message: %s", first)
	}
	if items != 32 {
		t.Errorf("%d RRsets over all messages, want 32", items)
	}
	after := replay(t, live, p)
	if again := planOf(pl, desired, after); !again.Empty() {
		t.Errorf("not converged: %+v", again.Changes)
	}
}

// TestPlanApexNS: apex NS are left alone unless the zone file declares
// some; then they are managed like any RRset (added before removed).
func TestPlanApexNS(t *testing.T) {
	live := &model.Live{Domains: []model.LiveDomain{liveDomain(t, "a.test", "www 300 IN A 192.0.2.1")}}
	undeclared := &model.Desired{Domains: []model.Domain{desiredDomain("a.test", want("www", "A", "192.0.2.1", 300))}}
	if p := planOf(testPlanner(0), undeclared, live); !p.Empty() || len(p.Refusals) > 0 {
		t.Errorf("undeclared apex NS planned: %+v %v", p.Changes, p.Refusals)
	}
	declared := &model.Desired{Domains: []model.Domain{desiredDomain("a.test", want("www", "A", "192.0.2.1", 300),
		want("@", "NS", "ns1.a.test.", 3600), want("@", "NS", "ns3.example.net.", 3600))}}
	p := planOf(testPlanner(0), declared, live)
	if got, want := kinds(p), map[plan.ChangeKind]int{plan.RecordCreate: 1, plan.RecordDelete: 1}; !cmp.Equal(got, want) || len(p.Refusals) > 0 {
		t.Fatalf("changes %v, refusals %v", got, p.Refusals)
	}
	after := replay(t, live, p)
	if again := planOf(testPlanner(0), declared, after); !again.Empty() {
		t.Errorf("not converged: %+v", again.Changes)
	}
	// Replacing every name server works too: additions come first.
	all := &model.Desired{Domains: []model.Domain{desiredDomain("a.test", want("www", "A", "192.0.2.1", 300),
		want("@", "NS", "ns8.example.net.", 3600), want("@", "NS", "ns9.example.net.", 3600))}}
	replay(t, live, planOf(testPlanner(0), all, live))
}

// TestPlanKeepsIgnoredRecords: a record an ignore rule covers stays in its
// RRset when the rest of the RRset changes.
func TestPlanKeepsIgnoredRecords(t *testing.T) {
	live := &model.Live{Domains: []model.LiveDomain{liveDomain(t, "a.test", "_acme 300 IN TXT token", "_acme 300 IN TXT mine")}}
	d := desiredDomain("a.test", want("_acme", "TXT", "other", 300))
	d.DNS.Ignore = []model.Ignore{{Name: "_acme", Value: "token"}}
	desired := &model.Desired{Domains: []model.Domain{d}}
	p := planOf(testPlanner(0), desired, live)
	if got, want := kinds(p), map[plan.ChangeKind]int{plan.RecordCreate: 1, plan.RecordDelete: 1}; !cmp.Equal(got, want) {
		t.Fatalf("changes %v", got)
	}
	after := replay(t, live, p)
	var txt []string
	for _, r := range after.Domains[0].DNS.Records {
		if r.Type == "TXT" {
			txt = append(txt, r.Value)
		}
	}
	if !cmp.Equal(txt, []string{"other", "token"}) {
		t.Errorf("TXT after = %v", txt)
	}
}

// TestPlanRefusals: what a server cannot hold is refused before anything
// is sent, naming the records.
func TestPlanRefusals(t *testing.T) {
	live := &model.Live{Domains: []model.LiveDomain{liveDomain(t, "a.test", "www 300 IN A 192.0.2.1")}}
	paused := want("off", "A", "192.0.2.7", 300)
	paused.Enabled = false
	lined := want("cn", "A", "192.0.2.8", 300)
	lined.Line = "电信"
	tests := []struct {
		name string
		recs []model.Record
		want string
	}{
		{"one TTL per RRset", []model.Record{want("www", "A", "192.0.2.1", 300), want("www", "A", "192.0.2.2", 600)}, "share one TTL"},
		{"paused", []model.Record{want("www", "A", "192.0.2.1", 300), paused}, "cannot keep a record disabled"},
		{"line", []model.Record{want("www", "A", "192.0.2.1", 300), lined}, "has no lines"},
		{"apex NS TTL", []model.Record{want("www", "A", "192.0.2.1", 300), want("@", "NS", "ns1.a.test.", 60), want("@", "NS", "ns2.a.test.", 60)}, "apex NS"},
		{"too large", []model.Record{want("www", "A", "192.0.2.1", 300), want("big", "TXT", strings.Repeat("z", 70000), 300)}, "more than the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := planOf(testPlanner(0), &model.Desired{Domains: []model.Domain{desiredDomain("a.test", tt.recs...)}}, live)
			if len(p.Refusals) == 0 || !strings.Contains(p.Refusals[0].Reason, tt.want) || p.Refusals[0].Rule != plan.RuleProviderRules {
				t.Fatalf("refusals %v, want one saying %q", p.Refusals, tt.want)
			}
			if len(p.Stages) != 0 {
				t.Errorf("a refused zone has batches: %+v", p.Stages)
			}
		})
	}
}

// TestPlanRefusesCNAMEBesideKeptData: a CNAME next to data that stays
// (here because upsert-only keeps it) would be ignored by the server.
func TestPlanRefusesCNAMEBesideKeptData(t *testing.T) {
	live := &model.Live{Domains: []model.LiveDomain{liveDomain(t, "a.test", "alias 300 IN CNAME elsewhere.example.")}}
	d := desiredDomain("a.test", want("alias", "TXT", "hello", 300))
	d.DNS.Policy = model.PolicyUpsertOnly
	p := planOf(testPlanner(0), &model.Desired{Domains: []model.Domain{d}}, live)
	if len(p.Refusals) != 1 || !strings.Contains(p.Refusals[0].Reason, "CNAME cannot stand beside other records (TXT)") {
		t.Fatalf("refusals %v", p.Refusals)
	}
	d.DNS.Policy = model.PolicySync // now the CNAME goes first, in the same message
	if p := planOf(testPlanner(0), &model.Desired{Domains: []model.Domain{d}}, live); len(p.Refusals) > 0 {
		t.Fatalf("sync: refusals %v", p.Refusals)
	} else {
		replay(t, live, p)
	}
}

// TestSimChecksPrerequisites: a batch planned from an older read fails as
// a whole in the simulator, as on a server, and changes nothing.
func TestSimChecksPrerequisites(t *testing.T) {
	live := &model.Live{Domains: []model.LiveDomain{liveDomain(t, "a.test", "www 300 IN A 192.0.2.1")}}
	desired := &model.Desired{Domains: []model.Domain{desiredDomain("a.test", want("www", "A", "192.0.2.2", 300), want("new", "A", "192.0.2.3", 300))}}
	p := planOf(testPlanner(0), desired, live)
	moved := &model.Live{Domains: []model.LiveDomain{liveDomain(t, "a.test", "www 300 IN A 192.0.2.9")}}
	sim := NewSim(moved)
	err := sim.Apply(p.Stages[0].Batches[0])
	if err == nil || !strings.Contains(err.Error(), "prerequisite failed (NXRRSET)") {
		t.Fatalf("Apply = %v, want a failed prerequisite", err)
	}
	out := &model.Live{Domains: []model.LiveDomain{{Name: "a.test"}}}
	sim.Export(out)
	if d := cmp.Diff(moved.Domains[0].DNS.Records, out.Domains[0].DNS.Records); d != "" {
		t.Errorf("a failed update changed the zone (-before +after):\n%s", d)
	}
}
