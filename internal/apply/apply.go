// Package apply executes a plan: it submits each stage's batches to the
// providers' executors, journals every submission (internal/journal) before
// and after the provider sees it, awaits the providers' asynchronous tasks,
// and reports every item's outcome in the provider's own words.
//
// In the data flow it sits after the planner and before verification:
//
//	journal history ─▶ resume in-flight tasks, report unknown outcomes
//	planFn (reads live state afresh) ─▶ Plan ─▶ stage by stage:
//	    skip batches whose domains an earlier batch left unfinished
//	    journal intent ─▶ Submit ─▶ journal task ─▶ Poll until done ─▶ journal outcome
//	    (optionally re-plan after a stage)
//	summary ─▶ journal end (rotated into runs/) ─▶ error if anything did not succeed
//
// The engine never resubmits a write whose outcome is unknown; it only
// resubmits writes the provider refused without starting anything (transient
// errors, busy). See docs/APPLY.md for the guarantees.
package apply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dnssync/dnssync/internal/backoff"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/dnssync/dnssync/internal/journal"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
)

// ErrIncomplete is wrapped by the error Run returns when the run did not do
// everything it set out to do (a batch failed, was skipped or has an unknown
// outcome, the plan or a re-plan failed, a timeout hit). The CLI maps any
// error to exit status 1; the Summary says what happened.
var ErrIncomplete = errors.New("apply incomplete")

// Causes attached to the contexts the engine derives, so reasons say which
// limit was hit.
var (
	ErrTaskTimeout = errors.New("per-task timeout")
	ErrRunTimeout  = errors.New("overall timeout")
)

// Journal is what the engine needs from the journal; *journal.Journal
// implements it.
type Journal interface {
	Run() string
	Pending() ([]journal.PendingTask, []journal.UnknownBatch, error)
	Intent(stage string, b plan.Batch) (string, error)
	Accepted(ref string, t providers.Task) error
	Rejected(ref, message string) error
	Unknown(ref, message string) error
	TimedOut(ref, message string) error
	Outcome(ref string, status journal.BatchStatus, items []providers.ItemResult, message string) error
	End(s journal.Summary) error
}

// Options tune the engine. The zero value gives the defaults noted.
type Options struct {
	// Concurrency is how many tasks of one provider run at once (submitted
	// and not yet finished); default 4. ProviderConcurrency overrides it
	// per provider name. Rate limits live in the provider clients.
	Concurrency         int
	ProviderConcurrency map[string]int

	// PollMin and PollMax bound the capped exponential backoff (with
	// jitter) between polls of a task, and between resubmits after a
	// transient or busy refusal. Defaults 2s and 30s.
	PollMin, PollMax time.Duration

	// TaskTimeout bounds one batch from submit to final outcome (default
	// 10m); Timeout bounds the whole run (default 30m).
	TaskTimeout time.Duration
	Timeout     time.Duration

	// SubmitRetries is how many times a submit refused with
	// providers.ErrTransient is tried again (default 5; negative: never).
	// Busy refusals (providers.ErrBusy) are retried until TaskTimeout.
	SubmitRetries int
	// PollErrors is how many consecutive retryable poll errors are
	// tolerated before the task's outcome is declared unknown (default 10).
	PollErrors int

	// ReplanAfter reports whether the plan must be recomputed after stage
	// s completes (for instance after a DNS-host synchronisation). Nil
	// means the planner's flag, plan.Stage.Replan. MaxReplans bounds
	// re-plans per run (default 4).
	ReplanAfter func(s plan.Stage) bool
	MaxReplans  int

	// RetryRounds bounds how often one run plans again, from fresh live
	// state, the changes of domains whose batches failed for a transient
	// reason (refused without effect, an unknown outcome, failed task
	// items), waiting RetryWait·2ⁿ (jittered, capped at 16·RetryWait and
	// PollMax) before round n+1. Zero: never — retrying is only safe when
	// the plan function reads live state afresh, which the caller knows
	// (the engine sets it). A domain is not retried once an item failure
	// is marked permanent by its provider or the same item failed with the
	// same message more than 3 times: that failure is the provider's
	// answer, reported with its message.
	RetryRounds int
	RetryWait   time.Duration

	// Now, Sleep and Jitter replace the clock, the wait between attempts
	// and the jitter applied to each wait (default: equal jitter, a random
	// duration in [d/2, d]). Tests inject them; timeouts use contexts.
	Now    func() time.Time
	Sleep  func(ctx context.Context, d time.Duration) error
	Jitter func(d time.Duration) time.Duration

	// Logger receives the engine's own diagnostics (journal failures,
	// retries); default discards. Reporter receives progress; default Nop.
	Logger   *slog.Logger
	Reporter Reporter
}

func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.PollMin <= 0 {
		o.PollMin = 2 * time.Second
	}
	if o.PollMax <= 0 {
		o.PollMax = 30 * time.Second
	}
	if o.PollMax < o.PollMin {
		o.PollMax = o.PollMin
	}
	if o.TaskTimeout <= 0 {
		o.TaskTimeout = 10 * time.Minute
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Minute
	}
	switch {
	case o.SubmitRetries == 0:
		o.SubmitRetries = 5
	case o.SubmitRetries < 0:
		o.SubmitRetries = 0
	}
	if o.PollErrors <= 0 {
		o.PollErrors = 10
	}
	if o.MaxReplans <= 0 {
		o.MaxReplans = 4
	}
	o.RetryRounds = max(o.RetryRounds, 0)
	if o.RetryWait <= 0 {
		o.RetryWait = o.PollMin
	}
	if o.ReplanAfter == nil {
		o.ReplanAfter = func(s plan.Stage) bool { return s.Replan }
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Jitter == nil {
		o.Jitter = equalJitter
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Reporter == nil {
		o.Reporter = Nop{}
	}
	return o
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// equalJitter keeps at least half of the wait, so that backoff still grows,
// and spreads the rest to keep concurrent pollers apart.
func equalJitter(d time.Duration) time.Duration { return backoff.Jitter(d, nil) }

// backoff returns the wait before attempt n+1 (n from 0): PollMin·2ⁿ capped
// at PollMax, then jittered.
func (o *Options) backoff(n int) time.Duration {
	return o.Jitter(backoff.Delay(o.PollMin, o.PollMax, n))
}

// Runner executes a plan's stages: it submits each batch, journals it,
// awaits its task and reports per item. Executors maps a batch's Provider name to its
// executor. Replan, when set, computes a fresh plan after a stage that
// Options.ReplanAfter flags; when nil, Run's planFn is used.
type Runner struct {
	Executors map[string]providers.Executor
	Journal   Journal
	Options   Options
	Replan    func(ctx context.Context) (*plan.Plan, error)
}

// Apply runs plan p (see Run). Pending tasks of earlier runs are still
// resumed first; a caller that can should use Run so that the plan is
// computed after them, from fresh live state.
func (e *Runner) Apply(ctx context.Context, p *plan.Plan) (*journal.Summary, error) {
	return e.Run(ctx, func(context.Context) (*plan.Plan, error) { return p, nil })
}

// Resume settles what earlier runs left in the journal — awaits their
// tasks, reports their unknown outcomes — without planning anything: Run
// with an empty plan. The daemon calls it at start-up.
func (e *Runner) Resume(ctx context.Context) (*journal.Summary, error) {
	return e.Run(ctx, func(context.Context) (*plan.Plan, error) { return &plan.Plan{Version: plan.FormatVersion}, nil })
}

// Run performs one apply:
//
//  1. reports unknown outcomes found in the journal (never resubmitted) and
//     awaits tasks an earlier run left in flight;
//  2. calls planFn, which reads live state and plans afresh;
//  3. executes the plan stage by stage (see docs/APPLY.md for the
//     dependency rule, retries and timeouts);
//  4. journals the summary (End) and returns it.
//
// The error is nil only when every batch succeeded; otherwise it wraps
// ErrIncomplete (and any journal error). The summary is never nil.
func (e *Runner) Run(ctx context.Context, planFn func(context.Context) (*plan.Plan, error)) (*journal.Summary, error) {
	o := e.Options.withDefaults()
	r := &runner{e: e, o: o, sems: map[string]*semaphore.Weighted{}, syncSems: map[string]*semaphore.Weighted{}, blocked: map[string]string{},
		seenFailures: map[string]int{}, permanent: map[string]bool{}}
	for name := range e.Executors {
		n := o.Concurrency
		if c, ok := o.ProviderConcurrency[name]; ok && c > 0 {
			n = c
		}
		r.sems[name] = semaphore.NewWeighted(int64(n))
	}
	start := o.Now()
	r.sum = journal.Summary{Run: e.Journal.Run(), Started: start.UTC(), Results: []journal.BatchResult{}}

	ctx, cancel := context.WithTimeoutCause(ctx, o.Timeout, ErrRunTimeout)
	defer cancel()
	ctx, r.abort = context.WithCancelCause(ctx)
	defer r.abort(nil)

	r.emit(Event{Kind: RunStarted})
	r.resume(ctx)

	var runErr error
	if ctx.Err() == nil {
		p, err := planFn(ctx)
		switch {
		case err != nil:
			runErr = fmt.Errorf("plan: %w", err)
		case p == nil:
			runErr = errors.New("plan: no plan")
		default:
			r.settleCarried()
			runErr = r.execute(ctx, p, planFn)
		}
	}
	if runErr == nil && ctx.Err() != nil {
		runErr = context.Cause(ctx)
	}
	if runErr != nil {
		r.sum.Error = runErr.Error()
	}

	r.sum.Finished = o.Now().UTC()
	var errs []error
	if err := e.Journal.End(r.sum); err != nil {
		errs = append(errs, fmt.Errorf("journal end: %w", err))
	}
	if err := r.journalError(); err != nil {
		errs = append(errs, err)
	}
	sum := r.sum
	r.emit(Event{Kind: RunDone, Summary: &sum, Elapsed: o.Now().Sub(start)})
	if !sum.OK() {
		errs = append([]error{fmt.Errorf("%w: %s", ErrIncomplete, countsText(&sum))}, errs...)
	}
	return &sum, errors.Join(errs...)
}

func countsText(s *journal.Summary) string {
	t := fmt.Sprintf("batches ok %d, failed %d, skipped %d, unknown %d; items ok %d, failed %d",
		s.Batches.OK, s.Batches.Failed, s.Batches.Skipped, s.Batches.Unknown, s.Items.OK, s.Items.Failed)
	if s.Error != "" {
		t += "; " + s.Error
	}
	return t
}

// runner is the state of one Run.
type runner struct {
	e    *Runner
	o    Options
	sems map[string]*semaphore.Weighted
	// syncSems are the slots of synchronous calls of providers that limit
	// them apart from their tasks, made on first use.
	syncMu   sync.Mutex
	syncSems map[string]*semaphore.Weighted
	abort    context.CancelCauseFunc

	mu         sync.Mutex
	sum        journal.Summary
	blocked    map[string]string // domain → why later batches touching it are skipped
	journalErr error

	// Retry rounds: how often each item failure was seen (domain, item,
	// message), and domains whose failure is the provider's final answer.
	seenFailures map[string]int
	permanent    map[string]bool

	// carried lists the unknown outcomes resume carried over from earlier
	// runs (run and batch id): the plan made after resume, from live state
	// read again, settles them.
	carried map[[2]string]bool

	// lastStage is the highest stage number ("s<n>.") of a batch id in
	// the run so far; stages planned during the run that match no stage
	// of the plan they replace are numbered after it.
	lastStage int
}

func (r *runner) emit(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = r.o.Now()
	}
	r.o.Reporter.Report(ev)
}

func (r *runner) add(res journal.BatchResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sum.Add(res)
}

// journalFailed records a journal write failure and stops the run: without
// a journal, a crash could lose track of a write, so nothing more is
// submitted.
func (r *runner) journalFailed(err error) {
	r.mu.Lock()
	if r.journalErr == nil {
		r.journalErr = fmt.Errorf("journal: %w", err)
	}
	r.mu.Unlock()
	r.o.Logger.Error("journal write failed; stopping the run", "err", err)
	r.abort(fmt.Errorf("journal write failed: %w", err))
}

func (r *runner) journalError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.journalErr
}

// resume reports journaled unknown outcomes and awaits journaled tasks.
func (r *runner) resume(ctx context.Context) {
	tasks, unknown, err := r.e.Journal.Pending()
	if err != nil {
		r.journalFailed(err)
		return
	}
	for _, u := range unknown {
		if r.carried == nil {
			r.carried = map[[2]string]bool{}
		}
		r.carried[[2]string{u.Run, u.Batch}] = true
		res := journal.BatchResult{Stage: u.Stage, Batch: u.Batch, Provider: u.Provider, Op: u.Op,
			Domains: u.Domains, Status: journal.StatusUnknown, Run: u.Run,
			Reason: u.Reason + "; not resubmitted: live state is read again before planning"}
		r.add(res)
		r.emit(Event{Kind: BatchDone, Stage: u.Stage, BatchID: u.Batch, Provider: u.Provider, Op: u.Op,
			Domains: u.Domains, Resumed: true, Status: res.Status, Reason: res.Reason})
	}
	var g errgroup.Group
	results := make([]journal.BatchResult, len(tasks))
	for i, pt := range tasks {
		g.Go(func() error {
			results[i] = r.resumeOne(ctx, pt)
			return nil
		})
	}
	_ = g.Wait()
	for _, res := range results {
		r.add(res)
	}
}

func (r *runner) resumeOne(ctx context.Context, pt journal.PendingTask) journal.BatchResult {
	res := journal.BatchResult{Stage: pt.Stage, Batch: pt.Batch, Provider: pt.Provider, Op: pt.Op,
		Domains: pt.Domains, Task: pt.Task.ID, Run: pt.Run}
	ev := Event{Stage: pt.Stage, BatchID: pt.Batch, Provider: pt.Provider, Op: pt.Op, Domains: pt.Domains,
		TaskID: pt.Task.ID, Resumed: true}
	ex := r.e.Executors[pt.Provider]
	if ex == nil {
		// Leave it journaled: a later run with the provider configured
		// will await it.
		res.Status = journal.StatusUnknown
		res.Reason = fmt.Sprintf("task %s of provider %q is in flight but no executor is configured for it", pt.Task.ID, pt.Provider)
		r.emitDone(ev, res)
		return res
	}
	sem := r.sems[pt.Provider]
	if err := sem.Acquire(ctx, 1); err != nil {
		res.Status = journal.StatusUnknown
		res.Reason = "not awaited: " + context.Cause(ctx).Error() + "; the task stays journaled"
		r.emitDone(ev, res)
		return res
	}
	defer sem.Release(1)
	since := pt.Accepted
	if since.IsZero() {
		since = r.o.Now()
	}
	tctx, cancel := context.WithTimeoutCause(ctx, r.o.TaskTimeout, ErrTaskTimeout)
	defer cancel()
	r.await(ctx, tctx, ex, pt.Ref, pt.Task, since, ev, &res)
	return res
}

func (r *runner) emitDone(ev Event, res journal.BatchResult) {
	ev.Kind, ev.Status, ev.Reason = BatchDone, res.Status, res.Reason
	r.emit(ev)
}

// execute runs the stages of p, re-planning where asked.
func (r *runner) execute(ctx context.Context, p *plan.Plan, planFn func(context.Context) (*plan.Plan, error)) error {
	stages := append([]plan.Stage(nil), p.Stages...)
	for _, st := range stages {
		r.lastStage = max(r.lastStage, stageNumber(st))
	}
	var runErr error
	// Domains left unfinished by transient failures in the stages run so
	// far; they are planned again once the plan's stages are done, so one
	// round covers the failures of every stage.
	pending := map[string]bool{}
	for i := 0; i < len(stages); i++ {
		st := stages[i]
		if err := r.checkIDs(st); err != nil {
			runErr = err
			r.skipStages(stages[i:], "not run: "+err.Error())
			break
		}
		attempted, results := r.runStage(ctx, st)
		if ctx.Err() != nil {
			continue
		}
		for _, d := range r.retryable(results) {
			pending[d] = true
		}
		if i == len(stages)-1 && r.sum.Retries < r.o.RetryRounds {
			var retry []string
			for d := range pending {
				if !r.permanent[d] {
					retry = append(retry, d)
				}
			}
			slices.Sort(retry)
			clear(pending)
			if len(retry) > 0 {
				np, err := r.retryRound(ctx, st, retry, planFn)
				if err != nil {
					runErr = err
					break
				}
				if np != nil {
					stages = append(stages, r.renumber(np.Stages, nil)...)
				}
				continue
			}
		}
		if !r.o.ReplanAfter(st) || !attempted {
			continue
		}
		if r.sum.Replans >= r.o.MaxReplans {
			runErr = fmt.Errorf("re-plan limit (%d) reached after stage %s", r.o.MaxReplans, st.Name)
			r.skipStages(stages[i+1:], "not run: "+runErr.Error())
			break
		}
		replan := r.e.Replan
		if replan == nil {
			replan = planFn
		}
		np, err := replan(ctx)
		if err == nil && np == nil {
			err = errors.New("no plan")
		}
		if err != nil {
			runErr = fmt.Errorf("re-plan after stage %s: %w", st.Name, err)
			r.skipStages(stages[i+1:], "not run: "+runErr.Error())
			break
		}
		r.sum.Replans++
		// The fresh plan covers what transient failures left undone so far.
		r.unblock(pending)
		clear(pending)
		stages = append(stages[:i+1:i+1], r.renumber(np.Stages, stages[i+1:])...)
		r.emit(Event{Kind: Replanned, Stage: st.Name, Total: len(np.Stages)})
	}
	return runErr
}

// renumber returns copies of a fresh plan's stages with batch ids that
// are unique in the run and, where they can be, those of the plan being
// replaced: the planner numbers every plan from s1, so after a glue-sync
// re-plan its stages would repeat ids already run and no longer match the
// reviewed plan. A fresh stage takes the number of the next stage of rest
// (the replaced plan's stages not run yet) with the same name, in order;
// a stage without one — and every stage of a retry round, which replaces
// nothing — is numbered after the highest number used in the run. Batch
// numbers within a stage are the planner's. Ids not of the planner's shape
// "s<n>.b<m>" are kept as they are.
func (r *runner) renumber(fresh, rest []plan.Stage) []plan.Stage {
	out := make([]plan.Stage, len(fresh))
	next := 0 // index in rest of the next stage that may match
	for k, st := range fresh {
		n := 0
		for m := next; m < len(rest); m++ {
			if rest[m].Name == st.Name {
				n, next = stageNumber(rest[m]), m+1
				break
			}
		}
		if n == 0 {
			r.lastStage++
			n = r.lastStage
		}
		r.lastStage = max(r.lastStage, n)
		st.Batches = slices.Clone(st.Batches)
		for j := range st.Batches {
			if _, b, ok := splitBatchID(st.Batches[j].ID); ok {
				st.Batches[j].ID = "s" + strconv.Itoa(n) + "." + b
			}
		}
		out[k] = st
	}
	return out
}

// stageNumber is n of the first batch id "s<n>.b<m>" of st, or 0.
func stageNumber(st plan.Stage) int {
	for _, b := range st.Batches {
		if s, _, ok := splitBatchID(b.ID); ok {
			n, _ := strconv.Atoi(s[1:])
			return n
		}
	}
	return 0
}

// splitBatchID splits a planner batch id "s3.b2" into "s3" and "b2".
func splitBatchID(id string) (stage, batch string, ok bool) {
	stage, batch, ok = strings.Cut(id, ".")
	digits := func(s, prefix string) bool {
		rest, found := strings.CutPrefix(s, prefix)
		if !found || rest == "" {
			return false
		}
		for _, c := range rest {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	return stage, batch, ok && digits(stage, "s") && digits(batch, "b")
}

// itemRetries is how often the same item may fail with the same message
// before its failure is taken as the provider's final answer; providers
// that know a failure is final say so at once (ItemResult.Permanent).
const itemRetries = 3

// retryable returns the domains of a stage's results that failed for a
// transient reason and may be planned again, sorted; domains whose failure
// is final are recorded in r.permanent and left out.
func (r *runner) retryable(results []journal.BatchResult) []string {
	if r.o.RetryRounds == 0 {
		return nil
	}
	retry := map[string]bool{}
	for _, res := range results {
		switch {
		case res.Status == journal.StatusOK || res.Status == journal.StatusSkipped:
			// Skipped batches follow the domain that blocked them.
		case res.Transient:
			for _, d := range res.Domains {
				retry[d] = true
			}
		case res.Status == journal.StatusFailed && len(res.Items) > 0:
			for _, it := range res.Items {
				if it.State != providers.ItemFailed {
					continue
				}
				domains := res.Domains
				if it.Domain != "" {
					domains = []string{it.Domain}
				}
				for _, d := range domains {
					key := d + "\x00" + it.What + "\x00" + it.Message
					r.seenFailures[key]++
					if it.Permanent || r.seenFailures[key] > itemRetries {
						r.permanent[d] = true
					}
					retry[d] = true
				}
			}
		default:
			for _, d := range res.Domains {
				r.permanent[d] = true
			}
		}
	}
	var out []string
	for d := range retry {
		if !r.permanent[d] {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}

// settleCarried marks the unknown outcomes carried over from earlier runs
// retried once a plan is made: it was made from live state read after
// them, so whatever they did or did not apply is planned anew, as after a
// retry round.
func (r *runner) settleCarried() {
	if len(r.carried) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sum.MarkRetried(func(res journal.BatchResult) bool {
		return res.Status == journal.StatusUnknown && res.Task == "" && r.carried[[2]string{res.Run, res.Batch}]
	})
}

// retryRound plans again from fresh live state after a stage that left the
// given domains unfinished for transient reasons. It returns the new plan,
// whose stages replace the rest of the current one, or nil when nothing
// is retried (the wait was interrupted).
func (r *runner) retryRound(ctx context.Context, st plan.Stage, domains []string, planFn func(context.Context) (*plan.Plan, error)) (*plan.Plan, error) {
	replan := r.e.Replan
	if replan == nil {
		replan = planFn
	}
	var np *plan.Plan
	for {
		wait := r.o.Jitter(backoff.Delay(r.o.RetryWait, min(r.o.PollMax, 16*r.o.RetryWait), r.sum.Retries))
		r.emit(Event{Kind: RetryRound, Stage: st.Name, Domains: domains, Attempt: r.sum.Retries + 1, Wait: wait,
			Reason: fmt.Sprintf("%d domain(s) left unfinished by transient failures", len(domains))})
		if err := r.o.Sleep(ctx, wait); err != nil {
			return nil, nil
		}
		var err error
		np, err = replan(ctx)
		if err == nil && np == nil {
			err = errors.New("no plan")
		}
		if err == nil {
			break
		}
		// Reading live state may itself meet a transient failure: that
		// round is spent, the next one reads again.
		if errors.Is(err, providers.ErrTransient) && r.sum.Retries+1 < r.o.RetryRounds && ctx.Err() == nil {
			r.sum.Retries++
			continue
		}
		return nil, fmt.Errorf("retry round %d after stage %s: %w", r.sum.Retries+1, st.Name, err)
	}
	retry := map[string]bool{}
	for _, d := range domains {
		retry[d] = true
	}
	r.sum.Retries++
	r.unblock(retry)
	r.emit(Event{Kind: Replanned, Stage: st.Name, Total: len(np.Stages)})
	return np, nil
}

// unblock is called when a fresh plan, computed from live state read
// again, replaces the rest of the run: it covers every domain, so what any
// earlier batch left unfinished is planned again — except for domains whose
// failure is final, which stay blocked. Earlier unfinished results of the
// other domains are marked retried. domains are those that failed
// transiently; nothing is done when there are none.
func (r *runner) unblock(domains map[string]bool) {
	if len(domains) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for d := range r.blocked {
		if !r.permanent[d] {
			delete(r.blocked, d)
		}
	}
	r.sum.MarkRetried(func(res journal.BatchResult) bool {
		for _, d := range res.Domains {
			if r.permanent[d] {
				return false
			}
		}
		return true
	})
}

// checkIDs refuses a stage whose batch ids repeat: results and journal
// entries are keyed by them.
func (r *runner) checkIDs(st plan.Stage) error {
	seen := map[string]bool{}
	for _, b := range st.Batches {
		if seen[b.ID] {
			return fmt.Errorf("stage %s: duplicate batch id %q", st.Name, b.ID)
		}
		seen[b.ID] = true
	}
	return nil
}

func (r *runner) skipStages(stages []plan.Stage, reason string) {
	for _, st := range stages {
		for _, b := range st.Batches {
			res := r.skipped(st.Name, b, reason)
			r.add(res)
			r.block(res)
		}
	}
}

// skipped reports b as skipped and returns its result.
func (r *runner) skipped(stage string, b plan.Batch, reason string) journal.BatchResult {
	res := journal.BatchResult{Stage: stage, Batch: b.ID, Provider: b.Provider, Op: b.Op,
		Domains: b.Domains, Status: journal.StatusSkipped, Reason: reason}
	r.emit(Event{Kind: BatchSkipped, Stage: stage, BatchID: b.ID, Provider: b.Provider, Op: b.Op,
		Domains: b.Domains, Status: res.Status, Reason: reason})
	return res
}

// runStage submits the batches of st that do not depend on an unfinished
// batch, concurrently within per-provider limits, and waits for all of
// them. It reports whether any batch was attempted, and the results.
func (r *runner) runStage(ctx context.Context, st plan.Stage) (bool, []journal.BatchResult) {
	r.emit(Event{Kind: StageStarted, Stage: st.Name, Total: len(st.Batches)})
	var g errgroup.Group
	results := make([]journal.BatchResult, len(st.Batches))
	attempted := false
	for i, b := range st.Batches {
		if ctx.Err() != nil {
			results[i] = r.skipped(st.Name, b, "not run: "+context.Cause(ctx).Error())
			continue
		}
		if reason := r.dependency(b); reason != "" {
			results[i] = r.skipped(st.Name, b, reason)
			continue
		}
		attempted = true
		g.Go(func() error {
			results[i] = r.runBatch(ctx, st.Name, b)
			return nil
		})
	}
	_ = g.Wait()
	// Record results in plan order, and only now block what did not
	// succeed: the batches of one stage never depend on each other.
	var c journal.Summary
	for _, res := range results {
		r.add(res)
		r.block(res)
		c.Add(res)
	}
	b := c.Batches
	r.emit(Event{Kind: StageDone, Stage: st.Name, Total: len(st.Batches), Done: b.OK,
		Failed: b.Failed + b.Unknown + b.Skipped,
		Reason: fmt.Sprintf("ok %d, failed %d, unknown %d, skipped %d", b.OK, b.Failed, b.Unknown, b.Skipped)})
	return attempted, results
}

// dependency returns why b must be skipped, or "". A batch depends on every
// earlier batch that touches one of its domains; it is skipped when one of
// those left the domain unfinished (see block).
func (r *runner) dependency(b plan.Batch) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var reasons []string
	for _, d := range sortedUnique(b.Domains) {
		if why, ok := r.blocked[d]; ok {
			reasons = append(reasons, d+": "+why)
		}
	}
	if len(reasons) == 0 {
		return ""
	}
	return "depends on an unfinished earlier batch (" + strings.Join(reasons, "; ") + ")"
}

// block marks the domains a non-ok result leaves unfinished. A failed task
// blocks the domains of its failed items (all of the batch's domains when a
// failed item names none of them); a refused, unknown or skipped batch
// blocks all of its domains. The first reason per domain is kept.
func (r *runner) block(res journal.BatchResult) {
	if res.Status == journal.StatusOK {
		return
	}
	why := fmt.Sprintf("%s %s", res.Batch, res.Status)
	domains := res.Domains
	if res.Status == journal.StatusFailed && len(res.Items) > 0 {
		in := map[string]bool{}
		for _, d := range res.Domains {
			in[d] = true
		}
		var failed []string
		all := false
		for _, it := range res.Items {
			if it.State != providers.ItemFailed {
				continue
			}
			if !in[it.Domain] {
				all = true
				break
			}
			failed = append(failed, it.Domain)
		}
		if !all && len(failed) > 0 {
			domains = failed
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range domains {
		if _, ok := r.blocked[d]; !ok {
			r.blocked[d] = why
		}
	}
}

func sortedUnique(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	n := 0
	for i, s := range out {
		if i == 0 || s != out[n-1] {
			out[n] = s
			n++
		}
	}
	return out[:n]
}

// semaphore returns the slots batch b runs in: the provider's, or for a
// synchronous call of a provider that limits those apart
// (providers.SyncCalls) a pool of their own.
func (r *runner) semaphore(ex providers.Executor, b plan.Batch) *semaphore.Weighted {
	sc, ok := ex.(providers.SyncCalls)
	if !ok {
		return r.sems[b.Provider]
	}
	n := sc.SyncSlots(b.Op)
	if n <= 0 {
		return r.sems[b.Provider]
	}
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	s, ok := r.syncSems[b.Provider]
	if !ok {
		s = semaphore.NewWeighted(int64(n))
		r.syncSems[b.Provider] = s
	}
	return s
}

// runBatch journals, submits and awaits one batch.
func (r *runner) runBatch(ctx context.Context, stage string, b plan.Batch) journal.BatchResult {
	res := journal.BatchResult{Stage: stage, Batch: b.ID, Provider: b.Provider, Op: b.Op, Domains: b.Domains}
	ev := Event{Stage: stage, BatchID: b.ID, Provider: b.Provider, Op: b.Op, Domains: b.Domains}
	ex := r.e.Executors[b.Provider]
	if ex == nil {
		res.Status = journal.StatusFailed
		res.Reason = fmt.Sprintf("no executor configured for provider %q", b.Provider)
		r.emitDone(ev, res)
		return res
	}
	sem := r.semaphore(ex, b)
	if err := sem.Acquire(ctx, 1); err != nil {
		res.Status = journal.StatusSkipped
		res.Reason = "not run: " + context.Cause(ctx).Error()
		ev.Kind, ev.Status, ev.Reason = BatchSkipped, res.Status, res.Reason
		r.emit(ev)
		return res
	}
	defer sem.Release(1)
	if ctx.Err() != nil {
		res.Status = journal.StatusSkipped
		res.Reason = "not run: " + context.Cause(ctx).Error()
		ev.Kind, ev.Status, ev.Reason = BatchSkipped, res.Status, res.Reason
		r.emit(ev)
		return res
	}
	tctx, cancel := context.WithTimeoutCause(ctx, r.o.TaskTimeout, ErrTaskTimeout)
	defer cancel()

	ref, err := r.e.Journal.Intent(stage, b)
	if err != nil {
		r.journalFailed(err)
		res.Status = journal.StatusSkipped
		res.Reason = "not submitted: journal write failed: " + err.Error()
		ev.Kind, ev.Status, ev.Reason = BatchSkipped, res.Status, res.Reason
		r.emit(ev)
		return res
	}
	task, ok := r.submit(ctx, tctx, ex, ref, b, ev, &res)
	if !ok {
		r.emitDone(ev, res)
		return res
	}
	res.Task = task.ID
	ev.TaskID = task.ID
	r.await(ctx, tctx, ex, ref, task, r.o.Now(), ev, &res)
	return res
}

// submit makes the batch's write call, resubmitting only after refusals
// that prove nothing was started (busy, transient). ok is false when res
// holds the final result.
func (r *runner) submit(ctx, tctx context.Context, ex providers.Executor, ref string, b plan.Batch, ev Event, res *journal.BatchResult) (providers.Task, bool) {
	transient, waits := 0, 0
	for attempt := 1; ; attempt++ {
		t, err := ex.Submit(tctx, b)
		if err == nil {
			if t.BatchID == "" {
				t.BatchID = b.ID
			}
			if t.Provider == "" {
				t.Provider = b.Provider
			}
			if t.Op == "" {
				t.Op = b.Op
			}
			if jerr := r.e.Journal.Accepted(ref, t); jerr != nil {
				// The task runs but its id is not durable: stop the run.
				// The intent without a task id makes the next run
				// report the batch as unknown, never resubmit it.
				r.journalFailed(jerr)
			}
			ev.Kind, ev.TaskID, ev.Attempt = BatchSubmitted, t.ID, attempt
			r.emit(ev)
			return t, true
		}
		msg := err.Error()
		var unknown bool
		switch {
		case errors.Is(err, providers.ErrOutcomeUnknown):
			unknown = true
		case tctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
			// Cancelled mid-call: the request may have been sent.
			unknown = true
			msg = fmt.Sprintf("submit interrupted (%v): %s", context.Cause(tctx), msg)
		}
		if unknown {
			res.Status = journal.StatusUnknown
			res.Transient = true
			res.Reason = msg + "; not resubmitted: live state is read again before anything else is planned"
			if jerr := r.e.Journal.Unknown(ref, msg); jerr != nil {
				r.journalFailed(jerr)
			}
			return providers.Task{}, false
		}
		retry := false
		var wait time.Duration
		switch {
		case errors.Is(err, providers.ErrReplan):
			// The same batch would be refused again; a retry round plans
			// the domain afresh.
		case errors.Is(err, providers.ErrBusy):
			retry, wait = true, r.o.backoff(waits)
			waits++
		case errors.Is(err, providers.ErrTransient) && transient < r.o.SubmitRetries:
			retry, wait = true, r.o.backoff(transient)
			transient++
		}
		if retry {
			r.emit(Event{Kind: SubmitRetry, Stage: ev.Stage, BatchID: b.ID, Provider: b.Provider, Op: b.Op,
				Domains: b.Domains, Attempt: attempt, Wait: wait, Reason: msg})
			r.o.Logger.Debug("submit refused, retrying", "batch", b.ID, "attempt", attempt, "wait", wait, "err", msg)
			if serr := r.o.Sleep(tctx, wait); serr == nil {
				continue
			}
			msg = fmt.Sprintf("%s (gave up: %v)", msg, context.Cause(tctx))
		} else if errors.Is(err, providers.ErrTransient) {
			msg = fmt.Sprintf("%s (after %d attempts)", msg, attempt)
		}
		// Refused: nothing was started at the provider.
		res.Status = journal.StatusFailed
		res.Reason = msg
		res.Transient = errors.Is(err, providers.ErrTransient) || errors.Is(err, providers.ErrBusy) || errors.Is(err, providers.ErrReplan)
		if jerr := r.e.Journal.Rejected(ref, msg); jerr != nil {
			r.journalFailed(jerr)
		}
		return providers.Task{}, false
	}
}

// await polls task t until all its items are final, then journals and
// reports the outcome. runCtx is the run's context, tctx the task's.
func (r *runner) await(runCtx, tctx context.Context, ex providers.Executor, ref string, t providers.Task, since time.Time, ev Event, res *journal.BatchResult) {
	res.Task = t.ID
	ev.TaskID = t.ID
	ev.Kind = TaskAwaiting
	r.emit(ev)
	var last providers.TaskStatus
	if t.Sync {
		// The submit's answer was the result: report its items as the
		// progress a polled task would have shown.
		last = providers.TaskStatus{Done: true, Items: t.Items}
		done, failed := countItems(t.Items)
		r.emit(Event{Kind: TaskProgress, Stage: ev.Stage, BatchID: ev.BatchID, Provider: ev.Provider, Op: ev.Op,
			Domains: ev.Domains, TaskID: t.ID, Resumed: ev.Resumed, Done: done, Failed: failed,
			Total: len(t.Items), Elapsed: r.o.Now().Sub(since)})
	}
	errs := 0
	for attempt := 0; !last.Done; attempt++ {
		st, err := ex.Poll(tctx, t)
		switch {
		case err == nil:
			errs = 0
			last = st
			done, failed := countItems(st.Items)
			r.emit(Event{Kind: TaskProgress, Stage: ev.Stage, BatchID: ev.BatchID, Provider: ev.Provider, Op: ev.Op,
				Domains: ev.Domains, TaskID: t.ID, Resumed: ev.Resumed, Done: done, Failed: failed,
				Total: len(st.Items), Elapsed: r.o.Now().Sub(since)})
			if st.Done {
				continue
			}
		case tctx.Err() != nil:
			// Handled below.
		case retryablePoll(err) && errs < r.o.PollErrors:
			errs++
			r.o.Logger.Debug("poll failed, retrying", "task", t.ID, "err", err)
		default:
			// The task can no longer be read: its outcome is unknown and
			// the next run plans from live state.
			msg := "poll: " + err.Error()
			r.finish(res, journal.StatusUnknown, last.Items, msg+"; live state is read again before the next plan")
			if jerr := r.e.Journal.Outcome(ref, journal.StatusUnknown, last.Items, msg); jerr != nil {
				r.journalFailed(jerr)
			}
			r.emit(Event{Kind: TaskAbandoned, Stage: ev.Stage, BatchID: ev.BatchID, Provider: ev.Provider, Op: ev.Op,
				TaskID: t.ID, Resumed: ev.Resumed, Reason: msg})
			r.emitDone(ev, *res)
			return
		}
		if tctx.Err() == nil {
			if r.o.Sleep(tctx, r.o.backoff(attempt)) == nil {
				continue
			}
		}
		// Timeout or cancellation: the task may still run at the provider.
		// It stays journaled, so the next run awaits it.
		why := context.Cause(tctx)
		if runCtx.Err() != nil {
			why = context.Cause(runCtx)
		}
		msg := fmt.Sprintf("task %s still running after %s (%v); the next apply awaits it", t.ID, r.o.Now().Sub(since).Round(time.Second), why)
		if jerr := r.e.Journal.TimedOut(ref, why.Error()); jerr != nil {
			r.journalFailed(jerr)
		}
		r.finish(res, journal.StatusUnknown, last.Items, msg)
		r.emit(Event{Kind: TaskAbandoned, Stage: ev.Stage, BatchID: ev.BatchID, Provider: ev.Provider, Op: ev.Op,
			TaskID: t.ID, Resumed: ev.Resumed, Reason: msg})
		r.emitDone(ev, *res)
		return
	}

	status := journal.StatusOK
	if _, failed := countItems(last.Items); failed > 0 {
		status = journal.StatusFailed
	}
	r.finish(res, status, last.Items, failureText(last.Items))
	if jerr := r.e.Journal.Outcome(ref, status, last.Items, ""); jerr != nil {
		r.journalFailed(jerr)
	}
	for i := range last.Items {
		it := last.Items[i]
		r.emit(Event{Kind: ItemDone, Stage: ev.Stage, BatchID: ev.BatchID, Provider: ev.Provider, Op: ev.Op,
			TaskID: t.ID, Resumed: ev.Resumed, Item: &it, Status: journal.BatchStatus(it.State)})
	}
	ev.Elapsed = r.o.Now().Sub(since)
	r.emitDone(ev, *res)
}

func (r *runner) finish(res *journal.BatchResult, status journal.BatchStatus, items []providers.ItemResult, reason string) {
	res.Status = status
	res.Items = items
	res.Reason = reason
}

func retryablePoll(err error) bool {
	return errors.Is(err, providers.ErrTransient) || errors.Is(err, providers.ErrOutcomeUnknown) || errors.Is(err, providers.ErrBusy)
}

// countItems returns the number of final items and of failed ones.
func countItems(items []providers.ItemResult) (done, failed int) {
	for _, it := range items {
		if it.State.Final() {
			done++
		}
		if it.State == providers.ItemFailed {
			failed++
		}
	}
	return done, failed
}

// failureText summarises failed items in the providers' words.
func failureText(items []providers.ItemResult) string {
	var parts []string
	n := 0
	for _, it := range items {
		if it.State != providers.ItemFailed {
			continue
		}
		n++
		if len(parts) < 3 {
			who := it.Domain
			if it.What != "" {
				who += " " + it.What
			}
			parts = append(parts, fmt.Sprintf("%s: %s", who, it.Message))
		}
	}
	if n == 0 {
		return ""
	}
	s := fmt.Sprintf("%d of %d items failed: %s", n, len(items), strings.Join(parts, "; "))
	if n > len(parts) {
		s += "; …"
	}
	return s
}

// Status reads what `dnssync status` shows for the state directory dir:
// tasks in flight, unknown outcomes, the run in progress or interrupted, and
// the summary of the last finished run. It takes no lock and writes nothing.
// opts are journal.ReadStatus's (the read limits).
func Status(dir string, opts ...journal.Option) (*journal.Status, error) {
	return journal.ReadStatus(dir, opts...)
}
