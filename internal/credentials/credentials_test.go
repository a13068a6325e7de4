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

func TestReadEntry(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "creds.yaml")
	if err := os.WriteFile(file, []byte("reg:\n  access_key_id: id1\n  access_key_secret: s3cr3t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := ReadEntry(file, "reg")
	if err != nil || e["access_key_id"].Reveal() != "id1" || e["access_key_secret"].Reveal() != "s3cr3t" {
		t.Fatalf("got %v, %v", e, err)
	}
	if _, err := ReadEntry(file, "other"); !errors.Is(err, ErrMissing) {
		t.Fatalf("missing entry: %v", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("reg: [TOPSECRET\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadEntry(bad, "reg"); err == nil || strings.Contains(err.Error(), "TOPSECRET") {
		t.Fatalf("broken file: err = %v (must not echo the file)", err)
	}
}

func TestSourceEnv(t *testing.T) {
	s := Source{Env: func(k string) string { return "v-" + k }}
	if got := s.Getenv("X"); got != "v-X" {
		t.Fatalf("Getenv = %q", got)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	c := struct {
		ID     string
		Secret Secret
		Token  Secret
	}{"id", "TOPSECRET", "TOKENSECRET"}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%v %+v %#v %s", c, c, c, c.Secret)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "creds", c, "secret", c.Secret)
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
	_, err := ReadEntry(dir, "dnspod")
	if err == nil || !strings.Contains(err.Error(), dir+": is a directory") {
		t.Fatalf("err = %v", err)
	}
}
