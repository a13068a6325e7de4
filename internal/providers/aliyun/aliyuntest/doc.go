// Package aliyuntest is a protocol-faithful emulator of the Alibaba Cloud
// Domain API (2018-01-29, RPC style), the way net/http/httptest sits beside
// net/http: a real http.Handler that tests, the conformance suite and the
// `dnssync sandbox` serve over loopback HTTP or HTTPS.
//
// It verifies RPC HMAC-SHA1 signatures, access keys, STS tokens, nonces and
// timestamps with the gateway's error codes; keeps domains with instance ids
// and name servers, and DNS hosts in two layers (the registry's truth and
// the registrar's view, which a synchronize task reconciles); runs tasks
// asynchronously (WAITING_EXECUTE → EXECUTING → EXECUTE_SUCCESS or
// EXECUTE_FAILURE) on an injectable clock; refuses a second task for a busy
// domain with TaskIsBeingProcessed; and injects seeded faults (throttling,
// 5xx, dropped connections, latency, failing task items, and lost answers
// after a committed write). Every request is logged for assertions, and the
// state can be exported and imported as JSON so a sandbox survives restarts.
//
// The package deliberately shares no code with package aliyun: its
// signature check is an independent implementation of spec §2, so a
// canonicalisation bug in the client cannot hide behind the same bug here.
package aliyuntest
