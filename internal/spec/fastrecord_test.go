package spec

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync"
	"github.com/dnssync/dnssync/internal/model"
)

// sameWithoutFastPath parses data with and without the records fast path,
// and with and without the record stream, and fails when the domains or
// the diagnostics (sorted) differ.
func sameWithoutFastPath(t testing.TB, cfg *Config, name string, data []byte) {
	t.Helper()
	s, err := cfg.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fast, fds := parseZoneMode(ctx, cfg, s, parseMode{fast: true}, "z.yaml", data)
	slow, sds := parseZoneMode(ctx, cfg, s, parseMode{}, "z.yaml", data)
	fds.Sort()
	sds.Sort()
	if d := cmp.Diff(slow, fast); d != "" {
		t.Fatalf("%s: domain differs with the fast path (-slow +fast):\n%s", name, d)
	}
	if d := cmp.Diff(sds, fds); d != "" {
		t.Fatalf("%s: diagnostics differ with the fast path (-slow +fast):\n%s", name, d)
	}
	// Streamed in runs of the default size, and of one and two entries.
	for _, run := range []int{0, 1, 2} {
		streamed, stds := parseZoneMode(ctx, cfg, s, parseMode{fast: true, stream: true, run: run}, "z.yaml", data)
		stds.Sort()
		if d := cmp.Diff(fast, streamed); d != "" {
			t.Fatalf("%s: domain differs with the record stream in runs of %d (-whole +streamed):\n%s", name, run, d)
		}
		if d := cmp.Diff(fds, stds); d != "" {
			t.Fatalf("%s: diagnostics differ with the record stream in runs of %d (-whole +streamed):\n%s", name, run, d)
		}
	}
}

// trickyZones exercise what the fast path must hand back to the schema:
// aliases, merge and duplicate keys, odd integers, wrong types, empty
// strings, unknown keys, and records reached through an alias.
var trickyZones = []string{
	"domain: example.com\ndns:\n  provider: dnspod\n  records:\n    - {name: www, type: A, value: 192.0.2.1}\n    - {name: www, type: A, value: 192.0.2.1, ttl: 012}\n    - {name: a, type: MX, value: mx.example.net, mx: 10}\n    - {name: b, type: TXT, values: [x, y, \"\"]}\n    - {name: c, type: 'A1', value: 1.2.3.4}\n    - {name: d, type: A, value: 1.2.3.4, extra: 1}\n    - {name: e, type: A, value: 1.2.3.4, name: f}\n    - {name: *x, type: A}\n    - &x {name: g, type: A, value: 1.2.3.5}\n    - *x\n    - {name: h, type: A, value: 1.2.3.6, ttl: -0, mx: 1}\n    - {name: i, type: A, value: 1.2.3.7, enabled: yes, line: ''}\n",
	"domain: example.com\ndns:\n  provider: dnspod\n  records: &r\n    - {name: www, type: A, value: 192.0.2.1}\n  ignore: *r\n",
	"domain: example.com\ndns: &d\n  provider: dnspod\n  records:\n    - {name: www, type: A, value: 192.0.2.1, ttl: 99999999999}\n    - {name: x, type: A, value: 192.0.2.1, ttl: 1.0}\n    - {name: y, type: A, value: 192.0.2.1, ttl: 0x10}\n    - {name: z, type: A, value: 192.0.2.1, ttl: +5}\nregistrar: *d\n",
	"domain: example.com\ndns:\n  provider: dnspod\n  records:\n    - {name: www, type: A, value: 192.0.2.1, <<: {ttl: 5}}\n    - {? [a] : b, name: x, type: A}\n    - [1, 2]\n    - null\n    - {name: '', type: A, value: x}\n    - {name: x, type: A, values: []}\n    - {name: x, type: A, values: [1]}\n    - {name: x, type: A, enabled: 1}\n    - {name: x, type: A, mx: 70000, value: a}\n    - {name: !!str 5, type: !!binary QQ==, value: !custom v}\n",
	"dns:\n  provider: dnspod\n  records:\n    - {name: www, type: A, value: 192.0.2.1}\n",
	"domain: example.com\ndns:\n  provider: dnspod\n  unknown: 1\n  records:\n    - {name: www, type: A, value: 192.0.2.1}\n    - {name: www, type: CNAME, value: x.example.net}\n    - {name: '@', type: CNAME, value: x.example.net}\n    - {name: www, type: MX, value: mx.example.net}\n",
	"domain: example.com\ndns:\n  provider: dnspod\n  records:\n    - {name: Www, type: a, value: 192.0.2.1, line: 电信, enabled: false, ttl: 600}\n    - {name: bücher, type: A, value: 192.0.2.2}\n    - {name: _sip._tcp, type: SRV, value: 10 60 5060 sip.example.com}\n",
	"domain: example.com\ndns:\n  provider: dnspod\n  records: {name: www, type: A, value: 192.0.2.1}\n",
	"domain: example.com\ndns:\n  provider: dnspod\n  records:\n",
	"domain: example.com\ndns:\n  provider: dnspod\n  ttl: 600\n  ttl: 900\n  records:\n    - {name: www, type: A, value: 192.0.2.1}\n",
}

// TestFastPathSameResults: every file the tests and examples know loads
// to the same domain and diagnostics with and without the fast path.
func TestFastPathSameResults(t *testing.T) {
	cfg := testCfg(t)
	var files []string
	for _, g := range []string{"../../examples/zones/*.yaml", "testdata/bad/*.yaml", "testdata/good/*.yaml", "testdata/good/*/*.yaml"} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("found only %d files", len(files))
	}
	for _, f := range files {
		sameWithoutFastPath(t, cfg, f, mustRead(t, f))
	}
	for i, z := range trickyZones {
		sameWithoutFastPath(t, cfg, fmt.Sprintf("tricky zone %d", i), []byte(z))
	}
	var big strings.Builder
	big.WriteString("domain: big.example\ndns:\n  provider: dnspod\n  ttl: 600\n  records:\n")
	for i := range 2000 {
		fmt.Fprintf(&big, "    - {name: h%04d, type: A, value: 10.0.%d.%d}\n", i, i/256, i%256)
		switch i % 97 {
		case 1:
			fmt.Fprintf(&big, "    - {name: h%04d, type: A, value: 10.0.%d.%d, ttl: %d}\n", i, i/256, i%256, i)
		case 2:
			fmt.Fprintf(&big, "    - {name: h%04d, type: CNAME, value: x.example.com, bogus: %d}\n", i, i)
		}
	}
	sameWithoutFastPath(t, cfg, "large zone", []byte(big.String()))
}

// TestFastPathTaken: plain records do not reach the general validator.
func TestFastPathTaken(t *testing.T) {
	s, err := testCfg(t).Schemas()
	if err != nil {
		t.Fatal(err)
	}
	if !s.fastRecords {
		t.Fatal("the fast path is off: schema.json's records no longer match fastRecordSchema; update fastRecord and fastRecordSchema together")
	}
	src := "domain: example.com\ndns:\n  provider: dnspod\n  records:\n    - {name: www, type: A, value: 192.0.2.1}\n" +
		"    - {name: mail, type: MX, value: mx.example.net, mx: 10, ttl: 600, line: 电信, enabled: false}\n" +
		"    - {name: t, type: TXT, values: [a, b]}\n    - {name: bad, type: A, value: 1, extra: x}\n"
	d := parseYAML("z.yaml", []byte(src), true)
	if !d.ok || len(d.slow) != 1 || d.slow[0].index != 3 {
		t.Fatalf("slow entries %+v, want only entry 3", d.slow)
	}
}

// TestFastRecordsMatch: the fast path turns itself off when the schema of
// records (or of the objects above them) says anything else.
func TestFastRecordsMatch(t *testing.T) {
	load := func() map[string]any {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(dnssync.Schema()))
		if err != nil {
			t.Fatal(err)
		}
		return doc.(map[string]any)
	}
	defs := func(doc map[string]any, name string) map[string]any {
		return doc["$defs"].(map[string]any)[name].(map[string]any)
	}
	if !fastRecordsMatch(load()) {
		t.Fatal("the shipped schema does not enable the fast path")
	}
	tests := map[string]func(doc map[string]any){
		"name pattern": func(doc map[string]any) {
			defs(doc, "record")["properties"].(map[string]any)["name"].(map[string]any)["pattern"] = "^[a-z]+$"
		},
		"new record key": func(doc map[string]any) {
			defs(doc, "record")["properties"].(map[string]any)["weight"] = map[string]any{"type": "integer"}
		},
		"ttl range": func(doc map[string]any) { defs(doc, "ttl")["maximum"] = 604800 },
		"records limit": func(doc map[string]any) {
			defs(doc, "dns")["properties"].(map[string]any)["records"].(map[string]any)["maxItems"] = 10
		},
		"dns allOf":             func(doc map[string]any) { defs(doc, "dns")["allOf"] = []any{} },
		"zone dependentSchemas": func(doc map[string]any) { defs(doc, "zone")["dependentSchemas"] = map[string]any{} },
		"rrtype enum":           func(doc map[string]any) { defs(doc, "rrtype")["enum"] = []any{"A"} },
	}
	for name, mutate := range tests {
		doc := load()
		mutate(doc)
		if fastRecordsMatch(doc) {
			t.Errorf("%s: fast path still on", name)
		}
	}
}

// TestFastRecordSound: whatever fastRecord accepts, the record schema
// accepts too, over many generated entries both valid and not.
func TestFastRecordSound(t *testing.T) {
	s, err := testCfg(t).Schemas()
	if err != nil {
		t.Fatal(err)
	}
	// Per key: values the schema accepts, then values it does not.
	values := map[string][2][]string{
		"name":    {{"www", "'*.x'", "'@'", "\"2024\""}, {"''", `""`, "2024", "null", "[a]", "{a: 1}", "true"}},
		"type":    {{"A", "mx", "TXT"}, {"A1", "''", "5", "'A B'", "null", "[A]"}},
		"value":   {{"192.0.2.1", "'x y'", "'5'"}, {"''", "5", "1.5", "null", "true", "[x]"}},
		"values":  {{"[a, b]", "[a]"}, {"[]", "[a, '']", "[1]", "a", "[null]", "[[a]]"}},
		"mx":      {{"0", "10", "65535", "1.0", "012"}, {"65536", "-1", "1.5", "0x10000", "'10'", "null", "1e6"}},
		"ttl":     {{"1", "600", "2147483647", "+5", "1_000"}, {"0", "-5", "2147483648", "'600'", "null"}},
		"line":    {{"默认", "电信"}, {"''", "5", "null"}},
		"enabled": {{"true", "false", "yes"}, {"1", "'true'", "null"}},
		"extra":   {{}, {"1"}},
	}
	keys := []string{"name", "type", "value", "values", "mx", "ttl", "line", "enabled", "extra"}
	r := rand.New(rand.NewPCG(1, 2))
	accepted := 0
	for range 3000 {
		var b strings.Builder
		b.WriteString("{")
		for _, k := range keys {
			if r.IntN(3) == 0 && k != "name" && k != "type" || r.IntN(10) == 0 {
				continue
			}
			if k == "extra" && r.IntN(4) != 0 {
				continue
			}
			vs := values[k][0]
			if len(vs) == 0 || r.IntN(10) == 0 {
				vs = values[k][1]
			}
			fmt.Fprintf(&b, "%s: %s, ", k, vs[r.IntN(len(vs))])
		}
		b.WriteString("}")
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(b.String()), &n); err != nil {
			t.Fatalf("%s: %v", b.String(), err)
		}
		item := n.Content[0]
		if !fastRecord(item) {
			continue
		}
		accepted++
		d := &doc{file: "z.yaml", bad: map[string]bool{}}
		budget := 1000
		v, ok := d.convert(item, &budget, 0, elsewhere)
		if !ok {
			t.Fatalf("%s: not converted", b.String())
		}
		if err := s.record.Validate(v); err != nil {
			t.Fatalf("fastRecord accepts %s, the schema does not: %v", b.String(), err)
		}
	}
	if accepted < 100 {
		t.Fatalf("only %d of 3000 entries took the fast path", accepted)
	}
}

// TestPositions: lookups in the node tree find what convert would: the
// first of duplicate keys, values behind aliases, and the nearest
// ancestor for pointers that lead nowhere.
func TestPositions(t *testing.T) {
	src := "a: 1\nb: &x\n  c: [p, q]\nb: 2\nd: *x\n"
	d := parseYAML("f.yaml", []byte(src), false)
	if !d.ok {
		t.Fatal(d.diags)
	}
	tests := []struct {
		ptr      string
		val, key [2]int // line, col
	}{
		{"", [2]int{1, 1}, [2]int{1, 1}},
		{"/a", [2]int{1, 4}, [2]int{1, 1}},
		{"/b", [2]int{2, 4}, [2]int{2, 1}}, // the anchor starts the mapping
		{"/b/c/1", [2]int{3, 10}, [2]int{3, 10}},
		{"/d/c", [2]int{3, 6}, [2]int{3, 3}},
		{"/b/c/7", [2]int{3, 6}, [2]int{3, 6}},
		{"/b/c/01", [2]int{3, 6}, [2]int{3, 6}},
		{"/nope/x", [2]int{1, 1}, [2]int{1, 1}},
	}
	for _, tt := range tests {
		v, k := d.valuePos(tt.ptr), d.keyPos(tt.ptr)
		if got := [2]int{v.Line, v.Col}; got != tt.val {
			t.Errorf("valuePos(%q) = %v, want %v", tt.ptr, got, tt.val)
		}
		if got := [2]int{k.Line, k.Col}; got != tt.key {
			t.Errorf("keyPos(%q) = %v, want %v", tt.ptr, got, tt.key)
		}
	}
}

// TestSupportedType keeps the switch in step with the list.
func TestSupportedType(t *testing.T) {
	for _, typ := range supportedTypes() {
		if !supportedType(typ) {
			t.Errorf("%s not supported", typ)
		}
	}
	for _, typ := range []string{"", "a", "ptr", "SPF", "ANAME"} {
		if supportedType(typ) {
			t.Errorf("%s supported", typ)
		}
	}
}

// TestCrossChecksCollisions: the cross-record checks give the same
// diagnostics when every hash collides (all chains are walked) as with
// real hashes.
func TestCrossChecksCollisions(t *testing.T) {
	cfg := testCfg(t)
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	srcs := append([]string{}, trickyZones...)
	for _, f := range files {
		srcs = append(srcs, string(mustRead(t, f)))
	}
	for i, src := range srcs {
		dom, _ := ParseZone(context.Background(), cfg, "z.yaml", []byte(src))
		if dom == nil || dom.DNS == nil {
			continue
		}
		run := func(collide bool) Diagnostics {
			z := zoneDecoder{cfg: cfg, d: &doc{file: "z.yaml"}}
			if collide {
				z.crossCheck(dom.DNS.Records, dom.DNS.Ignore, false, func(model.Key) uint64 { return 0 }, func(string, string) uint64 { return 0 })
			} else {
				z.crossChecks(dom.DNS.Records, dom.DNS.Ignore, false)
			}
			return z.d.diags
		}
		real, collided := run(false), run(true)
		if d := cmp.Diff(real, collided); d != "" {
			t.Errorf("source %d: diagnostics differ when hashes collide (-real +collided):\n%s", i, d)
		}
		if i == 0 && len(real) == 0 {
			t.Error("source 0 should have cross-record problems")
		}
	}
}

// TestNoRecordsIsEmptyList: a dns section without (usable) records has an
// empty record list, not none.
func TestNoRecordsIsEmptyList(t *testing.T) {
	cfg := testCfg(t)
	for _, src := range []string{
		"domain: example.com\ndns:\n  provider: dnspod\n",
		"domain: example.com\ndns:\n  provider: dnspod\n  records: []\n",
		"domain: example.com\ndns:\n  provider: dnspod\n  records: 5\n",
	} {
		dom, _ := ParseZone(context.Background(), cfg, "z.yaml", []byte(src))
		if dom == nil || dom.DNS == nil || dom.DNS.Records == nil || len(dom.DNS.Records) != 0 {
			t.Errorf("%q: records %#v", src, dom.DNS)
		}
	}
}
