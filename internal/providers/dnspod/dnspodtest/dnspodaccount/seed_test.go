package dnspodaccount_test

import (
	"errors"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest/dnspodaccount"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud/tencentcloudtest"
	"github.com/dnssync/dnssync/internal/sandbox/emulator"
)

// seedBoth loads a seed file's dnspod and tencentcloud sections into two
// emulators over one account, as the sandbox does, and returns the
// problems (nil when there are none).
func seedBoth(t *testing.T, text string) (*dnspodtest.Server, *tencentcloudtest.Server, error) {
	t.Helper()
	dp, tc, err := seedText(t, text)
	if dp == nil && err == nil {
		t.Fatal("not a seed document")
	}
	return dp, tc, err
}

// seedText is seedBoth for any text: nil servers and no error when the
// text is not a YAML mapping of sections (the sandbox's part to judge).
func seedText(t *testing.T, text string) (*dnspodtest.Server, *tencentcloudtest.Server, error) {
	acct := dnspodaccount.New(dnspodaccount.Options{})
	dp := dnspodtest.New(dnspodtest.Options{Account: acct})
	tc := tencentcloudtest.New(tencentcloudtest.Options{Account: acct})
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, nil
	}
	r := emulator.NewSeedReader("s.yaml")
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		var f dnspodaccount.Frontend
		switch top.Content[i].Value {
		case "dnspod":
			f = dp
		case "tencentcloud":
			f = tc
		default:
			continue
		}
		if err := (dnspodaccount.Plugin{F: f}).Seed(r, top.Content[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	return dp, tc, r.Err()
}

// TestSeedOneAccount: a domain seeded in either section is the account's,
// read alike through both APIs; listed in both, it must say the same in
// both, or the difference is reported where it is.
func TestSeedOneAccount(t *testing.T) {
	dp, tc, err := seedBoth(t, `dnspod:
  domains:
    - name: a.example
      grade: DP_Plus
      records: &recs
        - {name: www, type: A, value: 192.0.2.1, line: 国外}
        - {name: "@", type: MX, value: mx.example.net, mx: 10}
    - name: only-legacy.example
      records:
        - {name: www, type: A, value: 192.0.2.2}
tencentcloud:
  domains:
    - name: a.example
      grade: DP_PLUS
      records:
        - {name: www, type: A, value: 192.0.2.1, line: 境外}
        - {name: "@", type: MX, value: mx.example.net., mx: 10}
`)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.example", "only-legacy.example"} {
		l, v := dp.Records(name), tc.Records(name)
		if len(l) == 0 || len(l) != len(v) {
			t.Fatalf("%s: legacy %d records, API 3.0 %d", name, len(l), len(v))
		}
		for i := range l {
			if l[i].ID != v[i].ID || l[i].Value != v[i].Value {
				t.Errorf("%s record %d: legacy %+v, API 3.0 %+v", name, i, l[i], v[i])
			}
		}
	}
	if got := lineOf(dp.Records("a.example"), "www"); got != "国外" {
		t.Errorf("legacy line %q, want 国外", got)
	}
	if got := lineOf(tc.Records("a.example"), "www"); got != "境外" {
		t.Errorf("API 3.0 line %q, want 境外", got)
	}

	_, _, err = seedBoth(t, `dnspod:
  domains:
    - name: a.example
      records:
        - {name: www, type: A, value: 192.0.2.1}
        - {name: api, type: A, value: 192.0.2.9}
tencentcloud:
  domains:
    - name: a.example
      records:
        - {name: www, type: A, value: 192.0.2.1}
        - {name: www, type: A, value: 192.0.2.5}
    - name: a.example
      grade: DP_EXTRA
`)
	var se *emulator.SeedError
	if !errors.As(err, &se) {
		t.Fatalf("differing sections: %v, want a *SeedError", err)
	}
	want := []string{
		"s.yaml:9:7: tencentcloud domain a.example lacks records the dnspod section gives it (api A \"192.0.2.9\")",
		"s.yaml:12:11: a.example: record www A \"192.0.2.5\" (ttl 600) is not in the dnspod section's entry",
		"s.yaml:13:7: tencentcloud domain a.example is listed twice",
		"s.yaml:13:7: tencentcloud domain a.example: grade DP_EXTRA, but the dnspod section gives DP_Free",
	}
	if len(se.Problems) != len(want) {
		t.Fatalf("problems:\n%v\nwant %d", err, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(se.Problems[i].String(), w) {
			t.Errorf("problem %d: %s\nwant prefix %s", i, se.Problems[i], w)
		}
	}
}

func lineOf(recs []model.Record, name string) string {
	for _, r := range recs {
		if r.Name == name {
			return r.Line
		}
	}
	return ""
}

// TestLoadParts: while a saved state loads, a second emulator's part must
// describe the account the first loaded; a part without domains agrees
// with any; afterwards an import replaces the account (drift).
func TestLoadParts(t *testing.T) {
	acct := dnspodaccount.New(dnspodaccount.Options{})
	dp := dnspodtest.New(dnspodtest.Options{Account: acct})
	tc := tencentcloudtest.New(tencentcloudtest.Options{Account: acct})
	if _, err := dp.AddDomain("example.com", "DP_Free"); err != nil {
		t.Fatal(err)
	}
	if _, err := dp.AddRecord("example.com", model.Record{Name: "www", Type: "A", Value: "192.0.2.1", TTL: 600, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	legacy, err := dp.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	v3, err := tc.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	empty := []byte(`{"next_domain_id": 86000000, "next_record_id": 2183921000, "domains": null}`)

	load := func(parts ...[]byte) error {
		acct.BeginLoad()
		defer acct.EndLoad()
		for i, p := range parts {
			f := dnspodaccount.Frontend(dp)
			if i%2 == 1 {
				f = tc
			}
			if err := f.UnmarshalState(p); err != nil {
				return err
			}
		}
		return nil
	}
	if err := load(legacy, v3); err != nil {
		t.Fatalf("agreeing parts: %v", err)
	}
	if err := load(legacy, empty); err != nil {
		t.Fatalf("a part without domains: %v", err)
	}
	if !tc.HasDomain("example.com") {
		t.Error("an empty second part emptied the account")
	}

	// The API 3.0 part changed alone: a record's value differs.
	st := tc.Export()
	changed := st
	changed.Domains[0].Records = append([]model.Record(nil), st.Domains[0].Records...)
	for i, r := range changed.Domains[0].Records {
		if r.Name == "www" {
			changed.Domains[0].Records[i].Value = "192.0.2.99"
		}
	}
	if err := load(legacy, marshal(t, changed)); err == nil || !strings.Contains(err.Error(), "differs from the one the dnspod part describes") {
		t.Fatalf("disagreeing parts: %v", err)
	}

	// Outside a load, an import is drift: it replaces the account.
	if err := tc.Import(changed); err != nil {
		t.Fatal(err)
	}
	if got := valueOf(dp.Records("example.com"), "www"); got != "192.0.2.99" {
		t.Errorf("after drift through API 3.0 the legacy API reads %q", got)
	}
}

func valueOf(recs []model.Record, name string) string {
	for _, r := range recs {
		if r.Name == name {
			return r.Value
		}
	}
	return ""
}

func marshal(t *testing.T, st tencentcloudtest.State) []byte {
	t.Helper()
	tc := tencentcloudtest.New(tencentcloudtest.Options{})
	if err := tc.Import(st); err != nil {
		t.Fatal(err)
	}
	b, err := tc.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGrade(t *testing.T) {
	for in, want := range map[string]string{"DP_FREE": "DP_Free", "dp_plus": "DP_Plus", "D_Extra": "D_Extra", " DP_Ultra ": "DP_Ultra"} {
		if got, ok := dnspodaccount.Grade(in); !ok || got != want {
			t.Errorf("Grade(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "DP_Gold", "X_Free", "DPFree", "DP_"} {
		if g, ok := dnspodaccount.Grade(bad); ok {
			t.Errorf("Grade(%q) = %q, accepted", bad, g)
		}
	}
	if dnspodaccount.Level("DP_EXPERT") != 4 || !dnspodaccount.IsFree("D_Free") || dnspodaccount.IsFree("DP_Plus") {
		t.Error("levels")
	}
}
