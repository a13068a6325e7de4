package spec

import (
	"github.com/dnssync/dnssync/internal/providers"
)

// Caps is what a DNS provider accepts for records: the capabilities of the
// configured provider instance, exactly as its planner uses them.
type Caps = providers.RecordCaps

// Caps returns the capabilities of the provider called name, as its type
// states them for this configuration.
func (c *Config) Caps(name string) (providers.Caps, bool) {
	p, ok := c.Providers[name]
	if !ok {
		return providers.Caps{}, false
	}
	t, ok := c.Registry.Lookup(p.Type)
	if !ok {
		return providers.Caps{}, false
	}
	return t.Caps(p), true
}

// Roles returns what the provider called name can manage.
func (c *Config) Roles(name string) providers.Role {
	p, ok := c.Providers[name]
	if !ok {
		return 0
	}
	t, ok := c.Registry.Lookup(p.Type)
	if !ok {
		return 0
	}
	return t.Roles()
}
