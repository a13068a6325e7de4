package apply

import (
	"time"

	"github.com/dnssync/dnssync/internal/journal"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
)

// EventKind names what happened.
type EventKind string

// Events, roughly in the order a run emits them.
const (
	RunStarted     EventKind = "run-started"
	StageStarted   EventKind = "stage-started"
	SubmitRetry    EventKind = "submit-retry"    // transient or busy refusal; Wait, Reason
	BatchSubmitted EventKind = "batch-submitted" // the provider accepted the write; TaskID
	TaskAwaiting   EventKind = "task-awaiting"   // polling begins (Resumed for tasks of an earlier run)
	TaskProgress   EventKind = "task-progress"   // Done, Failed, Total after a poll
	ItemDone       EventKind = "item-done"       // one final item, with the provider's message
	TaskAbandoned  EventKind = "task-abandoned"  // awaiting stopped; the task stays journaled
	BatchDone      EventKind = "batch-done"      // Status ok, failed or unknown; Reason
	BatchSkipped   EventKind = "batch-skipped"   // Reason names the dependency or the stop
	StageDone      EventKind = "stage-done"
	RetryRound     EventKind = "retry-round" // Attempt = round, Domains to retry, Wait before planning
	Replanned      EventKind = "replanned"   // Total = stages that replace the rest
	RunDone        EventKind = "run-done"    // Summary
)

// Event is one progress event. Fields not meaningful for a kind are zero.
type Event struct {
	Kind     EventKind
	Time     time.Time
	Stage    string
	BatchID  string
	Provider string
	Op       plan.Op
	Domains  []string
	TaskID   string
	Resumed  bool // the batch was submitted by an earlier run
	Attempt  int  // submit attempt (SubmitRetry, BatchSubmitted)
	Wait     time.Duration

	Done, Failed, Total int // TaskProgress: final items, failed items, all items
	Item                *providers.ItemResult

	Status  journal.BatchStatus
	Reason  string
	Elapsed time.Duration // since the task was accepted (task events), since run start (RunDone)
	Summary *journal.Summary
}

// Reporter receives progress events. The engine calls it from several
// goroutines at once, so implementations must be safe for concurrent use and
// should return quickly. internal/progress has the terminal (bars), log and
// quiet implementations; the daemon plugs its metrics in the same way.
type Reporter interface {
	Report(Event)
}

// ReporterFunc adapts a function to Reporter.
type ReporterFunc func(Event)

// Report calls f(e).
func (f ReporterFunc) Report(e Event) { f(e) }

// Nop discards events (quiet mode).
type Nop struct{}

// Report does nothing.
func (Nop) Report(Event) {}

// Multi sends every event to each reporter in turn.
type Multi []Reporter

// Report forwards e.
func (m Multi) Report(e Event) {
	for _, r := range m {
		r.Report(e)
	}
}
