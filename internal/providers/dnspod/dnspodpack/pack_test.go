package dnspodpack

import (
	"testing"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

func rr(id, name, typ, value string) model.Record {
	r := model.Record{ID: id, Name: name, Type: typ, Line: model.DefaultLine, Value: value, TTL: 600, Enabled: true}
	if typ == model.TypeMX {
		r.MX = 10
	}
	return r
}

// zoneOf is zone idx holding live and wanting desired, none matching.
func zoneOf(idx int, name string, live, desired []model.Record) *Zone {
	zd := &providers.ZoneDiff{Domain: name, Provider: "p", Policy: model.PolicySync, Records: live, Desired: desired,
		Live: &model.LiveDNS{DomainID: name + "-id"}}
	for i := range live {
		zd.LeftLive = append(zd.LeftLive, i)
	}
	for i := range desired {
		zd.LeftDesired = append(zd.LeftDesired, i)
	}
	return NewZone(idx, zd, dnspodrules.DefaultOptions())
}

// Identical create parts of several zones share a chunk, as many zones
// per chunk as records × zones fit the limit; a zone with other creates
// gets its own.
func TestCreateSetsShared(t *testing.T) {
	same := []model.Record{rr("", "a", model.TypeA, "192.0.2.1"), rr("", "b", model.TypeA, "192.0.2.2")}
	zones := []*Zone{zoneOf(0, "z0", nil, same), zoneOf(1, "z1", nil, same), zoneOf(2, "z2", nil, same),
		zoneOf(3, "z3", nil, same[:1])}
	pk := NewPacker(zones, Limits{Modify: 10, Create: 4}, IdentityItem)
	res, again := pk.Attempt()
	if again {
		t.Fatal("nothing to reorder, yet another attempt asked for")
	}
	var got [][]int
	for _, ch := range res.Chunks {
		if ch.Kind != ChunkCreate || ch.Items() > 4 {
			t.Fatalf("chunk %+v", ch)
		}
		got = append(got, ch.Zones)
	}
	// Two zones × two records per call, then the third zone, then z3's
	// own part; parts in the order their first zone has them.
	want := [][]int{{0, 1}, {2}, {3}}
	if len(got) != len(want) {
		t.Fatalf("chunks of zones %v, want %v", got, want)
	}
	byZones := map[int]int{}
	for _, zs := range got {
		byZones[zs[0]] = len(zs)
	}
	for _, zs := range want {
		if byZones[zs[0]] != len(zs) {
			t.Fatalf("chunks of zones %v, want %v", got, want)
		}
	}
}

// A type change into a CNAME beside another record of the name cannot
// run while that record stands: the packer moves its removal before the
// writes rather than refuse.
func TestConflictMovesRemovalFirst(t *testing.T) {
	live := []model.Record{rr("1", "www", model.TypeA, "192.0.2.1"), rr("2", "www", model.TypeA, "192.0.2.2")}
	desired := []model.Record{rr("", "www", model.TypeCNAME, "a.example.net.")}
	z := zoneOf(0, "z", live, desired)
	z.PairOf[0], z.KindOf[0], z.LUsed[0] = 0, KindType, true
	pk := NewPacker([]*Zone{z}, Limits{Modify: 10, Create: 10}, IdentityItem)
	res, again := pk.Attempt()
	if again || len(res.Refusals) > 0 {
		t.Fatalf("again %t, refusals %v", again, res.Refusals)
	}
	var del *Op
	for _, o := range res.Ops {
		if o.Kind == plan.RecordDelete {
			del = o
		}
	}
	if del == nil || del.Before().ID != "2" || !del.Early || !pk.Early[[2]int{0, 1}] {
		t.Fatalf("removal of record 2 not moved first: %+v", del)
	}
	if !res.Sensitive[CellKey{0, "www", model.DefaultLine}] {
		t.Fatal("the www cell was not found to need ordering")
	}
}
