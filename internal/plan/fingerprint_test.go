package plan

import (
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/model"
)

// TestFingerprintCoversEveryField: the digests stream each field of the
// model by hand; a field added to the model must be added to them. The
// lists below are what fingerprint.go encodes.
func TestFingerprintCoversEveryField(t *testing.T) {
	encoded := map[reflect.Type][]string{
		reflect.TypeFor[model.Record]():        {"Name", "Type", "Line", "Value", "MX", "TTL", "Enabled", "ID", "Pos", "System"},
		reflect.TypeFor[model.Pos]():           {"File", "Line", "Col"},
		reflect.TypeFor[model.DNSHost]():       {"Host", "IPs", "Pos"},
		reflect.TypeFor[model.Live]():          {"Domains"},
		reflect.TypeFor[model.LiveDomain]():    {"Name", "Registrar", "DNS"},
		reflect.TypeFor[model.LiveRegistrar](): {"InstanceID", "Nameservers", "AliyunDNS", "DNSHosts"},
		reflect.TypeFor[model.LiveDNS]():       {"DomainID", "Grade", "MinTTL", "Lines", "Records"},
		reflect.TypeFor[model.Desired]():       {"Domains"},
		reflect.TypeFor[model.Domain]():        {"Name", "Unicode", "File", "Registrar", "DNS", "Pos"},
		reflect.TypeFor[model.Registrar]():     {"Provider", "Nameservers", "AliyunDNS", "DNSHosts", "ManageHosts", "Pos", "NSPos"},
		reflect.TypeFor[model.DNS]():           {"Provider", "TTL", "Policy", "Ignore", "Records", "Thresholds", "Pos"},
		reflect.TypeFor[model.Ignore]():        {"Name", "Type", "Value", "Pos"},
		reflect.TypeFor[model.Thresholds]():    {"UpdatePercent", "DeletePercent", "MinExisting"},
	}
	for typ, want := range encoded {
		var got []string
		for i := range typ.NumField() {
			got = append(got, typ.Field(i).Name)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s changed; teach fingerprint.go (-encoded +fields):\n%s", typ, d)
		}
	}
}

// Each field changes the digest, and lists are told apart from their
// neighbours.
func TestFingerprintSeesEveryChange(t *testing.T) {
	rec := model.Record{Name: "www", Type: "A", Line: model.DefaultLine, Value: "192.0.2.1", TTL: 600, Enabled: true, ID: "1"}
	base := func() *model.Live {
		return &model.Live{Domains: []model.LiveDomain{{Name: "a.example",
			Registrar: &model.LiveRegistrar{Nameservers: []string{"ns1", "ns2"}},
			DNS:       &model.LiveDNS{DomainID: "7", Records: []model.Record{rec}}}}}
	}
	seen := map[string]string{Fingerprint(base()): "base"}
	for name, change := range map[string]func(l *model.Live){
		"record value":    func(l *model.Live) { l.Domains[0].DNS.Records[0].Value = "192.0.2.2" },
		"record enabled":  func(l *model.Live) { l.Domains[0].DNS.Records[0].Enabled = false },
		"record id":       func(l *model.Live) { l.Domains[0].DNS.Records[0].ID = "2" },
		"no registrar":    func(l *model.Live) { l.Domains[0].Registrar = nil },
		"nameservers":     func(l *model.Live) { l.Domains[0].Registrar.Nameservers = []string{"ns1ns2"} },
		"name boundaries": func(l *model.Live) { l.Domains[0].Registrar.Nameservers = []string{"ns1", "ns", "2"} },
		"min ttl":         func(l *model.Live) { l.Domains[0].DNS.MinTTL = 1 },
		"extra record":    func(l *model.Live) { l.Domains[0].DNS.Records = append(l.Domains[0].DNS.Records, rec) },
	} {
		l := base()
		change(l)
		fp := Fingerprint(l)
		if other, dup := seen[fp]; dup {
			t.Errorf("%s: same fingerprint as %s", name, other)
		}
		seen[fp] = name
	}
	if a, b := Fingerprint(base()), Fingerprint(base()); a != b {
		t.Error("fingerprint not stable")
	}
	d := &model.Desired{Domains: []model.Domain{{Name: "a.example"}}}
	if DesiredFingerprint(d) == Fingerprint(&model.Live{Domains: []model.LiveDomain{{Name: "a.example"}}}) {
		t.Error("desired and live fingerprints of the same bytes collide")
	}
}
