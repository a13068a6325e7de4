// Package sandbox runs both provider emulators — the Alibaba Cloud Domain
// API (aliyuntest) and DNSPod (dnspodtest) — as real loopback servers with
// persistent state, so that dnssync's whole pass (read, plan, submit, await,
// verify) can run end to end without provider accounts: in CI, in the
// README's demo, and in other packages' end-to-end tests.
//
// Start binds 127.0.0.1 (never another interface), serves HTTPS with a
// local CA kept in the state directory (so restarts keep trust) or plain
// HTTP, writes test credentials for every configured provider name, and
// keeps both emulators' state in sandbox-state.json: loaded on start when
// present, otherwise seeded from a YAML fixture (see LoadSeed), and written
// atomically after every request that reaches an emulator, periodically and
// on Close.
//
// In the data flow it stands in for the providers: the real clients in
// internal/providers/aliyun and internal/providers/dnspod talk to it exactly
// as they talk to the services. Tests reach the emulator servers directly
// (Aliyun, DNSPod) for request-log assertions and drift injection; black-box
// tests driving the binary use the loopback admin endpoints under
// /_sandbox/ on each listener (docs/SANDBOX.md).
package sandbox
