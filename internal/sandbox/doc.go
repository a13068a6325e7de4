// Package sandbox hosts provider emulators — for dnssync, the Alibaba
// Cloud Domain API and DNSPod — as real loopback servers with persistent
// state, so that dnssync's whole pass (read, plan, submit, await, verify)
// can run end to end without provider accounts: in CI, in the README's
// demo, and in other packages' end-to-end tests.
//
// The sandbox names no provider. It is given emulator kinds (package
// emulator; dnssync's list is internal/providers/all.Emulators) and
// serves each on a listener of its own. Everything provider-specific —
// the API, test credentials, the seed file's section, the state format,
// how faults show — belongs to the kind, beside the provider's code.
//
// Start binds loopback addresses only, serves HTTPS with a local CA kept
// in the state directory (so restarts keep trust) or plain HTTP, writes
// test credentials for every configured provider name whose type is
// served, and keeps every emulator's state in sandbox-state.json: loaded
// on start when present, otherwise seeded from a YAML fixture (see
// CheckSeed), and written atomically after every request that reaches an
// emulator, periodically and on Close.
//
// In the data flow it stands in for the providers: the real clients talk
// to it exactly as they talk to the services. Tests reach the emulators
// directly (Emulator, Mutate) for request-log assertions and drift
// injection; black-box tests driving the binary use the loopback admin
// endpoints under /_sandbox/ on each listener (docs/SANDBOX.md).
package sandbox
