package rfc2136

import (
	"context"
	"errors"
	"fmt"

	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
)

var _ providers.Executor = (*Instance)(nil)

// Submit sends the batch's UPDATE message once; the server's answer is the
// outcome, so the task it returns is Sync with one item per RRset:
//
//   - NOERROR: every item ok;
//   - any other answer (prerequisite failed because live state changed,
//     NOTAUTH, REFUSED, …): every item failed with the client's message,
//     since the server applies a message entirely or not at all;
//   - SERVFAIL, or nothing sent: an error wrapping providers.ErrTransient
//     (nothing was applied, so the caller may send it again);
//   - no trustworthy answer after the message left: an error wrapping
//     providers.ErrOutcomeUnknown. The caller must read the zone again; the
//     message is never resent (its prerequisites would fail anyway if it
//     was applied).
//
// The message is rebuilt from the payload with this client's size limit;
// if it no longer fits one message (the configuration changed since the
// plan was made) nothing is sent.
func (i *Instance) Submit(ctx context.Context, b plan.Batch) (providers.Task, error) {
	t := providers.Task{Provider: i.cfg.Name, Op: b.Op, BatchID: b.ID}
	if b.Op != OpUpdate {
		return t, fmt.Errorf("rfc2136: batch %s: unknown operation %q", b.ID, b.Op)
	}
	var p Payload
	if err := providers.DecodePayload(b, &p); err != nil {
		return t, err
	}
	changes := p.Changes()
	msgs, err := i.client.BuildUpdates(p.Zone, changes)
	if err != nil {
		return t, fmt.Errorf("batch %s: %w", b.ID, err)
	}
	if len(msgs) != 1 {
		return t, fmt.Errorf("rfc2136: batch %s: its changes now need %d UPDATE messages, not one: the message size settings changed since the plan was made; plan again (nothing was sent)", b.ID, len(msgs))
	}
	res, err := i.client.Apply(providers.WithOperation(ctx, "UPDATE"), msgs[0])
	i.counted("UPDATE", err)
	var e *Error
	switch {
	case err == nil:
	case errors.As(err, &e) && e.Rcode >= 0 && !errors.Is(err, providers.ErrTransient):
		// The server answered: that answer is the outcome.
	default:
		return t, err
	}
	t.Sync = true
	t.ID = fmt.Sprintf("%s/%d", res.Zone, res.ID)
	for _, c := range p.RRsets {
		it := providers.ItemResult{Domain: p.Zone, What: c.Name + " " + c.Type, State: providers.ItemOK}
		if err != nil {
			// The server's answer is final for this run: a changed
			// prerequisite means someone else changed the zone — the next
			// run reads it and plans again, rather than this one racing
			// them — and NOTAUTH or REFUSED need the server's settings fixed.
			it.State, it.Message, it.Permanent = providers.ItemFailed, "not applied: "+err.Error(), true
		}
		t.Items = append(t.Items, it)
	}
	return t, nil
}

// Poll returns a Sync task's results: an UPDATE starts no task to await.
func (i *Instance) Poll(_ context.Context, t providers.Task) (providers.TaskStatus, error) {
	if !t.Sync {
		return providers.TaskStatus{}, fmt.Errorf("rfc2136: task %s: UPDATE answers are final; there is no task to poll", t.ID)
	}
	return providers.TaskStatus{Done: true, Items: t.Items}, nil
}
