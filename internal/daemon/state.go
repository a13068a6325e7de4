package daemon

import (
	"sort"
	"sync"
	"time"

	"github.com/dnssync/dnssync/internal/model"
)

// state is what the daemon knows. The loop goroutine changes it; the HTTP
// handlers read it. Both hold mu.
type state struct {
	mu          sync.Mutex
	files       map[string]*fileState
	domains     map[string]*domainState
	configDiags []Diagnostic
	haveConfig  bool // a configuration was loaded successfully
	sources     Sources
}

// fileState is one zone file: its last good domain and current problems.
type fileState struct {
	domain *model.Domain // last good state; nil if the file never loaded
	diags  []Diagnostic  // problems of the current content (last good in force)
}

// domainState is one managed domain.
type domainState struct {
	file    string
	desired model.Domain

	// Last finished reconcile.
	outcome     Outcome // "" before the first one
	message     string
	changes     int
	finishedAt  time.Time
	lastSuccess time.Time

	// Work to do.
	pendingSince time.Time // zero: nothing to do
	trigger      Trigger   // why it is pending
	running      bool
	rerun        bool // marked again while running: pending again when it ends
	rerunSince   time.Time
	rerunTrigger Trigger
	attempts     int       // consecutive transient failures
	notBefore    time.Time // backoff: not before this time
}

func newState() *state {
	return &state{files: map[string]*fileState{}, domains: map[string]*domainState{}}
}

// diagCount is the number of diagnostics in force.
func (s *state) diagCount() int {
	n := len(s.configDiags)
	for _, f := range s.files {
		n += len(f.diags)
	}
	return n
}

// allDiags lists every diagnostic in force, config first, then by file.
func (s *state) allDiags() []Diagnostic {
	out := append([]Diagnostic(nil), s.configDiags...)
	names := make([]string, 0, len(s.files))
	for f := range s.files {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		out = append(out, s.files[f].diags...)
	}
	return out
}

// stateCounts counts domains by last outcome, for the dnssync_domains gauge.
func (s *state) stateCounts() map[string]int {
	c := map[string]int{}
	for _, d := range s.domains {
		if d.outcome == "" {
			c["pending"]++
		} else {
			c[string(d.outcome)]++
		}
	}
	return c
}

// priority orders triggers when several apply to one pending domain: the
// pass is labelled by the most specific reason.
func priority(t Trigger) int {
	switch t {
	case TriggerChange:
		return 5
	case TriggerConfig:
		return 4
	case TriggerStartup:
		return 3
	case TriggerRetry:
		return 2
	case TriggerResync:
		return 1
	}
	return 0
}

// markLocked flags a domain for reconciling. A domain already pending keeps
// its backoff; its trigger becomes the more specific of the two.
func (s *state) markLocked(name string, t Trigger, now time.Time) {
	d := s.domains[name]
	if d == nil {
		return
	}
	if d.running {
		if !d.rerun {
			d.rerun, d.rerunSince, d.rerunTrigger = true, now, t
		} else if priority(t) > priority(d.rerunTrigger) {
			d.rerunTrigger = t
		}
		return
	}
	if d.pendingSince.IsZero() {
		d.pendingSince = now
		d.trigger = t
		return
	}
	if priority(t) > priority(d.trigger) {
		d.trigger = t
	}
}
