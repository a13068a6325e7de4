package journal

import (
	"time"

	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
)

// BatchStatus is how a batch ended in a run.
type BatchStatus string

// Batch statuses.
const (
	// StatusOK: the task finished and every item succeeded.
	StatusOK BatchStatus = "ok"
	// StatusFailed: the provider refused the call, or the task finished
	// with at least one failed item.
	StatusFailed BatchStatus = "failed"
	// StatusUnknown: dnssync cannot tell what the provider did (the submit's
	// outcome is unknown, or the task was still running when a timeout hit).
	// The next run re-reads live state before planning again.
	StatusUnknown BatchStatus = "unknown"
	// StatusSkipped: not submitted, because it depends on a batch that did
	// not succeed, or the run stopped (timeout, cancellation) before it.
	StatusSkipped BatchStatus = "skipped"
)

// BatchResult is the result of one batch in a run.
type BatchResult struct {
	Stage    string      `json:"stage"`
	Batch    string      `json:"batch"`
	Provider string      `json:"provider"`
	Op       plan.Op     `json:"op"`
	Domains  []string    `json:"domains"`
	Task     string      `json:"task,omitempty"` // provider task id once accepted
	Status   BatchStatus `json:"status"`
	// Reason says why a batch failed, is unknown or was skipped, in the
	// provider's words when the provider gave them.
	Reason string                 `json:"reason,omitempty"`
	Items  []providers.ItemResult `json:"items,omitempty"`
	// Run is set on results carried over from an earlier run: tasks resumed
	// after a crash and unknown outcomes found in the journal.
	Run string `json:"run,omitempty"`
	// Transient: the batch was refused without effect (throttling, busy)
	// or its outcome is left to a fresh read of live state, so the run may
	// plan its changes again.
	Transient bool `json:"transient,omitempty"`
	// Retried: the changes this batch did not complete were planned again
	// from fresh live state later in the same run; the later batches'
	// results say how that went.
	Retried bool `json:"retried,omitempty"`
}

// BatchCounts counts batches by status.
type BatchCounts struct {
	OK      int `json:"ok"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	Unknown int `json:"unknown"`
	// Retried counts results superseded by a retry within the run (they
	// are not counted as failed, skipped or unknown).
	Retried int `json:"retried,omitempty"`
}

// ItemCounts counts task items by final state.
type ItemCounts struct {
	OK     int `json:"ok"`
	Failed int `json:"failed"`
}

// Summary is the result of one run (one apply, or one reconcile of the
// daemon). It is journaled by End and kept in runs/ for `dnssync status`.
type Summary struct {
	Run      string        `json:"run"`
	Started  time.Time     `json:"started"`
	Finished time.Time     `json:"finished"`
	Batches  BatchCounts   `json:"batches"`
	Items    ItemCounts    `json:"items"`
	Results  []BatchResult `json:"results"`
	Replans  int           `json:"replans,omitempty"`
	// Retries is how many retry rounds the run made.
	Retries int `json:"retries,omitempty"`
	// Error is the run-level error (plan failed, timeout), if any.
	Error string `json:"error,omitempty"`
}

// Add appends r and updates the counts.
func (s *Summary) Add(r BatchResult) {
	s.Results = append(s.Results, r)
	s.count(r)
}

// MarkRetried marks the results for which retried returns true as retried
// and recounts.
func (s *Summary) MarkRetried(retried func(BatchResult) bool) {
	s.Batches, s.Items = BatchCounts{}, ItemCounts{}
	for i := range s.Results {
		if s.Results[i].Status != StatusOK && !s.Results[i].Retried && retried(s.Results[i]) {
			s.Results[i].Retried = true
		}
		s.count(s.Results[i])
	}
}

func (s *Summary) count(r BatchResult) {
	if r.Retried {
		s.Batches.Retried++
		for _, it := range r.Items {
			if it.State == providers.ItemOK {
				s.Items.OK++
			}
		}
		return
	}
	switch r.Status {
	case StatusOK:
		s.Batches.OK++
	case StatusFailed:
		s.Batches.Failed++
	case StatusSkipped:
		s.Batches.Skipped++
	case StatusUnknown:
		s.Batches.Unknown++
	}
	for _, it := range r.Items {
		switch it.State {
		case providers.ItemOK:
			s.Items.OK++
		case providers.ItemFailed:
			s.Items.Failed++
		}
	}
}

// OK reports whether the run did everything it set out to do.
func (s *Summary) OK() bool {
	return s.Error == "" && s.Batches.Failed == 0 && s.Batches.Skipped == 0 && s.Batches.Unknown == 0
}
