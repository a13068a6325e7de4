// Package simulate replays a plan against a copy of live state, stage by
// stage, under each provider's own model of its account (the provider
// packages' Sim types: DNSPod's rule engine, the Alibaba registrar). It is
// the judge of a plan's validity in tests: every batch item is checked
// against the state as it stands when the item runs, and batches of one
// stage (which the apply engine runs concurrently) must be safe in any
// order. It knows no provider; the caller says which model serves which
// provider name.
package simulate

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
)

// ErrInvalid is wrapped by every error Apply returns for a plan that would
// break a rule (as opposed to a malformed plan, which is also invalid).
var ErrInvalid = errors.New("plan is invalid")

// Model is one provider's simulated account.
type Model interface {
	// CheckStage proves that the provider's batches of one stage may run
	// concurrently.
	CheckStage(batches []plan.Batch) error
	// Apply runs one batch, item by item.
	Apply(b plan.Batch) error
	// Export writes the simulated state of the sides it models into
	// live's domains.
	Export(live *model.Live)
}

// Factory builds a provider's model from live state; alloc names the
// records it creates.
type Factory func(live *model.Live, alloc func() string) Model

// Apply replays p against a copy of live and returns the resulting state.
// Records created by the plan get fresh ids ("sim-<n>"). Stages run in
// order; before a stage runs, each provider checks its batches of the
// stage for concurrency safety, then the batches are applied in the given
// order and, on a separate copy, in reverse order: both must succeed item
// by item and end in the same state. Errors wrap ErrInvalid and name the
// stage and batch. models maps each provider name in the plan to its
// model; a batch of another provider is an error.
func Apply(live *model.Live, p *plan.Plan, models map[string]Factory) (*model.Live, error) {
	n := 0
	alloc := func() string { n++; return "sim-" + strconv.Itoa(n) }
	cur := clone(live)
	names := make([]string, 0, len(models))
	for k := range models {
		names = append(names, k)
	}
	slices.Sort(names)
	load := func(l *model.Live) map[string]Model {
		m := make(map[string]Model, len(models))
		for _, k := range names {
			m[k] = models[k](l, alloc)
		}
		return m
	}
	export := func(m map[string]Model, base *model.Live) *model.Live {
		out := clone(base)
		for _, k := range names {
			m[k].Export(out)
		}
		return out
	}
	for _, s := range p.Stages {
		by := map[string][]plan.Batch{}
		for _, b := range s.Batches {
			if models[b.Provider] == nil {
				return nil, fmt.Errorf("stage %s batch %s: no model of provider %q", s.Name, b.ID, b.Provider)
			}
			by[b.Provider] = append(by[b.Provider], b)
		}
		check := load(cur)
		for _, k := range names {
			if err := check[k].CheckStage(by[k]); err != nil {
				return nil, fmt.Errorf("stage %s: %w: %w", s.Name, ErrInvalid, err)
			}
		}
		fwd, rev := check, load(cur)
		for _, b := range s.Batches {
			if err := fwd[b.Provider].Apply(b); err != nil {
				return nil, fmt.Errorf("stage %s batch %s (%s): %w: %w", s.Name, b.ID, b.Op, ErrInvalid, err)
			}
		}
		for i := len(s.Batches) - 1; i >= 0; i-- {
			b := s.Batches[i]
			if err := rev[b.Provider].Apply(b); err != nil {
				return nil, fmt.Errorf("stage %s batch %s (%s) in reverse order: %w: %w", s.Name, b.ID, b.Op, ErrInvalid, err)
			}
		}
		a, r := export(fwd, cur), export(rev, cur)
		if err := sameState(cur, a, r); err != nil {
			return nil, fmt.Errorf("stage %s: %w: result depends on batch order: %w", s.Name, ErrInvalid, err)
		}
		cur = a
	}
	return cur, nil
}

func clone(l *model.Live) *model.Live {
	out := &model.Live{Domains: make([]model.LiveDomain, len(l.Domains))}
	for i, d := range l.Domains {
		if d.DNS != nil {
			dns := *d.DNS
			dns.Records = slices.Clone(d.DNS.Records)
			d.DNS = &dns
		}
		if d.Registrar != nil {
			r := *d.Registrar
			r.Nameservers = slices.Clone(r.Nameservers)
			r.DNSHosts = slices.Clone(r.DNSHosts)
			for j := range r.DNSHosts {
				r.DNSHosts[j].IPs = slices.Clone(r.DNSHosts[j].IPs)
			}
			d.Registrar = &r
		}
		out.Domains[i] = d
	}
	slices.SortStableFunc(out.Domains, func(a, b model.LiveDomain) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out
}

// sameState compares the forward and reverse results of a stage. Records
// created during the stage get different ids in the two runs, so ids that
// did not exist before the stage are ignored.
func sameState(before, a, b *model.Live) error {
	for i, bd := range before.Domains {
		da, db := a.Domains[i], b.Domains[i]
		if (da.Registrar == nil) != (db.Registrar == nil) || da.Registrar != nil && !regEqual(da.Registrar, db.Registrar) {
			return fmt.Errorf("%s: registrar state differs", bd.Name)
		}
		if da.DNS == nil || db.DNS == nil {
			continue
		}
		old := map[string]bool{}
		if bd.DNS != nil {
			for _, r := range bd.DNS.Records {
				old[r.ID] = true
			}
		}
		norm := func(rs []model.Record) []model.Record {
			rs = slices.Clone(rs)
			for i := range rs {
				if !old[rs[i].ID] {
					rs[i].ID = ""
				}
			}
			model.SortRecords(rs)
			return rs
		}
		if !slices.Equal(norm(da.DNS.Records), norm(db.DNS.Records)) {
			return fmt.Errorf("%s: records differ", bd.Name)
		}
	}
	return nil
}

func regEqual(a, b *model.LiveRegistrar) bool {
	if a.AliyunDNS != b.AliyunDNS || !slices.Equal(a.Nameservers, b.Nameservers) || len(a.DNSHosts) != len(b.DNSHosts) {
		return false
	}
	for i := range a.DNSHosts {
		if a.DNSHosts[i].Host != b.DNSHosts[i].Host || !slices.Equal(a.DNSHosts[i].IPs, b.DNSHosts[i].IPs) {
			return false
		}
	}
	return true
}
