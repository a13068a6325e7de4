package all

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/dnssync/dnssync"

// core are the packages that must work with any set of providers: they
// receive the registry and the emulator kinds and name no provider.
var core = []string{
	"internal/model", "internal/spec", "internal/diff", "internal/plan", "internal/render",
	"internal/apply", "internal/journal", "internal/engine", "internal/daemon", "internal/reconcile",
	"internal/metrics", "internal/importer", "internal/sandbox", "internal/sandbox/emulator",
	"internal/simulate", "internal/display", "internal/progress", "internal/credentials",
	"internal/watch", "internal/statedir", "internal/scaffold",
}

// TestCoreImportsNoProvider fails when a core package depends, directly or
// through others, on a concrete provider package (internal/providers/NAME/...).
// The plug-in contract, internal/providers itself, is allowed. Test files
// are not looked at: tests may wire in the real providers through this
// package.
func TestCoreImportsNoProvider(t *testing.T) {
	pkgs := make([]string, len(core))
	for i, p := range core {
		pkgs[i] = module + "/" + p
	}
	out, err := exec.Command("go", append([]string{"list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}"}, pkgs...)...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list -deps: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list -deps: %v", err)
	}
	imports := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) > 0 {
			imports[f[0]] = f[1:]
		}
	}
	for _, p := range pkgs {
		if _, ok := imports[p]; !ok {
			t.Errorf("go list did not list %s", p)
		}
		for _, chain := range providerChains(p, imports) {
			t.Errorf("core package %s depends on a provider: %s", strings.TrimPrefix(p, module+"/"), strings.Join(chain, " → "))
		}
	}
}

// providerChains returns, for every concrete provider package reachable
// from root, the shortest import chain from root to it, paths relative to
// the module. It does not look past a provider package: its own imports
// are the provider's business.
func providerChains(root string, imports map[string][]string) [][]string {
	provider := func(p string) bool { return strings.HasPrefix(p, module+"/internal/providers/") }
	parent := map[string]string{root: ""}
	queue := []string{root}
	var found []string
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, q := range imports[p] {
			if _, seen := parent[q]; seen {
				continue
			}
			parent[q] = p
			if provider(q) {
				found = append(found, q)
				continue
			}
			queue = append(queue, q)
		}
	}
	slices.Sort(found)
	var chains [][]string
	for _, q := range found {
		var chain []string
		for p := q; p != ""; p = parent[p] {
			chain = append(chain, strings.TrimPrefix(p, module+"/"))
		}
		slices.Reverse(chain)
		chains = append(chains, chain)
	}
	return chains
}

// TestProviderChains checks the chain report on a small graph.
func TestProviderChains(t *testing.T) {
	m := func(p string) string { return module + "/" + p }
	imports := map[string][]string{
		m("internal/a"):                 {"fmt", m("internal/b"), m("internal/providers")},
		m("internal/b"):                 {m("internal/providers/x/xtest")},
		m("internal/providers/x/xtest"): {m("internal/providers/x")},
	}
	got := providerChains(m("internal/a"), imports)
	want := [][]string{{"internal/a", "internal/b", "internal/providers/x/xtest"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("providerChains = %q, want %q", got, want)
	}
}
