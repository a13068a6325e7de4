// Package plan defines the plan: the semantic changes and the ordered
// provider batch operations that turn live state into desired state. internal/diff builds a
// Plan, internal/render shows it, internal/apply executes it. A Plan is plain
// data with a versioned JSON form so that `plan -out FILE` and `apply FILE`
// can exchange it.
package plan

import (
	"encoding/json"

	"github.com/dnssync/dnssync/internal/model"
)

// FormatVersion is the version of the JSON plan format. Bump it on any
// incompatible change; readers refuse other versions. Version 2 made
// batches provider-neutral (operation, items, detail, opaque payload).
const FormatVersion = 2

// ChangeKind names a semantic difference.
type ChangeKind string

// Change kinds.
const (
	RecordCreate    ChangeKind = "record-create"
	RecordUpdate    ChangeKind = "record-update"
	RecordDelete    ChangeKind = "record-delete"
	NameserversSet  ChangeKind = "nameservers"
	HostCreate      ChangeKind = "host-create"
	HostModify      ChangeKind = "host-modify"
	HostDelete      ChangeKind = "host-delete"
	HostSynchronize ChangeKind = "host-sync"
)

// Change is one semantic, provider-neutral difference for one domain.
type Change struct {
	ID       string     `json:"id"` // stable within the plan: "<domain>#<n>"
	Domain   string     `json:"domain"`
	Kind     ChangeKind `json:"kind"`
	Provider string     `json:"provider"`
	Pos      model.Pos  `json:"pos,omitempty"` // declaration that asks for it (none for deletes)

	// Records.
	Before *model.Record `json:"before,omitempty"`
	After  *model.Record `json:"after,omitempty"`
	Fields []string      `json:"fields,omitempty"` // for updates: name, type, line, value, mx, ttl, enabled

	// Registrar.
	NSBefore        []string       `json:"ns_before,omitempty"`
	NSAfter         []string       `json:"ns_after,omitempty"`
	AliyunDNSBefore bool           `json:"aliyun_dns_before,omitempty"`
	AliyunDNSAfter  bool           `json:"aliyun_dns_after,omitempty"`
	HostBefore      *model.DNSHost `json:"host_before,omitempty"`
	HostAfter       *model.DNSHost `json:"host_after,omitempty"`
}

// Op is a provider write operation, named by its provider
// ("dnspod:Batch.Record.Modify"); one Batch is one call of an Op.
type Op string

// Batch is one provider write call that starts (at most) one provider
// task. The core reads only its neutral fields; Payload belongs to the
// provider, which alone encodes and decodes it.
type Batch struct {
	ID       string `json:"id"`       // stable within the plan: "s<stage>.b<n>"
	Provider string `json:"provider"` // configured provider name
	Op       Op     `json:"op"`

	// Domains the call touches (names): apply orders batches of one
	// domain by stage and skips a domain's later batches after a failure.
	Domains []string `json:"domains"`
	// Items is how many items (records × domains, record ids, domains,
	// hosts) the call carries, for progress and per-item results.
	Items int `json:"items"`
	// Detail is the provider's one-line description for reviewers.
	Detail string `json:"detail"`
	// Payload is what the provider needs to make the call.
	Payload json.RawMessage `json:"payload"`

	// Changes this batch (partly) carries out, by Change.ID.
	Changes []string `json:"changes"`
}

// Stage is a set of batches that may run concurrently; stages run in order.
type Stage struct {
	Name    string  `json:"name"`
	Batches []Batch `json:"batches"`
	// Replan marks a stage whose effect the planner cannot foresee (a
	// provider's glue-sync phase repairs registrar data from the
	// registry): once it has completed, the apply engine re-reads live state and plans the
	// remaining changes afresh instead of running the later stages as
	// written.
	Replan bool `json:"replan,omitempty"`
}

// Cost is what a plan costs in provider calls.
type Cost struct {
	Batches        int `json:"batches"`          // write calls
	APICalls       int `json:"api_calls"`        // write calls + task polls expected (minimum)
	Tasks          int `json:"tasks"`            // provider tasks to await
	LowerBound     int `json:"lower_bound"`      // fewest write calls any packing could use (estimate)
	PerRecordCalls int `json:"per_record_calls"` // calls a one-call-per-record tool would make
}

// Refusal is a safety check that stops a plan from being applied.
type Refusal struct {
	Domain string `json:"domain"`
	Rule   string `json:"rule"` // "update-threshold", "delete-threshold", "delegation", "empty-zone", "provider-rules", "unknown-domain", "provider"
	Reason string `json:"reason"`
}

// Plan is the whole plan.
type Plan struct {
	Version     int    `json:"version"`
	Fingerprint string `json:"fingerprint"` // of the live state it was computed from
	// DesiredFingerprint is the digest of the desired state (the zone
	// files as loaded, positions included) the plan was computed from.
	DesiredFingerprint string    `json:"desired_fingerprint"`
	Changes            []Change  `json:"changes"`
	Stages             []Stage   `json:"stages"`
	Cost               Cost      `json:"cost"`
	Refusals           []Refusal `json:"refusals,omitempty"`
	// Summary counts the changes per domain as a person counts them
	// (Summarize); derived from Changes, so apply never looks at it.
	Summary *Summary `json:"summary,omitempty"`
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// DesiredFingerprint returns a stable digest of desired state: every
// field of its canonical form (domains sorted, as spec.Load returns them),
// positions included, streamed into SHA-256 (fingerprint.go).
func DesiredFingerprint(d *model.Desired) string {
	w := newDigest("dnssync desired state v2")
	w.desired(d)
	return w.sum()
}

// Fingerprint returns a stable digest of live state: every field of its
// canonical (sorted) form streamed into SHA-256 (fingerprint.go).
func Fingerprint(live *model.Live) string {
	w := newDigest("dnssync live state v2")
	w.live(live)
	return w.sum()
}

// Refusal rules (Refusal.Rule).
const (
	RuleUpdateThreshold = "update-threshold" // too many updates for the zone's size (octoDNS)
	RuleDeleteThreshold = "delete-threshold" // too many deletes for the zone's size (octoDNS)
	RuleDelegation      = "delegation"       // nameserver set or registrar-DNS flag changes without consent
	RuleEmptyZone       = "empty-zone"       // the file lists no records but the zone has some
	RuleProviderRules   = "provider-rules"   // the desired records break the provider's rules
	RuleUnknownDomain   = "unknown-domain"   // a managed side has no live state to compare with
	RuleProvider        = "provider"         // the provider cannot plan this side
)
