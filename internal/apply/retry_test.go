package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/dnssync/dnssync/internal/journal"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
)

// outcome is a scripted submit: an error, an item failure message, or a
// write that commits although its answer is lost (unknown outcome).
type outcome struct {
	err           error
	itemMsg       string
	commitUnknown bool
}

// world is a fake provider whose state is the set of domains already
// converged; its planner plans one batch per unconverged domain, so every
// plan is what a fresh read of live state would give. Scripted faults hit
// the n-th submit of a domain's batch.
type world struct {
	mu     sync.Mutex
	done   map[string]bool
	submit map[string]int
	// fault returns, for the n-th submit of domain d, a submit error, an
	// item failure message, or whether the write commits although its
	// answer is lost (unknown outcome).
	fault func(d string, n int) outcome
}

func (w *world) plan(domains []string) *plan.Plan {
	w.mu.Lock()
	defer w.mu.Unlock()
	var bs []plan.Batch
	for _, d := range domains {
		if !w.done[d] {
			b := bt("b-"+d, "p", d)
			b.ID = fmt.Sprintf("b-%s-%d", d, w.submit[d])
			bs = append(bs, b)
		}
	}
	if len(bs) == 0 {
		return mkplan()
	}
	return mkplan(stg("records", bs...))
}

func (w *world) Submit(_ context.Context, b plan.Batch) (providers.Task, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	d := b.Domains[0]
	w.submit[d]++
	o := w.fault(d, w.submit[d])
	err, msg := o.err, o.itemMsg
	if o.commitUnknown {
		w.done[d] = true
		return providers.Task{}, fmt.Errorf("answer lost: %w", providers.ErrOutcomeUnknown)
	}
	if err != nil {
		return providers.Task{}, err
	}
	it := providers.ItemResult{Domain: d, State: providers.ItemOK}
	if msg != "" {
		it.State, it.Message = providers.ItemFailed, msg
	} else {
		w.done[d] = true
	}
	return providers.Task{Provider: "p", Op: b.Op, ID: "t-" + b.ID, BatchID: b.ID, Sync: true, Items: []providers.ItemResult{it}}, nil
}

func (w *world) Poll(_ context.Context, t providers.Task) (providers.TaskStatus, error) {
	return providers.TaskStatus{Done: true, Items: t.Items}, nil
}

// TestRetryRounds: one run plans again, from fresh state, what transient
// failures left undone — refusals, failed items seen once, unknown outcomes
// (settled by the fresh plan, never resubmitted when they happened) — and
// stops retrying a domain whose item fails twice with the same message.
func TestRetryRounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		throttled := fmt.Errorf("Throttling: %w", providers.ErrTransient)
		w := &world{done: map[string]bool{}, submit: map[string]int{}, fault: func(d string, n int) outcome {
			switch {
			case d == "throttled.com" && n <= 2:
				return outcome{err: throttled}
			case d == "flaky.com" && n == 1:
				return outcome{itemMsg: "injected failure: the record was not processed"}
			case d == "lost.com" && n == 1:
				return outcome{commitUnknown: true}
			case d == "bad.com":
				return outcome{itemMsg: "record value is invalid"}
			}
			return outcome{}
		}}
		domains := []string{"bad.com", "flaky.com", "fine.com", "lost.com", "throttled.com"}
		j, err := journal.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer j.Close()
		rec := &recorder{}
		r := &Runner{Executors: map[string]providers.Executor{"p": w}, Journal: j,
			Options: Options{RetryRounds: 4, SubmitRetries: -1, PollMin: 1, Reporter: rec}}
		sum, err := r.Run(t.Context(), func(context.Context) (*plan.Plan, error) { return w.plan(domains), nil })
		if !errors.Is(err, ErrIncomplete) {
			t.Fatalf("err = %v, want incomplete (bad.com fails for good)", err)
		}
		for _, d := range domains {
			if want := d != "bad.com"; w.done[d] != want {
				t.Errorf("%s converged = %t, want %t", d, w.done[d], want)
			}
		}
		if w.submit["lost.com"] != 1 {
			t.Errorf("lost.com submitted %d times: an unknown outcome that happened was sent again", w.submit["lost.com"])
		}
		if w.submit["bad.com"] != 4 {
			t.Errorf("bad.com submitted %d times, want 4 (the same failure a fourth time is final)", w.submit["bad.com"])
		}
		if sum.Batches.Failed != 1 || sum.Batches.Unknown != 0 || sum.Batches.Skipped != 0 || sum.Retries == 0 {
			t.Errorf("summary %+v, retries %d", sum.Batches, sum.Retries)
		}
		if !strings.Contains(err.Error(), "failed 1") {
			t.Errorf("error %q", err)
		}
	})
}

// TestRetryRoundsBounded: a domain that keeps failing transiently is
// retried RetryRounds times, then reported.
func TestRetryRoundsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		throttled := fmt.Errorf("Throttling: %w", providers.ErrTransient)
		w := &world{done: map[string]bool{}, submit: map[string]int{}, fault: func(string, int) outcome {
			return outcome{err: throttled}
		}}
		j, err := journal.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer j.Close()
		r := &Runner{Executors: map[string]providers.Executor{"p": w}, Journal: j,
			Options: Options{RetryRounds: 3, SubmitRetries: -1, PollMin: 1}}
		sum, err := r.Run(t.Context(), func(context.Context) (*plan.Plan, error) { return w.plan([]string{"a.com"}), nil })
		if !errors.Is(err, ErrIncomplete) || w.submit["a.com"] != 4 || sum.Retries != 3 {
			t.Fatalf("err %v, submits %d, retries %d", err, w.submit["a.com"], sum.Retries)
		}
	})
}
