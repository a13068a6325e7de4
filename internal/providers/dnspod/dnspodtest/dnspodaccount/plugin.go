package dnspodaccount

import (
	"errors"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/sandbox/emulator"
)

// Frontend is an API emulator of the account as its sandbox plug-in sees
// it: dnspodtest.Server and tencentcloudtest.Server.
type Frontend interface {
	// Account is the account the emulator serves.
	Account() *Account
	// SeedAPI is how the emulator's seed section reaches the account.
	SeedAPI() SeedAPI
	// HasDomain reports whether the account holds the domain.
	HasDomain(name string) bool
	// MarshalState and UnmarshalState are the emulator's part of the
	// sandbox state file.
	MarshalState() ([]byte, error)
	UnmarshalState([]byte) error
	// SetBatchStep sets how long a batch item waits and then runs.
	SetBatchStep(time.Duration)
	// ResetLog empties the request log.
	ResetLog()
}

// Plugin is the part of emulator.Emulator (and emulator.DomainAdder) the
// two APIs' sandbox plug-ins have in common; each embeds it and adds its
// API's handler, credentials, faults and request log.
type Plugin struct {
	F Frontend
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

// ResetRequestLog empties the request log.
func (p Plugin) ResetRequestLog() { p.F.ResetLog() }

// Seed reads the emulator's section of a seed file (docs/SANDBOX.md) and
// loads it into the account through the emulator (Account.Seed).
func (p Plugin) Seed(r *emulator.SeedReader, section *yaml.Node) error {
	p.F.Account().Seed(r, section, p.F.SeedAPI())
	return nil
}

// AddDomain adds domain as DNSPod adds one to an account: free grade, only
// the system's apex NS rows. A domain that exists — added through either
// API — is left as it is.
func (p Plugin) AddDomain(domain string) (bool, error) {
	if p.F.HasDomain(domain) {
		return false, nil
	}
	api := p.F.SeedAPI()
	if err := api.AddDomain(domain, api.DefaultGrade); err != nil {
		return false, err
	}
	return true, nil
}

// Stateful is an emulator server whose state can be exported as St and
// imported back.
type Stateful[St any] interface {
	Export() St
	Import(St) error
}

// EditState returns a change for the sandbox's Mutate that edits an
// emulator's state in place — drift made behind dnssync's back. server
// picks the emulator's server out of the sandbox's emulator, reporting
// false for an emulator of another kind.
func EditState[St any](server func(emulator.Emulator) (Stateful[St], bool), kind string, f func(*St) error) func(emulator.Emulator) error {
	return func(em emulator.Emulator) error {
		s, ok := server(em)
		if !ok {
			return errors.New(kind + ": not a " + kind + " emulator")
		}
		st := s.Export()
		if err := f(&st); err != nil {
			return err
		}
		return s.Import(st)
	}
}

// FilterLog returns the entries of action (all when action is empty) as
// the sandbox's request log endpoint serves them.
func FilterLog[L any](entries []L, action string, actionOf func(L) string) []any {
	out := []any{}
	for _, e := range entries {
		if action == "" || actionOf(e) == action {
			out = append(out, e)
		}
	}
	return out
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
