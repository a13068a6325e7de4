package tencentcloudtest

import (
	"encoding/hex"
	"net/http"

	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest/dnspodaccount"
	"github.com/dnssync/dnssync/internal/sandbox/emulator"
)

// Kind is the sandbox plug-in of the API 3.0 emulator: it stands in for
// providers of type tencentcloud.
type Kind struct{}

var _ emulator.Kind = Kind{}

// Name is the provider type.
func (Kind) Name() string { return "tencentcloud" }

// Title says which API the emulator speaks.
func (Kind) Title() string { return "Tencent Cloud API 3.0 (DNSPod)" }

// DefaultAddr is the listen address examples/tencentcloud/dnssync.yaml
// points at.
func (Kind) DefaultAddr() string { return "127.0.0.1:18445" }

// NewEmulator returns an emulator with o's task delay and faults, serving
// the DNSPod account o.Backends shares with the legacy DNSPod emulator, or
// an empty account of its own without Backends.
func (Kind) NewEmulator(o emulator.Options) (emulator.Emulator, error) {
	return dnspodaccount.NewEmulator(o, func(acct *dnspodaccount.Account) *Emulator {
		srv := New(Options{Seed: o.RandSeed, Account: acct})
		return &Emulator{Plugin: dnspodaccount.Plugin{F: srv}, srv: srv}
	})
}

// Emulator adapts a Server to the sandbox (emulator.Emulator): the API and
// its keys here, the rest in dnspodaccount.Plugin, shared with the legacy
// DNSPod emulator.
type Emulator struct {
	dnspodaccount.Plugin
	srv *Server
}

var _ emulator.DomainAdder = (*Emulator)(nil)

// Server is the emulator itself, for tests that inspect or change it.
func (e *Emulator) Server() *Server { return e.srv }

// ServeHTTP answers Tencent Cloud API 3.0.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.srv.ServeHTTP(w, r) }

// AddCredentials registers a long-term key pair derived from the provider
// name and returns it under the keys package tencentcloud reads from a
// credentials file.
func (e *Emulator) AddCredentials(provider string) (map[string]string, error) {
	idh, sech := emulator.Derive("tencentcloud-secret-id", provider), emulator.Derive("tencentcloud-secret-key", provider)
	id := "AKIDSandbox" + hex.EncodeToString(idh[:12])
	secret := hex.EncodeToString(sech[:16])
	e.srv.AddKey(id, secret)
	return map[string]string{"secret_id": id, "secret_key": secret}, nil
}

// EditState returns a change for the sandbox's Mutate that edits the
// emulator's state in place — drift made behind dnssync's back.
func EditState(f func(*State) error) func(emulator.Emulator) error { return dnspodaccount.EditState(f) }

// SeedFormat: the tencentcloud section of a seed file takes grades in any
// case and the D_ forms (DP_Plus reads as DP_PLUS), and lines as this API
// names them.
func (s *Server) SeedFormat() dnspodaccount.SeedFormat {
	return dnspodaccount.SeedFormat{Section: "tencentcloud", DefaultGrade: "DP_FREE",
		Grade:     func(g string) (string, bool) { return apiGrade(g), contains(grades, apiGrade(g)) },
		GradeHint: "DP_Free, DP_Plus, DP_Extra, DP_Expert, DP_Ultra, any case, or the D_ forms"}
}
