package aliyuntest

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/sandbox/emulator"
)

// Kind is this emulator as a plug-in of `dnssync sandbox`: it serves
// providers of type aliyun.
type Kind struct{}

var _ emulator.Kind = Kind{}

// Name is the provider type the emulator stands in for.
func (Kind) Name() string { return "aliyun" }

// Title names the emulated API.
func (Kind) Title() string { return "Alibaba Cloud Domain API" }

// DefaultAddr is the sandbox's listen address for this emulator, the
// endpoint examples/dnssync.yaml uses.
func (Kind) DefaultAddr() string { return "127.0.0.1:18443" }

// NewEmulator returns an empty emulator with o's task delay and faults.
func (Kind) NewEmulator(o emulator.Options) (emulator.Emulator, error) {
	e := &Emulator{srv: New(Options{Seed: o.RandSeed})}
	e.SetTaskDelay(o.TaskDelay)
	if err := e.SetFaults(o.Faults); err != nil {
		return nil, err
	}
	return e, nil
}

// Emulator adapts a Server to the sandbox (emulator.Emulator).
type Emulator struct {
	srv *Server
}

var _ emulator.Emulator = (*Emulator)(nil)

// Server is the emulator itself, for tests that inspect or change it.
func (e *Emulator) Server() *Server { return e.srv }

// ServeHTTP answers the Domain API.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.srv.ServeHTTP(w, r) }

// AddCredentials registers an AccessKey pair derived from the provider
// name and returns it under the keys package aliyun reads from a
// credentials file.
func (e *Emulator) AddCredentials(provider string) (map[string]string, error) {
	idh, sech := emulator.Derive("aliyun-key-id", provider), emulator.Derive("aliyun-key-secret", provider)
	id := "LTAISandbox" + hex.EncodeToString(idh[:6])
	secret := "sandbox" + hex.EncodeToString(sech[:12])
	e.srv.AddKey(id, secret)
	return map[string]string{"access_key_id": id, "access_key_secret": secret}, nil
}

// ExportState is Export: the registrar's domains, both layers of DNS
// hosts, tasks and the id counter.
func (e *Emulator) ExportState() ([]byte, error) { return e.srv.Export() }

// ImportState is Import.
func (e *Emulator) ImportState(data []byte) error { return e.srv.Import(data) }

// SetFaults maps the sandbox's faults onto the Domain API's: throttling is
// 400 Throttling.User, a server error 500 InternalError or 503
// ServiceUnavailable, an item failure a detail ending in EXECUTE_FAILURE.
func (e *Emulator) SetFaults(f emulator.Faults) error {
	if err := f.Check(); err != nil {
		return fmt.Errorf("aliyun emulator: %w", err)
	}
	e.srv.SetFaults(Faults{
		Throttle: f.Throttle, ServerError: f.ServerError, DropConn: f.Drop, CommitLoss: f.CommitLoss,
		Latency: f.Latency, FailItems: f.ItemFail,
	})
	return nil
}

// SetTaskDelay makes each task detail wait d/2 (WAITING_EXECUTE) and run
// d/2 (EXECUTING).
func (e *Emulator) SetTaskDelay(d time.Duration) {
	e.srv.SetTaskDelays(d/2, d-d/2)
}

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

// Seed reads the aliyun section of a seed file (docs/SANDBOX.md) and
// imports it as the registrar's state. The registrar side is imported as
// written: a seed may describe states the registry would not let a client
// create, since that is what drift looks like.
func (e *Emulator) Seed(r *emulator.SeedReader, section *yaml.Node) error {
	domains := readSeed(r, section)
	js, err := json.Marshal(seedState(domains))
	if err != nil {
		return fmt.Errorf("aliyun: %w", err)
	}
	if err := e.srv.Import(js); err != nil {
		return fmt.Errorf("aliyun: %w", err)
	}
	return nil
}

// EditState returns a change for the sandbox's Mutate that edits the
// registrar's state in place — drift made behind dnssync's back.
func EditState(f func(*State) error) func(emulator.Emulator) error {
	return func(em emulator.Emulator) error {
		e, ok := em.(*Emulator)
		if !ok {
			return errors.New("aliyuntest: not an aliyun emulator")
		}
		st := e.srv.Snapshot()
		if err := f(&st); err != nil {
			return err
		}
		b, err := json.Marshal(st)
		if err != nil {
			return fmt.Errorf("aliyuntest: drift: %w", err)
		}
		return e.srv.Import(b)
	}
}

var _ emulator.DomainAdder = (*Emulator)(nil)

// AddDomain registers domain as a domain newly bought at the registrar
// looks: delegated to Alibaba Cloud DNS, without DNS hosts. A domain that
// exists is left as it is.
func (e *Emulator) AddDomain(domain string) (bool, error) {
	name := canonHost(domain)
	if !validHostName(name) {
		return false, fmt.Errorf("aliyun emulator: bad domain name %q", domain)
	}
	for _, d := range e.srv.Snapshot().Domains {
		if d.Name == name {
			return false, nil
		}
	}
	e.srv.AddDomain(name, nil, true)
	return true, nil
}
