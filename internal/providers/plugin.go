package providers

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
)

// This file is the plug-in contract: what the core (spec, diff, render,
// apply, the pass and the daemon) asks of a provider, in neutral terms.
// A provider type registers a Type; a configured account becomes an
// Instance. The core never names a provider: it looks up types in a
// Registry built in one place (internal/providers/all).

// Role is what a provider can manage for a domain.
type Role uint8

// Roles.
const (
	RoleRegistrar Role = 1 << iota // nameservers and DNS hosts (glue) at the registry
	RoleDNS                        // the records of a zone
)

// Has reports whether r includes q.
func (r Role) Has(q Role) bool { return r&q != 0 }

// ErrUnknownDomain is wrapped by readers when the provider account does not
// hold the domain, so that callers can tell it from other read failures.
var ErrUnknownDomain = errors.New("domain not found at provider")

// Credentials records where a provider's secrets come from. It never holds
// a secret itself.
type Credentials struct {
	Env  bool      `json:"env"`            // read the provider's environment variables
	File string    `json:"file,omitempty"` // YAML file, resolved against the config directory
	Pos  model.Pos `json:"pos,omitempty"`
}

// Option is one provider-specific setting from dnssync.yaml, decoded to a
// plain Go value (string, int, float64, bool, []string or time.Duration)
// with its place.
type Option struct {
	Value any       `json:"value"`
	Pos   model.Pos `json:"pos,omitempty"`
}

// Config is one configured provider account: the settings every provider
// has, and the type's own options (validated by the Type).
type Config struct {
	Name         string        `json:"name"`
	Type         string        `json:"type"`
	Endpoint     string        `json:"endpoint"`
	Credentials  Credentials   `json:"credentials"`
	CAFile       string        `json:"ca_file,omitempty"` // resolved against the config directory
	RateLimit    float64       `json:"rate_limit"`        // requests per second
	Burst        int           `json:"burst"`
	BatchSize    int           `json:"batch_size"` // max items per batch call
	Concurrency  int           `json:"concurrency"`
	PollInterval time.Duration `json:"poll_interval"`
	TaskTimeout  time.Duration `json:"task_timeout"`
	Timeout      time.Duration `json:"timeout"` // per request
	// Options are the type's own settings by key (e.g. dnspod's min_ttl).
	Options map[string]Option `json:"options,omitempty"`
	Pos     model.Pos         `json:"pos,omitempty"`
}

// Int returns option key as an int, or def when it is not set.
func (c Config) Int(key string, def int) int {
	if o, ok := c.Options[key]; ok {
		switch v := o.Value.(type) {
		case int:
			return v
		case float64:
			return int(v)
		}
	}
	return def
}

// Strings returns option key as a list of strings (nil when not set).
func (c Config) Strings(key string) []string {
	if o, ok := c.Options[key]; ok {
		if v, ok := o.Value.([]string); ok {
			return slices.Clone(v)
		}
	}
	return nil
}

// Str returns option key as a string (paths already resolved), or def
// when it is not set.
func (c Config) Str(key, def string) string {
	if o, ok := c.Options[key]; ok {
		if v, ok := o.Value.(string); ok {
			return v
		}
	}
	return def
}

// Duration returns option key as a duration, or def when it is not set.
func (c Config) Duration(key string, def time.Duration) time.Duration {
	if o, ok := c.Options[key]; ok {
		if v, ok := o.Value.(time.Duration); ok {
			return v
		}
	}
	return def
}

// OptionKind is the value type of a provider-specific option.
type OptionKind int

// Option kinds, as decoded from YAML.
const (
	OptionInt      OptionKind = iota // integer
	OptionStrings                    // list of strings
	OptionDuration                   // Go duration string ("2s", "10m"), stored as time.Duration
	OptionString                     // string
	OptionBool                       // boolean
	// OptionPath is a file name, stored as a string: a relative one is
	// resolved against the directory of dnssync.yaml, like every other
	// path in it, so that a provider reading a file (a key file, say)
	// does not depend on the working directory.
	OptionPath
)

// OptionSpec declares one provider-specific option so that the config
// loader can decode it with positions; the schema (schema.json) says which
// keys each type accepts.
type OptionSpec struct {
	Key  string
	Kind OptionKind
}

// OptionError is a problem with one provider-specific option.
type OptionError struct {
	Key     string
	Message string
}

// RecordCaps is what a DNS provider accepts for records, checked by
// validate and used unchanged by the planner.
type RecordCaps struct {
	Types  []string // record types
	Lines  []string // line (view) names; only model.DefaultLine when the provider has no lines
	MinTTL int
	MaxTTL int
	MinMX  int
	MaxMX  int
	// Fields lists the optional record fields the provider can manage
	// besides name, type, value and TTL: "line", "enabled".
	Fields []string
	// MaxValue is the longest value (octets) per type the provider takes;
	// types not listed have no known limit.
	MaxValue map[string]int
	// MultiCNAME: several CNAME records may share a name and line (the
	// provider balances answers across their targets). Without it a name
	// and line hold at most one CNAME, as RFC 2181 §10.1 requires. A CNAME
	// beside any other type conflicts either way.
	MultiCNAME bool
}

// HasType reports whether t is accepted.
func (c *RecordCaps) HasType(t string) bool { return slices.Contains(c.Types, t) }

// HasLine reports whether l is accepted.
func (c *RecordCaps) HasLine(l string) bool { return slices.Contains(c.Lines, l) }

// HasField reports whether the optional field f can be managed.
func (c *RecordCaps) HasField(f string) bool { return slices.Contains(c.Fields, f) }

// RegistrarCaps is what a registrar accepts for delegations.
type RegistrarCaps struct {
	MinNameservers, MaxNameservers int
	MaxHostIPs                     int
	// RegistrarDNS: the registrar can delegate to its own DNS service
	// (the zone files' aliyun_dns flag).
	RegistrarDNS bool
}

// Caps are an instance's capabilities; a nil side is not offered.
type Caps struct {
	Records   *RecordCaps
	Registrar *RegistrarCaps
}

// Env is what building an instance may use from its surroundings.
type Env struct {
	// Getenv reads credentials from the environment; nil is os.Getenv.
	Getenv func(string) string
	// Transport wraps each provider's HTTP transport (metrics); nil keeps it.
	Transport func(provider string, next http.RoundTripper) http.RoundTripper
	// Count records one provider call that is not HTTP (a DNS UPDATE or
	// zone transfer): provider, operation and result ("ok", an error
	// class or code), as Transport counts HTTP calls. Nil counts nothing.
	Count func(provider, operation, result string)
	// Version goes into User-Agent headers.
	Version string
	Logger  *slog.Logger
}

// Type is a registered provider implementation.
type Type interface {
	// Name is the type's name in dnssync.yaml ("dnspod").
	Name() string
	// Roles are the sides of a domain this type can manage.
	Roles() Role
	// Defaults sets the type's defaults on a config that holds only the
	// common defaults (endpoint, rate limit, concurrency, options).
	Defaults(c *Config)
	// Options declares the type's own option keys.
	Options() []OptionSpec
	// Check validates the type's options beyond the schema.
	Check(c Config) []OptionError
	// Caps are the capabilities of an instance configured by c, known
	// without asking the provider.
	Caps(c Config) Caps
	// New builds an instance: client, reader, planner and executor.
	New(c Config, env Env) (Instance, error)
	// Planner returns the planner of an instance configured by c, without
	// credentials or a client (planning is pure).
	Planner(c Config) Planner
}

// Instance is one configured provider account.
type Instance interface {
	Config() Config
	Caps() Caps
	Planner() Planner
	Executor
}

// Planner turns the core's provider-neutral differences for the domains a
// provider serves into its own batches. It is pure: no I/O.
type Planner interface {
	// PlanRecords packs record differences (RoleDNS).
	PlanRecords(zones []*ZoneDiff, o PlanOptions) *Packed
	// PlanRegistrar packs delegation differences (RoleRegistrar).
	PlanRegistrar(regs []*RegistrarDiff, o PlanOptions) *Packed
	// Recovered reports whether a finished batch of operation op, found
	// in flight from an earlier run, already did what the glue-sync phase
	// would do for its domains (so the first plan must not send it again).
	Recovered(op plan.Op) bool
}

// PlanOptions are the per-run choices a planner needs.
type PlanOptions struct {
	// HostsSynced: DNS hosts were synchronised earlier in this run, for
	// every domain or for those listed in HostsSyncedDomains.
	HostsSynced        bool
	HostsSyncedDomains map[string]bool
}

// Synced reports whether domain's hosts were synchronised in this run.
func (o PlanOptions) Synced(domain string) bool { return o.HostsSynced || o.HostsSyncedDomains[domain] }

// Phase orders batches across providers so that no step causes downtime:
// glue exists before records are written, records are in place before the
// delegation moves, glue goes last. Providers place each batch in a phase;
// the core builds stages phase by phase.
type Phase int

// Phases in execution order.
const (
	PhaseGlueSync      Phase = iota // synchronise DNS hosts from the registry; re-plan afterwards
	PhaseGlueUpsert                 // create and modify DNS hosts
	PhaseRecordsClear               // removals that must clear a conflict before writes
	PhaseRecords                    // record writes
	PhaseRecordsDelete              // remaining removals
	PhaseDelegation                 // nameserver changes at the registrar
	PhaseGlueDelete                 // DNS host deletions
	numPhases
)

// Phases returns every phase in order.
func Phases() []Phase {
	out := make([]Phase, numPhases)
	for i := range out {
		out[i] = Phase(i)
	}
	return out
}

// Replan reports whether the apply must re-read live state and plan afresh
// after a stage of this phase: its effect cannot be foreseen.
func (p Phase) Replan() bool { return p == PhaseGlueSync }

// ZoneDiff is one zone's provider-neutral difference, the outcome of
// matching desired records against live ones by identity (name, type, line,
// value, priority) under the zone's policy and ignore rules.
type ZoneDiff struct {
	Index    int // position in domain order: a stable tie-breaker
	Domain   string
	Provider string
	Live     *model.LiveDNS // as read (metadata such as DomainID and MinTTL)
	Policy   model.Policy
	// Records are every live record in canonical order, system and
	// ignored rows included: they still take part in provider rules.
	Records []model.Record
	// Desired are the managed desired records, canonical, unique keys.
	Desired []model.Record
	// Updates are exact matches whose TTL or enabled flag differ.
	Updates []Match
	// LeftLive are live records (indices into Records) with no desired
	// counterpart that the policy lets go; LeftDesired are desired records
	// (indices into Desired) with no live counterpart.
	LeftLive, LeftDesired []int
	// Existing counts live records under management (for thresholds).
	Existing int
}

// Match pairs a live record (index into Records) with a desired one.
type Match struct{ Live, Desired int }

// RegistrarDiff is one domain's delegation difference: the nameserver
// change (nil when equal) and the DNS host changes (create, modify,
// delete; by host). HostsManaged says whether the file manages hosts.
type RegistrarDiff struct {
	Index        int
	Domain       string
	Provider     string
	Live         *model.LiveRegistrar
	NS           *plan.Change
	Hosts        []*plan.Change
	HostsManaged bool
	Pos          model.Pos // the registrar declaration
}

// Packed is a provider's share of a plan.
type Packed struct {
	// Changes are the semantic changes, including any the provider adds
	// (a record change realised its own way, a host synchronisation).
	// Batches refer to them by pointer; the core numbers them.
	Changes []*plan.Change
	Batches []PackedBatch
	// Refusals are what the provider's rules refuse.
	Refusals []plan.Refusal
	// LowerBound estimates the fewest write calls any packing could use.
	LowerBound int
}

// PackedBatch is one batch placed in a phase. Step orders batches within
// the phase (step 0 runs before step 1); Stage names the step.
type PackedBatch struct {
	Phase Phase
	Step  int
	Stage string
	// Task: the call starts an asynchronous task to await (false for a
	// call whose answer is its result).
	Task    bool
	Batch   plan.Batch // ID and Changes are filled in by the core
	Changes []*plan.Change
}

// EncodePayload marshals a provider's payload for plan.Batch.Payload:
// compact, with HTML characters as they are, exactly as the plan file
// reads back.
func EncodePayload(v any) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Payloads are plain structs of strings, ints and slices.
		panic("providers: payload not encodable: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// DecodePayload unmarshals b's payload into v, naming the batch on error.
func DecodePayload(b plan.Batch, v any) error {
	if len(b.Payload) == 0 {
		return fmt.Errorf("batch %s (%s): no payload", b.ID, b.Op)
	}
	if err := json.Unmarshal(b.Payload, v); err != nil {
		return fmt.Errorf("batch %s (%s): payload: %w", b.ID, b.Op, err)
	}
	return nil
}

// Registry holds the provider types by name.
type Registry struct {
	types map[string]Type
	names []string
}

// NewRegistry returns a registry of types; a duplicate name panics, as it
// is a programming error in the one place types are listed.
func NewRegistry(types ...Type) *Registry {
	r := &Registry{types: map[string]Type{}}
	for _, t := range types {
		if _, dup := r.types[t.Name()]; dup {
			panic("providers: type " + t.Name() + " registered twice")
		}
		r.types[t.Name()] = t
		r.names = append(r.names, t.Name())
	}
	slices.Sort(r.names)
	return r
}

// Lookup returns the type called name.
func (r *Registry) Lookup(name string) (Type, bool) {
	if r == nil {
		return nil, false
	}
	t, ok := r.types[name]
	return t, ok
}

// Names returns the registered type names, sorted.
func (r *Registry) Names() []string {
	if r == nil {
		return nil
	}
	return slices.Clone(r.names)
}

// opKey carries the provider operation name of an HTTP request.
type opKey struct{}

// WithOperation returns ctx carrying the operation name of the provider
// call about to be made, for metrics and logs (see Operation).
func WithOperation(ctx context.Context, op string) context.Context {
	return context.WithValue(ctx, opKey{}, op)
}

// Operation returns the operation name WithOperation put in ctx, or "".
func Operation(ctx context.Context) string {
	s, _ := ctx.Value(opKey{}).(string)
	return s
}

// RootPool returns base — the system roots when base is nil — plus the
// PEM certificates of file (ca_file); base itself is left as it is. The
// clients that take a CA file besides their own root pool use it too.
func RootPool(base *x509.CertPool, file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("ca_file: %w", err)
	}
	var pool *x509.CertPool
	if base != nil {
		pool = base.Clone()
	} else if p, err := x509.SystemCertPool(); err == nil && p != nil {
		pool = p
	} else {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca_file %s: no PEM certificates", file)
	}
	return pool, nil
}

// HTTPClient returns the HTTP client an instance configured by c should
// use: the system roots plus c.CAFile, wrapped by env.Transport (metrics)
// when set, with c.Timeout per request. It returns nil when neither is set,
// leaving the client's own default, and the extra root pool either way.
func HTTPClient(c Config, env Env) (*http.Client, *x509.CertPool, error) {
	var pool *x509.CertPool
	if c.CAFile != "" {
		var err error
		if pool, err = RootPool(nil, c.CAFile); err != nil {
			return nil, nil, err
		}
	}
	if env.Transport == nil {
		return nil, pool, nil
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	if pool != nil {
		base.TLSClientConfig = base.TLSClientConfig.Clone()
		if base.TLSClientConfig == nil {
			base.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		base.TLSClientConfig.RootCAs = pool
	}
	return &http.Client{Transport: env.Transport(c.Name, base), Timeout: c.Timeout}, pool, nil
}
