package tencentcloud

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/credentials"
)

const (
	credKey   = "Gu5t9xGARNpq86cd98joQYCN3SECRET"
	credToken = "sts-token-value-SECRET"
)

func TestLoadCredentials(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "tencentcloud:\n  secret_id: AKIDfile\n  secret_key: "+credKey+"\n  session_token: "+credToken+"\nother:\n  token: x\n")
	broken := write("broken.yaml", "tencentcloud: [secret_key: "+credKey+"\n")
	env := map[string]string{EnvSecretID: "AKIDenv", EnvSecretKey: credKey}
	getenv := func(k string) string { return env[k] }

	tests := []struct {
		name    string
		src     credentials.Source
		want    Credentials
		wantErr error // nil: success; credentials.ErrMissing or errAny
	}{
		{"environment", credentials.Source{Env: getenv}, Credentials{SecretID: "AKIDenv", SecretKey: credKey}, nil},
		{"file", credentials.Source{File: good}, Credentials{SecretID: "AKIDfile", SecretKey: credKey, SessionToken: credToken}, nil},
		{"environment missing", credentials.Source{Env: func(string) string { return "" }}, Credentials{}, credentials.ErrMissing},
		{"entry missing", credentials.Source{File: write("none.yaml", "dnspod:\n  token: 1,abc\n")}, Credentials{}, credentials.ErrMissing},
		{"broken file", credentials.Source{File: broken}, Credentials{}, errAny},
		{"no such file", credentials.Source{File: filepath.Join(dir, "absent.yaml")}, Credentials{}, os.ErrNotExist},
		{"spaces around the id", credentials.Source{Env: func(k string) string {
			if k == EnvSecretID {
				return " AKIDenv"
			}
			return credKey
		}}, Credentials{}, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadCredentials("tencentcloud", tt.src)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatal(err)
			case tt.wantErr == errAny && err == nil, tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), credKey) || strings.Contains(err.Error(), credToken)) {
				t.Fatalf("error shows a secret: %v", err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
		})
	}
}

var errAny = errors.New("any error")

// TestCredentialsNeverPrint: every way of printing keeps the key and the
// token out.
func TestCredentialsNeverPrint(t *testing.T) {
	c := Credentials{SecretID: "AKIDx", SecretKey: credKey, SessionToken: credToken}
	o := Options{Credentials: c}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%v %+v %#v", o, o, o)} {
		if strings.Contains(s, credKey) || strings.Contains(s, credToken) {
			t.Fatalf("printed: %s", s)
		}
	}
}
