// Package engine wires one dnssync pass together: read → plan → apply →
// verify. It builds the configured provider instances through the provider
// registry (credentials, endpoints, CA, limits), reads live state for the
// desired domains concurrently, plans with each instance's own planner, and
// runs applies through internal/apply. The CLI commands (plan, apply,
// import) and the daemon (through internal/reconcile) share it, so every
// entry point reads and plans the same way. It names no provider.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dnssync/dnssync/internal/backoff"
	"github.com/dnssync/dnssync/internal/diff"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/spec"
)

// Options tune how providers are built.
type Options struct {
	// Getenv reads credentials from the environment; nil is os.Getenv.
	Getenv func(string) string
	// Transport wraps each provider's HTTP transport (metrics); nil keeps it.
	Transport func(provider string, next http.RoundTripper) http.RoundTripper
	// Count records provider calls that are not HTTP (metrics); nil: none.
	Count func(provider, operation, result string)
	// Version goes into User-Agent headers.
	Version string
	Logger  *slog.Logger
}

// Pass reads live state, plans and applies for one configuration: one
// pass of read → plan → apply → verify over the configured providers.
type Pass struct {
	cfg       *spec.Config
	providers map[string]providers.Instance
	log       *slog.Logger

	mu    sync.Mutex
	slots map[string]chan struct{} // per provider: one token per read in flight
}

// New builds every provider of cfg through cfg.Registry. Credentials are
// loaded here, once.
func New(cfg *spec.Config, opts Options) (*Pass, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Pass{cfg: cfg, providers: map[string]providers.Instance{}, log: log}
	env := providers.Env{Getenv: opts.Getenv, Transport: opts.Transport, Count: opts.Count, Version: opts.Version, Logger: log}
	for _, name := range cfg.ProviderNames() {
		pc := cfg.Providers[name]
		t, ok := cfg.Registry.Lookup(pc.Type)
		if !ok {
			return nil, fmt.Errorf("provider %q: unknown provider type %q", name, pc.Type)
		}
		inst, err := t.New(pc, env)
		if err != nil {
			return nil, fmt.Errorf("provider %q: %w", name, err)
		}
		e.providers[name] = inst
	}
	return e, nil
}

// NewWith returns a pass over instances built by the caller (tests, the
// sandbox), keyed by provider name.
func NewWith(cfg *spec.Config, instances map[string]providers.Instance, log *slog.Logger) *Pass {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Pass{cfg: cfg, providers: instances, log: log}
}

// Config returns the configuration the engine was built from.
func (e *Pass) Config() *spec.Config { return e.cfg }

// Executors returns the executors by provider name, for the apply engine.
func (e *Pass) Executors() map[string]providers.Executor {
	m := make(map[string]providers.Executor, len(e.providers))
	for n, p := range e.providers {
		m[n] = p
	}
	return m
}

// Concurrency returns each provider's configured task concurrency.
func (e *Pass) Concurrency() map[string]int {
	m := make(map[string]int, len(e.providers))
	for n, p := range e.providers {
		m[n] = p.Config().Concurrency
	}
	return m
}

// PollInterval is the smallest configured poll interval (0 if none).
func (e *Pass) PollInterval() time.Duration {
	var d time.Duration
	for _, p := range e.providers {
		if pi := p.Config().PollInterval; pi > 0 && (d == 0 || pi < d) {
			d = pi
		}
	}
	return d
}

// TaskTimeout is the largest configured per-task timeout (0 if none).
func (e *Pass) TaskTimeout() time.Duration {
	var d time.Duration
	for _, p := range e.providers {
		d = max(d, p.Config().TaskTimeout)
	}
	return d
}

// acquire waits for one of provider's read slots (its configured
// concurrency, 4 when unset, or its ReadSlots when it declares more),
// which every read of this pass shares; the returned function gives it
// back.
func (e *Pass) acquire(ctx context.Context, provider string) (func(), error) {
	e.mu.Lock()
	if e.slots == nil {
		e.slots = map[string]chan struct{}{}
	}
	s, ok := e.slots[provider]
	if !ok {
		limit := 4
		if p, ok := e.providers[provider]; ok && p.Config().Concurrency > 0 {
			limit = p.Config().Concurrency
			if rs, ok := p.(providers.ReadSlots); ok && rs.ReadSlots() > limit {
				limit = rs.ReadSlots()
			}
		}
		s = make(chan struct{}, limit)
		e.slots[provider] = s
	}
	e.mu.Unlock()
	select {
	case s <- struct{}{}:
		return func() { <-s }, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// ErrUnknownDomain reports a desired domain the provider account lacks.
var ErrUnknownDomain = providers.ErrUnknownDomain

// ReadLive reads the live state of every managed side of every desired
// domain, concurrently within each provider's configured concurrency.
// Errors name the domain and provider; the first error cancels the rest.
// It returns only after every read it started has finished.
func (e *Pass) ReadLive(ctx context.Context, desired *model.Desired) (*model.Live, error) {
	return e.readLive(ctx, desired, nil)
}

// readLive is ReadLive that takes the zones pf read ahead (nil: none)
// instead of reading them again.
func (e *Pass) readLive(ctx context.Context, desired *model.Desired, pf *Prefetch) (*model.Live, error) {
	live := &model.Live{Domains: make([]model.LiveDomain, len(desired.Domains))}
	type read struct {
		i         int
		registrar bool
	}
	work := map[string][]read{}
	for i := range desired.Domains {
		d := &desired.Domains[i]
		live.Domains[i].Name = d.Name
		if d.Registrar != nil {
			p, ok := e.providers[d.Registrar.Provider]
			if _, can := p.(providers.RegistrarReader); !ok || !can {
				return nil, fmt.Errorf("%s: registrar provider %q is not a configured registrar", d.Name, d.Registrar.Provider)
			}
			work[d.Registrar.Provider] = append(work[d.Registrar.Provider], read{i, true})
		}
		if d.DNS != nil {
			p, ok := e.providers[d.DNS.Provider]
			if _, can := p.(providers.ZoneReader); !ok || !can {
				return nil, fmt.Errorf("%s: dns provider %q is not a configured DNS provider", d.Name, d.DNS.Provider)
			}
			work[d.DNS.Provider] = append(work[d.DNS.Provider], read{i, false})
		}
	}
	g, ctx := errgroup.WithContext(ctx)
	for name, reads := range work {
		p := e.providers[name]
		for _, r := range reads {
			if ctx.Err() != nil {
				break
			}
			ld := &live.Domains[r.i]
			g.Go(func() error {
				if !r.registrar {
					if z, err, ok := pf.take(ctx, name, ld.Name); ok {
						if err != nil {
							return fmt.Errorf("%s: read zone %q: %w", ld.Name, name, err)
						}
						ld.DNS = z
						return nil
					}
				}
				release, err := e.acquire(ctx, name)
				if err != nil {
					return err
				}
				defer release()
				if r.registrar {
					reg, err := p.(providers.RegistrarReader).ReadRegistrar(ctx, ld.Name)
					if err != nil {
						return fmt.Errorf("%s: read registrar %q: %w", ld.Name, name, err)
					}
					ld.Registrar = reg
					return nil
				}
				z, err := p.(providers.ZoneReader).ReadZone(ctx, ld.Name)
				if err != nil {
					return fmt.Errorf("%s: read zone %q: %w", ld.Name, name, err)
				}
				ld.DNS = z
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sort.Slice(live.Domains, func(i, j int) bool { return live.Domains[i].Name < live.Domains[j].Name })
	return live, nil
}

// PlanOptions are the per-run choices of a plan.
type PlanOptions struct {
	Force           bool // override thresholds
	AllowDelegation bool // consent to nameserver changes (also from safety config)
	HostsSynced     bool // DNS hosts were synchronised earlier in this run
	// HostsSyncedDomains: domains whose hosts a recovered task synchronised.
	HostsSyncedDomains map[string]bool
}

// DiffOptions derives the planner's options: the run's choices, the
// configuration's consent, and each instance's own planner.
func (e *Pass) DiffOptions(po PlanOptions) diff.Options {
	o := diff.Options{Force: po.Force, AllowDelegation: po.AllowDelegation || e.cfg.Safety.AllowDelegationChanges,
		HostsSynced: po.HostsSynced, HostsSyncedDomains: po.HostsSyncedDomains,
		Planners: make(map[string]providers.Planner, len(e.providers))}
	for n, p := range e.providers {
		o.Planners[n] = p.Planner()
	}
	return o
}

// readAttempts bounds how often Plan reads live state when a read fails
// transiently after the clients' own retries (reads have no side effects).
const readAttempts = 3

// Plan reads live state and plans desired against it.
func (e *Pass) Plan(ctx context.Context, desired *model.Desired, po PlanOptions) (*plan.Plan, *model.Live, error) {
	return e.PlanWith(ctx, desired, po, nil)
}

// PlanWith is Plan that takes the zones pf read ahead while desired was
// loaded (nil: none) instead of reading them again. Zones pf did not read
// are read as Plan reads them; should reading fail transiently, the next
// attempt reads everything afresh.
func (e *Pass) PlanWith(ctx context.Context, desired *model.Desired, po PlanOptions, pf *Prefetch) (*plan.Plan, *model.Live, error) {
	var live *model.Live
	var err error
	for attempt := 0; ; attempt++ {
		if attempt == 0 {
			live, err = e.readLive(ctx, desired, pf)
		} else {
			live, err = e.ReadLive(ctx, desired)
		}
		if err == nil || !errors.Is(err, providers.ErrTransient) || attempt+1 >= readAttempts || ctx.Err() != nil {
			break
		}
		wait := backoff.Jitter(backoff.Delay(time.Second, 10*time.Second, attempt), nil)
		e.log.Warn("reading live state failed; reading again", "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	if err != nil {
		return nil, nil, err
	}
	p, err := diff.PlanContext(ctx, desired, live, e.DiffOptions(po))
	if err != nil {
		return nil, nil, err
	}
	return p, live, nil
}

// Recovered reports whether a finished batch of op at provider, found in
// flight from an earlier run, already synchronised its domains' hosts.
func (e *Pass) Recovered(provider string, op plan.Op) bool {
	p, ok := e.providers[provider]
	return ok && p.Planner().Recovered(op)
}
