package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/dnssync/dnssync/internal/backoff"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/watch"
)

func listZoneFiles(src Sources) ([]string, error) {
	return watch.List(src.ZoneDirs, src.Patterns, src.Exclude)
}

// Run serves HTTP, resumes journaled work (OnStart), loads the files and
// reconciles until ctx is cancelled.
//
// Cancelling ctx (SIGTERM, SIGINT) stops new work at once: no change set,
// resync or retry starts another reconcile. A reconcile in flight keeps
// running under a separate context for up to GracePeriod; then that context
// is cancelled too, and the apply engine leaves its tasks in the journal for
// the next start. Run returns nil after such a shutdown; it returns an error
// only when it cannot work at all (listen address taken, OnStart failed for
// a non-transient reason, no file watching possible).
func (d *Daemon) Run(ctx context.Context) error {
	hard, hardCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer hardCancel()
	runDone := make(chan struct{})
	defer close(runDone)
	go func() {
		select {
		case <-ctx.Done():
		case <-runDone:
			return
		}
		t := time.NewTimer(d.opts.GracePeriod)
		defer t.Stop()
		select {
		case <-t.C:
			hardCancel()
		case <-runDone:
		}
	}()

	ln := d.opts.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", d.opts.Addr); err != nil {
			return fmt.Errorf("daemon: %w", err)
		}
	}
	// The server's own complaints (a broken connection, a bad request) go
	// through the daemon's logger, in its format.
	srv := &http.Server{Handler: d.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(d.log.Handler(), slog.LevelWarn)}
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	d.log.Info("serving", "addr", ln.Addr().String(), "endpoints", "/healthz /readyz /metrics")
	defer func() {
		// Health and metrics stay up through the grace period; close now.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopWait)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	if d.opts.OnStart != nil {
		if err := d.opts.OnStart(hard); err != nil {
			switch {
			case ctx.Err() != nil:
				d.log.Info("stopped while resuming journaled tasks; they stay in the journal")
				return nil
			case errors.Is(err, providers.ErrTransient) || errors.Is(err, providers.ErrOutcomeUnknown):
				d.log.Warn("resuming journaled tasks failed transiently; continuing", "err", err)
			default:
				return fmt.Errorf("daemon: resuming journaled tasks: %w", err)
			}
		}
	}
	if ctx.Err() != nil {
		return nil
	}

	l := &loop{d: d, ctx: ctx, hard: hard, results: make(chan workDone, 1)}
	defer l.stopWatcher()
	if _, err := l.reloadConfig(TriggerStartup); err != nil {
		return err
	}
	var resync <-chan time.Time
	if d.opts.ResyncInterval > 0 {
		t := time.NewTimer(l.nextResync())
		defer t.Stop()
		resync = t.C
		l.resyncTimer = t
	}
	wake := time.NewTimer(time.Hour)
	defer wake.Stop()

	for {
		l.dispatch()
		l.armWake(wake)
		var changes <-chan watch.ChangeSet
		if l.w != nil {
			changes = l.w.Changes()
		}
		select {
		case <-ctx.Done():
			return l.shutdown()
		case err := <-srvErr:
			return fmt.Errorf("daemon: http: %w", err)
		case cs, ok := <-changes:
			if !ok {
				err := <-l.wDone
				d.log.Error("file watcher stopped; restarting it", "err", err)
				l.w = nil
				if err := l.startWatcher(l.sources()); err != nil {
					return err
				}
				continue
			}
			if err := l.handle(cs); err != nil {
				return err
			}
		case wd := <-l.results:
			l.finish(wd)
		case <-resync:
			l.resyncAll()
			l.resyncTimer.Reset(l.nextResync())
		case <-wake.C:
		}
	}
}

// workDone is a finished Reconcile call.
type workDone struct {
	req Request
	res Result
	err error
	dur time.Duration
}

// loop is the state of one Run: its watcher, its worker and timers.
type loop struct {
	d           *Daemon
	ctx, hard   context.Context
	w           *watch.Watcher
	wCancel     context.CancelFunc
	wDone       chan error
	results     chan workDone
	working     bool
	resyncTimer *time.Timer
}

func (l *loop) sources() Sources {
	l.d.st.mu.Lock()
	defer l.d.st.mu.Unlock()
	return l.d.st.sources
}

// startWatcher watches the config file and the zone directories of src.
func (l *loop) startWatcher(src Sources) error {
	l.stopWatcher()
	w, err := watch.New(watch.Options{
		Config:      l.d.opts.ConfigFile,
		ZoneDirs:    src.ZoneDirs,
		Patterns:    src.Patterns,
		Exclude:     src.Exclude,
		Debounce:    l.d.opts.Debounce,
		MaxFileSize: src.MaxFileSize,
		Logger:      l.d.log,
	})
	if err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(l.ctx))
	l.w, l.wCancel, l.wDone = w, cancel, make(chan error, 1)
	go func() { l.wDone <- w.Run(wctx) }()
	return nil
}

func (l *loop) stopWatcher() {
	if l.w == nil {
		return
	}
	l.wCancel()
	<-l.wDone
	l.w = nil
}

// handle applies one change set: a config change reloads everything,
// otherwise only the files named are loaded (and their domains marked).
func (l *loop) handle(cs watch.ChangeSet) error {
	l.d.m.ChangeSetReceived()
	if cs.Config {
		l.d.log.Info("config file changed; reloading everything", "file", l.d.opts.ConfigFile)
		reloaded, err := l.reloadConfig(TriggerConfig)
		if err != nil || reloaded {
			return err
		}
		// The config is invalid: the zone files of this change set are
		// still loaded, under the last good configuration.
	}
	for _, f := range cs.Removed {
		l.removeFile(f)
	}
	for _, f := range cs.Changed {
		l.loadFile(f, TriggerChange, cs.Hashes[f])
	}
	if len(cs.Removed) > 0 {
		l.retryDuplicates()
	}
	l.updateGauges()
	return nil
}

// reloadConfig loads the configuration and then every zone file. With an
// invalid configuration everything stays as it was (at startup: nothing is
// managed until the file is fixed, and only the config file is watched) and
// reloaded is false.
func (l *loop) reloadConfig(trigger Trigger) (reloaded bool, err error) {
	src, diags := l.d.opts.Loader.LoadConfig(l.ctx)
	st := l.d.st
	st.mu.Lock()
	if len(diags) > 0 {
		st.configDiags = diags
		st.mu.Unlock()
		l.d.logDiagnostics(diags)
		l.updateGauges()
		if l.w == nil {
			return false, l.startWatcher(Sources{})
		}
		return false, nil
	}
	if len(st.configDiags) > 0 {
		l.d.log.Info("config file valid again", "file", l.d.opts.ConfigFile)
	}
	st.configDiags = nil
	changed := !st.haveConfig || !src.equal(st.sources)
	st.haveConfig, st.sources = true, src
	st.mu.Unlock()

	if changed || l.w == nil {
		if err := l.startWatcher(src); err != nil {
			return false, err
		}
	}
	files := l.w.Files()
	st.mu.Lock()
	var gone []string
	for f := range st.files {
		if !slices.Contains(files, f) {
			gone = append(gone, f)
		}
	}
	st.mu.Unlock()
	sort.Strings(gone)
	for _, f := range gone {
		l.removeFile(f)
	}
	for _, f := range files {
		l.loadFile(f, trigger, "")
	}
	// Domains whose file is invalid keep their last good state, which the
	// new configuration may interpret differently: reconcile them all.
	now := l.d.opts.Now()
	st.mu.Lock()
	for name := range st.domains {
		st.markLocked(name, trigger, now)
	}
	st.mu.Unlock()
	l.updateGauges()
	return true, nil
}

// loadFile loads one zone file. Success replaces the file's desired state
// and marks its domain; diagnostics leave the last good state in force.
// With the content hash the watcher saw settle (and a SettledLoader), a
// file that no longer holds that content is left alone: the watcher
// reports it again once its new content has settled.
func (l *loop) loadFile(f string, trigger Trigger, hash string) {
	var (
		dom   *model.Domain
		diags []Diagnostic
	)
	if sl, ok := l.d.opts.Loader.(SettledLoader); ok && hash != "" {
		var changed bool
		if dom, diags, changed = sl.LoadSettledZone(l.ctx, f, hash); changed {
			l.d.log.Info("zone file changed again after it settled; waiting for the new content to settle", "file", f)
			return
		}
	} else {
		dom, diags = l.d.opts.Loader.LoadZone(l.ctx, f)
	}
	if len(diags) == 0 && dom == nil {
		diags = []Diagnostic{{Pos: model.Pos{File: f}, Rule: "load", Message: "no domain in file"}}
	}
	st := l.d.st
	st.mu.Lock()
	fs := st.files[f]
	if fs == nil {
		fs = &fileState{}
		st.files[f] = fs
	}
	if len(diags) == 0 {
		if owner := st.domains[dom.Name]; owner != nil && owner.file != f {
			diags = []Diagnostic{duplicate(dom, f, owner.file)}
		}
	}
	if len(diags) > 0 {
		fs.diags = diags
		st.mu.Unlock()
		l.d.logDiagnostics(diags)
		return
	}
	wasBad := len(fs.diags) > 0
	fs.diags = nil
	if fs.domain != nil && fs.domain.Name != dom.Name {
		l.forgetLocked(fs.domain.Name, f)
	}
	fs.domain = dom
	ds := st.domains[dom.Name]
	if ds == nil {
		ds = &domainState{file: f}
		st.domains[dom.Name] = ds
	}
	ds.desired = *dom
	st.markLocked(dom.Name, trigger, l.d.opts.Now())
	st.mu.Unlock()
	if wasBad {
		l.d.log.Info("zone file valid again", "file", f, "domain", dom.Name)
	}
}

// removeFile stops managing the domain of a removed zone file. Nothing is
// deleted at the providers: a vanished file is never a reason to empty a
// zone.
func (l *loop) removeFile(f string) {
	st := l.d.st
	st.mu.Lock()
	fs := st.files[f]
	delete(st.files, f)
	var name string
	if fs != nil && fs.domain != nil {
		name = fs.domain.Name
		l.forgetLocked(name, f)
	}
	st.mu.Unlock()
	if name != "" {
		l.d.log.Warn("zone file removed; domain no longer managed (nothing is deleted at the provider)", "file", f, "domain", name)
	}
}

// forgetLocked drops a domain if file still owns it.
func (l *loop) forgetLocked(name, file string) {
	st := l.d.st
	if ds := st.domains[name]; ds != nil && ds.file == file {
		delete(st.domains, name)
		l.d.m.ForgetDomain(name)
	}
}

// retryDuplicates reloads files that were refused for declaring a domain
// another file owned: that file may be gone now.
func (l *loop) retryDuplicates() {
	st := l.d.st
	st.mu.Lock()
	var again []string
	for f, fs := range st.files {
		for _, g := range fs.diags {
			if g.Rule == "duplicate-domain" {
				again = append(again, f)
				break
			}
		}
	}
	st.mu.Unlock()
	sort.Strings(again)
	for _, f := range again {
		l.loadFile(f, TriggerChange, "")
	}
}

// dispatch starts a reconcile of every pending domain that is not backing
// off, unless one is running or the daemon is stopping.
func (l *loop) dispatch() {
	if l.working || l.ctx.Err() != nil {
		return
	}
	st := l.d.st
	now := time.Now()
	st.mu.Lock()
	req := Request{Force: l.d.opts.Force}
	for _, ds := range st.domains {
		if ds.pendingSince.IsZero() || ds.running || now.Before(ds.notBefore) {
			continue
		}
		ds.running = true
		req.Desired.Domains = append(req.Desired.Domains, ds.desired)
		if priority(ds.trigger) > priority(req.Trigger) {
			req.Trigger = ds.trigger
		}
	}
	st.mu.Unlock()
	if len(req.Desired.Domains) == 0 {
		return
	}
	sort.Slice(req.Desired.Domains, func(i, j int) bool { return req.Desired.Domains[i].Name < req.Desired.Domains[j].Name })
	l.working = true
	l.d.log.Debug("reconciling", "trigger", string(req.Trigger), "domains", req.Names())
	rec, hard, results := l.d.opts.Reconciler, l.hard, l.results
	go func() {
		start := time.Now()
		res, err := rec.Reconcile(hard, req)
		results <- workDone{req: req, res: res, err: err, dur: time.Since(start)}
	}()
}

// armWake sets wake to fire when the earliest backoff ends.
func (l *loop) armWake(wake *time.Timer) {
	st := l.d.st
	st.mu.Lock()
	var next time.Time
	for _, ds := range st.domains {
		if ds.pendingSince.IsZero() || ds.running || ds.notBefore.IsZero() {
			continue
		}
		if next.IsZero() || ds.notBefore.Before(next) {
			next = ds.notBefore
		}
	}
	st.mu.Unlock()
	if next.IsZero() {
		wake.Stop()
		return
	}
	wake.Reset(max(time.Until(next), 0))
}

// finish records a finished reconcile.
func (l *loop) finish(wd workDone) {
	l.working = false
	l.d.m.ReconcilePass(string(wd.req.Trigger), wd.dur)
	now, mono := l.d.opts.Now(), time.Now()
	st := l.d.st
	st.mu.Lock()
	for _, r := range resultsFor(wd.req, wd.res, wd.err) {
		ds := st.domains[r.Domain]
		if ds == nil || !ds.running {
			continue // its file was removed meanwhile
		}
		trigger, wasConverged := ds.trigger, ds.outcome.converged()
		ds.running = false
		ds.outcome, ds.message, ds.changes, ds.finishedAt = r.Outcome, r.Message, r.Changes, now
		ds.pendingSince, ds.notBefore = time.Time{}, time.Time{}
		switch r.Outcome {
		case OutcomeNoChanges, OutcomeApplied:
			ds.attempts = 0
			ds.lastSuccess = now
			l.d.m.Converged(r.Domain, now)
			if trigger == TriggerResync && wasConverged && r.Changes > 0 {
				// Converged before, files untouched since: someone changed
				// the live state outside dnssync.
				l.d.m.DriftDetected(r.Domain)
				l.d.log.Warn("drift repaired: live state had changed outside dnssync", "domain", r.Domain, "changes", r.Changes)
			}
		case OutcomeTransient:
			ds.attempts++
			delay := l.backoff(ds.attempts)
			ds.pendingSince, ds.trigger, ds.notBefore = now, TriggerRetry, mono.Add(delay)
			r.Message = fmt.Sprintf("%s (attempt %d, next try in %s)", r.Message, ds.attempts, delay.Round(time.Millisecond))
		default:
			// Refused or failed: retried when the file changes, the
			// config changes or the next resync comes.
			ds.attempts = 0
		}
		if ds.rerun {
			if ds.pendingSince.IsZero() {
				ds.pendingSince = ds.rerunSince
				ds.trigger = ds.rerunTrigger
			} else if priority(ds.rerunTrigger) > priority(ds.trigger) {
				ds.trigger = ds.rerunTrigger
			}
			ds.rerun = false
		}
		l.d.m.Reconciled(r.Domain, string(r.Outcome), r.Changes)
		l.d.logResult(r, trigger)
	}
	st.mu.Unlock()
	l.updateGauges()
}

// backoff is the delay before retry n (n ≥ 1): exponential, capped, drawn
// from the upper half so that domains failing together spread out.
func (l *loop) backoff(n int) time.Duration {
	d := backoff.Delay(l.d.opts.BackoffBase, l.d.opts.BackoffMax, n-1)
	return backoff.Jitter(d, func(k int64) int64 { return l.d.rng.Int64N(k + 1) })
}

// nextResync is the resync interval, jittered.
func (l *loop) nextResync() time.Duration {
	iv := float64(l.d.opts.ResyncInterval)
	j := l.d.opts.ResyncJitter * (2*l.d.rng.Float64() - 1)
	return time.Duration(iv * (1 + j))
}

// resyncAll marks every domain for a full reconcile.
func (l *loop) resyncAll() {
	l.d.m.ResyncStarted()
	now := l.d.opts.Now()
	st := l.d.st
	st.mu.Lock()
	for name := range st.domains {
		st.markLocked(name, TriggerResync, now)
	}
	n := len(st.domains)
	st.mu.Unlock()
	l.d.log.Info("periodic resync", "domains", n)
}

func (l *loop) updateGauges() {
	st := l.d.st
	st.mu.Lock()
	n, counts := st.diagCount(), st.stateCounts()
	st.mu.Unlock()
	l.d.m.SetConfigErrors(n)
	l.d.m.SetDomainStates(counts)
}

// shutdown waits for the reconcile in flight, if any: it finishes within
// the grace period, or is cancelled then and given stopWait to journal.
func (l *loop) shutdown() error {
	l.d.log.Info("shutting down: starting no new work", "grace_period", l.d.opts.GracePeriod.String())
	l.stopWatcher()
	if !l.working {
		return nil
	}
	select {
	case wd := <-l.results:
		l.finish(wd)
		return nil
	case <-l.hard.Done():
	}
	l.d.log.Warn("grace period over; cancelling in-flight work (tasks stay in the journal and resume on next start)")
	select {
	case wd := <-l.results:
		l.finish(wd)
		return nil
	case <-time.After(stopWait):
		return errors.New("daemon: in-flight reconcile did not stop after cancellation")
	}
}
