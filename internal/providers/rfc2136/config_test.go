package rfc2136

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dnssync/dnssync/internal/credentials"
)

// testSecret is a well-formed secret whose text is easy to search for.
const testSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA=="

func validConfig() Config {
	return Config{Server: "127.0.0.1", Port: 5353,
		Key: TSIGKey{Name: "dnssync-key", Algorithm: AlgHMACSHA256, Secret: credentials.Secret(testSecret)}}
}

func TestNewDefaults(t *testing.T) {
	c, err := New(validConfig())
	if err != nil {
		t.Fatal(err)
	}
	got := c.Config()
	if got.Transport != TransportTCP || got.MaxMessageSize != 65535 || got.DialTimeout != DefaultDialTimeout ||
		got.ReadTimeout != DefaultReadTimeout || got.Key.Name != "dnssync-key." || got.Key.Algorithm != "hmac-sha256." {
		t.Errorf("defaults not applied: %v %+v", got, got)
	}
	udp := validConfig()
	udp.Transport = TransportUDP
	c, err = New(udp)
	if err != nil {
		t.Fatal(err)
	}
	if c.Config().MaxMessageSize != 512 {
		t.Errorf("UDP max message size %d, want 512", c.Config().MaxMessageSize)
	}
	noPort := validConfig()
	noPort.Port = 0
	if c, _ := New(noPort); c.Config().Address() != "127.0.0.1:53" {
		t.Errorf("address %s, want port 53", c.Config().Address())
	}
	v6 := validConfig()
	v6.Server = "::1"
	if a := v6.Address(); a != "[::1]:5353" {
		t.Errorf("address %s", a)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"no server", func(c *Config) { c.Server = "" }},
		{"bad port", func(c *Config) { c.Port = 70000 }},
		{"bad transport", func(c *Config) { c.Transport = "tls" }},
		{"no key name", func(c *Config) { c.Key.Name = "" }},
		{"bad key name", func(c *Config) { c.Key.Name = "a..b" }},
		{"md5", func(c *Config) { c.Key.Algorithm = "hmac-md5" }},
		{"sha1", func(c *Config) { c.Key.Algorithm = "hmac-sha1" }},
		{"no secret", func(c *Config) { c.Key.Secret = "" }},
		{"secret not base64", func(c *Config) { c.Key.Secret = "not base64!" }},
		{"secret too short", func(c *Config) { c.Key.Secret = "c2hvcnQ=" }},
		{"message size too big", func(c *Config) { c.MaxMessageSize = 70000 }},
		{"message size too small for TSIG", func(c *Config) { c.MaxMessageSize = 60 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			tt.edit(&cfg)
			_, err := New(cfg)
			if err == nil {
				t.Fatal("New accepted the configuration")
			}
			if strings.Contains(err.Error(), string(cfg.Key.Secret)) && cfg.Key.Secret != "" {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
	cfg := validConfig()
	cfg.Key.Algorithm = "HMAC-SHA512."
	if _, err := New(cfg); err != nil {
		t.Errorf("upper-case algorithm with dot refused: %v", err)
	}
}

func TestSecretNeverShown(t *testing.T) {
	cfg := validConfig()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range []any{cfg, &cfg, c, c.Config(), cfg.Key} {
		out = append(out, fmt.Sprintf("%v|%+v|%#v|%s", v, v, v, v))
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(j))
	}
	var logs bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
		l := slog.New(h)
		l.Info("config", "cfg", cfg, "key", cfg.Key, "client", c)
		l.Info("group", slog.Any("cfg", cfg))
	}
	out = append(out, logs.String())
	for _, s := range out {
		if strings.Contains(s, testSecret) {
			t.Errorf("secret printed: %s", s)
		}
	}
}

func TestLoadTSIGSecret(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plain := write("plain", testSecret+"\n")
	bind := write("bind.key", "key \"dnssync-key\" {\n\talgorithm hmac-sha256;\n\tsecret \""+testSecret+"\";\n};\n")
	garbage := write("garbage", "hunter2-is-not-base64 "+testSecret[:10])
	empty := write("empty", "\n")
	t.Setenv("RFC2136_TEST_SECRET", " "+testSecret+" ")
	t.Setenv("RFC2136_TEST_EMPTY", "")

	tests := []struct {
		name      string
		env, file string
		wantErr   error // nil: success; errAny: some error
	}{
		{"env", "RFC2136_TEST_SECRET", "", nil},
		{"plain file", "", plain, nil},
		{"bind key file", "", bind, nil},
		{"env unset", "RFC2136_TEST_UNSET_VARIABLE", "", credentials.ErrMissing},
		{"env empty", "RFC2136_TEST_EMPTY", "", credentials.ErrMissing},
		{"empty file", "", empty, credentials.ErrMissing},
		{"missing file", "", filepath.Join(dir, "nope"), os.ErrNotExist},
		{"garbage file", "", garbage, errAny},
		{"neither", "", "", credentials.ErrMissing},
		{"both", "RFC2136_TEST_SECRET", plain, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := LoadTSIGSecret(tt.env, tt.file)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("LoadTSIGSecret: %v", err)
			case tt.wantErr == nil && s.Reveal() != testSecret:
				t.Fatalf("secret %q, want the test secret", s.Reveal())
			case tt.wantErr == errAny && err == nil, tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), testSecret[:10])) {
				t.Errorf("error shows (part of) the secret: %v", err)
			}
		})
	}
}

var errAny = errors.New("any error")

// TestLoadTSIGSecretGetenv: the secret comes from the environment the
// caller passes, not necessarily the process's own.
func TestLoadTSIGSecretGetenv(t *testing.T) {
	env := map[string]string{"KEY_A": testSecret}
	s, err := loadTSIGSecret(func(k string) string { return env[k] }, "KEY_A", "")
	if err != nil || s.Reveal() != testSecret {
		t.Fatalf("loadTSIGSecret = %v", err)
	}
	t.Setenv("KEY_B", testSecret)
	if _, err := loadTSIGSecret(func(k string) string { return env[k] }, "KEY_B", ""); !errors.Is(err, credentials.ErrMissing) {
		t.Errorf("a variable only the process has: err = %v, want ErrMissing", err)
	}
}
