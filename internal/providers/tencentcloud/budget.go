package tencentcloud

import (
	"sync"
	"time"
)

// TaskWindow is the period of the service's batch-task quota: 80
// submissions an hour from one address (spec §4).
const TaskWindow = time.Hour

// TaskLedger is one account's view of the hourly batch-task quota within
// one process: the tasks it submitted in the last hour, and whether the
// service has refused a submission for the quota since. A process that
// plans more than once — `watch`, and the retry rounds of one apply —
// plans each time within what is left of the hour instead of assuming a
// full quota per plan.
//
// The quota counts every submission from the address, also those of
// other processes, which no ledger sees: the service's refusal
// (RequestLimitExceeded.BatchTaskLimit) is the only evidence of those. After
// one, the ledger counts the whole quota as spent until a window has
// passed since the refusal, since nothing says when the other
// submissions age out; single-record calls carry the changes meanwhile.
type TaskLedger struct {
	mu        sync.Mutex
	now       func() time.Time
	submitted []time.Time // oldest first
	refusedAt time.Time
}

// NewTaskLedger returns an empty ledger; now replaces the clock (nil:
// time.Now).
func NewTaskLedger(now func() time.Time) *TaskLedger {
	if now == nil {
		now = time.Now
	}
	return &TaskLedger{now: now}
}

// Submitted records a task the service accepted.
func (l *TaskLedger) Submitted() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.submitted = append(l.submitted, l.now())
}

// Refused records the service's refusal of a submission for the quota.
func (l *TaskLedger) Refused() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refusedAt = l.now()
}

// Exhausted reports whether the service refused a submission for the
// quota less than a window ago: a task submitted now would be refused too.
func (l *TaskLedger) Exhausted() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refusedSince(l.now())
}

// refusedSince reports whether a refusal happened within a window of now
// (mu held).
func (l *TaskLedger) refusedSince(now time.Time) bool {
	return !l.refusedAt.IsZero() && now.Sub(l.refusedAt) < TaskWindow
}

// Spent returns how many of quota tasks are used in the current window:
// the submissions of the last hour, or all of them after a refusal.
func (l *TaskLedger) Spent(quota int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if l.refusedSince(now) {
		return quota
	}
	i := 0
	for i < len(l.submitted) && now.Sub(l.submitted[i]) >= TaskWindow {
		i++
	}
	l.submitted = l.submitted[i:]
	return min(quota, len(l.submitted))
}
