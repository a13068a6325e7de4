package dnspodtest

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest/dnspodaccount"
	"github.com/dnssync/dnssync/internal/sandbox/emulator"
)

// Kind is this emulator as a plug-in of `dnssync sandbox`: it serves
// providers of type dnspod.
type Kind struct{}

var _ emulator.Kind = Kind{}

// Name is the provider type the emulator stands in for.
func (Kind) Name() string { return "dnspod" }

// Title names the emulated API.
func (Kind) Title() string { return "DNSPod API" }

// DefaultAddr is the sandbox's listen address for this emulator, the
// endpoint examples/dnssync.yaml uses.
func (Kind) DefaultAddr() string { return "127.0.0.1:18444" }

// NewEmulator returns an emulator with o's task delay and faults, serving
// the DNSPod account o.Backends shares with the Tencent Cloud API 3.0
// emulator, or an empty account of its own without Backends.
func (Kind) NewEmulator(o emulator.Options) (emulator.Emulator, error) {
	srv := New(Options{Seed: o.RandSeed, Account: dnspodaccount.Shared(o)})
	e := &Emulator{Plugin: dnspodaccount.Plugin{F: srv}, srv: srv, tokenIDs: map[uint32]bool{}}
	e.SetTaskDelay(o.TaskDelay)
	if err := e.SetFaults(o.Faults); err != nil {
		return nil, err
	}
	return e, nil
}

// Emulator adapts a Server to the sandbox (emulator.Emulator); the state,
// seed and domain plumbing it shares with the API 3.0 emulator is
// dnspodaccount.Plugin.
type Emulator struct {
	dnspodaccount.Plugin
	srv *Server

	mu sync.Mutex
	// tokenIDs are the token ids handed out, so that two provider names
	// whose derived ids collide still get distinct tokens.
	tokenIDs map[uint32]bool
}

var (
	_ emulator.Emulator    = (*Emulator)(nil)
	_ emulator.DomainAdder = (*Emulator)(nil)
)

// Server is the emulator itself, for tests that inspect or change it.
func (e *Emulator) Server() *Server { return e.srv }

// ServeHTTP answers the DNSPod API.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.srv.ServeHTTP(w, r) }

// AddCredentials registers a token "ID,Token" derived from the provider
// name and returns it under the key package dnspod reads from a
// credentials file. Ids are distinct within one emulator; the order of
// calls decides which of two colliding names moves on, so the sandbox
// calls in a stable order.
func (e *Emulator) AddCredentials(provider string) (map[string]string, error) {
	idh, tok := emulator.Derive("dnspod-token-id", provider), emulator.Derive("dnspod-token", provider)
	e.mu.Lock()
	id := 100000 + binary.BigEndian.Uint32(idh[:4])%900000
	for e.tokenIDs[id] {
		id++
	}
	e.tokenIDs[id] = true
	e.mu.Unlock()
	ids, secret := strconv.FormatUint(uint64(id), 10), hex.EncodeToString(tok[:16])
	e.srv.AddToken(ids, secret)
	return map[string]string{"token": ids + "," + secret}, nil
}

// SetFaults maps the sandbox's faults onto DNSPod's: throttling is
// status.code -2, a server error HTTP 502 with an HTML body, an item
// failure a batch item ending in status "error"; latency applies to every
// request.
func (e *Emulator) SetFaults(f emulator.Faults) error {
	if err := f.Check(); err != nil {
		return fmt.Errorf("dnspod emulator: %w", err)
	}
	df := Faults{Throttle: f.Throttle, ServerError: f.ServerError, Drop: f.Drop, FailAfterCommit: f.CommitLoss,
		Latency: f.Latency, FailItem: f.ItemFail}
	if f.Latency > 0 {
		df.LatencyShare = 1
	}
	e.srv.SetFaults(df)
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
	}, "dnspodtest", f)
}

// SeedAPI is how the dnspod section of a seed file reaches the account:
// grades as the legacy API spells them (DP_Free, D_Plus, …), domains and
// records through AddDomain and AddRecord, so DNSPod's codes report a bad
// record.
func (s *Server) SeedAPI() dnspodaccount.SeedAPI {
	return dnspodaccount.SeedAPI{
		Section:      "dnspod",
		Grade:        func(g string) (string, bool) { return g, gradeRE.MatchString(g) },
		GradeHint:    "DP_Free, DP_Plus, DP_Extra, DP_Expert, DP_Ultra or the D_ forms",
		DefaultGrade: "DP_Free",
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
