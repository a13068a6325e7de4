package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/dnssync/dnssync/internal/apply"
	"github.com/dnssync/dnssync/internal/diff"
	"github.com/dnssync/dnssync/internal/interrupt"
	"github.com/dnssync/dnssync/internal/journal"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/statedir"
)

// Errors an apply stops with before submitting anything.
var (
	// ErrRefused: a safety check refused the plan (see Plan.Refusals).
	ErrRefused = errors.New("plan refused by safety checks")
	// ErrStale: a saved plan was computed from live state that has moved.
	ErrStale = errors.New("live state changed since the plan was made")
	// ErrDeclined: the person asked did not confirm.
	ErrDeclined = errors.New("apply not confirmed")
	// ErrTampered: a saved plan is not what dnssync plans from the same
	// zone files and live state (edited by hand, or made by another
	// version); nothing was submitted.
	ErrTampered = errors.New("the saved plan differs from the plan dnssync computes now")
	// ErrNotConverged: every batch ran, yet live state still differs.
	ErrNotConverged = errors.New("live state does not match desired state")
)

// ApplyOptions are the choices of one apply.
type ApplyOptions struct {
	PlanOptions
	// Saved, when set, is the reviewed plan to apply: it is used only if
	// its fingerprint matches live state read now.
	Saved *plan.Plan
	// Confirm is asked once with the plan about to run (not for re-plans).
	// Nil means yes.
	Confirm func(p *plan.Plan) (bool, error)
	// Apply tunes the execution engine; Executors, concurrency, poll
	// interval and task timeout default from the configuration.
	Apply apply.Options
	// VerifyTimeout bounds the read of live state after the run
	// (DefaultVerifyTimeout when zero).
	VerifyTimeout time.Duration
}

// DefaultRetryRounds is how often one apply plans again, from fresh live
// state, what transient failures left undone (apply.Options.RetryRounds).
const DefaultRetryRounds = 10

// DefaultVerifyTimeout bounds verification after an apply.
const DefaultVerifyTimeout = 2 * time.Minute

// ApplyResult is what an apply did and what remains.
type ApplyResult struct {
	Plan      *plan.Plan       // the plan confirmed (nil if none was made)
	Summary   *journal.Summary // what ran (nil before the engine started)
	Remaining *plan.Plan       // fresh plan after the run; empty when converged
}

// Apply runs one apply under the state directory's lock: it resumes tasks an
// earlier run left in flight, reads live state, plans (or checks a saved
// plan), asks for confirmation, executes stage by stage with journaling, and
// finally reads live state again to verify convergence.
func (e *Pass) Apply(ctx context.Context, desired *model.Desired, ao ApplyOptions) (*ApplyResult, error) {
	dir := e.cfg.StateDir
	if err := statedir.Ensure(dir); err != nil {
		return nil, err
	}
	unlock, err := statedir.Lock(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	j, err := journal.Open(dir, journal.WithReadOptions(e.cfg.ReadOptions()))
	if err != nil {
		return nil, err
	}
	defer j.Close()
	return e.ApplyJournaled(ctx, j, desired, ao)
}

// ApplyJournaled is Apply for a caller that already holds the lock and the
// journal (the daemon).
func (e *Pass) ApplyJournaled(ctx context.Context, j apply.Journal, desired *model.Desired, ao ApplyOptions) (*ApplyResult, error) {
	res := &ApplyResult{}
	o := ao.Apply
	if o.ProviderConcurrency == nil {
		o.ProviderConcurrency = e.Concurrency()
	}
	if o.PollMin == 0 {
		o.PollMin = e.PollInterval()
	}
	if o.TaskTimeout == 0 {
		o.TaskTimeout = e.TaskTimeout()
	}
	if o.ReplanAfter == nil {
		o.ReplanAfter = func(s plan.Stage) bool { return s.Replan }
	}
	// Every plan of this pass is computed from a fresh read of live state,
	// so transient failures can be planned again within the run.
	switch {
	case o.RetryRounds == 0:
		o.RetryRounds = DefaultRetryRounds
	case o.RetryRounds < 0:
		o.RetryRounds = 0
	}
	// Recovery runs before the first plan: a DNS host synchronisation an
	// interrupted run left in flight and this run saw finish has done what
	// a new sync would do, so the first plan must not send it again.
	var syncMu sync.Mutex
	synced := map[string]bool{}
	watchSync := apply.ReporterFunc(func(ev apply.Event) {
		if ev.Kind == apply.BatchDone && ev.Resumed && ev.Status == journal.StatusOK && e.Recovered(ev.Provider, ev.Op) {
			syncMu.Lock()
			for _, d := range ev.Domains {
				synced[d] = true
			}
			syncMu.Unlock()
		}
	})
	if o.Reporter != nil {
		o.Reporter = apply.Multi{o.Reporter, watchSync}
	} else {
		o.Reporter = watchSync
	}
	firstOptions := func() PlanOptions {
		po := ao.PlanOptions
		syncMu.Lock()
		defer syncMu.Unlock()
		if len(synced) > 0 {
			po.HostsSyncedDomains = maps.Clone(synced)
		}
		return po
	}
	// Consent carried by a saved plan: it was reviewed without refusals,
	// so whatever the current flags would refuse (delegation changes,
	// thresholds) was consented to when it was made. Re-plans after its
	// glue-sync stage keep that consent rather than stop half way.
	consent := ao.PlanOptions
	replan := func(ctx context.Context) (*plan.Plan, error) {
		po := consent
		po.HostsSynced = true // re-plans follow a glue-sync stage
		p, _, err := e.Plan(ctx, desired, po)
		if err != nil {
			return nil, err
		}
		if len(p.Refusals) > 0 {
			return nil, fmt.Errorf("%w: %s", ErrRefused, refusalText(p))
		}
		return p, nil
	}
	var planErr error // the first plan's own error, kept for errors.Is
	first := func(ctx context.Context) (p *plan.Plan, err error) {
		defer func() { planErr = err }()
		po := firstOptions()
		var live *model.Live
		p, live, err = e.Plan(ctx, desired, po)
		if err != nil {
			return nil, err
		}
		if ao.Saved != nil {
			saved := ao.Saved
			if fp := p.Fingerprint; fp != saved.Fingerprint {
				return nil, fmt.Errorf("%w: the plan was made from %s, live state is now %s; run `dnssync plan` again and review it", ErrStale, short(saved.Fingerprint), short(fp))
			}
			if fp := p.DesiredFingerprint; fp != saved.DesiredFingerprint {
				return nil, fmt.Errorf("%w: the plan was made from zone files %s, they are now %s; run `dnssync plan` again and review it", ErrStale, short(saved.DesiredFingerprint), short(fp))
			}
			if len(saved.Refusals) == 0 {
				for _, r := range p.Refusals {
					switch r.Rule {
					case diff.RuleDelegation:
						consent.AllowDelegation = true
					case diff.RuleUpdateThreshold, diff.RuleDeleteThreshold:
						consent.Force = true
					}
				}
				if consent.AllowDelegation != po.AllowDelegation || consent.Force != po.Force {
					// What the reviewed plan was consented to; the same
					// live state, planned again under that consent.
					po.AllowDelegation, po.Force = consent.AllowDelegation, consent.Force
					if p, err = diff.PlanContext(ctx, desired, live, e.DiffOptions(po)); err != nil {
						return nil, err
					}
				}
			}
			// Only batches dnssync derives itself run: the saved plan
			// must be exactly what the files and live state give now.
			if err := SamePlan(saved, p); err != nil {
				return nil, fmt.Errorf("%w: %w; run `dnssync plan` again and review it", ErrTampered, err)
			}
			p = saved
		}
		res.Plan = p
		if len(p.Refusals) > 0 {
			return nil, fmt.Errorf("%w: %s", ErrRefused, refusalText(p))
		}
		if p.Empty() {
			return p, nil
		}
		if ao.Confirm != nil {
			ok, err := ao.Confirm(p)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, ErrDeclined
			}
		}
		return p, nil
	}
	eng := &apply.Runner{Executors: e.Executors(), Journal: j, Options: o, Replan: replan}
	sum, runErr := eng.Run(ctx, first)
	res.Summary = sum
	if planErr != nil {
		// Nothing was submitted for this plan; say why in the plan's words.
		return res, planErr
	}
	if res.Plan == nil || (res.Plan.Empty() && runErr == nil && len(sum.Results) == 0) {
		// Nothing was planned (or nothing to do): no verification needed
		// beyond the plan just made.
		if res.Plan != nil {
			res.Remaining = res.Plan
		}
		return res, runErr
	}
	// Verify: a fresh plan must be empty. It is read even after failures
	// and interruptions, so the person sees exactly what still differs —
	// within a deadline, and never past a second interrupt.
	vctx := ctx
	if ctx.Err() != nil {
		vctx = interrupt.Detached(ctx)
	}
	vt := ao.VerifyTimeout
	if vt <= 0 {
		vt = DefaultVerifyTimeout
	}
	vctx, cancel := context.WithTimeout(vctx, vt)
	defer cancel()
	rem, _, verr := e.Plan(vctx, desired, ao.PlanOptions)
	if verr != nil {
		return res, errors.Join(runErr, fmt.Errorf("verify: %w", verr))
	}
	res.Remaining = rem
	if runErr != nil {
		return res, runErr
	}
	if !rem.Empty() {
		return res, fmt.Errorf("%w: %d change(s) remain", ErrNotConverged, len(rem.Changes))
	}
	return res, nil
}

func refusalText(p *plan.Plan) string {
	var parts []string
	for _, r := range p.Refusals {
		parts = append(parts, fmt.Sprintf("%s: %s (%s)", r.Domain, r.Reason, r.Rule))
	}
	return strings.Join(parts, "; ")
}

func short(fp string) string {
	if i := strings.IndexByte(fp, ':'); i >= 0 && len(fp) > i+13 {
		return fp[:i+13]
	}
	return fp
}

// SamePlan reports the first difference between a saved plan and the plan
// computed now from the same inputs, nil when they are identical: version,
// fingerprints, every change, every stage and batch (payloads included),
// cost and refusals.
func SamePlan(saved, now *plan.Plan) error {
	if saved.Version != now.Version {
		return fmt.Errorf("format version %d, not %d", saved.Version, now.Version)
	}
	if saved.Fingerprint != now.Fingerprint || saved.DesiredFingerprint != now.DesiredFingerprint {
		return errors.New("fingerprints differ")
	}
	same := func(a, b any) bool {
		x, err1 := json.Marshal(a)
		y, err2 := json.Marshal(b)
		return err1 == nil && err2 == nil && bytes.Equal(x, y)
	}
	for i := range max(len(saved.Changes), len(now.Changes)) {
		switch {
		case i >= len(saved.Changes):
			return fmt.Errorf("change %s is missing from the saved plan", now.Changes[i].ID)
		case i >= len(now.Changes):
			return fmt.Errorf("change %s of the saved plan is not planned now", saved.Changes[i].ID)
		case !same(saved.Changes[i], now.Changes[i]):
			return fmt.Errorf("change %s differs", saved.Changes[i].ID)
		}
	}
	for i := range max(len(saved.Stages), len(now.Stages)) {
		if i >= len(saved.Stages) || i >= len(now.Stages) {
			return fmt.Errorf("the saved plan has %d stages, the plan now %d", len(saved.Stages), len(now.Stages))
		}
		s, n := saved.Stages[i], now.Stages[i]
		if s.Name != n.Name || s.Replan != n.Replan {
			return fmt.Errorf("stage %d differs", i+1)
		}
		for j := range max(len(s.Batches), len(n.Batches)) {
			switch {
			case j >= len(s.Batches):
				return fmt.Errorf("batch %s is missing from the saved plan", n.Batches[j].ID)
			case j >= len(n.Batches):
				return fmt.Errorf("batch %s of the saved plan is not planned now", s.Batches[j].ID)
			case !same(s.Batches[j], n.Batches[j]):
				return fmt.Errorf("batch %s differs", s.Batches[j].ID)
			}
		}
	}
	if !same(saved.Cost, now.Cost) {
		return errors.New("cost differs")
	}
	if !same(saved.Refusals, now.Refusals) {
		return errors.New("refusals differ")
	}
	return nil
}
