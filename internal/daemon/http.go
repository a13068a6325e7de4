package daemon

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"
)

// Readiness is the JSON body of /readyz.
type Readiness struct {
	Ready bool `json:"ready"`
	// Status is "ok", "starting" (no configuration loaded yet) or
	// "failing".
	Status  string `json:"status"`
	Domains int    `json:"domains"` // managed domains
	// Failing lists the domains that make the daemon unready.
	Failing []DomainStatus `json:"failing,omitempty"`
	// ConfigErrors are the diagnostics in force (config file and zone
	// files); their files' last good state is what is being applied.
	ConfigErrors []DiagnosticJSON `json:"config_errors,omitempty"`
}

// DomainStatus describes a domain that is not ready.
type DomainStatus struct {
	Domain string `json:"domain"`
	File   string `json:"file"`
	// State is the last outcome (refused, failed_transient, failed) or
	// "stalled" when a reconcile has been pending or running longer than
	// the progress deadline.
	State       string     `json:"state"`
	Message     string     `json:"message,omitempty"`
	Since       *time.Time `json:"since,omitempty"` // pending since (stalled)
	LastSuccess *time.Time `json:"last_success,omitempty"`
	Attempts    int        `json:"attempts,omitempty"` // consecutive transient failures
}

// DiagnosticJSON is a Diagnostic with its position also as "file:line:col".
type DiagnosticJSON struct {
	At      string `json:"at"`
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Col     int    `json:"col,omitempty"`
	Rule    string `json:"rule,omitempty"`
	Message string `json:"message"`
}

// Readiness reports whether every domain's last reconcile succeeded (or is
// pending or running within the progress deadline) and no input file has
// errors.
func (d *Daemon) Readiness() Readiness {
	now := d.opts.Now()
	st := d.st
	st.mu.Lock()
	defer st.mu.Unlock()
	r := Readiness{Domains: len(st.domains)}
	names := make([]string, 0, len(st.domains))
	for n := range st.domains {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ds := st.domains[n]
		s := DomainStatus{Domain: n, File: ds.file, Message: ds.message, Attempts: ds.attempts}
		if !ds.lastSuccess.IsZero() {
			t := ds.lastSuccess
			s.LastSuccess = &t
		}
		switch {
		case ds.outcome != "" && !ds.outcome.converged():
			s.State = string(ds.outcome)
		case !ds.pendingSince.IsZero() && now.Sub(ds.pendingSince) > d.opts.ProgressDeadline:
			s.State = "stalled"
			t := ds.pendingSince
			s.Since = &t
			s.Message = "reconcile pending or running for longer than the progress deadline " + d.opts.ProgressDeadline.String()
		default:
			continue
		}
		r.Failing = append(r.Failing, s)
	}
	for _, g := range st.allDiags() {
		r.ConfigErrors = append(r.ConfigErrors, DiagnosticJSON{
			At: g.Pos.String(), File: g.Pos.File, Line: g.Pos.Line, Col: g.Pos.Col, Rule: g.Rule, Message: g.Message,
		})
	}
	switch {
	case !st.haveConfig && len(r.ConfigErrors) == 0:
		r.Status = "starting"
	case len(r.Failing) > 0 || len(r.ConfigErrors) > 0:
		r.Status = "failing"
	default:
		r.Status, r.Ready = "ok", true
	}
	return r
}

func (d *Daemon) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func (d *Daemon) readyz(w http.ResponseWriter, _ *http.Request) {
	r := d.Readiness()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !r.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(r)
}
