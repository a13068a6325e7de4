package diff

import "github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"

// Provider batch-size limits used when Options leaves them zero. The legacy
// DNSPod and Alibaba documentation state no limits (UNVERIFIED); these match
// the provider clients' defaults.
const (
	DefaultMaxModifyIDs        = 200 // record ids per Batch.Record.Modify
	DefaultMaxCreateItems      = 200 // records × domains per Batch.Record.Create
	DefaultMaxRegistrarDomains = 100 // domains per SaveBatchTaskForModifyingDomainDns
)

// Options tune planning. The zero value is the safe default: thresholds
// enforced, delegation changes refused, default batch limits and rules.
type Options struct {
	// Force skips the update/delete thresholds.
	Force bool
	// AllowDelegation consents to nameserver-set and AliyunDns changes.
	AllowDelegation bool
	// AllowEmptyZone consents to deleting every record of a zone whose
	// desired record list is empty under policy sync.
	AllowEmptyZone bool

	MaxModifyIDs        int // record ids per Batch.Record.Modify; 0 = DefaultMaxModifyIDs
	MaxCreateItems      int // records × domains per Batch.Record.Create; 0 = DefaultMaxCreateItems
	MaxRegistrarDomains int // domains per registrar batch; 0 = DefaultMaxRegistrarDomains

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

	// Rules are DNSPod's rule options the plan must respect (the same the
	// emulator and simulator use); nil means dnspodrules.DefaultOptions().
	// A zone's live MinTTL, when reported, overrides MinTTL.
	Rules *dnspodrules.Options
}

func (o Options) withDefaults() Options {
	if o.MaxModifyIDs <= 0 {
		o.MaxModifyIDs = DefaultMaxModifyIDs
	}
	if o.MaxCreateItems <= 0 {
		o.MaxCreateItems = DefaultMaxCreateItems
	}
	if o.MaxRegistrarDomains <= 0 {
		o.MaxRegistrarDomains = DefaultMaxRegistrarDomains
	}
	if o.Rules == nil {
		r := dnspodrules.DefaultOptions()
		o.Rules = &r
	}
	return o
}
