package apply

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dnssync/dnssync/internal/journal"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
)

// TestReplanRefusalNotResubmitted: a submit refused with ErrReplan (a
// quota spent) is not tried again in the run's submit retries, even when
// the error is also transient; the retry round plans the domain afresh
// and that plan converges.
func TestReplanRefusalNotResubmitted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		quota := fmt.Errorf("BatchTaskLimit: %w: %w", providers.ErrTransient, providers.ErrReplan)
		w := &world{done: map[string]bool{}, submit: map[string]int{}, fault: func(d string, n int) outcome {
			if d == "quota.com" && n == 1 {
				return outcome{err: quota}
			}
			return outcome{}
		}}
		j, err := journal.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer j.Close()
		r := &Runner{Executors: map[string]providers.Executor{"p": w}, Journal: j,
			Options: Options{RetryRounds: 3, SubmitRetries: 5, PollMin: 1}}
		sum, err := r.Run(t.Context(), func(context.Context) (*plan.Plan, error) {
			return w.plan([]string{"fine.com", "quota.com"}), nil
		})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if w.submit["quota.com"] != 2 || !w.done["quota.com"] || sum.Retries != 1 {
			t.Errorf("quota.com submitted %d times (want 2: refused, then planned again), done %t, retry rounds %d",
				w.submit["quota.com"], w.done["quota.com"], sum.Retries)
		}
	})
}

// slotExec is a provider whose "task" batches run asynchronously (one
// poll later) and whose "sync" batches are answered by the submit after a
// delay; it records how many of each were in flight at once.
type slotExec struct {
	syncSlots int

	mu                    sync.Mutex
	tasks, syncs          int
	maxTasks, maxSyncs    int
	syncsWhileTaskRunning int
}

func (s *slotExec) SyncSlots(op plan.Op) int {
	if op == "p:sync" {
		return s.syncSlots
	}
	return 0
}

func (s *slotExec) Submit(_ context.Context, b plan.Batch) (providers.Task, error) {
	it := []providers.ItemResult{{Domain: b.Domains[0], State: providers.ItemOK}}
	s.mu.Lock()
	if b.Op == "p:sync" {
		s.syncs++
		s.maxSyncs = max(s.maxSyncs, s.syncs)
		if s.tasks > 0 {
			s.syncsWhileTaskRunning++
		}
		s.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
		s.mu.Lock()
		s.syncs--
		s.mu.Unlock()
		return providers.Task{ID: "s-" + b.ID, Sync: true, Items: it}, nil
	}
	s.tasks++
	s.maxTasks = max(s.maxTasks, s.tasks)
	s.mu.Unlock()
	return providers.Task{ID: "t-" + b.ID, Items: it}, nil
}

func (s *slotExec) Poll(_ context.Context, t providers.Task) (providers.TaskStatus, error) {
	if t.Sync {
		return providers.TaskStatus{Done: true, Items: t.Items}, nil
	}
	time.Sleep(200 * time.Millisecond)
	s.mu.Lock()
	s.tasks--
	s.mu.Unlock()
	return providers.TaskStatus{Done: true, Items: t.Items}, nil
}

// TestSyncSlotsApart: a provider that limits its synchronous calls apart
// from its tasks (providers.SyncCalls) runs its tasks within its
// concurrency and its synchronous calls in their own slots, at the same
// time.
func TestSyncSlotsApart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := &slotExec{syncSlots: 3}
		var bs []plan.Batch
		for i := range 4 {
			b := bt(fmt.Sprintf("t%d", i), "p", fmt.Sprintf("t%d.com", i))
			b.Op = "p:task"
			bs = append(bs, b)
		}
		for i := range 9 {
			b := bt(fmt.Sprintf("s%d", i), "p", fmt.Sprintf("s%d.com", i))
			b.Op = "p:sync"
			bs = append(bs, b)
		}
		j, err := journal.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer j.Close()
		r := &Runner{Executors: map[string]providers.Executor{"p": x}, Journal: j,
			Options: Options{ProviderConcurrency: map[string]int{"p": 2}, PollMin: time.Millisecond, PollMax: time.Millisecond}}
		sum, err := r.Apply(t.Context(), mkplan(stg("records", bs...)))
		if err != nil || sum.Batches.OK != len(bs) {
			t.Fatalf("Apply: %v %+v", err, sum.Batches)
		}
		if x.maxTasks != 2 || x.maxSyncs != 3 || x.syncsWhileTaskRunning == 0 {
			t.Errorf("tasks at once %d (want 2), synchronous calls at once %d (want 3), synchronous calls made while a task ran %d (want some)",
				x.maxTasks, x.maxSyncs, x.syncsWhileTaskRunning)
		}
	})
}
