package sandbox

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/sandbox/emulator"
	"github.com/dnssync/dnssync/internal/spec"
)

// Provider is a provider name from dnssync.yaml and its type; the sandbox
// writes test credentials for each one whose type it serves. All
// providers of one type share that type's emulator.
type Provider struct {
	Name string
	Type string // an emulator kind's name
}

// DefaultProviders are used when no configuration names any: one provider
// per emulator, called like its type.
func DefaultProviders(kinds []emulator.Kind) []Provider {
	out := make([]Provider, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, Provider{Name: k.Name(), Type: k.Name()})
	}
	slices.SortFunc(out, func(a, b Provider) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Credential is the sandbox test credential of one provider. These are not
// secrets: they are derived from the provider name, are accepted only by
// the sandbox's emulators, and are printed on purpose so that people can
// use them with other clients.
type Credential struct {
	Provider string
	Type     string
	// Values are the provider's entry in the credentials file, as its
	// emulator made them ("token" → "ID,Token").
	Values map[string]string
}

// String is the printed form: key=value pairs in key order.
func (c Credential) String() string {
	keys := slices.Sorted(maps.Keys(c.Values))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + c.Values[k]
	}
	return strings.Join(parts, " ")
}

// credentialsFile renders the credentials file (internal/credentials
// format: YAML keyed by provider name).
func credentialsFile(cs []Credential) ([]byte, error) {
	m := map[string]map[string]string{}
	for _, c := range cs {
		m[c.Provider] = c.Values
	}
	body, err := yaml.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("sandbox: credentials file: %w", err)
	}
	head := "# dnssync sandbox test credentials. They are accepted only by the local\n" +
		"# sandbox emulators (`dnssync sandbox`) and are not secrets. Rewritten at start.\n"
	return []byte(head + string(body)), nil
}

// ProvidersFromConfig lists the providers of dnssync.yaml whose type has
// an emulator among kinds, sorted by name; DefaultProviders when there
// are none.
func ProvidersFromConfig(cfg *spec.Config, kinds []emulator.Kind) []Provider {
	emulated := map[string]bool{}
	for _, k := range kinds {
		emulated[k.Name()] = true
	}
	var out []Provider
	for _, name := range cfg.ProviderNames() {
		p, _ := cfg.Provider(name)
		if emulated[p.Type] {
			out = append(out, Provider{Name: name, Type: p.Type})
		}
	}
	if len(out) == 0 {
		return DefaultProviders(kinds)
	}
	return out
}

// DomainsFromConfig lists, by emulator name, the domains the zone files
// declare at providers whose type has an emulator: a registrar side at
// the registrar's emulator, records at the DNS provider's.
func DomainsFromConfig(cfg *spec.Config, desired *model.Desired, kinds []emulator.Kind) map[string][]string {
	emulated := map[string]bool{}
	for _, k := range kinds {
		emulated[k.Name()] = true
	}
	out := map[string][]string{}
	add := func(provider, domain string) {
		p, ok := cfg.Provider(provider)
		if !ok || !emulated[p.Type] || slices.Contains(out[p.Type], domain) {
			return
		}
		out[p.Type] = append(out[p.Type], domain)
	}
	for _, d := range desired.Domains {
		if d.Registrar != nil {
			add(d.Registrar.Provider, d.Name)
		}
		if d.DNS != nil {
			add(d.DNS.Provider, d.Name)
		}
	}
	for _, ds := range out {
		slices.Sort(ds)
	}
	return out
}

// DefaultSeedFile is the seed used when none is named: sandbox/seed.yaml
// beside the configuration file (configDir may be ""), else
// examples/sandbox/seed.yaml in the working directory; "" when neither
// exists.
func DefaultSeedFile(configDir string) string {
	var candidates []string
	if configDir != "" {
		candidates = append(candidates, filepath.Join(configDir, "sandbox", "seed.yaml"))
	}
	candidates = append(candidates, filepath.Join("examples", "sandbox", "seed.yaml"))
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && fi.Mode().IsRegular() {
			return c
		}
	}
	return ""
}
