package dnspodrules

import (
	"fmt"
	"testing"

	"github.com/dnssync/dnssync/internal/model"
)

func counter() func() string {
	n := 100
	return func() string { n++; return fmt.Sprint(n) }
}

func rec(name, typ, value string) model.Record {
	r := model.Record{Name: name, Type: typ, Line: model.DefaultLine, Value: value, TTL: 600, Enabled: true}
	if typ == model.TypeMX {
		r.MX = 10
	}
	return r
}

func TestCreate(t *testing.T) {
	base := []model.Record{
		rec("www", "A", "192.0.2.1"),
		rec("cdn", "CNAME", "a.cdn.example.net."),
		rec("@", "MX", "mx.example.net."),
		{Name: "@", Type: "NS", Line: model.DefaultLine, Value: "f1g1ns1.dnspod.net.", TTL: 86400, Enabled: true, System: true},
	}
	tests := []struct {
		name string
		opts func(*Options)
		r    model.Record
		code int
	}{
		{name: "ok second A", r: rec("www", "A", "192.0.2.2")},
		{name: "duplicate", r: rec("www", "A", "192.0.2.1"), code: CodeDuplicate},
		{name: "cname beside A", r: rec("www", "CNAME", "x.example.net."), code: CodeConflict},
		{name: "cname other line ok", r: func() model.Record { r := rec("www", "CNAME", "x.example.net."); r.Line = "电信"; return r }()},
		{name: "apex cname beside MX tolerated", r: rec("@", "CNAME", "x.example.net.")},
		{name: "apex cname beside MX strict", opts: func(o *Options) { o.ApexCNAMEAllowsMXTXT = false }, r: rec("@", "CNAME", "x.example.net."), code: CodeConflict},
		{name: "bad type", r: rec("a", "URL", "http://x"), code: CodeType},
		{name: "bad line", r: func() model.Record { r := rec("a", "A", "192.0.2.9"); r.Line = "火星"; return r }(), code: CodeLine},
		{name: "bad A", r: rec("a", "A", "2001:db8::1"), code: CodeValue},
		{name: "bad AAAA", r: rec("a", "AAAA", "192.0.2.1"), code: CodeValue},
		{name: "bad MX prio", r: func() model.Record { r := rec("m", "MX", "mx.example.net."); r.MX = 21; return r }(), code: CodeMX},
		{name: "MX prio 0 legacy", r: func() model.Record { r := rec("m", "MX", "mx.example.net."); r.MX = 0; return r }(), code: CodeMX},
		{name: "MX prio 0 API 3.0", opts: func(o *Options) { o.MinMX, o.MaxMX = APIv3MinMX, APIv3MaxMX },
			r: func() model.Record { r := rec("m", "MX", "mx.example.net."); r.MX = 0; return r }()},
		{name: "MX prio 65535 API 3.0", opts: func(o *Options) { *o = APIv3Options() },
			r: func() model.Record { r := rec("m", "MX", "mx.example.net."); r.MX = 65535; return r }()},
		{name: "MX prio 65536 API 3.0", opts: func(o *Options) { *o = APIv3Options() },
			r: func() model.Record { r := rec("m", "MX", "mx.example.net."); r.MX = 65536; return r }(), code: CodeMX},
		{name: "ttl below grade", r: func() model.Record { r := rec("a", "A", "192.0.2.9"); r.TTL = 60; return r }(), code: CodeTTL},
		{name: "ttl ok paid grade", opts: func(o *Options) { o.MinTTL = 1 }, r: func() model.Record { r := rec("a", "A", "192.0.2.9"); r.TTL = 60; return r }()},
		{name: "apex NS on other line", r: func() model.Record { r := rec("@", "NS", "ns.example.net."); r.Line = "电信"; return r }(), code: CodeApexNSLine},
		{name: "bad name", r: rec("a b", "A", "192.0.2.9"), code: CodeSubDomain},
		{name: "wildcard inside", r: rec("a.*", "A", "192.0.2.9"), code: CodeWildcard},
		{name: "wildcard ok", r: rec("*.dev", "A", "192.0.2.9")},
		{name: "srv ok", r: rec("_sip._tcp", "SRV", "10 5 5060 sip.example.com.")},
		{name: "srv bad", r: rec("_sip._tcp", "SRV", "10 5 sip.example.com."), code: CodeValue},
		{name: "round robin limit", opts: func(o *Options) { o.RoundRobinLimit = 1 }, r: rec("www", "A", "192.0.2.2"), code: CodeRoundRobinA},
		// Spec §5.4 and error 500026: several CNAMEs on one name and line
		// are DNSPod's CNAME load balancing, within the round-robin limit.
		{name: "second cname on a name", r: rec("cdn", "CNAME", "b.cdn.example.net.")},
		{name: "cname round robin limit", opts: func(o *Options) { o.RoundRobinLimit = 1 }, r: rec("cdn", "CNAME", "b.cdn.example.net."), code: CodeRoundRobinCN},
		{name: "A beside cnames", r: rec("cdn", "A", "192.0.2.7"), code: CodeConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			if tt.opts != nil {
				tt.opts(&o)
			}
			z := NewZone(o, counter(), base...)
			_, e := z.Create(tt.r)
			got := 0
			if e != nil {
				got = e.Code
			}
			if got != tt.code {
				t.Fatalf("Create(%v) code = %d (%v), want %d", tt.r, got, e, tt.code)
			}
			if tt.code == 0 && z.Len() != len(base)+1 {
				t.Fatalf("len = %d, want %d", z.Len(), len(base)+1)
			}
			if tt.code != 0 && z.Len() != len(base) {
				t.Fatalf("failed create changed the zone: len %d", z.Len())
			}
		})
	}
}

func TestSetAndRemove(t *testing.T) {
	z := NewZone(DefaultOptions(), counter(),
		model.Record{ID: "1", Name: "www", Type: "A", Line: model.DefaultLine, Value: "192.0.2.1", TTL: 600, Enabled: true},
		model.Record{ID: "2", Name: "www", Type: "A", Line: model.DefaultLine, Value: "192.0.2.2", TTL: 600, Enabled: true},
		model.Record{ID: "3", Name: "@", Type: "NS", Line: model.DefaultLine, Value: "ns.dnspod.net.", TTL: 86400, Enabled: true, System: true},
	)
	// A -> CNAME on a name holding two A records conflicts until one is gone.
	if e := z.Set("1", "record_type", "CNAME", "x.example.net.", 0); e == nil || e.Code != CodeConflict {
		t.Fatalf("A->CNAME beside A: got %v, want code 31", e)
	}
	if e := z.Remove("2"); e != nil {
		t.Fatal(e)
	}
	if e := z.Set("1", "record_type", "CNAME", "x.example.net.", 0); e != nil {
		t.Fatalf("A->CNAME alone: %v", e)
	}
	if r, _ := z.Get("1"); r.Type != "CNAME" || r.Value != "x.example.net." {
		t.Fatalf("record after set: %+v", r)
	}
	if e := z.Set("1", "status", "disable", "", 0); e != nil {
		t.Fatal(e)
	}
	if r, _ := z.Get("1"); r.Enabled {
		t.Fatal("status disable did not disable")
	}
	if e := z.Set("1", "ttl", "abc", "", 0); e == nil {
		t.Fatal("ttl abc accepted")
	}
	if e := z.Set("1", "ttl", "60", "", 0); e == nil || e.Code != CodeTTLModify {
		t.Fatalf("ttl 60 on modify: %v, want 29", e)
	}
	if e := z.Set("9", "ttl", "600", "", 0); e == nil || e.Code != CodeRecordID {
		t.Fatalf("unknown id: %v", e)
	}
	if e := z.Remove("3"); e == nil || e.Code != CodeNoPermission {
		t.Fatalf("remove system row: %v", e)
	}
	if e := z.Set("3", "ttl", "600", "", 0); e == nil || e.Code != CodeNoPermission {
		t.Fatalf("modify system row: %v", e)
	}
	if v := z.Violations(); len(v) != 0 {
		t.Fatalf("violations: %+v", v)
	}
}

func TestViolations(t *testing.T) {
	z := NewZone(DefaultOptions(), counter(),
		model.Record{ID: "1", Name: "a", Type: "A", Line: model.DefaultLine, Value: "192.0.2.1", TTL: 600, Enabled: true},
		model.Record{ID: "2", Name: "a", Type: "CNAME", Line: model.DefaultLine, Value: "b.example.", TTL: 600, Enabled: true},
	)
	v := z.Violations()
	if len(v) != 2 || v[0].Err.Code != CodeConflict {
		t.Fatalf("violations = %+v, want two conflicts", v)
	}
	c := z.Clone()
	if e := c.Remove("2"); e != nil {
		t.Fatal(e)
	}
	if z.Len() != 2 || len(c.Violations()) != 0 {
		t.Fatal("clone is not independent")
	}
}
