package dnspodpack

import (
	"testing"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

func simRec(id, name, typ, value string) model.Record {
	return model.Record{ID: id, Name: name, Type: typ, Line: model.DefaultLine, Value: value, TTL: 600, Enabled: true}
}

func TestCompatible(t *testing.T) {
	a1 := simRec("1", "www", "A", "192.0.2.1")
	c1 := simRec("1", "www", "CNAME", "x.example.net.")
	a2 := simRec("2", "www", "A", "192.0.2.2")
	tests := []struct {
		name string
		vs   []model.Record
		ok   bool
	}{
		{"versions of one record never meet", []model.Record{a1, c1}, true},
		{"CNAME version beside another A", []model.Record{a1, c1, a2}, false},
		{"two A records", []model.Record{a1, a2}, true},
		{"same key twice", []model.Record{a1, simRec("3", "www", "A", "192.0.2.1")}, false},
		{"low TTL is not a coexistence problem", []model.Record{a1, func() model.Record { r := a2; r.TTL = 1; return r }()}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Compatible(dnspodrules.DefaultOptions(), tt.vs)
			if (err == nil) != tt.ok {
				t.Fatalf("compatible = %v, want ok=%t", err, tt.ok)
			}
		})
	}
}
