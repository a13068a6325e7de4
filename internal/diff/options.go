package diff

import "github.com/dnssync/dnssync/internal/providers"

// Options tune planning. The zero value is the safe default: thresholds
// enforced, delegation changes refused.
type Options struct {
	// Force skips the update/delete thresholds.
	Force bool
	// AllowDelegation consents to nameserver-set and AliyunDns changes.
	AllowDelegation bool
	// AllowEmptyZone consents to deleting every record of a zone whose
	// desired record list is empty under policy sync.
	AllowEmptyZone bool

	// HostsSynced says DNS hosts were synchronised from the registry
	// earlier in this run (the re-plan after a glue-sync stage): host
	// differences that remain are planned as create/modify/delete directly,
	// without another sync, so a run cannot loop on hosts sync cannot fix.
	HostsSynced bool
	// HostsSyncedDomains lists domains whose DNS hosts were synchronised
	// earlier in this run by other means — a synchronisation task an
	// interrupted run left in flight, awaited by this run's recovery. They
	// are planned as under HostsSynced, so the same sync is not sent again.
	HostsSyncedDomains map[string]bool

	// Planners pack each provider's share of the differences, by
	// configured provider name. A domain served by a provider without a
	// planner is refused (rule "provider").
	Planners map[string]providers.Planner
}
