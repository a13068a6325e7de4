package render

import (
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers/aliyun"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
)

// Hand-made plans for the golden tests. They are written the way
// internal/diff is meant to build plans, but by hand, so that every kind of
// change and batch the renderings must show is present exactly once or
// twice, and a reader can check the golden files against this source.

const (
	fixtureFingerprint = "sha256:3f1c0a9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170605f4e3"
	exampleFile        = "zones/example.com.yaml"
	idnDomain          = "xn--mnchen-3ya.de" // münchen.de
	idnFile            = "zones/xn--mnchen-3ya.de.yaml"
)

func rec(name, typ, value string, ttl int) *model.Record {
	return &model.Record{Name: name, Type: typ, Line: model.DefaultLine, Value: value, TTL: ttl, Enabled: true}
}

func at(file string, line int) model.Pos { return model.Pos{File: file, Line: line, Col: 5} }

func with(r *model.Record, f func(*model.Record)) *model.Record {
	c := *r
	f(&c)
	return &c
}

func withID(r *model.Record, id string) *model.Record {
	return with(r, func(c *model.Record) { c.ID = id })
}

// fullPlan covers: nameserver change, glue sync/create/modify/delete,
// record create/update/delete in two domains one of which is an IDN, TXT
// values with quotes, pipes, backticks and HTML, an MX priority change,
// disable and enable, a non-default line, shared batches and refusals.
func fullPlan() *plan.Plan {
	const dp, ali = "dnspod", "aliyun"
	mx := with(rec("@", model.TypeMX, "mx.example.com.", 600), func(r *model.Record) { r.MX = 10 })
	txtOld := rec("note", model.TypeTXT, "<b>hello</b> `tick` a\\|b", 600)
	changes := []plan.Change{
		// example.com: registrar side.
		{ID: "example.com#1", Domain: "example.com", Kind: plan.NameserversSet, Provider: ali, Pos: at(exampleFile, 4),
			NSBefore: []string{"dns1.hichina.com", "dns2.hichina.com"}, NSAfter: []string{"ns1.example.com", "ns2.example.com"}},
		{ID: "example.com#2", Domain: "example.com", Kind: plan.HostSynchronize, Provider: ali, Pos: at(exampleFile, 6),
			HostBefore: &model.DNSHost{Host: "ns1.example.com", IPs: []string{"192.0.2.53"}},
			HostAfter:  &model.DNSHost{Host: "ns1.example.com", IPs: []string{"192.0.2.53", "2001:db8::53"}}},
		{ID: "example.com#3", Domain: "example.com", Kind: plan.HostModify, Provider: ali, Pos: at(exampleFile, 8),
			HostBefore: &model.DNSHost{Host: "ns2.example.com", IPs: []string{"192.0.2.54"}},
			HostAfter:  &model.DNSHost{Host: "ns2.example.com", IPs: []string{"192.0.2.64"}}},
		{ID: "example.com#4", Domain: "example.com", Kind: plan.HostCreate, Provider: ali, Pos: at(exampleFile, 10),
			HostAfter: &model.DNSHost{Host: "ns3.example.com", IPs: []string{"192.0.2.55"}}},
		{ID: "example.com#5", Domain: "example.com", Kind: plan.HostDelete, Provider: ali,
			HostBefore: &model.DNSHost{Host: "ns9.example.com", IPs: []string{"192.0.2.99"}}},
		// example.com: records.
		{ID: "example.com#6", Domain: "example.com", Kind: plan.RecordCreate, Provider: dp, Pos: at(exampleFile, 14),
			After: rec("www", model.TypeA, "192.0.2.10", 600)},
		{ID: "example.com#7", Domain: "example.com", Kind: plan.RecordCreate, Provider: dp, Pos: at(exampleFile, 16),
			After: rec("_dmarc", model.TypeTXT, `v=DMARC1; p=reject; rua="mailto:d@example.com" | tee`, 600)},
		{ID: "example.com#8", Domain: "example.com", Kind: plan.RecordUpdate, Provider: dp, Pos: at(exampleFile, 18),
			Before: withID(rec("api", model.TypeA, "192.0.2.20", 600), "1001"),
			After:  rec("api", model.TypeA, "192.0.2.20", 60), Fields: []string{"ttl"}},
		{ID: "example.com#9", Domain: "example.com", Kind: plan.RecordUpdate, Provider: dp, Pos: at(exampleFile, 20),
			Before: withID(mx, "1002"), After: with(mx, func(r *model.Record) { r.MX = 20 }), Fields: []string{"mx"}},
		{ID: "example.com#10", Domain: "example.com", Kind: plan.RecordUpdate, Provider: dp, Pos: at(exampleFile, 22),
			Before: withID(rec("old", model.TypeA, "192.0.2.30", 600), "1004"),
			After:  with(rec("old", model.TypeA, "192.0.2.30", 600), func(r *model.Record) { r.Enabled = false }),
			Fields: []string{"enabled"}},
		{ID: "example.com#11", Domain: "example.com", Kind: plan.RecordUpdate, Provider: dp, Pos: at(exampleFile, 24),
			Before: with(withID(rec("paused", model.TypeA, "192.0.2.31", 600), "1005"), func(r *model.Record) { r.Enabled = false }),
			After:  rec("paused", model.TypeA, "192.0.2.31", 600), Fields: []string{"enabled"}},
		{ID: "example.com#12", Domain: "example.com", Kind: plan.RecordDelete, Provider: dp,
			Before: withID(rec("legacy", model.TypeCNAME, "old.example.net.", 600), "1003")},
		{ID: "example.com#13", Domain: "example.com", Kind: plan.RecordUpdate, Provider: dp, Pos: at(exampleFile, 26),
			Before: withID(txtOld, "1006"), After: rec("note", model.TypeTXT, `say "hi" | cat`, 600), Fields: []string{"value"}},
		// münchen.de (IDN).
		{ID: idnDomain + "#1", Domain: idnDomain, Kind: plan.RecordCreate, Provider: dp, Pos: at(idnFile, 5),
			After: rec("www", model.TypeA, "192.0.2.10", 600)},
		{ID: idnDomain + "#2", Domain: idnDomain, Kind: plan.RecordCreate, Provider: dp, Pos: at(idnFile, 7),
			After: with(rec("xn--bcher-kva", model.TypeA, "192.0.2.40", 600), func(r *model.Record) { r.Line = "电信" })},
		{ID: idnDomain + "#3", Domain: idnDomain, Kind: plan.RecordUpdate, Provider: dp, Pos: at(idnFile, 9),
			Before: withID(rec("shop", model.TypeCNAME, "xn--bcher-kva.xn--mnchen-3ya.de.", 600), "2001"),
			After:  rec("shop", model.TypeCNAME, "xn--bcher-kva.xn--mnchen-3ya.de.", 60), Fields: []string{"ttl"}},
		{ID: idnDomain + "#4", Domain: idnDomain, Kind: plan.RecordDelete, Provider: dp,
			Before: withID(rec("alt", model.TypeAAAA, "2001:db8::1", 600), "2002")},
	}
	stages := []plan.Stage{
		{Name: "glue-sync", Replan: true, Batches: []plan.Batch{
			fixtureBatch("s1.b1", aliyun.NewBatch(ali, aliyun.OpSyncDNSHost, []string{"example.com"}, aliyun.Payload{Host: "ns1.example.com"}), []string{"example.com#2"}),
		}},
		{Name: "glue", Batches: []plan.Batch{
			fixtureBatch("s2.b1", aliyun.NewBatch(ali, aliyun.OpCreateDNSHost, []string{"example.com"}, aliyun.Payload{Host: "ns3.example.com", IPs: []string{"192.0.2.55"}}), []string{"example.com#4"}),
			fixtureBatch("s2.b2", aliyun.NewBatch(ali, aliyun.OpModifyDNSHost, []string{"example.com"}, aliyun.Payload{Host: "ns2.example.com", IPs: []string{"192.0.2.64"}}), []string{"example.com#3"}),
		}},
		{Name: "records", Batches: []plan.Batch{
			fixtureBatch("s3.b1", dnspod.NewBatch(dp, dnspod.OpCreate, []string{"example.com", idnDomain}, dnspod.Payload{DomainIDs: []string{"11", "12"}, Records: []model.Record{*rec("www", model.TypeA, "192.0.2.10", 600)}}), []string{"example.com#6", idnDomain + "#1"}),
			fixtureBatch("s3.b2", dnspod.NewBatch(dp, dnspod.OpCreate, []string{"example.com"}, dnspod.Payload{DomainIDs: []string{"11"}, Records: []model.Record{*changes[6].After}}), []string{"example.com#7"}),
			fixtureBatch("s3.b3", dnspod.NewBatch(dp, dnspod.OpCreate, []string{idnDomain}, dnspod.Payload{DomainIDs: []string{"12"}, Records: []model.Record{*changes[14].After}}), []string{idnDomain + "#2"}),
			fixtureBatch("s3.b4", dnspod.NewBatch(dp, dnspod.OpModify, []string{"example.com", idnDomain}, dnspod.Payload{RecordIDs: []string{"1001", "2001"}, Field: "ttl", To: "60"}), []string{"example.com#8", idnDomain + "#3"}),
			fixtureBatch("s3.b5", dnspod.NewBatch(dp, dnspod.OpModify, []string{"example.com"}, dnspod.Payload{RecordIDs: []string{"1002"}, Field: "mx", To: "20"}), []string{"example.com#9"}),
			fixtureBatch("s3.b6", dnspod.NewBatch(dp, dnspod.OpModify, []string{"example.com"}, dnspod.Payload{RecordIDs: []string{"1004"}, Field: "status", To: "disable"}), []string{"example.com#10"}),
			fixtureBatch("s3.b7", dnspod.NewBatch(dp, dnspod.OpModify, []string{"example.com"}, dnspod.Payload{RecordIDs: []string{"1005"}, Field: "status", To: "enable"}), []string{"example.com#11"}),
			fixtureBatch("s3.b8", dnspod.NewBatch(dp, dnspod.OpModify, []string{"example.com"}, dnspod.Payload{RecordIDs: []string{"1006"}, Field: "value", To: `say "hi" | cat`}), []string{"example.com#13"}),
		}},
		{Name: "record-deletes", Batches: []plan.Batch{
			fixtureBatch("s4.b1", dnspod.NewBatch(dp, dnspod.OpRemove, []string{"example.com"}, dnspod.Payload{RecordIDs: []string{"1003"}}), []string{"example.com#12"}),
			fixtureBatch("s4.b2", dnspod.NewBatch(dp, dnspod.OpRemove, []string{idnDomain}, dnspod.Payload{RecordIDs: []string{"2002"}}), []string{idnDomain + "#4"}),
		}},
		{Name: "registrar", Batches: []plan.Batch{
			fixtureBatch("s5.b1", aliyun.NewBatch(ali, aliyun.OpModifyDomainDNS, []string{"example.com"}, aliyun.Payload{Nameservers: []string{"ns1.example.com", "ns2.example.com"}}), []string{"example.com#1"}),
		}},
		{Name: "glue-delete", Batches: []plan.Batch{
			fixtureBatch("s6.b1", aliyun.NewBatch(ali, aliyun.OpDeleteDNSHost, []string{"example.com"}, aliyun.Payload{Host: "ns9.example.com"}), []string{"example.com#5"}),
		}},
	}
	return &plan.Plan{
		Version:     plan.FormatVersion,
		Fingerprint: fixtureFingerprint,
		Summary:     plan.Summarize(changes),
		Changes:     changes,
		Stages:      stages,
		Cost:        plan.Cost{Batches: 15, APICalls: 28, Tasks: 13, LowerBound: 15, PerRecordCalls: 17},
		Refusals: []plan.Refusal{
			{Domain: "example.com", Rule: "delegation", Reason: "nameservers change from dns1.hichina.com, dns2.hichina.com; a delegation change needs explicit consent"},
			{Domain: "example.org", Rule: "empty-zone", Reason: "zones/example.org.yaml declares no records; refusing to delete all 14 live records"},
		},
	}
}

// emptyPlan is what a converged state plans.
func emptyPlan() *plan.Plan {
	return &plan.Plan{Version: plan.FormatVersion, Fingerprint: fixtureFingerprint}
}

// fixtureBatch is b with its plan id and changes.
func fixtureBatch(id string, b plan.Batch, changes []string) plan.Batch {
	b.ID, b.Changes = id, changes
	return b
}
