// Package spec turns the files people commit into desired state. It reads
// dnssync.yaml (Config) and one zone file per domain, checks them against the
// embedded JSON Schema and against the semantic rules of the providers,
// normalises every record into internal/model's canonical form and returns a
// *model.Desired in which every item knows the file:line:col it came from.
//
// It never touches the network. Problems are collected, not returned at the
// first one: every loader returns Diagnostics, each with a stable rule id, so
// that `dnssync validate` can show all of them at once and tools can match on
// rule ids. The rule ids are listed in rules.go and docs/CONFIGURATION.md.
//
// Data flow: LoadConfig → Load (or LoadFiles / LoadZone + CheckDomains for a
// daemon that reloads one file) → *model.Desired → internal/diff.
package spec
