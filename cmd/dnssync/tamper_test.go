package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2EApplyRefusesTamperedPlans: `apply PLANFILE` runs only batches that
// dnssync derives itself from the current zone files and live state. A plan
// file edited by hand — record ids, values, an added batch, a removed
// change — or zone files edited since the plan was saved are refused with
// no write at all; the untouched file then applies.
func TestE2EApplyRefusesTamperedPlans(t *testing.T) {
	t.Parallel()
	sc := genScenario(shape{domains: 2, zones: 2, live: 12, deletes: 2, values: 2, ttls: 2, disables: 1, enables: 1, creates: 2, minExisting: 1000})
	e := newEnv(t, sc, envOpts{})
	if r := e.run("plan", "--allow-delegation", "-o", "plan.json"); r.code != 0 {
		t.Fatalf("plan -o: %s", r)
	}
	orig, err := os.ReadFile(filepath.Join(e.dir, "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	// edit decodes the saved plan, lets f change it and writes it as
	// tampered.json; f reports whether it found something to change.
	edit := func(f func(p map[string]any) bool) {
		t.Helper()
		var p map[string]any
		if err := json.Unmarshal(orig, &p); err != nil {
			t.Fatal(err)
		}
		if !f(p) {
			t.Fatal("the plan has nothing this edit applies to")
		}
		b, err := json.MarshalIndent(p, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(e.dir, "tampered.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	batches := func(p map[string]any) []map[string]any {
		var out []map[string]any
		for _, s := range p["stages"].([]any) {
			for _, b := range s.(map[string]any)["batches"].([]any) {
				out = append(out, b.(map[string]any))
			}
		}
		return out
	}
	tests := []struct {
		name string
		edit func(p map[string]any) bool
		want string
	}{
		{"edited record id", func(p map[string]any) bool {
			for _, b := range batches(p) {
				pl := b["payload"].(map[string]any)
				if ids, ok := pl["record_ids"].([]any); ok && len(ids) > 0 {
					ids[0] = "100003"
					return true
				}
			}
			return false
		}, "differs"},
		{"edited value", func(p map[string]any) bool {
			for _, b := range batches(p) {
				pl := b["payload"].(map[string]any)
				if recs, ok := pl["records"].([]any); ok && len(recs) > 0 {
					recs[0].(map[string]any)["value"] = "192.0.2.66"
					return true
				}
			}
			return false
		}, "differs"},
		{"edited change value", func(p map[string]any) bool {
			for _, c := range p["changes"].([]any) {
				if a, ok := c.(map[string]any)["after"].(map[string]any); ok && a["type"] == "A" {
					a["value"] = "192.0.2.67"
					return true
				}
			}
			return false
		}, "differs"},
		{"added batch", func(p map[string]any) bool {
			st := p["stages"].([]any)[0].(map[string]any)
			bs := st["batches"].([]any)
			extra := map[string]any{}
			for k, v := range bs[0].(map[string]any) {
				extra[k] = v
			}
			extra["id"] = "s1.b99"
			st["batches"] = append(bs, extra)
			return true
		}, "not planned now"},
		{"removed change", func(p map[string]any) bool {
			cs := p["changes"].([]any)
			gone := cs[len(cs)-1].(map[string]any)["id"]
			p["changes"] = cs[:len(cs)-1]
			for _, b := range batches(p) {
				var keep []any
				for _, id := range b["changes"].([]any) {
					if id != gone {
						keep = append(keep, id)
					}
				}
				if keep == nil {
					keep = []any{}
				}
				b["changes"] = keep
			}
			return true
		}, "missing from the saved plan"},
	}
	for _, tc := range tests {
		edit(tc.edit)
		r := e.run("apply", "tampered.json", "--yes", "--allow-delegation")
		if r.code != 1 || !strings.Contains(r.stderr, "the saved plan differs from the plan dnssync computes now") || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: %s", tc.name, r)
		}
		if n := len(e.writes()); n != 0 {
			t.Fatalf("%s: a refused plan file sent %d writes", tc.name, n)
		}
	}

	// Zone files edited since the plan was saved.
	zone := filepath.Join(e.dir, "zones", sc.domains[0]+".yaml")
	body, err := os.ReadFile(zone)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(zone, append(body, []byte("    - {name: late, type: A, value: \"192.0.2.77\", ttl: 600}\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.run("apply", "plan.json", "--yes", "--allow-delegation")
	if r.code != 1 || !strings.Contains(r.stderr, "zone files") || !strings.Contains(r.stderr, "run `dnssync plan` again") {
		t.Errorf("edited zone files: %s", r)
	}
	if n := len(e.writes()); n != 0 {
		t.Fatalf("edited zone files: %d writes", n)
	}
	if err := os.WriteFile(zone, body, 0o644); err != nil {
		t.Fatal(err)
	}

	// The reviewed file itself applies, and converges.
	if r := e.run("apply", "plan.json", "--yes"); r.code != 0 {
		t.Fatalf("apply of the reviewed plan: %s", r)
	}
	e.assertConverged()
}
