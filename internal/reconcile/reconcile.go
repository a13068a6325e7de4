// Package reconcile decides HOW the watch daemon converges domains; the
// daemon (internal/daemon) decides WHICH domains and WHEN. It implements the
// daemon's two interfaces with the real product: its Loader reads desired
// state through internal/spec, its Reconciler plans and applies through
// internal/engine (one pass per reconcile) and reports a per-domain outcome.
//
// Data flow of one daemon reconcile:
//
//	daemon.Request{Desired: domains to converge}
//	  ─▶ resume tasks still journaled (a pass cut short by shutdown)
//	  ─▶ engine.Plan: read live, diff, safety checks
//	  ─▶ refused domains are reported, never applied; domains without
//	     changes are done
//	  ─▶ engine.ApplyJournaled on the other domains only (a refusal of one
//	     domain does not hold the rest back), under the state directory's
//	     lock and journal, which Open takes for the daemon's whole life
//	  ─▶ per-domain daemon.Outcome from the apply's plan, summary and
//	     verification
//
// The provider clients count their HTTP calls through the daemon's metrics
// Transport, and the apply engine reports to progress log lines and to the
// daemon's metrics at once.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dnssync/dnssync/internal/apply"
	"github.com/dnssync/dnssync/internal/daemon"
	"github.com/dnssync/dnssync/internal/engine"
	"github.com/dnssync/dnssync/internal/journal"
	"github.com/dnssync/dnssync/internal/metrics"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/progress"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/spec"
	"github.com/dnssync/dnssync/internal/statedir"
)

// Options configure Open.
type Options struct {
	// ConfigFile is dnssync.yaml.
	ConfigFile string
	// Registry knows the provider types the configuration may use.
	Registry *providers.Registry
	// Metrics receives API-call counts (through the provider clients'
	// transport) and batch and task events (apply reporter). Nil: a fresh
	// registry nobody serves.
	Metrics *metrics.Metrics
	// Logger receives progress lines and the reconciler's own messages.
	Logger *slog.Logger
	// Quiet drops progress lines (problems are still logged by the daemon).
	Quiet bool
	// AllowDelegation consents to nameserver changes (as the config's
	// safety.allow_delegation_changes does).
	AllowDelegation bool
	// Apply tunes the apply engine (timeouts); Reporter and Logger are
	// set by the reconciler.
	Apply apply.Options
	// Version goes into the providers' User-Agent; Getenv reads credentials
	// (nil: os.Getenv).
	Version string
	Getenv  func(string) string
}

// Reconciler is the daemon.Reconciler over internal/engine. It holds the
// state directory's lock and journal from Open to Close, so that one daemon
// at a time works on a state directory: a second `watch` or an `apply`
// fails with statedir.ErrLocked.
type Reconciler struct {
	opts     Options
	loader   *Loader
	log      *slog.Logger
	m        *metrics.Metrics
	reporter apply.Reporter
	stateDir string
	unlock   func()
	journal  *journal.Journal

	mu  sync.Mutex // one pass at a time; guards the engine cache
	cfg *spec.Config
	eng *engine.Pass
}

// Open takes the lock of the state directory the configuration names (the
// default beside the file when it cannot be parsed), opens its journal and
// returns the Reconciler with its Loader. Close releases both.
func Open(opts Options) (*Reconciler, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := opts.Metrics
	if m == nil {
		m = metrics.New()
	}
	cfg := initialConfig(opts.ConfigFile, opts.Registry)
	dir := cfg.StateDir
	unlock, err := statedir.Lock(dir)
	if err != nil {
		return nil, err
	}
	j, err := journal.Open(dir, journal.WithReadOptions(cfg.ReadOptions()))
	if err != nil {
		unlock()
		return nil, err
	}
	if n := j.Repaired(); n > 0 {
		log.Warn("journal had a torn last line (an earlier crash); cut it off", "bytes", n, "dir", dir)
	}
	progressRep, _ := progress.New(progress.Config{Logger: log, Quiet: opts.Quiet})
	r := &Reconciler{
		opts:     opts,
		loader:   NewLoader(opts.ConfigFile, opts.Registry, log),
		log:      log,
		m:        m,
		reporter: apply.Multi{progressRep, m.ApplyReporter()},
		stateDir: dir,
		unlock:   unlock,
		journal:  j,
	}
	r.loader.pinStateDir(dir)
	return r, nil
}

// Loader returns the daemon.Loader sharing this Reconciler's configuration.
func (r *Reconciler) Loader() *Loader { return r.loader }

// StateDir is the locked state directory.
func (r *Reconciler) StateDir() string { return r.stateDir }

// Close closes the journal and releases the lock. Call it after the daemon
// returned.
func (r *Reconciler) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.journal.Close()
	r.unlock()
	return err
}

// engine returns the engine of the loader's current configuration,
// building it when the configuration changed. Caller holds r.mu.
func (r *Reconciler) engine() (*engine.Pass, error) {
	cfg := r.loader.Config()
	if cfg == nil {
		// Before the daemon's first LoadConfig: OnStart resumes journaled
		// tasks first. Use the file as it is, if it is valid.
		var ds spec.Diagnostics
		cfg, ds = spec.LoadConfigDiagnostics(context.Background(), r.opts.ConfigFile, r.opts.Registry)
		if cfg == nil || ds.HasErrors() {
			return nil, errors.New("no valid configuration loaded")
		}
	}
	if cfg == r.cfg && r.eng != nil {
		return r.eng, nil
	}
	eng, err := engine.New(cfg, engine.Options{Transport: r.m.Transport, Count: r.m.APICall, Version: r.opts.Version,
		Logger: r.log, Getenv: r.opts.Getenv})
	if err != nil {
		return nil, fmt.Errorf("providers: %w", err)
	}
	r.cfg, r.eng = cfg, eng
	return eng, nil
}

func (r *Reconciler) applyOptions() apply.Options {
	o := r.opts.Apply
	o.Reporter = r.reporter
	o.Logger = r.log
	return o
}

// Resume awaits the tasks an earlier process left in the journal (the
// daemon's OnStart). Failed or unknown outcomes of those tasks are logged
// and do not stop the daemon — the reconciles that follow read live state
// afresh —, journal errors and cancellation do. With no valid configuration
// yet, resuming waits for the first reconcile.
func (r *Reconciler) Resume(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.resumeLocked(ctx, true)
}

func (r *Reconciler) resumeLocked(ctx context.Context, atStart bool) error {
	tasks, unknown, err := r.journal.Pending()
	if err != nil {
		return err
	}
	if len(tasks) == 0 && len(unknown) == 0 {
		return nil
	}
	eng, err := r.engine()
	if err != nil {
		if atStart {
			r.log.Warn("journaled tasks are resumed once the configuration is valid", "tasks", len(tasks), "err", err)
			return nil
		}
		return err
	}
	r.log.Info("resuming journaled tasks", "tasks", len(tasks), "unknown_outcomes", len(unknown))
	o := r.applyOptions()
	if o.ProviderConcurrency == nil {
		o.ProviderConcurrency = eng.Concurrency()
	}
	if o.PollMin == 0 {
		o.PollMin = eng.PollInterval()
	}
	if o.TaskTimeout == 0 {
		o.TaskTimeout = eng.TaskTimeout()
	}
	ae := apply.Runner{Executors: eng.Executors(), Journal: r.journal, Options: o}
	sum, err := ae.Resume(ctx)
	if err == nil {
		r.log.Info("journaled tasks settled", "batches_ok", sum.Batches.OK)
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("resume: %w", context.Cause(ctx))
	}
	if fatal := nonIncomplete(err); fatal != nil {
		return fmt.Errorf("resume: %w", fatal)
	}
	r.log.Warn("journaled tasks did not all succeed; live state is read again before planning",
		"batches_ok", sum.Batches.OK, "failed", sum.Batches.Failed, "unknown", sum.Batches.Unknown, "err", err)
	return nil
}

// nonIncomplete returns the parts of an apply error other than the
// ErrIncomplete report (journal failures), or nil.
func nonIncomplete(err error) error {
	var parts []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		parts = j.Unwrap()
	} else {
		parts = []error{err}
	}
	var rest []error
	for _, p := range parts {
		if !errors.Is(p, apply.ErrIncomplete) {
			rest = append(rest, p)
		}
	}
	return errors.Join(rest...)
}

// Reconcile implements daemon.Reconciler: plan every requested domain,
// report refusals per domain, apply the others.
func (r *Reconciler) Reconcile(ctx context.Context, req daemon.Request) (daemon.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.resumeLocked(ctx, false); err != nil {
		return daemon.Result{}, err
	}
	eng, err := r.engine()
	if err != nil {
		return daemon.Result{}, err
	}
	po := engine.PlanOptions{Force: req.Force, AllowDelegation: r.opts.AllowDelegation}

	results := map[string]daemon.DomainResult{}
	desired := req.Desired
	p, _, err := eng.Plan(ctx, &desired, po)
	if err != nil {
		if len(desired.Domains) < 2 || ctx.Err() != nil {
			return daemon.Result{}, err
		}
		// Reading live state failed; plan each domain alone so that one
		// domain's failure (say, unknown at the provider) does not hold the
		// others back.
		desired, p = r.planEach(ctx, eng, req.Desired, po, results)
	}

	changes := countByDomain(p.Changes)
	refused := map[string][]string{}
	for _, rf := range p.Refusals {
		refused[rf.Domain] = append(refused[rf.Domain], fmt.Sprintf("%s: %s", rf.Rule, rf.Reason))
	}
	var todo model.Desired
	for _, d := range desired.Domains {
		switch {
		case len(refused[d.Name]) > 0:
			results[d.Name] = daemon.DomainResult{Domain: d.Name, Outcome: daemon.OutcomeRefused,
				Changes: changes[d.Name], Message: strings.Join(refused[d.Name], "; ")}
		case changes[d.Name] == 0:
			results[d.Name] = daemon.DomainResult{Domain: d.Name, Outcome: daemon.OutcomeNoChanges}
		default:
			todo.Domains = append(todo.Domains, d)
		}
	}
	if len(todo.Domains) > 0 {
		r.apply(ctx, eng, &todo, po, changes, results)
	}
	return daemon.Result{Domains: sortedResults(results)}, nil
}

// planEach plans every domain on its own; failures go into results. It
// returns the domains that planned and their merged plan.
func (r *Reconciler) planEach(ctx context.Context, eng *engine.Pass, all model.Desired, po engine.PlanOptions,
	results map[string]daemon.DomainResult) (model.Desired, *plan.Plan) {
	var ok model.Desired
	merged := &plan.Plan{}
	for _, d := range all.Domains {
		one := model.Desired{Domains: []model.Domain{d}}
		p, _, err := eng.Plan(ctx, &one, po)
		if err != nil {
			results[d.Name] = daemon.DomainResult{Domain: d.Name, Outcome: daemon.OutcomeFor(err), Message: err.Error()}
			continue
		}
		ok.Domains = append(ok.Domains, d)
		merged.Changes = append(merged.Changes, p.Changes...)
		merged.Refusals = append(merged.Refusals, p.Refusals...)
	}
	return ok, merged
}

// apply runs ApplyJournaled on todo (domains with changes, none refused)
// and records one result per domain.
func (r *Reconciler) apply(ctx context.Context, eng *engine.Pass, todo *model.Desired, po engine.PlanOptions,
	planned map[string]int, results map[string]daemon.DomainResult) {
	start := time.Now()
	res, err := eng.ApplyJournaled(ctx, r.journal, todo, engine.ApplyOptions{PlanOptions: po, Apply: r.applyOptions()})
	if res != nil && res.Plan != nil {
		// The apply planned again from fresh live state: its view wins.
		planned = countByDomain(res.Plan.Changes)
	}
	var remaining map[string]int
	if res != nil && res.Remaining != nil {
		remaining = countByDomain(res.Remaining.Changes)
	}
	var refusedNow map[string]string
	if errors.Is(err, engine.ErrRefused) && res != nil && res.Plan != nil {
		refusedNow = map[string]string{}
		for _, rf := range res.Plan.Refusals {
			refusedNow[rf.Domain] = strings.TrimSpace(refusedNow[rf.Domain] + " " + rf.Rule + ": " + rf.Reason)
		}
	}
	for _, d := range todo.Domains {
		n := planned[d.Name]
		dr := daemon.DomainResult{Domain: d.Name, Changes: n}
		switch {
		case err == nil && n == 0:
			dr.Outcome = daemon.OutcomeNoChanges
		case err == nil:
			dr.Outcome = daemon.OutcomeApplied
		case refusedNow != nil:
			if msg, ok := refusedNow[d.Name]; ok {
				dr.Outcome, dr.Message = daemon.OutcomeRefused, msg
			} else {
				// Live state moved between the two plans and another domain
				// is refused now; nothing was submitted. Plan again soon.
				dr.Outcome, dr.Message = daemon.OutcomeTransient, "not applied: the plan of another domain was refused meanwhile"
			}
		case remaining != nil && remaining[d.Name] == 0 && ctx.Err() == nil:
			// This domain converged; the error belongs to others.
			dr.Outcome = daemon.OutcomeApplied
			if n == 0 {
				dr.Outcome = daemon.OutcomeNoChanges
			}
		default:
			dr.Outcome, dr.Message = classify(d.Name, err, res), failureMessage(d.Name, err, res, remaining)
		}
		results[d.Name] = dr
	}
	attrs := []any{"domains", len(todo.Domains), "elapsed", time.Since(start).Round(time.Millisecond).String()}
	if err != nil {
		r.log.Warn("apply did not converge every domain", append(attrs, "err", err)...)
	} else {
		r.log.Info("applied", attrs...)
	}
}

// classify picks the outcome of a domain the apply did not converge:
// transient when the error says so, or when the domain's batches only have
// unknown outcomes or were skipped (nothing the provider refused);
// failed otherwise.
func classify(domain string, err error, res *engine.ApplyResult) daemon.Outcome {
	if o := daemon.OutcomeFor(err); o == daemon.OutcomeTransient {
		return o
	}
	if res == nil || res.Summary == nil {
		return daemon.OutcomeFailed
	}
	seen, failed := false, false
	for _, b := range res.Summary.Results {
		if !slices.Contains(b.Domains, domain) {
			continue
		}
		switch b.Status {
		case journal.StatusFailed:
			failed = true
		case journal.StatusUnknown, journal.StatusSkipped:
			seen = true
		}
	}
	if seen && !failed {
		return daemon.OutcomeTransient
	}
	return daemon.OutcomeFailed
}

// failureMessage says why a domain did not converge, in the provider's
// words where there are some.
func failureMessage(domain string, err error, res *engine.ApplyResult, remaining map[string]int) string {
	var parts []string
	if res != nil && res.Summary != nil {
		for _, b := range res.Summary.Results {
			if b.Status == journal.StatusOK || !slices.Contains(b.Domains, domain) {
				continue
			}
			msg := fmt.Sprintf("%s %s", b.Op, b.Status)
			for _, it := range b.Items {
				if it.Domain == domain && it.State == providers.ItemFailed && it.Message != "" {
					msg += ": " + it.What + ": " + it.Message
					break
				}
			}
			if !strings.Contains(msg, ": ") && b.Reason != "" {
				msg += ": " + b.Reason
			}
			parts = append(parts, msg)
		}
	}
	if len(parts) == 0 && err != nil {
		parts = append(parts, err.Error())
	}
	if n := remaining[domain]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d change(s) remain", n))
	}
	return strings.Join(parts, "; ")
}

func countByDomain(cs []plan.Change) map[string]int {
	m := map[string]int{}
	for _, c := range cs {
		m[c.Domain]++
	}
	return m
}

func sortedResults(m map[string]daemon.DomainResult) []daemon.DomainResult {
	out := make([]daemon.DomainResult, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}
