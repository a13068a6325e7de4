package metrics

import (
	"sync"

	"github.com/dnssync/dnssync/internal/apply"
)

// ApplyReporter returns an apply.Reporter that feeds the batch and task
// metrics from the apply engine's progress events; combine it with the
// terminal or log reporter through apply.Multi. It is safe for concurrent
// use, as the engine requires.
//
//	batch-submitted          → dnssync_batches_submitted_total
//	task-awaiting            → dnssync_tasks_in_flight +1 (resumed tasks too)
//	batch-done after awaiting → dnssync_tasks_in_flight −1, dnssync_task_duration_seconds
//	task-abandoned           → dnssync_tasks_in_flight −1 (task stays journaled)
func (m *Metrics) ApplyReporter() apply.Reporter {
	return &applyReporter{m: m, awaiting: map[taskKey]bool{}}
}

type taskKey struct{ provider, batch, task string }

type applyReporter struct {
	m        *Metrics
	mu       sync.Mutex
	awaiting map[taskKey]bool // tasks counted in flight
}

func (r *applyReporter) Report(e apply.Event) {
	k := taskKey{e.Provider, e.BatchID, e.TaskID}
	switch e.Kind {
	case apply.BatchSubmitted:
		r.m.BatchSubmitted(e.Provider, string(e.Op))
	case apply.TaskAwaiting:
		r.mu.Lock()
		fresh := !r.awaiting[k]
		r.awaiting[k] = true
		r.mu.Unlock()
		if fresh {
			r.m.TaskStarted(e.Provider)
		}
	case apply.TaskAbandoned, apply.BatchDone:
		r.mu.Lock()
		was := r.awaiting[k]
		delete(r.awaiting, k)
		r.mu.Unlock()
		switch {
		case !was:
			// Never awaited (submit failed, skipped) or already abandoned.
		case e.Kind == apply.TaskAbandoned:
			r.m.TaskAbandoned(e.Provider)
		default:
			r.m.TaskFinished(e.Provider, string(e.Op), e.Elapsed)
		}
	}
}
