package engine

import (
	"context"
	"sync"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
)

// Prefetch reads live zones ahead of a plan, while the zone files are
// still being loaded: spec.LoadWith says which domain and DNS provider
// each file manages before it decodes the file's records (spec.ZoneReady),
// and Zone starts reading that zone then. PlanWith takes the results
// instead of reading again.
//
// What it reads is decided by the zone files alone, so their loading must
// have begun from a valid configuration. If the zone files turn out
// invalid, the caller calls Stop: reads still in flight are cancelled and
// every result and error is dropped, so that only the files' diagnostics
// are reported. Reads have no side effects at the provider.
type Prefetch struct {
	e      *Pass
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	reads   map[prefetchKey]*prefetched
	started bool // a read was started
}

type prefetchKey struct{ provider, domain string }

type prefetched struct {
	done chan struct{} // closed when z and err are set
	z    *model.LiveDNS
	err  error
}

// Prefetch returns a Prefetch whose reads run under ctx (and stop with it).
func (e *Pass) Prefetch(ctx context.Context) *Prefetch {
	ctx, cancel := context.WithCancel(ctx)
	return &Prefetch{e: e, ctx: ctx, cancel: cancel, reads: map[prefetchKey]*prefetched{}}
}

// Zone starts reading the live records of domain at the configured DNS
// provider, within the provider's concurrency; it returns at once. A
// provider that is not configured or reads no zones is left to PlanWith,
// which reports it as Plan does. It has the signature of spec.ZoneReady.
func (p *Prefetch) Zone(domain, provider string) {
	zr, ok := p.e.providers[provider].(providers.ZoneReader)
	if !ok {
		return
	}
	k := prefetchKey{provider, domain}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, started := p.reads[k]; started || p.ctx.Err() != nil {
		return
	}
	r := &prefetched{done: make(chan struct{})}
	p.reads[k] = r
	p.started = true
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(r.done)
		release, err := p.e.acquire(p.ctx, provider)
		if err != nil {
			r.err = err
			return
		}
		defer release()
		r.z, r.err = zr.ReadZone(p.ctx, domain)
	}()
}

// Stop cancels the reads still in flight and waits for all of them to
// return; their results are dropped. It reports whether any read was
// started since the Prefetch was made. Calling it again does nothing more.
func (p *Prefetch) Stop() (started bool) {
	p.cancel()
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.reads)
	return p.started
}

// take hands over the read of domain at provider, waiting for it (or for
// ctx); ok is false when no such read was started. Each read is handed
// over once: a second plan reads afresh.
func (p *Prefetch) take(ctx context.Context, provider, domain string) (z *model.LiveDNS, err error, ok bool) {
	if p == nil {
		return nil, nil, false
	}
	k := prefetchKey{provider, domain}
	p.mu.Lock()
	r, ok := p.reads[k]
	delete(p.reads, k)
	p.mu.Unlock()
	if !ok {
		return nil, nil, false
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		return nil, context.Cause(ctx), true
	}
	return r.z, r.err, true
}
