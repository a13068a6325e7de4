package apply

import (
	"context"
	"fmt"
	"sync"

	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
)

// script is the scripted behaviour of one batch at the fake provider.
type script struct {
	submitErrs  []error           // returned by the first submits, in order; then success
	blockSubmit bool              // Submit waits for its context (a hung write call)
	sync        bool              // synchronous op: final items at submit
	polls       int               // polls answering "running" before the final answer
	never       bool              // the task never finishes
	pollErr     error             // every poll fails with this
	failed      map[string]string // domain → provider message of a failed item
}

// fakeExec implements providers.Executor with scripted behaviour per batch
// id. Unscripted batches succeed after one running poll.
type fakeExec struct {
	name    string
	mu      sync.Mutex
	scripts map[string]*script
	submits map[string]int
	pollsN  map[string]int
	domains map[string][]string // task id → domains, recorded at submit
	// inFlight tracks tasks between accepted submit and final poll, to
	// check concurrency limits.
	inFlight, maxInFlight int
}

func newFake(name string, scripts map[string]*script) *fakeExec {
	if scripts == nil {
		scripts = map[string]*script{}
	}
	return &fakeExec{name: name, scripts: scripts, submits: map[string]int{}, pollsN: map[string]int{}, domains: map[string][]string{}}
}

func (f *fakeExec) script(id string) *script {
	if s := f.scripts[id]; s != nil {
		return s
	}
	return &script{polls: 1}
}

func items(b []string, failed map[string]string, final bool) []providers.ItemResult {
	var out []providers.ItemResult
	for _, d := range b {
		it := providers.ItemResult{Domain: d, State: providers.ItemRunning}
		if final {
			it.State = providers.ItemOK
			if msg, ok := failed[d]; ok {
				it.State, it.Message = providers.ItemFailed, msg
			}
		}
		out = append(out, it)
	}
	return out
}

func (f *fakeExec) Submit(ctx context.Context, b plan.Batch) (providers.Task, error) {
	f.mu.Lock()
	f.submits[b.ID]++
	n := f.submits[b.ID]
	s := f.script(b.ID)
	f.mu.Unlock()
	if s.blockSubmit {
		<-ctx.Done()
		return providers.Task{}, fmt.Errorf("post: %w", ctx.Err())
	}
	if n <= len(s.submitErrs) {
		return providers.Task{}, s.submitErrs[n-1]
	}
	t := providers.Task{Provider: f.name, Op: b.Op, ID: "t-" + b.ID, BatchID: b.ID}
	if s.sync {
		t.Sync = true
		t.Items = items(b.Domains, s.failed, true)
		return t, nil
	}
	f.mu.Lock()
	f.domains[t.ID] = b.Domains
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.mu.Unlock()
	return t, nil
}

var _ providers.Executor = (*fakeExec)(nil)

func (f *fakeExec) Poll(ctx context.Context, t providers.Task) (providers.TaskStatus, error) {
	if err := ctx.Err(); err != nil {
		return providers.TaskStatus{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pollsN[t.ID]++
	s := f.script(t.BatchID)
	if s.pollErr != nil {
		return providers.TaskStatus{}, s.pollErr
	}
	domains := f.domains[t.ID] // nil for tasks resumed from an earlier process
	if s.never || f.pollsN[t.ID] <= s.polls {
		return providers.TaskStatus{Items: items(domains, nil, false)}, nil
	}
	f.inFlight--
	return providers.TaskStatus{Done: true, Items: items(domains, s.failed, true)}, nil
}

func (f *fakeExec) submitCount(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.submits[id]
}

func (f *fakeExec) totalSubmits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.submits {
		n += c
	}
	return n
}

func (f *fakeExec) polled() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for k, v := range f.pollsN {
		out[k] = v
	}
	return out
}
