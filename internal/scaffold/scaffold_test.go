package scaffold

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func opts() Options {
	return Options{Domain: "example.org", Registrar: &Provider{Name: "reg", Type: "reg"}, DNS: &Provider{Name: "rec", Type: "rec"},
		Schema: []byte("{}\n"), Action: "dnssync/dnssync@v1.0.0", HookRepo: "https://github.com/dnssync/dnssync", HookRev: "v1.0.0"}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	got, err := Write(dir, opts())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".github/workflows/dnssync.yaml", ".gitignore", ".pre-commit-config.yaml", "README.md", "dnssync.yaml", "schema.json", "zones/example.org.yaml"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("written (-want +got):\n%s", d)
	}
	for _, c := range []struct{ file, want string }{
		{"dnssync.yaml", "# yaml-language-server: $schema=schema.json\n"},
		{"zones/example.org.yaml", "# yaml-language-server: $schema=../schema.json\n"},
		{"zones/example.org.yaml", "\ndomain: example.org\n"},
		{"zones/example.org.yaml", "# registrar:\n#   provider: reg\n"},
		{"zones/example.org.yaml", "dns:\n  provider: rec\n"},
		{".github/workflows/dnssync.yaml", "uses: dnssync/dnssync@v1.0.0"},
		{".github/workflows/dnssync.yaml", "group: dnssync-${{ github.ref }}"},
		{".pre-commit-config.yaml", "rev: v1.0.0"},
		{".gitignore", "\n/.dnssync/\n"},
	} {
		b, err := os.ReadFile(filepath.Join(dir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), c.want) {
			t.Errorf("%s lacks %q:\n%s", c.file, c.want, b)
		}
	}
}

// TestWriteIntoExisting: a repository's own README is kept, its .gitignore
// gets only the missing rules, and any other existing file stops init
// before it writes anything.
func TestWriteIntoExisting(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("README.md", "# mine\n")
	write(".gitignore", "*.swp\n/plan.json")
	got, err := Write(dir, opts())
	if err != nil {
		t.Fatal(err)
	}
	if contains(got, "README.md") || !contains(got, ".gitignore") {
		t.Errorf("written: %v", got)
	}
	readme, _ := os.ReadFile(filepath.Join(dir, "README.md"))
	gi, _ := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if string(readme) != "# mine\n" {
		t.Errorf("README replaced: %q", readme)
	}
	if g := string(gi); !strings.HasPrefix(g, "*.swp\n/plan.json\n") || strings.Count(g, "/plan.json") != 1 || !strings.Contains(g, "/.dnssync/") {
		t.Errorf(".gitignore:\n%s", g)
	}
	// Again: everything but the kept files exists now.
	if _, err := Write(dir, opts()); err == nil || !strings.Contains(err.Error(), "dnssync.yaml") || strings.Contains(err.Error(), "README") {
		t.Errorf("second Write: %v", err)
	}
	o := opts()
	o.Force = true
	if _, err := Write(dir, o); err != nil {
		t.Errorf("with Force: %v", err)
	}
	if gi2, _ := os.ReadFile(filepath.Join(dir, ".gitignore")); string(gi2) != string(gi) {
		t.Errorf(".gitignore grew on a second run:\n%s", gi2)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestSchemaRef(t *testing.T) {
	for in, want := range map[string]string{
		"dnssync.yaml":          "schema.json",
		"zones/a.yaml":          "../schema.json",
		"zones/sub/a.yaml":      "../../schema.json",
		"./zones/./sub/b.yml":   "../../schema.json",
		".github/workflows/x.y": "../../schema.json",
	} {
		if got := SchemaRef(in); got != want {
			t.Errorf("SchemaRef(%q) = %q, want %q", in, got, want)
		}
	}
}
