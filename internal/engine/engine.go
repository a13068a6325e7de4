// Package engine wires one dnssync pass together: it builds the provider
// clients named in dnssync.yaml (credentials, endpoints, CA, limits), reads
// live state for the desired domains concurrently, and computes the plan.
// The CLI commands (plan, apply, watch) and the daemon share it, so every
// entry point reads and plans the same way.
package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dnssync/dnssync/internal/credentials"
	"github.com/dnssync/dnssync/internal/diff"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/aliyun"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
	"github.com/dnssync/dnssync/internal/spec"
)

// Options tune how providers are built.
type Options struct {
	// Getenv reads credentials from the environment; nil is os.Getenv.
	Getenv func(string) string
	// Transport wraps each provider's HTTP transport (metrics); nil keeps it.
	Transport func(provider string, next http.RoundTripper) http.RoundTripper
	// Version goes into the DNSPod User-Agent.
	Version string
	Logger  *slog.Logger
}

// provider is one configured provider with its adapter.
type provider struct {
	cfg  spec.Provider
	reg  providers.RegistrarReader
	zone providers.ZoneReader
	exec providers.Executor
}

// Engine reads live state and plans for one configuration.
type Engine struct {
	cfg       *spec.Config
	providers map[string]*provider
	log       *slog.Logger
}

// New builds every provider of cfg. Credentials are loaded here, once.
func New(cfg *spec.Config, opts Options) (*Engine, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{cfg: cfg, providers: map[string]*provider{}, log: log}
	for _, name := range cfg.ProviderNames() {
		pc := cfg.Providers[name]
		p, err := build(pc, opts, log)
		if err != nil {
			return nil, fmt.Errorf("provider %q: %w", name, err)
		}
		e.providers[name] = p
	}
	return e, nil
}

func build(pc spec.Provider, opts Options, log *slog.Logger) (*provider, error) {
	var pool *x509.CertPool
	if pc.CAFile != "" {
		pem, err := os.ReadFile(pc.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool, err = x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificates", pc.CAFile)
		}
	}
	var hc *http.Client
	if opts.Transport != nil {
		base := http.DefaultTransport.(*http.Transport).Clone()
		if pool != nil {
			base.TLSClientConfig = base.TLSClientConfig.Clone()
			if base.TLSClientConfig == nil {
				base.TLSClientConfig = defaultTLS()
			}
			base.TLSClientConfig.RootCAs = pool
		}
		hc = &http.Client{Transport: opts.Transport(pc.Name, base), Timeout: pc.Timeout}
	}
	src := credentials.Source{Getenv: opts.Getenv}
	if !pc.Credentials.Env || pc.Credentials.File != "" {
		src.File = pc.Credentials.File
	}
	plog := log.With("provider", pc.Name)
	switch pc.Type {
	case spec.ProviderAliyun:
		cr, err := credentials.LoadAliyun(pc.Name, src)
		if err != nil {
			return nil, err
		}
		o := aliyun.Options{Endpoint: pc.Endpoint, AccessKeyID: cr.AccessKeyID,
			AccessKeySecret: cr.AccessKeySecret.Reveal(), SecurityToken: cr.SecurityToken.Reveal(),
			RateLimit: pc.RateLimit, Burst: pc.Burst, Timeout: pc.Timeout, BatchSize: pc.BatchSize, Logger: plog}
		if hc != nil {
			o.HTTPClient = hc
		} else {
			o.RootCAs = pool
		}
		c, err := aliyun.New(o)
		if err != nil {
			return nil, err
		}
		ap := aliyun.NewProvider(pc.Name, c)
		return &provider{cfg: pc, reg: ap, exec: ap}, nil
	case spec.ProviderDNSPod:
		cr, err := credentials.LoadDNSPod(pc.Name, src)
		if err != nil {
			return nil, err
		}
		o := dnspod.Options{Endpoint: pc.Endpoint, Token: cr.Token.Reveal(), Version: opts.Version,
			RateLimit: pc.RateLimit, Burst: pc.Burst, Timeout: pc.Timeout, BatchSize: pc.BatchSize,
			DefaultMinTTL: pc.MinTTL, ThrottleBackoff: pc.ThrottleBackoff, Logger: plog}
		if hc != nil {
			o.HTTPClient = hc
		} else {
			o.RootCAs = pool
		}
		c, err := dnspod.New(o)
		if err != nil {
			return nil, err
		}
		dp := dnspod.NewProvider(pc.Name, c)
		return &provider{cfg: pc, zone: dp, exec: dp}, nil
	}
	return nil, fmt.Errorf("unknown provider type %q", pc.Type)
}

// Config returns the configuration the engine was built from.
func (e *Engine) Config() *spec.Config { return e.cfg }

// Executors returns the executors by provider name, for the apply engine.
func (e *Engine) Executors() map[string]providers.Executor {
	m := make(map[string]providers.Executor, len(e.providers))
	for n, p := range e.providers {
		m[n] = p.exec
	}
	return m
}

// Concurrency returns each provider's configured task concurrency.
func (e *Engine) Concurrency() map[string]int {
	m := make(map[string]int, len(e.providers))
	for n, p := range e.providers {
		m[n] = p.cfg.Concurrency
	}
	return m
}

// PollInterval is the smallest configured poll interval (0 if none).
func (e *Engine) PollInterval() time.Duration {
	var d time.Duration
	for _, p := range e.providers {
		if p.cfg.PollInterval > 0 && (d == 0 || p.cfg.PollInterval < d) {
			d = p.cfg.PollInterval
		}
	}
	return d
}

// TaskTimeout is the largest configured per-task timeout (0 if none).
func (e *Engine) TaskTimeout() time.Duration {
	var d time.Duration
	for _, p := range e.providers {
		d = max(d, p.cfg.TaskTimeout)
	}
	return d
}

// ErrUnknownDomain reports a desired domain the provider account lacks.
var ErrUnknownDomain = errors.New("domain not found at provider")

// ReadLive reads the live state of every managed side of every desired
// domain, concurrently within each provider's configured concurrency.
// Errors name the domain and provider; the first error cancels the rest.
func (e *Engine) ReadLive(ctx context.Context, desired *model.Desired) (*model.Live, error) {
	live := &model.Live{Domains: make([]model.LiveDomain, len(desired.Domains))}
	g, ctx := errgroup.WithContext(ctx)
	sems := map[string]chan struct{}{}
	for n, p := range e.providers {
		c := p.cfg.Concurrency
		if c <= 0 {
			c = 4
		}
		sems[n] = make(chan struct{}, c)
	}
	acquire := func(ctx context.Context, name string) (func(), error) {
		s := sems[name]
		select {
		case s <- struct{}{}:
			return func() { <-s }, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	for i := range desired.Domains {
		d := &desired.Domains[i]
		ld := &live.Domains[i]
		ld.Name = d.Name
		if d.Registrar != nil {
			p, ok := e.providers[d.Registrar.Provider]
			if !ok || p.reg == nil {
				return nil, fmt.Errorf("%s: registrar provider %q is not a configured registrar", d.Name, d.Registrar.Provider)
			}
			g.Go(func() error {
				release, err := acquire(ctx, d.Registrar.Provider)
				if err != nil {
					return err
				}
				defer release()
				r, err := p.reg.ReadRegistrar(ctx, d.Name)
				if err != nil {
					if errors.Is(err, aliyun.ErrDomainNotFound) {
						err = fmt.Errorf("%w: %w", ErrUnknownDomain, err)
					}
					return fmt.Errorf("%s: read registrar %q: %w", d.Name, d.Registrar.Provider, err)
				}
				ld.Registrar = r
				return nil
			})
		}
		if d.DNS != nil {
			p, ok := e.providers[d.DNS.Provider]
			if !ok || p.zone == nil {
				return nil, fmt.Errorf("%s: dns provider %q is not a configured DNS provider", d.Name, d.DNS.Provider)
			}
			g.Go(func() error {
				release, err := acquire(ctx, d.DNS.Provider)
				if err != nil {
					return err
				}
				defer release()
				z, err := p.zone.ReadZone(ctx, d.Name)
				if err != nil {
					if errors.Is(err, dnspod.ErrUnknownDomain) {
						err = fmt.Errorf("%w: %w", ErrUnknownDomain, err)
					}
					return fmt.Errorf("%s: read zone %q: %w", d.Name, d.DNS.Provider, err)
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

// DiffOptions derives the planner's options from the configuration.
func (e *Engine) DiffOptions(po PlanOptions) diff.Options {
	o := diff.Options{Force: po.Force, AllowDelegation: po.AllowDelegation || e.cfg.Safety.AllowDelegationChanges,
		HostsSynced: po.HostsSynced, HostsSyncedDomains: po.HostsSyncedDomains}
	rules := dnspodrules.DefaultOptions()
	for _, p := range e.providers {
		switch p.cfg.Type {
		case spec.ProviderDNSPod:
			if p.cfg.BatchSize > 0 {
				o.MaxModifyIDs = minPos(o.MaxModifyIDs, p.cfg.BatchSize)
				o.MaxCreateItems = minPos(o.MaxCreateItems, p.cfg.BatchSize)
			}
			if p.cfg.MinTTL > 0 {
				rules.MinTTL = p.cfg.MinTTL
			}
			if len(p.cfg.Lines) > 0 {
				rules.Lines = append(dnspodrules.DefaultLines(), p.cfg.Lines...)
			}
		case spec.ProviderAliyun:
			if p.cfg.BatchSize > 0 {
				o.MaxRegistrarDomains = minPos(o.MaxRegistrarDomains, p.cfg.BatchSize)
			}
		}
	}
	o.Rules = &rules
	return o
}

func minPos(a, b int) int {
	if a <= 0 {
		return b
	}
	return min(a, b)
}

// Plan reads live state and plans desired against it.
func (e *Engine) Plan(ctx context.Context, desired *model.Desired, po PlanOptions) (*plan.Plan, *model.Live, error) {
	live, err := e.ReadLive(ctx, desired)
	if err != nil {
		return nil, nil, err
	}
	return diff.Plan(desired, live, e.DiffOptions(po)), live, nil
}

func defaultTLS() *tls.Config { return &tls.Config{MinVersion: tls.VersionTLS12} }
