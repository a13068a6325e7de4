// Package aliyun is dnssync's client of the Alibaba Cloud Domain API
// (product Domain, version 2018-01-29, RPC style) and the provider adapter
// built on it.
//
// In the data flow it sits at both ends of a pass: Provider.ReadRegistrar
// turns QueryDomainByDomainName and QueryDnsHost answers into
// model.LiveRegistrar (what the diff compares against), and Provider.Submit /
// Provider.Poll carry out plan batches (SaveBatchTaskForModifyingDomainDns and
// the SaveSingleTaskFor*DnsHost family) and read their asynchronous tasks
// back through QueryTaskDetailList.
//
// The Client signs every HTTP attempt afresh (RPC HMAC-SHA1, new nonce and
// timestamp), retries reads on transient failures, and never repeats a write
// whose outcome is unknown: such a write returns an error wrapping
// providers.ErrOutcomeUnknown so the caller re-reads live state first.
// Credentials never reach errors or logs.
//
// The emulator that speaks the same protocol lives beside it in
// internal/providers/aliyun/aliyuntest.
package aliyun
