package rfc2136_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/credentials"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/all"
	"github.com/dnssync/dnssync/internal/providers/rfc2136"
	"github.com/dnssync/dnssync/internal/spec"
)

const testSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA=="

func parseConfig(t *testing.T, yaml string) (*spec.Config, spec.Diagnostics) {
	t.Helper()
	return spec.ParseConfig(filepath.Join("conf", "dnssync.yaml"), []byte(yaml), all.Registry())
}

// TestConfigOptions: the options decode into the client's configuration,
// a relative key file is found beside dnssync.yaml, and the configuration
// holds where the secret is, never the secret.
func TestConfigOptions(t *testing.T) {
	cfg, ds := parseConfig(t, `providers:
  own:
    type: rfc2136
    server: ns1.example.net
    port: 5353
    tsig_key: dnssync-key
    tsig_algorithm: hmac-sha512
    tsig_secret_file: keys/dnssync-key.conf
    transport: udp
    dial_timeout: 2s
    timeout: 10s
    max_message_size: 1200
`)
	if len(ds) != 0 {
		t.Fatal(ds)
	}
	p := cfg.Providers["own"]
	if got := p.Str(rfc2136.OptTSIGSecretFile, ""); got != filepath.Join("conf", "keys", "dnssync-key.conf") {
		t.Errorf("tsig_secret_file resolved to %q", got)
	}
	caps, _ := cfg.Caps("own")
	if caps.Records == nil || !caps.Records.HasType("PTR") || caps.Records.HasField("line") || caps.Records.HasField("enabled") || caps.Registrar != nil {
		t.Errorf("caps %+v", caps.Records)
	}
	if cfg.Roles("own") != providers.RoleDNS {
		t.Errorf("roles %v", cfg.Roles("own"))
	}

	dir := t.TempDir()
	keyFile := filepath.Join(dir, "dnssync-key.conf")
	if err := os.WriteFile(keyFile, []byte("key \"dnssync-key\" {\n\talgorithm hmac-sha512;\n\tsecret \""+testSecret+"\";\n};\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.Options[rfc2136.OptTSIGSecretFile] = providers.Option{Value: keyFile}
	var logs bytes.Buffer
	inst, err := rfc2136.Type{}.New(p, providers.Env{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	c := inst.(*rfc2136.Instance).Client().Config()
	if c.Address() != "ns1.example.net:5353" || c.Transport != rfc2136.TransportUDP || c.Key.Algorithm != "hmac-sha512." ||
		c.DialTimeout != 2*time.Second || c.ReadTimeout != 10*time.Second || c.MaxMessageSize != 1200 || c.Key.Secret.Reveal() != testSecret {
		t.Errorf("client configuration %s %+v", c, c)
	}
	if got := inst.Planner().(*rfc2136.Planner).Limit(); got >= 1200 || got < 1000 {
		t.Errorf("planner packs to %d octets, want 1200 less the TSIG record", got)
	}
	js, _ := json.Marshal(inst.Config())
	shown := fmt.Sprintf("%v %+v %#v %s %s", inst, inst, inst, js, logs.String())
	if strings.Contains(shown, testSecret) {
		t.Errorf("the secret shows: %s", shown)
	}
}

// TestConfigSecretFromEnv: the secret comes from the environment the
// instance is given; a missing one is a credentials error naming the
// variable and no secret.
func TestConfigSecretFromEnv(t *testing.T) {
	cfg, ds := parseConfig(t, "providers: {own: {type: rfc2136, server: 192.0.2.53, tsig_key: k, tsig_secret_env: OWN_TSIG}}")
	if len(ds) != 0 {
		t.Fatal(ds)
	}
	p := cfg.Providers["own"]
	if p.Credentials.File != "" || p.Endpoint != "" {
		t.Errorf("HTTP settings on an rfc2136 provider: %+v", p)
	}
	env := map[string]string{"OWN_TSIG": testSecret}
	if _, err := (rfc2136.Type{}).New(p, providers.Env{Getenv: func(k string) string { return env[k] }}); err != nil {
		t.Fatal(err)
	}
	_, err := rfc2136.Type{}.New(p, providers.Env{Getenv: func(string) string { return "" }})
	if !errors.Is(err, credentials.ErrMissing) || !strings.Contains(err.Error(), "OWN_TSIG") {
		t.Errorf("missing secret: %v", err)
	}
}

// TestConfigRejects: what the schema cannot check, Type.Check does, at the
// key concerned.
func TestConfigRejects(t *testing.T) {
	const base = "type: rfc2136, server: 192.0.2.53, tsig_key: k, tsig_secret_env: S"
	tests := []struct{ yaml, rule, msg string }{
		{"{type: rfc2136, tsig_key: k, tsig_secret_env: S}", spec.RuleProvOption, "needs server"},
		{"{type: rfc2136, server: 192.0.2.53, tsig_secret_env: S}", spec.RuleProvOption, "needs tsig_key"},
		{"{type: rfc2136, server: 192.0.2.53, tsig_key: k}", spec.RuleProvOption, "tsig_secret_env"},
		{"{" + base + ", tsig_secret_file: k.conf}", spec.RuleProvOption, "not both"},
		{"{type: rfc2136, server: 'ns1.example.net:53', tsig_key: k, tsig_secret_env: S}", spec.RuleProvOption, "give the port in port"},
		{"{" + base + ", endpoint: 'https://ns1.example.net'}", spec.RuleProvOption, "no endpoint"},
		{"{" + base + ", ca_file: ca.pem}", spec.RuleProvOption, "ca_file does not apply"},
		{"{" + base + ", credentials: {file: c.yaml}}", spec.RuleProvOption, "not from credentials"},
		{"{" + base + ", max_message_size: 60}", spec.RuleProvOption, "cannot hold an UPDATE"},
		{"{" + base + ", tsig_algorithm: hmac-md5}", spec.RuleSchema, ""},
		{"{" + base + ", transport: tls}", spec.RuleSchema, ""},
		{"{" + base + ", min_ttl: 60}", spec.RuleProvOption, "not an option of rfc2136"},
		{"{type: dnspod, server: 192.0.2.53}", spec.RuleProvOption, "not an option of dnspod"},
	}
	for _, tt := range tests {
		_, ds := parseConfig(t, "providers: {own: "+tt.yaml+"}")
		found := false
		for _, d := range ds {
			found = found || d.Rule == tt.rule && strings.Contains(d.Message, tt.msg) && d.Pos.Line >= 1
		}
		if !found {
			t.Errorf("%s: want %s saying %q; got %v", tt.yaml, tt.rule, tt.msg, ds)
		}
	}
	if _, ds := parseConfig(t, "{providers: {own: {"+base+"}}, defaults: {line: 电信}}"); !strings.Contains(fmt.Sprint(ds), `default line "电信" is not offered by provider "own"`) {
		t.Errorf("default line: %v", ds)
	}
}

// TestZoneChecksNameTheProvider: lines and paused records do not exist on
// a DNS server; validate says so, naming the provider. MX 0 and PTR are
// fine.
func TestZoneChecksNameTheProvider(t *testing.T) {
	cfg, ds := parseConfig(t, "providers: {own: {type: rfc2136, server: 192.0.2.53, tsig_key: k, tsig_secret_env: S}}")
	if len(ds) != 0 {
		t.Fatal(ds)
	}
	zone := func(body string) spec.Diagnostics {
		_, ds := spec.ParseZone(context.Background(), cfg, "zone.yaml", []byte("domain: example.com\ndns:\n  provider: own\n"+body))
		return ds
	}
	if ds := zone("  records:\n    - {name: '@', type: MX, value: mx.example.net., mx: 0}\n    - {name: host, type: PTR, value: www.example.com.}\n"); len(ds) != 0 {
		t.Errorf("valid zone: %v", ds)
	}
	for body, msg := range map[string]string{
		"  records: [{name: www, type: A, value: 192.0.2.1, line: 电信}]\n":       `line "电信": provider "own" has no lines (views); leave line out`,
		"  line: 电信\n  records: [{name: www, type: A, value: 192.0.2.1}]\n":     `line "电信": provider "own" has no lines (views); leave line out`,
		"  records: [{name: www, type: A, value: 192.0.2.1, enabled: false}]\n": `provider "own" cannot keep a record disabled; remove the record instead`,
	} {
		if ds := zone(body); !strings.Contains(fmt.Sprint(ds), msg) || !ds.HasErrors() {
			t.Errorf("%s: want an error %q, got %v", body, msg, ds)
		}
	}
}
