package tencentcloudtest

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"gopkg.in/yaml.v3"

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

// ExportState is MarshalState: domains, records with ids and id counters.
// Batch tasks are not part of it: a restored emulator starts idle.
func (e *Emulator) ExportState() ([]byte, error) { return e.srv.MarshalState() }

// ImportState is UnmarshalState.
func (e *Emulator) ImportState(data []byte) error { return e.srv.UnmarshalState(data) }

// SetFaults maps the sandbox's faults onto Tencent Cloud's: throttling is
// Error.Code RequestLimitExceeded, a server error HTTP 502 with an HTML
// body, an item failure a batch task item ending in status "error";
// latency applies to every request.
func (e *Emulator) SetFaults(f emulator.Faults) error {
	if err := f.Check(); err != nil {
		return fmt.Errorf("tencentcloud emulator: %w", err)
	}
	tf := Faults{
		RequestLimit: f.Throttle, ServerError: f.ServerError, Drop: f.Drop, FailAfterCommit: f.CommitLoss,
		Latency: f.Latency, FailItem: f.ItemFail,
	}
	if f.Latency > 0 {
		tf.LatencyShare = 1
	}
	e.srv.SetFaults(tf)
	return nil
}

// SetTaskDelay makes the first item of a batch task take d: item k of a
// task is done at created + (2k+2)·d/2, so later items follow in order.
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

// Seed reads the tencentcloud section of a seed file (docs/SANDBOX.md) and
// adds its domains and records, so that DNSPod's rules (the grade's minimum
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
			return errors.New("tencentcloudtest: not a tencentcloud emulator")
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
