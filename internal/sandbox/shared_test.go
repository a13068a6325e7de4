package sandbox

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/all"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud/tencentcloudtest"
)

func tencentcloudServer(sb *Sandbox) *tencentcloudtest.Server {
	return sb.Emulator("tencentcloud").(*tencentcloudtest.Emulator).Server()
}

const sharedSeed = `dnspod:
  domains:
    - name: shared.example
      records:
        - {name: www, type: A, value: 192.0.2.1}
tencentcloud:
  domains:
    - name: v3.example
      records:
        - {name: api, type: A, value: 192.0.2.2}
`

// TestEmulatorsShareTheDNSPodAccount: by default the dnspod and
// tencentcloud emulators serve one account — a domain seeded in either
// section, or created from the zone files for either, is the other's too,
// with the same record ids — and both parts of the state file hold it and
// load again; disagreeing parts stop the start, and SeparateBackends
// keeps the emulators apart.
func TestEmulatorsShareTheDNSPodAccount(t *testing.T) {
	dir := t.TempDir()
	seedFile := writeFile(t, t.TempDir(), "seed.yaml", sharedSeed)
	opts := Options{StateDir: dir, SeedFile: seedFile, PlainHTTP: true,
		Domains: map[string][]string{"dnspod": {"zones.example"}, "tencentcloud": {"zones.example", "shared.example"}}}
	sb := start(t, opts)
	if !strings.Contains(sb.Origin(), "1 new domain from the zone files") {
		t.Errorf("origin %q: zones.example is one new domain of the one account", sb.Origin())
	}
	dp, tc := dnspodServer(sb), tencentcloudServer(sb)
	for _, name := range []string{"shared.example", "v3.example", "zones.example"} {
		l, v := dp.Records(name), tc.Records(name)
		if len(l) == 0 || len(l) != len(v) {
			t.Fatalf("%s: %d records through dnspod, %d through tencentcloud", name, len(l), len(v))
		}
		for i := range l {
			if l[i].ID != v[i].ID || l[i].Value != v[i].Value {
				t.Errorf("%s: %+v through dnspod, %+v through tencentcloud", name, l[i], v[i])
			}
		}
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	state, err := os.ReadFile(sb.StateFile())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(state), `"shared.example"`) != 2 {
		t.Errorf("the state file should hold the account in both parts:\n%s", state)
	}

	// Loaded again: the account, once.
	sb2 := start(t, Options{StateDir: dir, PlainHTTP: true})
	if got := tencentcloudServer(sb2).Records("shared.example"); len(got) != len(dp.Records("shared.example")) {
		t.Errorf("after a restart tencentcloud holds %d records of shared.example", len(got))
	}
	if err := sb2.Close(); err != nil {
		t.Fatal(err)
	}

	// One part (dnspod's, the first) edited alone: the start stops and
	// says why.
	edited := strings.Replace(string(state), `"value": "192.0.2.2"`, `"value": "192.0.2.99"`, 1)
	if edited == string(state) {
		t.Fatal("the state file has no record to edit")
	}
	if err := os.WriteFile(sb.StateFile(), []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = Start(ctx, Options{Kinds: all.Emulators(), StateDir: dir, PlainHTTP: true})
	if err == nil || !strings.Contains(err.Error(), "differs from the one the dnspod part describes") || !strings.Contains(err.Error(), "--separate-backends") {
		t.Fatalf("disagreeing parts: %v", err)
	}

	// Kept apart, each emulator takes its own part.
	sb3 := start(t, Options{StateDir: dir, PlainHTTP: true, SeparateBackends: true})
	api := func(value string) func(model.Record) bool {
		return func(r model.Record) bool { return r.Name == "api" && r.Value == value }
	}
	if !slices.ContainsFunc(dnspodServer(sb3).Records("v3.example"), api("192.0.2.99")) {
		t.Errorf("dnspod part: %+v, want api 192.0.2.99", dnspodServer(sb3).Records("v3.example"))
	}
	if !slices.ContainsFunc(tencentcloudServer(sb3).Records("v3.example"), api("192.0.2.2")) {
		t.Errorf("tencentcloud part: %+v, want api 192.0.2.2", tencentcloudServer(sb3).Records("v3.example"))
	}
	if tencentcloudServer(sb3).Account() == dnspodServer(sb3).Account() {
		t.Error("SeparateBackends: the emulators share an account")
	}
}

// TestCheckSeedSharesTheAccount: CheckSeed judges a seed as Start loads
// it: a domain in both sections must be the same there.
func TestCheckSeedSharesTheAccount(t *testing.T) {
	err := CheckSeed(all.Emulators(), "seed.yaml", []byte(sharedSeed+`    - name: shared.example
      records:
        - {name: www, type: A, value: 192.0.2.3}
`))
	if err == nil || !strings.Contains(err.Error(), "seed.yaml:13:11: shared.example: record www A \"192.0.2.3\" (ttl 600) is not in the dnspod section's entry") {
		t.Fatalf("CheckSeed: %v", err)
	}
}
