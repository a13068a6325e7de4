package dnspodaccount

import "sync"

// RequestLog is an emulator's request log as its sandbox plug-in serves it
// (GET and DELETE /_sandbox/log).
type RequestLog interface {
	// Filter returns the entries of action (all when action is empty).
	Filter(action string) []any
	// Reset empties the log.
	Reset()
}

// Requests is the request log of an emulator of the account: entries of
// the API's own type, in order. Its methods take the lock it was made
// with (the account's), so callers must not hold it.
type Requests[L any] struct {
	mu      *sync.Mutex
	action  func(L) string
	entries []L
}

var _ RequestLog = (*Requests[int])(nil)

// NewRequests returns an empty log guarded by mu; action names an entry's
// action.
func NewRequests[L any](mu *sync.Mutex, action func(L) string) *Requests[L] {
	return &Requests[L]{mu: mu, action: action}
}

// Add appends an entry.
func (r *Requests[L]) Add(e L) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e)
}

// Entries returns a copy of the log.
func (r *Requests[L]) Entries() []L {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]L(nil), r.entries...)
}

// Reset empties the log.
func (r *Requests[L]) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = nil
}

// Filter returns the entries of action (all when action is empty), as
// the sandbox's request log endpoint serves them.
func (r *Requests[L]) Filter(action string) []any {
	out := []any{}
	for _, e := range r.Entries() {
		if action == "" || r.action(e) == action {
			out = append(out, e)
		}
	}
	return out
}
