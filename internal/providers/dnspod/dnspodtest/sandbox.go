package dnspodtest

import (
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync"

	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest/dnspodaccount"
	"github.com/dnssync/dnssync/internal/sandbox/emulator"
)

// Kind plugs the legacy API's emulator into `dnssync sandbox`, for
// providers of type dnspod (the name of its seed section, state part and
// flags).
type Kind struct{}

var _ emulator.Kind = Kind{}

// NewEmulator returns an emulator with o's task delay and faults, serving
// the DNSPod account o.Backends shares with the Tencent Cloud API 3.0
// emulator, or an empty account of its own without Backends.
func (Kind) NewEmulator(o emulator.Options) (emulator.Emulator, error) {
	return dnspodaccount.NewEmulator(o, func(acct *dnspodaccount.Account) *Emulator {
		srv := New(Options{Seed: o.RandSeed, Account: acct})
		return &Emulator{Plugin: dnspodaccount.Plugin{F: srv}, srv: srv, tokenIDs: map[uint32]bool{}}
	})
}

// Name: providers of type dnspod.
func (Kind) Name() string { return "dnspod" }

// DefaultAddr is where examples/dnssync.yaml expects the legacy API.
func (Kind) DefaultAddr() string { return "127.0.0.1:18444" }

// Title is the summary's name of the API.
func (Kind) Title() string { return "DNSPod API" }

// Emulator adapts a Server to the sandbox (emulator.Emulator): the API and
// its tokens here, the rest in dnspodaccount.Plugin, shared with the API
// 3.0 emulator.
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

// EditState returns a change for the sandbox's Mutate that edits the
// emulator's state in place — drift made behind dnssync's back.
func EditState(f func(*State) error) func(emulator.Emulator) error { return dnspodaccount.EditState(f) }

// SeedFormat: the dnspod section of a seed file spells grades as the
// legacy API does (DP_Free, D_Plus, …).
func (s *Server) SeedFormat() dnspodaccount.SeedFormat {
	return dnspodaccount.SeedFormat{Section: "dnspod", DefaultGrade: "DP_Free",
		Grade:     func(g string) (string, bool) { return g, gradeRE.MatchString(g) },
		GradeHint: "DP_Free, DP_Plus, DP_Extra, DP_Expert, DP_Ultra or the D_ forms"}
}
