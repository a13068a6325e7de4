package dnspodaccount

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/sandbox/emulator"
)

// Frontend is an API emulator of the account as its sandbox plug-in sees
// it: dnspodtest.Server and tencentcloudtest.Server.
type Frontend interface {
	// Account is the account the emulator serves.
	Account() *Account
	// SeedFormat is how the emulator's seed section spells grades.
	SeedFormat() SeedFormat
	// HasDomain reports whether the account holds the domain.
	HasDomain(name string) bool
	// AddRecord adds a record through the API's rules (lines and values
	// as the API spells them) and returns its id; Records lists a
	// domain's records as the API spells them.
	AddRecord(domain string, r model.Record) (string, error)
	Records(domain string) []model.Record
	// MarshalState and UnmarshalState are the emulator's part of the
	// sandbox state file.
	MarshalState() ([]byte, error)
	UnmarshalState([]byte) error
	// SetBatchStep sets how long a batch item waits and then runs.
	SetBatchStep(time.Duration)
	// SetSandboxFaults maps the sandbox's faults (checked) onto the API's.
	SetSandboxFaults(emulator.Faults)
	// Requests is the request log.
	Requests() RequestLog
}

// Plugin is what the two APIs' sandbox plug-ins have in common: all of
// emulator.Emulator (and emulator.DomainAdder) but the API's handler and
// credentials. Each embeds it.
type Plugin struct {
	F Frontend
}

// NewEmulator makes the sandbox emulator of one of the account's APIs:
// build wraps a server of the API over the account o.Backends shares (nil:
// the server keeps one of its own), which is then given o's task delay and
// faults.
func NewEmulator[E interface {
	emulator.Emulator
	Configure(emulator.Options) error
}](o emulator.Options, build func(*Account) E) (emulator.Emulator, error) {
	e := build(Shared(o))
	if err := e.Configure(o); err != nil {
		return nil, err
	}
	return e, nil
}

// Configure applies the sandbox's task delay and faults.
func (p Plugin) Configure(o emulator.Options) error {
	p.SetTaskDelay(o.TaskDelay)
	return p.SetFaults(o.Faults)
}

// ExportState is the emulator's MarshalState: the account's domains and
// records with ids and counters, in the API's format, and whatever the
// emulator keeps of its own.
func (p Plugin) ExportState() ([]byte, error) { return p.F.MarshalState() }

// ImportState is UnmarshalState. While the sandbox loads a saved state,
// the parts of two emulators serving one account must describe the same
// account (Account.BeginLoad); later imports (drift injection) replace it.
func (p Plugin) ImportState(data []byte) error { return p.F.UnmarshalState(data) }

// SetTaskDelay makes the first item of a batch take d: item k of a batch
// is done at created + (2k+2)·d/2, so later items follow in order.
func (p Plugin) SetTaskDelay(d time.Duration) { p.F.SetBatchStep(d / 2) }

// SetFaults checks the sandbox's faults and maps them onto the API's
// (SetSandboxFaults).
func (p Plugin) SetFaults(f emulator.Faults) error {
	if err := f.Check(); err != nil {
		return fmt.Errorf("%s emulator: %w", p.F.SeedFormat().Section, err)
	}
	p.F.SetSandboxFaults(f)
	return nil
}

// LatencyShare is the share of requests the sandbox's latency applies to:
// every request, when there is one.
func LatencyShare(f emulator.Faults) float64 {
	if f.Latency > 0 {
		return 1
	}
	return 0
}

// RequestLog is the emulator's request log, only action's requests when
// action is not empty.
func (p Plugin) RequestLog(action string) []any { return p.F.Requests().Filter(action) }

// ResetRequestLog empties the request log.
func (p Plugin) ResetRequestLog() { p.F.Requests().Reset() }

// Seed reads the emulator's section of a seed file (docs/SANDBOX.md) and
// loads it into the account through the emulator (Account.Seed).
func (p Plugin) Seed(r *emulator.SeedReader, section *yaml.Node) error {
	p.F.Account().Seed(r, section, p.F)
	return nil
}

// AddDomain adds domain as DNSPod adds one to an account: free grade, only
// the system's apex NS rows. A domain that exists — added through either
// API — is left as it is.
func (p Plugin) AddDomain(domain string) (bool, error) {
	if p.F.HasDomain(domain) {
		return false, nil
	}
	if _, err := p.F.Account().CreateDomain(domain, "DP_Free"); err != nil {
		return false, err
	}
	return true, nil
}

func (p Plugin) frontend() Frontend { return p.F }

// Stateful is an emulator server whose state can be exported as St and
// imported back.
type Stateful[St any] interface {
	Export() St
	Import(St) error
}

// EditState returns a change for the sandbox's Mutate that edits the state
// (St) of an emulator embedding Plugin in place — drift made behind
// dnssync's back. An emulator of another kind is an error.
func EditState[St any](f func(*St) error) func(emulator.Emulator) error {
	return func(em emulator.Emulator) error {
		var s Stateful[St]
		if p, ok := em.(interface{ frontend() Frontend }); ok {
			s, _ = p.frontend().(Stateful[St])
		}
		if s == nil {
			return fmt.Errorf("not an emulator whose state is a %T", *new(St))
		}
		st := s.Export()
		if err := f(&st); err != nil {
			return err
		}
		return s.Import(st)
	}
}

// Shared returns the account the sandbox shares between the emulators of
// both APIs (o.Backends), made on first use; nil when o has no Backends
// (the emulator keeps an account of its own).
func Shared(o emulator.Options) *Account {
	if o.Backends == nil {
		return nil
	}
	return o.Backends.Store(BackendName, func() emulator.Store { return New(Options{}) }).(*Account)
}
