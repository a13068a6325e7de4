// Package dnssync holds what must sit at the repository root: the JSON Schema
// of dnssync.yaml and of zone files, embedded so that the binary validates
// with exactly the schema editors use. internal/spec compiles it.
package dnssync

import _ "embed"

//go:embed schema.json
var schema string

// Schema returns the JSON Schema (draft 2020-12) document. $defs/config
// describes dnssync.yaml and $defs/zone a zone file.
func Schema() []byte { return []byte(schema) }
