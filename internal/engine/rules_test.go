package engine

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dnssync/dnssync/internal/diff"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers/all"
	"github.com/dnssync/dnssync/internal/render"
	"github.com/dnssync/dnssync/internal/spec"
)

// repo writes dnssync.yaml and zone files into a fresh directory.
func repo(t *testing.T, config string, zones map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "zones"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dnssync.yaml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, body := range zones {
		if err := os.WriteFile(filepath.Join(dir, "zones", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "dnssync.yaml")
}

// passFor loads the repository and builds its pass (no request is made:
// planning is pure and the clients only talk when asked to read or write).
func passFor(t *testing.T, config string) (*Pass, *model.Desired, spec.Diagnostics) {
	t.Helper()
	cfg, err := spec.LoadConfig(config, all.Registry())
	if err != nil {
		t.Fatal(err)
	}
	desired, ds := spec.Load(context.Background(), cfg)
	p, err := New(cfg, Options{Getenv: func(k string) string {
		if k == "DNSPOD_TOKEN" {
			return "1,token"
		}
		return ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	return p, desired, ds
}

func liveZone(name, id string, recs ...model.Record) model.LiveDomain {
	for i := range recs {
		recs[i].ID = id + "-" + string(rune('a'+i))
	}
	return model.LiveDomain{Name: name, DNS: &model.LiveDNS{DomainID: id, Records: recs}}
}

// TestLineJudgedOnceForValidateAndPlan: a line that the provider does not
// offer fails validation, and a line it offers (configured) validates and
// plans; never one without the other.
func TestLineJudgedOnceForValidateAndPlan(t *testing.T) {
	zone := "domain: a.example\ndns:\n  provider: pod\n  records:\n    - {name: www, type: A, value: 192.0.2.1, line: 境内}\n"
	for _, tc := range []struct {
		name, lines string
		valid       bool
	}{
		{"not offered", "", false},
		{"offered by the account", ", lines: [境内]", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			config := repo(t, "providers:\n  pod: {type: dnspod"+tc.lines+"}\n", map[string]string{"a.yaml": zone})
			p, desired, ds := passFor(t, config)
			if ds.HasErrors() == tc.valid {
				t.Fatalf("validate: errors=%t, want valid=%t: %v", ds.HasErrors(), tc.valid, ds)
			}
			if !tc.valid {
				return
			}
			live := &model.Live{Domains: []model.LiveDomain{liveZone("a.example", "1")}}
			got := diff.Plan(desired, live, p.DiffOptions(PlanOptions{}))
			if len(got.Refusals) != 0 || len(got.Changes) != 1 {
				t.Fatalf("plan of a valid zone: refusals %v, %d changes", got.Refusals, len(got.Changes))
			}
		})
	}
}

// TestEachZoneJudgedByItsOwnProvider: two DNSPod accounts with different
// lines and minimum TTLs. Each zone is judged by its own provider's rules,
// and 50 plans of the same input are byte-identical.
func TestEachZoneJudgedByItsOwnProvider(t *testing.T) {
	config := repo(t, "providers:\n"+
		"  paid: {type: dnspod, min_ttl: 60, lines: [境内]}\n"+
		"  free: {type: dnspod, min_ttl: 600}\n",
		map[string]string{
			"a.yaml": "domain: a.example\ndns:\n  provider: paid\n  records:\n    - {name: www, type: A, value: 192.0.2.1, ttl: 60, line: 境内}\n",
			"b.yaml": "domain: b.example\ndns:\n  provider: free\n  records:\n    - {name: www, type: A, value: 192.0.2.2}\n",
		})
	p, desired, ds := passFor(t, config)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	// b.example's live zone reports a grade minimum of 600; a.example's
	// account allows 60 and the line 境内, which b.example's does not.
	live := &model.Live{Domains: []model.LiveDomain{liveZone("a.example", "1"), liveZone("b.example", "2")}}
	var first []byte
	for i := range 50 {
		got := diff.Plan(desired, live, p.DiffOptions(PlanOptions{}))
		if len(got.Refusals) != 0 {
			t.Fatalf("plan %d: refusals %v", i, got.Refusals)
		}
		var buf bytes.Buffer
		if err := render.WritePlanFile(&buf, got); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = buf.Bytes()
			continue
		}
		if !bytes.Equal(first, buf.Bytes()) {
			t.Fatalf("plan %d differs from the first", i)
		}
	}

	// The same records under the other account are refused by its rules.
	swapped := repo(t, "providers:\n"+
		"  paid: {type: dnspod, min_ttl: 60, lines: [境内]}\n"+
		"  free: {type: dnspod, min_ttl: 600}\n",
		map[string]string{
			"a.yaml": "domain: a.example\ndns:\n  provider: free\n  records:\n    - {name: www, type: A, value: 192.0.2.1, ttl: 60, line: 境内}\n",
		})
	_, _, ds = passFor(t, swapped)
	var msgs []string
	for _, d := range ds {
		msgs = append(msgs, d.String())
	}
	all := strings.Join(msgs, "\n")
	if !strings.Contains(all, `line "境内" is not accepted by provider "free"`) || !strings.Contains(all, `TTL 60 is outside 600..604800 accepted by provider "free"`) {
		t.Fatalf("free account's rules not applied:\n%s", all)
	}
	// And the planner refuses what validate would (a file bypassing
	// validate, e.g. a hand-built desired state): same rules.
	desired.Domains[0].DNS.Provider = "free"
	got := diff.Plan(desired, live, p.DiffOptions(PlanOptions{}))
	if len(got.Refusals) == 0 || got.Refusals[0].Rule != plan.RuleProviderRules {
		t.Fatalf("planner under the free account's rules: refusals %v", got.Refusals)
	}
}
