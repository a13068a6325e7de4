// Package providers defines what dnssync needs from a provider: reading live
// state and executing plan batches as asynchronous tasks. Each provider lives
// in its own sub-package (aliyun, dnspod) with its HTTP client, its live-state
// reader, its executor, and beside it an emulator package (aliyuntest,
// dnspodtest) that speaks the same protocol over real HTTP.
package providers

import (
	"context"
	"errors"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
)

// ErrOutcomeUnknown marks a write whose result is unknown (timeout, reset or
// 5xx after the request was sent). The caller must re-read live state before
// deciding to submit again; clients never blindly repeat such a write.
var ErrOutcomeUnknown = errors.New("outcome unknown")

// ErrTransient marks a failure worth retrying later (throttling, busy,
// network): the daemon backs off, apply reports and carries on.
var ErrTransient = errors.New("transient provider error")

// ErrBusy marks a write refused because another task is still running for
// the same object (Alibaba TaskIsBeingProcessed). Nothing was started, so the
// caller may wait for the running task to finish and submit again; apply
// does so within the batch's time budget. Executors wrap it with %w.
var ErrBusy = errors.New("provider busy: another task is in progress")

// ErrReplan marks a write refused without effect for a reason that makes
// the same batch fail again for a while — a quota spent — where a fresh
// plan can take another way (the provider's planner knows of the refusal
// by then). Apply does not resubmit such a batch: it plans the domain
// again from live state in its next retry round. Executors wrap it with %w.
var ErrReplan = errors.New("refused until planned again")

// SyncCalls is implemented by an Executor whose synchronous calls are
// limited apart from its asynchronous tasks — a service that lets few
// tasks run at once but answers many single-record calls. Apply runs the
// batches for which SyncSlots(op) > 0 up to that many at once, beside the
// provider's concurrency, which then bounds its tasks only.
type SyncCalls interface {
	SyncSlots(op plan.Op) int
}

// RegistrarReader reads delegation state (nameservers, DNS hosts).
type RegistrarReader interface {
	ReadRegistrar(ctx context.Context, domain string) (*model.LiveRegistrar, error)
}

// ZoneReader reads the records of one zone.
type ZoneReader interface {
	ReadZone(ctx context.Context, domain string) (*model.LiveDNS, error)
}

// ReadSlots is implemented by a provider whose zone reads may run more at
// once than its configured concurrency, which bounds its writes (a service
// that runs few tasks at once but answers many reads; its client paces
// the reads at their documented rate). ReadSlots returns how many.
type ReadSlots interface {
	ReadSlots() int
}

// Task is a submitted provider task.
type Task struct {
	Provider string  `json:"provider"`
	Op       plan.Op `json:"op"`
	ID       string  `json:"id"` // TaskNo, job_id; for synchronous ops a local id
	BatchID  string  `json:"batch_id"`
	// Sync marks operations without a provider task (Record.Remove): the
	// result is final at submit time and Items are already filled.
	Sync  bool         `json:"sync,omitempty"`
	Items []ItemResult `json:"items,omitempty"`
}

// ItemState is the state of one item of a task.
type ItemState string

// Item states.
const (
	ItemWaiting ItemState = "waiting"
	ItemRunning ItemState = "running"
	ItemOK      ItemState = "ok"
	ItemFailed  ItemState = "failed"
)

// Final reports whether s will not change any more.
func (s ItemState) Final() bool { return s == ItemOK || s == ItemFailed }

// ItemResult is the outcome of one item (a domain or a record) of a task.
type ItemResult struct {
	Domain   string    `json:"domain"`
	RecordID string    `json:"record_id,omitempty"` // DNSPod record affected or created
	What     string    `json:"what,omitempty"`      // short description (record, host)
	State    ItemState `json:"state"`
	Message  string    `json:"message,omitempty"` // the provider's own message
	Tries    int       `json:"tries,omitempty"`
	// Permanent: the provider's message says trying again cannot help
	// (the item breaks a rule), so a retry round does not plan it again.
	Permanent bool `json:"permanent,omitempty"`
}

// TaskStatus is one poll's view of a task.
type TaskStatus struct {
	Done  bool         `json:"done"` // every item final
	Items []ItemResult `json:"items"`
}

// Executor submits batches and polls their tasks.
type Executor interface {
	// Submit makes the batch's single write call. On an unknown outcome it
	// returns an error wrapping ErrOutcomeUnknown.
	Submit(ctx context.Context, b plan.Batch) (Task, error)
	// Poll reads the task's current per-item state (all pages).
	Poll(ctx context.Context, t Task) (TaskStatus, error)
}
