// Package all is the one place provider types are registered: one line
// each. Only the command wiring (cmd/dnssync) and tests import it; the
// core receives the registry and never names a provider.
package all

import (
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/aliyun"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
	"github.com/dnssync/dnssync/internal/providers/rfc2136"
)

// Registry returns every provider type dnssync knows.
func Registry() *providers.Registry {
	return providers.NewRegistry(
		aliyun.Type{},
		dnspod.Type{},
		rfc2136.Type{},
	)
}
