package aliyun

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/dnssync/dnssync/internal/credentials"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadCredentials(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "creds.yaml")
	if err := os.WriteFile(file, []byte("aliyun:\n  access_key_id: id1\n  access_key_secret: s3cr3t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		src     credentials.Source
		wantID  string
		wantErr error
	}{
		{name: "env", src: credentials.Source{Env: env(map[string]string{EnvKeyID: "id0", EnvSecret: "x"})}, wantID: "id0"},
		{name: "env missing", src: credentials.Source{Env: env(nil)}, wantErr: credentials.ErrMissing},
		{name: "file", src: credentials.Source{File: file}, wantID: "id1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadCredentials("aliyun", tt.src)
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
	if _, err := LoadCredentials("other", credentials.Source{File: file}); !errors.Is(err, credentials.ErrMissing) {
		t.Fatalf("missing entry: %v", err)
	}
}
