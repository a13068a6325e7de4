package credentials

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
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadAliyun(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "creds.yaml")
	if err := os.WriteFile(file, []byte("aliyun:\n  access_key_id: id1\n  access_key_secret: s3cr3t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		src     Source
		wantID  string
		wantErr error
	}{
		{name: "env", src: Source{Getenv: env(map[string]string{EnvAliyunKeyID: "id0", EnvAliyunSecret: "x"})}, wantID: "id0"},
		{name: "env missing", src: Source{Getenv: env(nil)}, wantErr: ErrMissing},
		{name: "file", src: Source{File: file}, wantID: "id1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadAliyun("aliyun", tt.src)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || c.AccessKeyID != tt.wantID {
				t.Fatalf("got %q, %v; want %q", c.AccessKeyID, err, tt.wantID)
			}
		})
	}
	if _, err := LoadAliyun("other", Source{File: file}); !errors.Is(err, ErrMissing) {
		t.Fatalf("missing entry: %v", err)
	}
}

func TestLoadDNSPod(t *testing.T) {
	if _, err := LoadDNSPod("dnspod", Source{Getenv: env(map[string]string{EnvDNSPodToken: "nocomma"})}); err == nil || strings.Contains(err.Error(), "nocomma") {
		t.Fatalf("bad token form: err = %v (must not echo the token)", err)
	}
	c, err := LoadDNSPod("dnspod", Source{Getenv: env(map[string]string{EnvDNSPodToken: "1,abc"})})
	if err != nil || c.Token.Reveal() != "1,abc" {
		t.Fatalf("got %v, %v", c, err)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	c := Aliyun{AccessKeyID: "id", AccessKeySecret: "TOPSECRET", SecurityToken: "TOKENSECRET"}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%v %+v %#v %s", c, c, c, c.AccessKeySecret)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "creds", c, "secret", c.AccessKeySecret)
	b, _ := json.Marshal(c)
	buf.Write(b)
	for _, s := range []string{"TOPSECRET", "TOKENSECRET"} {
		if strings.Contains(buf.String(), s) {
			t.Fatalf("secret leaked: %s", buf.String())
		}
	}
}

// TestFileNotRegular: a credentials file that is a directory is refused
// with its path, not read.
func TestFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadDNSPod("dnspod", Source{File: dir})
	if err == nil || !strings.Contains(err.Error(), dir+": is a directory") {
		t.Fatalf("err = %v", err)
	}
}
