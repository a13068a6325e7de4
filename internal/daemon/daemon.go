// Package daemon is the long-running core of `dnssync watch`: it decides
// WHICH domains to reconcile and WHEN (file changes, resyncs, retries with
// backoff, shutdown), and serves health, readiness and metrics. HOW a
// domain is converged is behind its Reconciler interface
// (internal/reconcile in production).
//
// Data flow: internal/watch reports which files changed; the daemon loads
// them through a Loader (internal/spec in production), keeps the last good
// desired state of every file, and hands the domains whose files changed to
// a Reconciler (read live → diff → safety → apply, built from internal/diff
// and internal/apply in production). A jittered periodic resync reconciles
// every domain to repair drift made outside dnssync. Outcomes feed the
// readiness endpoint and the Prometheus metrics of internal/metrics.
//
// The daemon never decides what to change itself and never deletes a domain
// because its file disappeared or broke: an invalid file leaves the last
// good state in force, a removed file stops management of its domain.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dnssync/dnssync/internal/metrics"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
)

// Defaults of Options.
const (
	DefaultAddr             = "127.0.0.1:9353"
	DefaultResyncInterval   = 10 * time.Minute
	DefaultResyncJitter     = 0.10
	DefaultBackoffBase      = 5 * time.Second
	DefaultBackoffMax       = 5 * time.Minute
	DefaultGracePeriod      = 30 * time.Second
	DefaultProgressDeadline = 15 * time.Minute
	// stopWait is how long Run still waits for an in-flight reconcile after
	// the grace period cancelled it, so that it can write its journal.
	stopWait = 5 * time.Second
)

// Diagnostic is one problem found in an input file, with its position.
type Diagnostic struct {
	Pos     model.Pos `json:"pos"`
	Rule    string    `json:"rule,omitempty"`
	Message string    `json:"message"`
}

// String renders "file:line:col: message (rule)".
func (d Diagnostic) String() string {
	s := d.Pos.String() + ": " + d.Message
	if d.Rule != "" {
		s += " (" + d.Rule + ")"
	}
	return s
}

// ErrorDiagnostic turns an error without positions (the file cannot be read
// at all) into a diagnostic on file.
func ErrorDiagnostic(file string, err error) Diagnostic {
	return Diagnostic{Pos: model.Pos{File: file}, Rule: "load", Message: err.Error()}
}

// Diagnostics is a list of diagnostics usable as an error.
type Diagnostics []Diagnostic

func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Sources says where the zone files are, as the configuration declares.
type Sources struct {
	ZoneDirs    []string // directories holding zone files, subdirectories included
	Patterns    []string // base-name globs; empty: watch.DefaultPatterns
	Exclude     []string // base names that are not zone files ("dnssync.yaml")
	MaxFileSize int64    // size limit the watcher reads zone files under; 0: the default
}

func (s Sources) equal(o Sources) bool {
	return slices.Equal(s.ZoneDirs, o.ZoneDirs) && slices.Equal(s.Patterns, o.Patterns) && slices.Equal(s.Exclude, o.Exclude) &&
		s.MaxFileSize == o.MaxFileSize
}

// Loader reads desired state. The daemon calls it from one goroutine only,
// so an implementation may keep the last good configuration between calls
// (LoadZone interprets zone files with it).
type Loader interface {
	// LoadConfig reads the configuration file. On diagnostics the daemon
	// keeps the previous configuration and desired state in force.
	LoadConfig(ctx context.Context) (Sources, []Diagnostic)
	// LoadZone reads one zone file. With diagnostics the domain is ignored
	// and the file's last good state stays in force.
	LoadZone(ctx context.Context, file string) (*model.Domain, []Diagnostic)
}

// SettledLoader is a Loader that can load a zone file only while it holds
// the content the watcher saw settle (watch.ChangeSet.Hashes). The daemon
// uses it for changed files, so that a file written again after it
// settled is never loaded half written: it waits for the watcher to see
// the new content settle too.
type SettledLoader interface {
	Loader
	// LoadSettledZone is LoadZone when the file's content hash
	// (watch.Hash) is hash; otherwise it loads nothing and changed is
	// true.
	LoadSettledZone(ctx context.Context, file, hash string) (dom *model.Domain, diags []Diagnostic, changed bool)
}

// Trigger says why domains are reconciled.
type Trigger string

// Triggers.
const (
	TriggerStartup Trigger = "startup" // first pass after start
	TriggerChange  Trigger = "change"  // the domain's zone file changed
	TriggerConfig  Trigger = "config"  // the configuration changed
	TriggerResync  Trigger = "resync"  // periodic full resync (drift repair)
	TriggerRetry   Trigger = "retry"   // backoff after a transient failure
	TriggerOnce    Trigger = "once"    // RunOnce
)

// Request asks a Reconciler to converge some domains.
type Request struct {
	// Desired holds the last good desired state of exactly the domains to
	// reconcile, sorted by name.
	Desired model.Desired
	Trigger Trigger
	// Force applies plans the safety checks refuse (Options.Force).
	Force bool
}

// Names returns the names of the requested domains.
func (r Request) Names() []string {
	out := make([]string, len(r.Desired.Domains))
	for i, d := range r.Desired.Domains {
		out[i] = d.Name
	}
	return out
}

// Outcome is the result of reconciling one domain.
type Outcome string

// Outcomes; the strings are the "result" label values of
// dnssync_reconciles_total.
const (
	OutcomeNoChanges Outcome = metrics.ResultNoChanges // live equals desired
	OutcomeApplied   Outcome = metrics.ResultApplied   // changes applied and converged
	OutcomeRefused   Outcome = metrics.ResultRefused   // safety checks refused the plan
	OutcomeTransient Outcome = metrics.ResultTransient // worth retrying (throttled, network, unknown outcome)
	OutcomeFailed    Outcome = metrics.ResultFailed    // failed; retried on the next change or resync
)

// converged reports whether o leaves live state equal to desired.
func (o Outcome) converged() bool { return o == OutcomeNoChanges || o == OutcomeApplied }

// OutcomeFor classifies an error: transient (backed off and retried) when
// it wraps providers.ErrTransient or providers.ErrOutcomeUnknown, failed
// otherwise.
func OutcomeFor(err error) Outcome {
	if errors.Is(err, providers.ErrTransient) || errors.Is(err, providers.ErrOutcomeUnknown) {
		return OutcomeTransient
	}
	return OutcomeFailed
}

// DomainResult is what happened to one domain.
type DomainResult struct {
	Domain  string
	Outcome Outcome
	// Changes is the number of changes the plan held (applied, or refused).
	Changes int
	// Message explains refusals and failures (never containing secrets).
	Message string
}

// Result reports per-domain outcomes of one Reconcile call.
type Result struct {
	Domains []DomainResult
}

// Reconciler converges domains: read live state, plan, check safety, apply,
// await. An error return means the pass as a whole failed; every requested
// domain without a DomainResult then gets OutcomeFor(err). A requested
// domain missing from a successful Result counts as failed.
//
// Reconcile must return soon after ctx is cancelled (the shutdown grace
// period ran out), leaving in-flight tasks in the apply journal.
type Reconciler interface {
	Reconcile(ctx context.Context, req Request) (Result, error)
}

// ReconcilerFunc adapts a function to Reconciler.
type ReconcilerFunc func(ctx context.Context, req Request) (Result, error)

// Reconcile calls f.
func (f ReconcilerFunc) Reconcile(ctx context.Context, req Request) (Result, error) {
	return f(ctx, req)
}

// Options configure a Daemon. Zero values take the defaults.
type Options struct {
	// ConfigFile is watched for changes; the Loader reads it.
	ConfigFile string
	Loader     Loader
	Reconciler Reconciler
	// OnStart runs once before the first reconcile, with the context that
	// lives through the shutdown grace period: the place to resume tasks
	// left in the apply journal by a previous run. An error stops Run,
	// unless it is transient (then it is logged and the daemon goes on).
	OnStart func(ctx context.Context) error

	// Addr is the HTTP listen address (DefaultAddr); Listener, when set,
	// is used instead (tests, socket activation).
	Addr     string
	Listener net.Listener

	// ResyncInterval between full resyncs (DefaultResyncInterval); a
	// negative value disables them. Each wait is jittered by
	// ±ResyncJitter (a fraction, DefaultResyncJitter) so that replicas and
	// restarts do not synchronise.
	ResyncInterval time.Duration
	ResyncJitter   float64
	// Debounce is the file watcher's quiet time (watch.DefaultDebounce).
	Debounce time.Duration
	// BackoffBase and BackoffMax shape the per-domain retry delay after
	// transient failures: BackoffBase·2^(n-1) capped at BackoffMax, each
	// delay drawn uniformly from its upper half.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// GracePeriod is how long in-flight work may continue after Run's
	// context is cancelled (DefaultGracePeriod).
	GracePeriod time.Duration
	// ProgressDeadline is how long a domain may wait for or be in a
	// reconcile and still count as ready (DefaultProgressDeadline).
	ProgressDeadline time.Duration
	// Force applies refused plans. Dangerous: it disables the safety
	// thresholds and the delegation gate for every change the daemon sees.
	Force bool

	Metrics *metrics.Metrics // nil: a fresh metrics.New()
	Logger  *slog.Logger     // nil: slog.Default()
	Now     func() time.Time // clock for timestamps and readiness; nil: time.Now
	Seed    uint64           // jitter randomness; 0: seeded from the clock
}

// Daemon is one watch daemon. Create it with New; call Run (or RunOnce)
// once.
type Daemon struct {
	opts Options
	log  *slog.Logger
	m    *metrics.Metrics
	rng  *rand.Rand // used only by the goroutine running Run/RunOnce
	st   *state
}

// New validates opts and fills in defaults.
func New(opts Options) (*Daemon, error) {
	if opts.Loader == nil || opts.Reconciler == nil {
		return nil, errors.New("daemon: Loader and Reconciler are required")
	}
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.ResyncInterval == 0 {
		opts.ResyncInterval = DefaultResyncInterval
	}
	if opts.ResyncJitter == 0 {
		opts.ResyncJitter = DefaultResyncJitter
	}
	if opts.ResyncJitter < 0 || opts.ResyncJitter >= 1 {
		return nil, fmt.Errorf("daemon: resync jitter %v not in [0, 1)", opts.ResyncJitter)
	}
	if opts.BackoffBase <= 0 {
		opts.BackoffBase = DefaultBackoffBase
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = DefaultBackoffMax
	}
	opts.BackoffMax = max(opts.BackoffMax, opts.BackoffBase)
	if opts.GracePeriod <= 0 {
		opts.GracePeriod = DefaultGracePeriod
	}
	if opts.ProgressDeadline <= 0 {
		opts.ProgressDeadline = DefaultProgressDeadline
	}
	if opts.Metrics == nil {
		opts.Metrics = metrics.New()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	seed := opts.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	return &Daemon{
		opts: opts,
		log:  opts.Logger,
		m:    opts.Metrics,
		rng:  rand.New(rand.NewPCG(seed, seed>>1|1)),
		st:   newState(),
	}, nil
}

// Metrics returns the daemon's collectors: pass them to the apply engine
// (batch and task hooks) and to the provider clients (Transport).
func (d *Daemon) Metrics() *metrics.Metrics { return d.m }

// Handler serves /healthz, /readyz and /metrics.
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", d.healthz)
	mux.HandleFunc("GET /readyz", d.readyz)
	mux.Handle("GET /metrics", d.m.Handler())
	return mux
}

// RunOnce loads everything, reconciles every domain once and returns the
// plan exit code: 0 no changes, 2 changes applied, 1 error (invalid files,
// refused plans, failures; err then says why). No HTTP is served.
//
// Cancelling ctx (SIGTERM, SIGINT) stops loading at once. Resuming
// journaled tasks and the reconcile run under a context that outlives ctx
// by GracePeriod, as in Run: work at the providers may finish, or is
// cancelled then and leaves its tasks in the journal.
func (d *Daemon) RunOnce(ctx context.Context) (int, error) {
	hard, cancel := graceContext(ctx, d.opts.GracePeriod)
	defer cancel()
	if d.opts.OnStart != nil {
		if err := d.opts.OnStart(hard); err != nil {
			return 1, fmt.Errorf("resuming journaled tasks: %w", err)
		}
	}
	src, diags := d.opts.Loader.LoadConfig(ctx)
	if ctx.Err() != nil {
		return 1, interrupted(ctx)
	}
	if len(diags) > 0 {
		d.logDiagnostics(diags)
		return 1, Diagnostics(diags)
	}
	files, err := listZoneFiles(src)
	if err != nil {
		return 1, err
	}
	var (
		all    Diagnostics
		req    = Request{Trigger: TriggerOnce, Force: d.opts.Force}
		seenAt = map[string]string{}
	)
	for _, f := range files {
		if ctx.Err() != nil {
			return 1, interrupted(ctx)
		}
		dom, diags := d.opts.Loader.LoadZone(ctx, f)
		if len(diags) == 0 && dom == nil {
			diags = []Diagnostic{{Pos: model.Pos{File: f}, Rule: "load", Message: "no domain in file"}}
		}
		if len(diags) == 0 {
			if other, dup := seenAt[dom.Name]; dup {
				diags = []Diagnostic{duplicate(dom, f, other)}
			}
		}
		if len(diags) > 0 {
			all = append(all, diags...)
			continue
		}
		seenAt[dom.Name] = f
		req.Desired.Domains = append(req.Desired.Domains, *dom)
	}
	if ctx.Err() != nil {
		// What was cut short says nothing about the files.
		return 1, interrupted(ctx)
	}
	if len(all) > 0 {
		d.logDiagnostics(all)
		return 1, all
	}
	if len(req.Desired.Domains) == 0 {
		d.log.Warn("no zone files found", "dirs", src.ZoneDirs)
		return 0, nil
	}
	sort.Slice(req.Desired.Domains, func(i, j int) bool { return req.Desired.Domains[i].Name < req.Desired.Domains[j].Name })

	start := time.Now()
	res, rerr := d.opts.Reconciler.Reconcile(hard, req)
	d.m.ReconcilePass(string(TriggerOnce), time.Since(start))
	code := 0
	var failed []string
	for _, r := range resultsFor(req, res, rerr) {
		d.m.Reconciled(r.Domain, string(r.Outcome), r.Changes)
		d.logResult(r, TriggerOnce)
		switch {
		case !r.Outcome.converged():
			failed = append(failed, fmt.Sprintf("%s: %s: %s", r.Domain, r.Outcome, r.Message))
		case r.Outcome == OutcomeApplied || r.Changes > 0:
			if code == 0 {
				code = 2
			}
		}
		if r.Outcome.converged() {
			d.m.Converged(r.Domain, d.opts.Now())
		}
	}
	if len(failed) > 0 {
		return 1, fmt.Errorf("reconcile: %s", strings.Join(failed, "; "))
	}
	return code, nil
}

// interrupted is RunOnce's error when ctx was cancelled before the
// reconcile started: nothing was applied.
func interrupted(ctx context.Context) error {
	return fmt.Errorf("interrupted before anything was applied: %w", context.Cause(ctx))
}

// graceContext returns a context that outlives ctx by grace: it is
// cancelled grace after ctx is, or when cancel is called, which also ends
// the wait.
func graceContext(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	hard, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-hard.Done():
		}
	})
	return hard, func() { stop(); cancel() }
}

// resultsFor pairs every requested domain with its result (see
// Reconciler for the rules), in request order.
func resultsFor(req Request, res Result, err error) []DomainResult {
	by := map[string]DomainResult{}
	for _, r := range res.Domains {
		by[r.Domain] = r
	}
	out := make([]DomainResult, 0, len(req.Desired.Domains))
	for _, name := range req.Names() {
		r, ok := by[name]
		switch {
		case ok:
		case err != nil:
			r = DomainResult{Domain: name, Outcome: OutcomeFor(err), Message: err.Error()}
		default:
			r = DomainResult{Domain: name, Outcome: OutcomeFailed, Message: "reconciler reported no result"}
		}
		out = append(out, r)
	}
	return out
}

func duplicate(dom *model.Domain, file, other string) Diagnostic {
	pos := dom.Pos
	if pos.IsZero() {
		pos = model.Pos{File: file}
	}
	return Diagnostic{Pos: pos, Rule: "duplicate-domain", Message: fmt.Sprintf("domain %s is already declared in %s", dom.Name, other)}
}

func (d *Daemon) logDiagnostics(diags []Diagnostic) {
	for _, g := range diags {
		d.log.Error("invalid input; the last good state stays in force", "pos", g.Pos.String(), "rule", g.Rule, "problem", g.Message)
	}
}

func (d *Daemon) logResult(r DomainResult, trigger Trigger) {
	attrs := []any{"domain", r.Domain, "result", string(r.Outcome), "changes", r.Changes, "trigger", string(trigger)}
	if r.Message != "" {
		attrs = append(attrs, "reason", r.Message)
	}
	switch r.Outcome {
	case OutcomeNoChanges, OutcomeApplied:
		d.log.Info("reconciled", attrs...)
	case OutcomeRefused:
		d.log.Warn("plan refused by safety checks; not applied until the files change or it is forced", attrs...)
	case OutcomeTransient:
		d.log.Warn("transient failure; backing off", attrs...)
	default:
		d.log.Error("reconcile failed", attrs...)
	}
}
