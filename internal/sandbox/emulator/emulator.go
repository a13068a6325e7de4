// Package emulator is the contract between the sandbox and the provider
// emulators it hosts. A provider type that has an emulator implements Kind
// beside it (for example in its ...test package) and is listed in the one
// registry of emulator kinds (internal/providers/all.Emulators); the
// sandbox serves every kind it is given on a loopback listener of its own
// and never names a provider.
//
// Everything here is neutral: standard library types, the model's
// positions and YAML nodes for the seed file.
package emulator

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// Kind is one provider type's emulator as a sandbox plug-in.
type Kind interface {
	// Name is the provider type name in dnssync.yaml ("aliyun"). It names
	// the emulator everywhere in the sandbox: the seed file section, the
	// part of the state file, the TYPE= prefix of per-emulator flags, the
	// ready file's URL and the providers that get its credentials.
	Name() string
	// Title names the emulated API for people ("Alibaba Cloud Domain API").
	Title() string
	// DefaultAddr is the loopback address `dnssync sandbox` listens on
	// unless told otherwise; examples/dnssync.yaml points at it.
	DefaultAddr() string
	// NewEmulator returns an emulator with no state and no credentials,
	// configured by o.
	NewEmulator(o Options) (Emulator, error)
}

// Options configure a new emulator.
type Options struct {
	// TaskDelay is how long an asynchronous task item takes from
	// submission to its final state.
	TaskDelay time.Duration
	// Faults are the injected failures.
	Faults Faults
	// RandSeed seeds the fault dice, so that the same seed and the same
	// requests give the same faults.
	RandSeed uint64
	// Backends holds the stores emulators of different kinds serve
	// together (two APIs over one product backend); nil: every emulator
	// keeps its state to itself.
	Backends *Backends
}

// Emulator is a running provider emulator: the provider's API as an HTTP
// handler, plus what the sandbox needs to host it. Implementations are safe
// for concurrent use: the sandbox exports state while requests run.
type Emulator interface {
	// ServeHTTP answers the provider's API. Requests under /_sandbox/
	// never reach it.
	http.Handler
	// AddCredentials derives test credentials for the provider named
	// provider from that name (the same on every start and machine; see
	// Derive), makes the emulator accept them, and returns them as the
	// provider's entry of the credentials file: the keys the provider's
	// credential loader reads, in internal/credentials' format.
	AddCredentials(provider string) (map[string]string, error)
	// Seed reads the emulator's section of a seed file (the value of the
	// top-level key Name()) and loads it into the emulator, which is empty.
	// Problems with a place in the file are reported through r, as many as
	// can be found in one pass, including those the emulator's own rules
	// find; the returned error is for failures without one.
	Seed(r *SeedReader, section *yaml.Node) error
	// ExportState returns the persistent state as JSON (tasks due by now
	// applied). Credentials are not part of it.
	ExportState() ([]byte, error)
	// ImportState replaces the state with JSON from ExportState, keeping
	// credentials, faults and the request log.
	ImportState(data []byte) error
	// SetFaults replaces the injected failures.
	SetFaults(f Faults) error
	// SetTaskDelay sets how long an asynchronous task item takes from
	// submission to its final state; whether items already submitted
	// follow is the emulator's choice.
	SetTaskDelay(d time.Duration)
	// RequestLog returns the requests the emulator saw, in order, only
	// those of action when it is not empty. Entries are JSON-encodable,
	// with signatures and tokens removed.
	RequestLog(action string) []any
	// ResetRequestLog empties the request log.
	ResetRequestLog()
}

// Faults are the injected failures of one emulator. Shares are
// probabilities in [0,1] rolled per request (ItemFail per task item); each
// emulator maps them onto its provider's way of failing.
type Faults struct {
	Throttle    float64       // throttling answer
	ServerError float64       // HTTP 5xx answer
	Drop        float64       // connection closed without an answer
	CommitLoss  float64       // a write is committed, then its answer is lost
	ItemFail    float64       // a task item (domain / record) ends in failure
	Latency     time.Duration // added to every request
}

// Check reports shares outside [0,1], exclusive shares (throttle, 5xx,
// drop) that add up to more than 1, and a negative latency.
func (f Faults) Check() error {
	for _, v := range []float64{f.Throttle, f.ServerError, f.Drop, f.CommitLoss, f.ItemFail} {
		if v < 0 || v > 1 {
			return fmt.Errorf("fault share %v outside [0,1]", v)
		}
	}
	if f.Throttle+f.ServerError+f.Drop > 1 {
		return fmt.Errorf("throttle + 5xx + drop shares exceed 1")
	}
	if f.Latency < 0 {
		return fmt.Errorf("latency is negative")
	}
	return nil
}

// Derive returns the bytes a test credential of provider is made from,
// for one purpose ("aliyun-key-id"). Credentials derived from the provider
// name rather than drawn at random stay the same across restarts and
// machines, so the credentials file, printed values and CI logs agree.
func Derive(purpose, provider string) [32]byte {
	return sha256.Sum256([]byte("dnssync-sandbox\x00" + purpose + "\x00" + provider))
}

// DomainAdder is implemented by emulators that can create a domain in the
// state a provider gives a domain newly added to an account (no records of
// the user's, the provider's default delegation), for a sandbox that starts
// from a configuration's zone files instead of a seed. It is optional: the
// sandbox skips emulators without it.
type DomainAdder interface {
	// AddDomain makes domain (punycode, no trailing dot) exist in the
	// emulator's account. A domain that exists is left as it is: added
	// reports whether it was created.
	AddDomain(domain string) (added bool, err error)
}

// Store is a product backend's state that emulators of several kinds
// serve, for instance one account behind two APIs of a provider. What it
// holds is the emulators' business; the sandbox only brackets the loading
// of a saved state, in which each of them imports its part.
type Store interface {
	// BeginLoad is called before the emulators import a saved state:
	// until EndLoad, the first part imported loads the store and the
	// others must agree with it (the state file holds the store once per
	// emulator serving it).
	BeginLoad()
	// EndLoad is called once every part was imported.
	EndLoad()
}

// Backends are the stores shared between the emulators of one sandbox,
// by a name the emulators that share one agree on. The zero value is not
// usable; see NewBackends.
type Backends struct {
	mu     sync.Mutex
	stores map[string]Store
	names  []string
}

// NewBackends returns an empty set of shared stores.
func NewBackends() *Backends { return &Backends{stores: map[string]Store{}} }

// Store returns the store called name, made by create on the first call.
func (b *Backends) Store(name string, create func() Store) Store {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.stores[name]; ok {
		return s
	}
	s := create()
	b.stores[name] = s
	b.names = append(b.names, name)
	return s
}

// Names are the stores made so far, in the order they were made.
func (b *Backends) Names() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.names...)
}

// BeginLoad calls every store's BeginLoad.
func (b *Backends) BeginLoad() {
	for _, s := range b.all() {
		s.BeginLoad()
	}
}

// EndLoad calls every store's EndLoad.
func (b *Backends) EndLoad() {
	for _, s := range b.all() {
		s.EndLoad()
	}
}

func (b *Backends) all() []Store {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Store, 0, len(b.names))
	for _, n := range b.names {
		out = append(out, b.stores[n])
	}
	return out
}
