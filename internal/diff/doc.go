// Package diff is dnssync's planning engine: it compares desired state
// (internal/spec) with live state (the provider readers) and produces a
// plan.Plan — the semantic changes, packed into the fewest provider batch
// calls, ordered into stages that keep every intermediate state valid under
// the providers' rules, with its cost and the safety refusals that apply.
//
// It is pure and deterministic: no I/O, no clock, no randomness; the same
// input (in any order) yields the same plan. The pipeline, each step in its
// own file:
//
//	zone.go     per-domain matching: exact record matches, leftovers, policy and ignores
//	pair.go     pairing leftover live and desired records into modifications when that saves calls
//	records.go  DNSPod grouping by (field, new value), cross-domain create sets, conflict-aware staging
//	registrar.go nameserver groups across domains, DNS host sync-first handling
//	safety.go   thresholds, delegation consent, empty-zone guard, provider-rule checks
//	cost.go     the plan's cost, its lower bound and the one-call-per-record baseline
//
// internal/simulate replays a plan against the same rule engine the DNSPod
// emulator uses; the property tests here prove with it that plans are valid.
// docs/PLANNING.md explains the heuristics.
package diff
