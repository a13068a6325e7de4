// Package metrics holds the Prometheus collectors of one dnssync daemon.
//
// In the data flow it sits beside everything that does work: the daemon
// (internal/daemon) records reconcile outcomes, planned changes, drift,
// config errors and last successful applies; the apply engine records
// batches and tasks through the hook methods (BatchSubmitted, TaskStarted,
// TaskFinished); and the provider HTTP clients count their API calls through
// the instrumented RoundTripper returned by Transport.
//
// Every Metrics value owns its own prometheus.Registry: nothing is registered
// with the global default registry, so several daemons (or tests) in one
// process never share or collide on collectors.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric name.
const Namespace = "dnssync"

// Reconcile results, the values of the "result" label of
// dnssync_reconciles_total. They match daemon.Outcome.
const (
	ResultNoChanges = "no_changes"
	ResultApplied   = "applied"
	ResultRefused   = "refused"
	ResultTransient = "failed_transient"
	ResultFailed    = "failed"
)

// Metrics is the set of collectors of one daemon, registered in its own
// registry. The zero value is not usable; call New. A nil *Metrics is a
// valid no-op receiver for every recording method, so callers that run
// without metrics (plan, apply from the CLI) need no checks.
type Metrics struct {
	reg *prometheus.Registry

	reconciles      *prometheus.CounterVec
	reconcileTime   *prometheus.HistogramVec
	changesPlanned  *prometheus.CounterVec
	drift           *prometheus.CounterVec
	lastSuccess     *prometheus.GaugeVec
	configErrors    prometheus.Gauge
	domains         *prometheus.GaugeVec
	apiCalls        *prometheus.CounterVec
	apiLatency      *prometheus.HistogramVec
	buildInfo       *prometheus.GaugeVec
	batches         *prometheus.CounterVec
	tasksInFlight   *prometheus.GaugeVec
	taskDuration    *prometheus.HistogramVec
	resyncs         prometheus.Counter
	watchChangeSets prometheus.Counter
}

// New creates the collectors and registers them, together with the Go
// runtime and process collectors, in a fresh registry.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		reconciles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "reconciles_total",
			Help:      "Reconciles of one domain, by result (no_changes, applied, refused, failed_transient, failed).",
		}, []string{"domain", "result"}),
		reconcileTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace,
			Name:      "reconcile_duration_seconds",
			Help:      "Duration of one reconcile pass (read, plan, apply, await), by trigger.",
			Buckets:   []float64{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800},
		}, []string{"trigger"}),
		changesPlanned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "changes_planned_total",
			Help:      "Changes found by the planner, per domain (counted on every reconcile that planned them).",
		}, []string{"domain"}),
		drift: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "drift_detected_total",
			Help:      "Periodic resyncs that found a converged domain changed outside dnssync.",
		}, []string{"domain"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace,
			Name:      "last_successful_apply_timestamp_seconds",
			Help:      "Unix time of the last reconcile that left the domain converged (applied or no changes).",
		}, []string{"domain"}),
		configErrors: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace,
			Name:      "config_errors",
			Help:      "Diagnostics currently in force in the config file and zone files (the last good state is used meanwhile).",
		}),
		domains: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace,
			Name:      "domains",
			Help:      "Managed domains by the outcome of their last reconcile (pending: not reconciled yet).",
		}, []string{"state"}),
		apiCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "api_calls_total",
			Help:      "Provider API HTTP calls by provider, operation (Alibaba Action, DNSPod path) and result (ok, HTTP status code, error).",
		}, []string{"provider", "operation", "result"}),
		apiLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace,
			Name:      "api_call_duration_seconds",
			Help:      "Time from sending a provider API HTTP call until its response headers (or its error), by provider and operation.",
			Buckets:   []float64{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"provider", "operation"}),
		buildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace,
			Name:      "build_info",
			Help:      "Always 1; the labels say which dnssync build runs (version, commit, Go version).",
		}, []string{"version", "commit", "goversion"}),
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "batches_submitted_total",
			Help:      "Plan batches submitted to a provider (one write call each), by provider and operation (the plan's op).",
		}, []string{"provider", "operation"}),
		tasksInFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace,
			Name:      "tasks_in_flight",
			Help:      "Provider tasks submitted and not yet final, by provider.",
		}, []string{"provider"}),
		taskDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace,
			Name:      "task_duration_seconds",
			Help:      "Time from submitting a provider task until all its items were final, by provider and operation (the plan's op).",
			Buckets:   []float64{0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800},
		}, []string{"provider", "operation"}),
		resyncs: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "resyncs_total",
			Help:      "Periodic full resyncs started.",
		}),
		watchChangeSets: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "watch_change_sets_total",
			Help:      "Debounced change sets received from the file watcher.",
		}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.reconciles, m.reconcileTime, m.changesPlanned, m.drift, m.lastSuccess,
		m.configErrors, m.domains, m.apiCalls, m.apiLatency, m.buildInfo, m.batches, m.tasksInFlight,
		m.taskDuration, m.resyncs, m.watchChangeSets,
	)
	return m
}

// Registry returns the daemon's own registry (for tests and for adding
// collectors of other packages).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format, or in
// OpenMetrics when the scraper asks for it (Accept header).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, EnableOpenMetrics: true})
}

// SetBuildInfo sets dnssync_build_info to 1 for this build, the one series
// of the gauge.
func (m *Metrics) SetBuildInfo(version, commit, goVersion string) {
	if m == nil {
		return
	}
	m.buildInfo.Reset()
	m.buildInfo.WithLabelValues(version, commit, goVersion).Set(1)
}

// Reconciled records the outcome of reconciling one domain and the number
// of changes its plan held.
func (m *Metrics) Reconciled(domain, result string, changes int) {
	if m == nil {
		return
	}
	m.reconciles.WithLabelValues(domain, result).Inc()
	if changes > 0 {
		m.changesPlanned.WithLabelValues(domain).Add(float64(changes))
	}
}

// ReconcilePass records the duration of one reconcile pass.
func (m *Metrics) ReconcilePass(trigger string, d time.Duration) {
	if m == nil {
		return
	}
	m.reconcileTime.WithLabelValues(trigger).Observe(d.Seconds())
}

// DriftDetected counts drift found by a periodic resync.
func (m *Metrics) DriftDetected(domain string) {
	if m == nil {
		return
	}
	m.drift.WithLabelValues(domain).Inc()
}

// Converged sets the last successful apply time of domain.
func (m *Metrics) Converged(domain string, at time.Time) {
	if m == nil {
		return
	}
	m.lastSuccess.WithLabelValues(domain).Set(float64(at.UnixNano()) / 1e9)
}

// ForgetDomain drops the per-domain gauges of a domain that is no longer
// managed (its zone file was removed). Counters are kept: they are totals.
func (m *Metrics) ForgetDomain(domain string) {
	if m == nil {
		return
	}
	m.lastSuccess.DeleteLabelValues(domain)
}

// SetConfigErrors sets the number of diagnostics in force.
func (m *Metrics) SetConfigErrors(n int) {
	if m == nil {
		return
	}
	m.configErrors.Set(float64(n))
}

// SetDomainStates replaces the domains-by-state gauge. States not in counts
// are set to zero so that a state that emptied reads 0, not stale.
func (m *Metrics) SetDomainStates(counts map[string]int) {
	if m == nil {
		return
	}
	for _, s := range []string{"pending", ResultNoChanges, ResultApplied, ResultRefused, ResultTransient, ResultFailed} {
		m.domains.WithLabelValues(s).Set(float64(counts[s]))
	}
}

// ResyncStarted counts a periodic full resync.
func (m *Metrics) ResyncStarted() {
	if m == nil {
		return
	}
	m.resyncs.Inc()
}

// ChangeSetReceived counts a change set from the file watcher.
func (m *Metrics) ChangeSetReceived() {
	if m == nil {
		return
	}
	m.watchChangeSets.Inc()
}

// APICall counts one provider HTTP call. Transport calls it; it is exported
// for clients that do not go through net/http.
func (m *Metrics) APICall(provider, operation, result string) {
	if m == nil {
		return
	}
	m.apiCalls.WithLabelValues(provider, operation, result).Inc()
}

// APICallDuration observes how long one provider HTTP call took. Transport
// calls it; it is exported for clients that do not go through net/http.
func (m *Metrics) APICallDuration(provider, operation string, d time.Duration) {
	if m == nil {
		return
	}
	m.apiLatency.WithLabelValues(provider, operation).Observe(d.Seconds())
}

// BatchSubmitted is the apply engine's hook for one submitted batch (one
// provider write call). op is the plan.Op string, e.g.
// "dnspod:Batch.Record.Modify"; it is the "operation" label.
func (m *Metrics) BatchSubmitted(provider, op string) {
	if m == nil {
		return
	}
	m.batches.WithLabelValues(provider, op).Inc()
}

// TaskStarted is the apply engine's hook for a provider task that is now
// being awaited (also for tasks resumed from the journal after a restart).
func (m *Metrics) TaskStarted(provider string) {
	if m == nil {
		return
	}
	m.tasksInFlight.WithLabelValues(provider).Inc()
}

// TaskFinished is the apply engine's hook for a task whose items are all
// final; d is the time from submit (or, for a task resumed from the
// journal, from its recorded submit time) until then.
func (m *Metrics) TaskFinished(provider, op string, d time.Duration) {
	if m == nil {
		return
	}
	m.tasksInFlight.WithLabelValues(provider).Dec()
	m.taskDuration.WithLabelValues(provider, op).Observe(d.Seconds())
}

// TaskAbandoned is the apply engine's hook for a task left to the journal
// unfinished (shutdown, await timeout): it is no longer in flight in this
// process, and its partial duration is not observed.
func (m *Metrics) TaskAbandoned(provider string) {
	if m == nil {
		return
	}
	m.tasksInFlight.WithLabelValues(provider).Dec()
}
