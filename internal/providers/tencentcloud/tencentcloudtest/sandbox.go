package tencentcloudtest

import (
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest/dnspodaccount"
	"github.com/dnssync/dnssync/internal/sandbox/emulator"
)

// Kind is this emulator as a plug-in of `dnssync sandbox`: it serves
// providers of type tencentcloud.
type Kind struct{}

var _ emulator.Kind = Kind{}

// Name is the provider type the emulator stands in for.
func (Kind) Name() string { return "tencentcloud" }

// Title names the emulated API.
func (Kind) Title() string { return "Tencent Cloud API 3.0 (DNSPod)" }

// DefaultAddr is the sandbox's listen address for this emulator, the
// endpoint examples/tencentcloud/dnssync.yaml uses.
func (Kind) DefaultAddr() string { return "127.0.0.1:18445" }

// NewEmulator returns an emulator with o's task delay and faults, serving
// the DNSPod account o.Backends shares with the legacy DNSPod emulator, or
// an empty account of its own without Backends.
func (Kind) NewEmulator(o emulator.Options) (emulator.Emulator, error) {
	srv := New(Options{Seed: o.RandSeed, Account: dnspodaccount.Shared(o)})
	e := &Emulator{Plugin: dnspodaccount.Plugin{F: srv}, srv: srv}
	e.SetTaskDelay(o.TaskDelay)
	if err := e.SetFaults(o.Faults); err != nil {
		return nil, err
	}
	return e, nil
}

// Emulator adapts a Server to the sandbox (emulator.Emulator); the state,
// seed and domain plumbing it shares with the legacy DNSPod emulator is
// dnspodaccount.Plugin.
type Emulator struct {
	dnspodaccount.Plugin
	srv *Server
}

var (
	_ emulator.Emulator    = (*Emulator)(nil)
	_ emulator.DomainAdder = (*Emulator)(nil)
)

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

// SetFaults maps the sandbox's faults onto Tencent Cloud's: throttling is
// Error.Code RequestLimitExceeded, a server error HTTP 502 with an HTML
// body, an item failure a batch task item ending in status "error";
// latency applies to every request.
func (e *Emulator) SetFaults(f emulator.Faults) error {
	if err := f.Check(); err != nil {
		return fmt.Errorf("tencentcloud emulator: %w", err)
	}
	tf := Faults{RequestLimit: f.Throttle, ServerError: f.ServerError, Drop: f.Drop, FailAfterCommit: f.CommitLoss,
		Latency: f.Latency, FailItem: f.ItemFail}
	if f.Latency > 0 {
		tf.LatencyShare = 1
	}
	e.srv.SetFaults(tf)
	return nil
}

// RequestLog returns the request log (LogEntry values), only action's
// requests when action is not empty.
func (e *Emulator) RequestLog(action string) []any {
	return dnspodaccount.FilterLog(e.srv.Log(), action, func(le LogEntry) string { return le.Action })
}

// EditState returns a change for the sandbox's Mutate that edits the
// emulator's state in place — drift made behind dnssync's back.
func EditState(f func(*State) error) func(emulator.Emulator) error {
	return dnspodaccount.EditState(func(em emulator.Emulator) (dnspodaccount.Stateful[State], bool) {
		e, ok := em.(*Emulator)
		if !ok {
			return nil, false
		}
		return e.srv, true
	}, "tencentcloudtest", f)
}

// SeedAPI is how the tencentcloud section of a seed file reaches the
// account: grades in any case and the D_ forms (DP_Plus reads as DP_PLUS),
// lines as this API names them, domains and records through AddDomain and
// AddRecord.
func (s *Server) SeedAPI() dnspodaccount.SeedAPI {
	return dnspodaccount.SeedAPI{
		Section: "tencentcloud",
		Grade: func(g string) (string, bool) {
			g = apiGrade(g)
			return g, contains(grades, g)
		},
		GradeHint:    "DP_Free, DP_Plus, DP_Extra, DP_Expert, DP_Ultra, any case, or the D_ forms",
		DefaultGrade: "DP_FREE",
		AddDomain: func(name, grade string) error {
			_, err := s.AddDomain(name, grade)
			return err
		},
		AddRecord: func(domain string, r model.Record) error {
			_, err := s.AddRecord(domain, r)
			return err
		},
		Records: s.Records,
	}
}
