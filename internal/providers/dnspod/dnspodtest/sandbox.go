package dnspodtest

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

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

// NewEmulator returns an empty emulator with o's task delay and faults.
func (Kind) NewEmulator(o emulator.Options) (emulator.Emulator, error) {
	e := &Emulator{srv: New(Options{Seed: o.RandSeed}), tokenIDs: map[uint32]bool{}}
	e.SetTaskDelay(o.TaskDelay)
	if err := e.SetFaults(o.Faults); err != nil {
		return nil, err
	}
	return e, nil
}

// Emulator adapts a Server to the sandbox (emulator.Emulator).
type Emulator struct {
	srv *Server

	mu sync.Mutex
	// tokenIDs are the token ids handed out, so that two provider names
	// whose derived ids collide still get distinct tokens.
	tokenIDs map[uint32]bool
}

var _ emulator.Emulator = (*Emulator)(nil)

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

// ExportState is MarshalState: domains, records with ids, batch jobs and
// id counters.
func (e *Emulator) ExportState() ([]byte, error) { return e.srv.MarshalState() }

// ImportState is UnmarshalState.
func (e *Emulator) ImportState(data []byte) error { return e.srv.UnmarshalState(data) }

// SetFaults maps the sandbox's faults onto DNSPod's: throttling is
// status.code -2, a server error HTTP 502 with an HTML body, an item
// failure a batch item ending in status "error"; latency applies to every
// request.
func (e *Emulator) SetFaults(f emulator.Faults) error {
	if err := f.Check(); err != nil {
		return fmt.Errorf("dnspod emulator: %w", err)
	}
	df := Faults{
		Throttle: f.Throttle, ServerError: f.ServerError, Drop: f.Drop, FailAfterCommit: f.CommitLoss,
		Latency: f.Latency, FailItem: f.ItemFail,
	}
	if f.Latency > 0 {
		df.LatencyShare = 1
	}
	e.srv.SetFaults(df)
	return nil
}

// SetTaskDelay makes the first item of a batch job take d: item k of a
// job is done at created + (2k+2)·d/2, so later items follow in order.
func (e *Emulator) SetTaskDelay(d time.Duration) { e.srv.SetBatchStep(d / 2) }

// RequestLog returns the request log (LogEntry values), only action's
// requests when action is not empty.
func (e *Emulator) RequestLog(action string) []any {
	out := []any{}
	for _, le := range e.srv.Log() {
		if action == "" || le.Action == action {
			out = append(out, le)
		}
	}
	return out
}

// ResetRequestLog empties the request log.
func (e *Emulator) ResetRequestLog() { e.srv.ResetLog() }

// Seed reads the dnspod section of a seed file (docs/SANDBOX.md) and adds
// its domains and records, so that DNSPod's own rules (the grade's minimum
// TTL and lines, value syntax, CNAME beside other data, duplicates) reject
// a bad seed with the position of the record.
func (e *Emulator) Seed(r *emulator.SeedReader, section *yaml.Node) error {
	for _, z := range readSeed(r, section) {
		if _, err := e.srv.AddDomain(z.Name, z.Grade); err != nil {
			r.Report(z.Pos, err.Error())
			continue
		}
		for _, rec := range z.Records {
			if _, err := e.srv.AddRecord(z.Name, rec); err != nil {
				r.Report(rec.Pos, fmt.Sprintf("%s: record %s: %v", z.Name, describe(rec), err))
			}
		}
	}
	return nil
}

// EditState returns a change for the sandbox's Mutate that edits the
// emulator's state in place — drift made behind dnssync's back.
func EditState(f func(*State) error) func(emulator.Emulator) error {
	return func(em emulator.Emulator) error {
		e, ok := em.(*Emulator)
		if !ok {
			return errors.New("dnspodtest: not a dnspod emulator")
		}
		st := e.srv.Export()
		if err := f(&st); err != nil {
			return err
		}
		return e.srv.Import(st)
	}
}

var _ emulator.DomainAdder = (*Emulator)(nil)

// AddDomain adds domain as DNSPod adds one to an account: free grade, only
// the system's apex NS rows. A domain that exists is left as it is.
func (e *Emulator) AddDomain(domain string) (bool, error) {
	if e.srv.HasDomain(domain) {
		return false, nil
	}
	if _, err := e.srv.AddDomain(domain, ""); err != nil {
		return false, err
	}
	return true, nil
}
