// Package all is the one place provider types are registered: one line
// each, and one line for each type's sandbox emulator. Only the command
// wiring (cmd/dnssync) and tests import it; the core receives the registry
// and the emulator kinds and never names a provider.
package all

import (
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/aliyun"
	"github.com/dnssync/dnssync/internal/providers/aliyun/aliyuntest"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest"
	"github.com/dnssync/dnssync/internal/providers/rfc2136"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud/tencentcloudtest"
	"github.com/dnssync/dnssync/internal/sandbox/emulator"
)

// Registry returns every provider type dnssync knows.
func Registry() *providers.Registry {
	return providers.NewRegistry(
		aliyun.Type{},
		dnspod.Type{},
		tencentcloud.Type{},
		rfc2136.Type{},
	)
}

// Emulators returns the emulator of every provider type that has one, for
// `dnssync sandbox`. Each kind's name is the type's name in Registry.
func Emulators() []emulator.Kind {
	return []emulator.Kind{
		aliyuntest.Kind{},
		dnspodtest.Kind{},
		tencentcloudtest.Kind{},
	}
}
