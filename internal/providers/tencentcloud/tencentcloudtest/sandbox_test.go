package tencentcloudtest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/credentials"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud/tencentcloudtest"
	"github.com/dnssync/dnssync/internal/sandbox/emulator"
)

func newSandboxEmulator(t *testing.T) *tencentcloudtest.Emulator {
	t.Helper()
	em, err := tencentcloudtest.Kind{}.NewEmulator(emulator.Options{TaskDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return em.(*tencentcloudtest.Emulator)
}

// TestSandboxCredentials: the entry AddCredentials returns is what
// tencentcloud.LoadCredentials reads from a credentials file, stable per
// provider name and distinct between names.
func TestSandboxCredentials(t *testing.T) {
	e := newSandboxEmulator(t)
	a, err := e.AddCredentials("records")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := e.AddCredentials("other")
	again, _ := newSandboxEmulator(t).AddCredentials("records")
	if a["secret_id"] != again["secret_id"] || a["secret_key"] != again["secret_key"] {
		t.Errorf("credentials differ between emulators: %v, %v", a, again)
	}
	if a["secret_id"] == b["secret_id"] {
		t.Errorf("two providers share secret_id %s", a["secret_id"])
	}
	data, err := yaml.Marshal(map[string]map[string]string{"records": a})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "creds.yaml")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := tencentcloud.LoadCredentials("records", credentials.Source{File: file})
	if err != nil {
		t.Fatalf("LoadCredentials: %v", err)
	}
	if c.SecretID != a["secret_id"] || !strings.HasPrefix(c.SecretID, "AKID") {
		t.Errorf("secret_id %q, want %q", c.SecretID, a["secret_id"])
	}
}

// TestSandboxSeedAndState: the seed section loads domains and records
// (grades in any case), the emulator's rules report bad records at their
// position, and the state survives an export and import.
func TestSandboxSeedAndState(t *testing.T) {
	seed := `tencentcloud:
  domains:
    - name: example.com
      grade: DP_Plus
      ttl: 600
      records:
        - {name: "@", type: A, value: 192.0.2.10}
        - {name: api, type: A, values: [192.0.2.30, 192.0.2.31], ttl: 60}
        - {name: www, type: CNAME, value: example.com.}
`
	e := newSandboxEmulator(t)
	if err := loadSeed(e, seed); err != nil {
		t.Fatal(err)
	}
	recs := e.Server().Records("example.com")
	if got := count(recs, false); got != 4 {
		t.Fatalf("seeded %d records, want 4: %+v", got, recs)
	}
	data, err := e.ExportState()
	if err != nil {
		t.Fatal(err)
	}
	f := newSandboxEmulator(t)
	if err := f.ImportState(data); err != nil {
		t.Fatal(err)
	}
	back := f.Server().Records("example.com")
	if len(back) != len(recs) {
		t.Fatalf("after import %d records, want %d", len(back), len(recs))
	}
	for i := range recs {
		if back[i].ID != recs[i].ID || back[i].Value != recs[i].Value {
			t.Errorf("record %d: %+v, want %+v", i, back[i], recs[i])
		}
	}
	if added, err := f.AddDomain("example.com"); err != nil || added {
		t.Errorf("AddDomain of a present domain: %v, %v", added, err)
	}
	if added, err := f.AddDomain("new.example"); err != nil || !added {
		t.Errorf("AddDomain: %v, %v", added, err)
	}

	bad := `tencentcloud:
  domains:
    - name: example.com
      grade: DP_Gold
      records:
        - {name: www, type: A, value: 192.0.2.1}
        - {name: www, type: CNAME, value: example.net.}
`
	err = loadSeed(newSandboxEmulator(t), bad)
	if err == nil {
		t.Fatal("a bad seed loads")
	}
	for _, want := range []string{"s.yaml:4:14: grade", "s.yaml:7:11: example.com: record www CNAME"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems %q lack %q", err, want)
		}
	}
}

// TestSandboxFaults: the sandbox's neutral faults are checked and mapped.
func TestSandboxFaults(t *testing.T) {
	e := newSandboxEmulator(t)
	if err := e.SetFaults(emulator.Faults{Throttle: 2}); err == nil {
		t.Error("a share of 2 is accepted")
	}
	if err := e.SetFaults(emulator.Faults{Throttle: 1}); err != nil {
		t.Fatal(err)
	}
	if got := len(e.RequestLog("")); got != 0 {
		t.Errorf("request log holds %d entries before any request", got)
	}
}

func loadSeed(e *tencentcloudtest.Emulator, text string) error {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return err
	}
	r := emulator.NewSeedReader("s.yaml")
	top := doc.Content[0]
	if err := e.Seed(r, top.Content[1]); err != nil {
		return err
	}
	return r.Err()
}

func count(recs []model.Record, system bool) int {
	n := 0
	for _, r := range recs {
		if r.System == system {
			n++
		}
	}
	return n
}
