package spec

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/aliyun"
	"github.com/dnssync/dnssync/internal/providers/all"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/model"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// TestExamplesValid: every example validates, and their normalised form is
// pinned by a golden file (canonical names, targets, TXT, defaults, order).
func TestExamplesValid(t *testing.T) {
	report, desired := Validate(context.Background(), all.Registry(), "../../examples/dnssync.yaml")
	if !report.OK || len(report.Diagnostics) != 0 {
		t.Fatalf("examples have problems:\n%v", report.Diagnostics)
	}
	if report.Summary.Domains != 9 {
		t.Errorf("domains = %d, want 9", report.Summary.Domains)
	}
	b, err := json.MarshalIndent(desired, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "examples.desired.json", append(b, '\n'))
}

// TestExamplesMatchSchema checks the examples with the schema alone, the way
// an editor does (the top-level if/then/else picks zone or config).
func TestExamplesMatchSchema(t *testing.T) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(mustRead(t, "../../schema.json")))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../../examples/zones/*.yaml")
	files = append(files, "../../examples/dnssync.yaml")
	if len(files) < 6 {
		t.Fatalf("found %d example files", len(files))
	}
	for _, f := range files {
		data := mustRead(t, f)
		if !bytes.HasPrefix(data, []byte("# yaml-language-server: $schema=")) {
			t.Errorf("%s: first line is not a yaml-language-server modeline", f)
		}
		d := parseYAML(f, data, false)
		if !d.ok {
			t.Fatalf("%s: %v", f, d.diags)
		}
		if err := sch.Validate(d.root); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	// And the schema rejects a broken zone and a broken config.
	for _, bad := range []string{"domain: example.com\ndns: {records: 1}\n", "providers: {x: {type: y}}\n"} {
		d := parseYAML("bad.yaml", []byte(bad), false)
		if err := sch.Validate(d.root); err == nil {
			t.Errorf("schema accepted %q", bad)
		}
	}
}

func mustRead(t testing.TB, f string) []byte {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBadFixtures: every bad fixture fails on its own, and the whole
// directory's report is pinned in text and JSON.
func TestBadFixtures(t *testing.T) {
	cfg, err := LoadConfig("testdata/dnssync.yaml", all.Registry())
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "twice-") {
			continue // only bad together, see TestDomainTwice
		}
		_, ds := LoadZone(context.Background(), cfg, f)
		if !ds.HasErrors() {
			t.Errorf("%s: no error reported", f)
		}
		for _, d := range ds {
			if d.Pos.File != f || d.Pos.Line < 1 || d.Rule == "" || d.Message == "" {
				t.Errorf("%s: incomplete diagnostic %+v", f, d)
			}
		}
	}
	report, _ := Validate(context.Background(), all.Registry(), "testdata/dnssync.yaml")
	var text, js bytes.Buffer
	if err := report.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	golden(t, "bad.txt", text.Bytes())
	golden(t, "bad.json", js.Bytes())

	configReport, _ := Validate(context.Background(), all.Registry(), "testdata/badconfig/config.yaml", "testdata/bad/values.yaml")
	text.Reset()
	if err := configReport.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	golden(t, "badconfig.txt", text.Bytes())
}

func TestDomainTwice(t *testing.T) {
	cfg := testCfg(t)
	_, ds := LoadFiles(context.Background(), cfg, "testdata/bad/twice-b.yaml", "testdata/bad/twice-a.yaml")
	if len(ds) != 1 || ds[0].Rule != RuleDomainTwice {
		t.Fatalf("got %v", ds)
	}
	d := ds[0]
	if d.Pos.File != "testdata/bad/twice-b.yaml" || !strings.Contains(d.Message, "testdata/bad/twice-a.yaml") {
		t.Errorf("diagnostic must sit in one file and name the other: %v", d)
	}
	// Each file alone is fine.
	for _, f := range []string{"testdata/bad/twice-a.yaml", "testdata/bad/twice-b.yaml"} {
		if _, ds := LoadZone(context.Background(), cfg, f); len(ds) != 0 {
			t.Errorf("%s alone: %v", f, ds)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	cfg := testCfg(t)
	dir := t.TempDir()
	_, ds := Load(context.Background(), cfg, filepath.Join(dir, "missing.yaml"))
	if len(ds) != 1 || ds[0].Rule != RuleReadFile {
		t.Errorf("missing file: %v", ds)
	}
	cfg.ZonesDir = filepath.Join(dir, "nozones")
	_, ds = Load(context.Background(), cfg)
	if len(ds) != 1 || ds[0].Rule != RuleZonesDir {
		t.Errorf("missing zones dir: %v", ds)
	}
	if _, err := LoadConfig(filepath.Join(dir, "dnssync.yaml"), all.Registry()); err == nil {
		t.Error("LoadConfig of a missing file succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, ds = LoadFiles(ctx, cfg, "../../examples/zones/example.com.yaml")
	if !ds.HasErrors() {
		t.Error("cancelled load reported nothing")
	}
}

// TestLoadZoneNormalises pins the canonical form of one record of each kind.
func TestLoadZoneNormalises(t *testing.T) {
	cfg := testCfg(t)
	src := `domain: Bücher.Example.
registrar:
  provider: aliyun
  nameservers: [NS2.bücher.example., ns1.bücher.example]
  dns_hosts:
    - {host: ns2.bücher.example, ips: ["2001:DB8::53", 192.0.2.53]}
    - {host: ns1.bücher.example, ips: [192.0.2.54]}
dns:
  provider: pro
  ttl: 120
  records:
    - {name: WWW, type: cname, value: Bücher.Example}
    - {name: "@", type: MX, value: MX.example.net, mx: 5}
    - {name: "@", type: TXT, value: '"v=spf1 " "-all"'}
    - {name: _sip._tcp, type: SRV, value: "1 2 3 SIP.example.net"}
    - {name: "@", type: CAA, value: "0 ISSUE ca.example.net"}
    - {name: "*", type: AAAA, value: "2001:0DB8::0001", line: 广东电信, ttl: 60, enabled: false}
`
	dom, ds := ParseZone(context.Background(), cfg, "z.yaml", []byte(src))
	if len(ds) != 0 {
		t.Fatalf("diagnostics: %v", ds)
	}
	pos := func(line, col int) model.Pos { return model.Pos{File: "z.yaml", Line: line, Col: col} }
	rec := func(name, typ, line, value string, mx, ttl int, enabled bool, p model.Pos) model.Record {
		return model.Record{Name: name, Type: typ, Line: line, Value: value, MX: mx, TTL: ttl, Enabled: enabled, Pos: p}
	}
	want := &model.Domain{
		Name: "xn--bcher-kva.example", Unicode: "bücher.example", File: "z.yaml", Pos: pos(1, 9),
		Registrar: &model.Registrar{
			Provider:    "aliyun",
			Nameservers: []string{"ns1.xn--bcher-kva.example", "ns2.xn--bcher-kva.example"},
			DNSHosts: []model.DNSHost{
				{Host: "ns1.xn--bcher-kva.example", IPs: []string{"192.0.2.54"}, Pos: pos(7, 7)},
				{Host: "ns2.xn--bcher-kva.example", IPs: []string{"192.0.2.53", "2001:db8::53"}, Pos: pos(6, 7)},
			},
			ManageHosts: true, Pos: pos(2, 1), NSPos: pos(4, 3),
		},
		DNS: &model.DNS{
			Provider: "pro", TTL: 120, Policy: model.PolicySync, Thresholds: model.DefaultThresholds(), Pos: pos(8, 1),
			Records: []model.Record{
				rec("@", "CAA", model.DefaultLine, `0 issue "ca.example.net"`, 0, 120, true, pos(16, 7)),
				rec("@", "MX", model.DefaultLine, "mx.example.net.", 5, 120, true, pos(13, 7)),
				rec("@", "TXT", model.DefaultLine, "v=spf1 -all", 0, 120, true, pos(14, 7)),
				rec("*", "AAAA", "广东电信", "2001:db8::1", 0, 60, false, pos(17, 7)),
				rec("_sip._tcp", "SRV", model.DefaultLine, "1 2 3 sip.example.net.", 0, 120, true, pos(15, 7)),
				rec("www", "CNAME", model.DefaultLine, "xn--bcher-kva.example.", 0, 120, true, pos(12, 7)),
			},
		},
	}
	if diff := cmp.Diff(want, dom); diff != "" {
		t.Errorf("ParseZone (-want +got):\n%s", diff)
	}
}

func TestConfig(t *testing.T) {
	cfg, err := LoadConfig("../../examples/dnssync.yaml", all.Registry())
	if err != nil {
		t.Fatal(err)
	}
	dp := cfg.Providers["dnspod"]
	want := Provider{
		Name: "dnspod", Type: "dnspod", Endpoint: "https://127.0.0.1:18444",
		Credentials: Credentials{File: filepath.Join("../../examples", ".dnssync/sandbox-credentials.yaml"), Pos: model.Pos{File: "../../examples/dnssync.yaml", Line: 20, Col: 7}},
		CAFile:      filepath.Join("../../examples", ".dnssync/sandbox-ca.pem"),
		RateLimit:   20, Burst: 5, BatchSize: 100, Concurrency: 2,
		Options:      map[string]providers.Option{"min_ttl": {Value: 60, Pos: model.Pos{File: "../../examples/dnssync.yaml", Line: 22, Col: 14}}},
		PollInterval: 500 * time.Millisecond, TaskTimeout: 10 * time.Minute, Timeout: 30 * time.Second,
		Pos: model.Pos{File: "../../examples/dnssync.yaml", Line: 15, Col: 3},
	}
	if diff := cmp.Diff(want, dp); diff != "" {
		t.Errorf("dnspod provider (-want +got):\n%s", diff)
	}
	if got := cfg.ZonesDir; got != filepath.Join("../../examples", "zones") {
		t.Errorf("ZonesDir = %q", got)
	}
	// An empty config is all defaults; no secrets are ever part of Config.
	empty, ds := ParseConfig("x/dnssync.yaml", nil, all.Registry())
	if len(ds) != 0 {
		t.Fatal(ds)
	}
	if empty.Defaults != (Defaults{TTL: 600, Line: model.DefaultLine, Policy: model.PolicySync}) || empty.StateDir != filepath.Join("x", ".dnssync") {
		t.Errorf("defaults: %+v", empty)
	}
	tb, ds := ParseConfig("dnssync.yaml", []byte("providers: {d: {type: dnspod, throttle_backoff: 90s}}"), all.Registry())
	if got := tb.Providers["d"].Duration("throttle_backoff", 0); len(ds) != 0 || got != 90*time.Second {
		t.Errorf("throttle_backoff: %v, %v", got, ds)
	}
	// The size limit: 64 MiB by default, a size with a unit or a number
	// of bytes.
	if got := empty.Limits.MaxFileSize; got != 64<<20 {
		t.Errorf("default max_file_size = %d", got)
	}
	for src, want := range map[string]int64{"limits: {max_file_size: 256MiB}": 256 << 20, "limits: {max_file_size: 500MB}": 500e6, "limits: {max_file_size: 1000}": 1000} {
		c, ds := ParseConfig("dnssync.yaml", []byte(src), all.Registry())
		if len(ds) != 0 || c.Limits.MaxFileSize != want || c.ReadOptions().MaxSize != want {
			t.Errorf("%s: %d, %v; want %d", src, c.Limits.MaxFileSize, ds, want)
		}
	}
	if p := DefaultProvider("a", aliyun.Type{}); p.Endpoint != aliyun.DefaultEndpoint || !p.Credentials.Env {
		t.Errorf("aliyun defaults: %+v", p)
	}
}

func TestConfigRules(t *testing.T) {
	tests := []struct {
		rule, good, bad string
	}{
		{RuleEndpoint, "providers: {a: {type: aliyun, endpoint: 'https://127.0.0.1:18443/'}}", "providers: {a: {type: aliyun, endpoint: '127.0.0.1:18443'}}"},
		{RuleCredentials, "providers: {a: {type: aliyun, credentials: {file: c.yaml}}}", "providers: {a: {type: aliyun, credentials: {env: true, file: c.yaml}}}"},
		{RuleProvOption, "providers: {d: {type: dnspod, min_ttl: 1}}", "providers: {a: {type: aliyun, min_ttl: 1}}"},
		{RuleProvOption, "providers: {d: {type: dnspod, throttle_backoff: 5s}}", "providers: {a: {type: aliyun, throttle_backoff: 5s}}"},
		{RuleDuration, "providers: {d: {type: dnspod, throttle_backoff: 250ms}}", "providers: {d: {type: dnspod, throttle_backoff: 0s}}"},
		{RuleDuration, "providers: {a: {type: aliyun, timeout: 1m30s}}", "providers: {a: {type: aliyun, timeout: 0s}}"},
		{RuleLine, "{providers: {d: {type: dnspod}}, defaults: {line: 电信}}", "{providers: {d: {type: dnspod}}, defaults: {line: 火星}}"},
		{RuleLine, "{providers: {d: {type: dnspod, lines: [境内]}}, defaults: {line: 境内}}", "{providers: {d: {type: dnspod}}, defaults: {line: 境内}}"},
		{RuleUnknownKey, "state_dir: s", "statedir: s"},
		{RuleProvName, "providers: {ab: {type: aliyun}}", "providers: {Ab: {type: aliyun}}"},
		{RuleSchema, "providers: {ab: {type: aliyun}}", "providers: {ab: {type: gandi}}"},
		{RuleSchemaType, "safety: {allow_delegation_changes: true}", "safety: {allow_delegation_changes: yes please}"},
		{RuleMissingKey, "providers: {a: {type: aliyun}}", "providers: {a: {endpoint: 'https://x.example'}}"},
		{RuleYAMLSyntax, "zones: z", "zones: [z"},
		{RuleSize, "limits: {max_file_size: 512MiB}", "limits: {max_file_size: 99999999999GiB}"},
		{RuleSchema, "limits: {max_file_size: 1048576}", "limits: {max_file_size: 64 MiB}"},
		{RuleSchema, "limits: {max_file_size: 1KB}", "limits: {max_file_size: 0}"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if _, ds := ParseConfig("dnssync.yaml", []byte(tt.good), all.Registry()); len(ds) != 0 {
				t.Errorf("good case: %v", ds)
			}
			_, ds := ParseConfig("dnssync.yaml", []byte(tt.bad), all.Registry())
			if !slices.ContainsFunc(ds, func(d Diagnostic) bool { return d.Rule == tt.rule && d.Pos.Line >= 1 }) {
				t.Errorf("bad case did not raise %s: %v", tt.rule, ds)
			}
		})
	}
}

// TestDocsListRules keeps docs/CONFIGURATION.md in step with the rule ids.
func TestDocsListRules(t *testing.T) {
	doc := string(mustRead(t, "../../docs/CONFIGURATION.md"))
	for _, r := range allRules() {
		if !strings.Contains(doc, "`"+r+"`") {
			t.Errorf("docs/CONFIGURATION.md does not describe rule %s", r)
		}
	}
}

func TestDiagnostics(t *testing.T) {
	ds := Diagnostics{
		{Pos: model.Pos{File: "b.yaml", Line: 2, Col: 1}, Rule: "x", Severity: SeverityError, Message: "m2"},
		{Pos: model.Pos{File: "a.yaml", Line: 9, Col: 3}, Rule: "y", Severity: SeverityWarning, Message: "m1"},
		{Pos: model.Pos{File: "b.yaml", Line: 1, Col: 5}, Rule: "z", Severity: SeverityError, Message: "m3"},
	}
	ds.Sort()
	got := ds.Error()
	want := "a.yaml:9:3: warning[y]: m1\nb.yaml:1:5: error[z]: m3\nb.yaml:2:1: error[x]: m2"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if ds[:1].Err() != nil {
		t.Error("warnings alone must not be an error")
	}
	if ds.Err() == nil {
		t.Error("errors must be an error")
	}
}

// yamlRoundTrip is used by the fuzz seeds.
func yamlRoundTrip(v any) []byte {
	b, _ := yaml.Marshal(v)
	return b
}

// TestYAMLSyntaxPositions: yaml.v3's error lines are corrected to 1-based
// lines of the offending construct.
func TestYAMLSyntaxPositions(t *testing.T) {
	tests := []struct {
		src       string
		line, col int
	}{
		{"a: 1\nb: 2\nc: {x: 1 y: 2}\n", 3, 4},
		{"a: 1\nb:\n  - x\n  y: 2\n", 3, 3},
		{"a: 1\nb: \"unterminated\n", 2, 4},
		{"a: 1\n\tb: 2\n", 2, 1},
		{"a: 1\nb: *nope\n", 2, 4},
		{"a: 1\n---\nb: 2\n", 2, 1},
	}
	for _, tt := range tests {
		d := parseYAML("f.yaml", []byte(tt.src), true)
		if d.ok || len(d.diags) != 1 || d.diags[0].Rule != RuleYAMLSyntax {
			t.Errorf("%q: %v", tt.src, d.diags)
			continue
		}
		if p := d.diags[0].Pos; p.Line != tt.line || p.Col != tt.col {
			t.Errorf("%q: at %d:%d, want %d:%d (%s)", tt.src, p.Line, p.Col, tt.line, tt.col, d.diags[0].Message)
		}
	}
}

// TestSyntaxPositionsGolden: syntax errors, NUL bytes, control characters
// and invalid UTF-8 are reported at their own line and column (yaml.v3
// gives no column, and none at all for the bytes its reader refuses).
func TestSyntaxPositionsGolden(t *testing.T) {
	cfg := testCfg(t)
	files, _ := filepath.Glob("testdata/syntax/*.yaml")
	if len(files) < 8 {
		t.Fatalf("found %d files", len(files))
	}
	var b strings.Builder
	for _, f := range files {
		_, ds := LoadZone(context.Background(), cfg, f)
		if len(ds) != 1 || ds[0].Rule != RuleYAMLSyntax || ds[0].Pos.Line < 2 || ds[0].Pos.Col < 1 {
			t.Errorf("%s: want one yaml-syntax error with line and column, got %v", f, ds)
		}
		for _, d := range ds {
			b.WriteString(d.String() + "\n")
		}
	}
	golden(t, "syntax.txt", []byte(b.String()))
}

// TestStateDirEnv: DNSSYNC_STATE_DIR overrides state_dir (absolute, or from
// the working directory), for configurations checked out read-only.
func TestStateDirEnv(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ env, config, want string }{
		{"", "state_dir: st\n", filepath.Join("repo", "st")},
		{"/var/lib/dnssync", "state_dir: st\n", "/var/lib/dnssync"},
		{"/var/lib/dnssync/", "", "/var/lib/dnssync"},
		{"rel", "", filepath.Join(wd, "rel")},
	}
	for _, tt := range tests {
		t.Setenv(StateDirEnv, tt.env)
		cfg, ds := ParseConfig("repo/dnssync.yaml", []byte(tt.config), all.Registry())
		if len(ds) != 0 || cfg.StateDir != tt.want {
			t.Errorf("env %q, config %q: state dir %q (%v), want %q", tt.env, tt.config, cfg.StateDir, ds, tt.want)
		}
	}
}
