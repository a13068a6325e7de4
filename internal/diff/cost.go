package diff

import (
	"github.com/dnssync/dnssync/internal/plan"
)

// planCost counts the plan's calls. Every batch is one write call; a batch
// that starts a task needs at least one poll, so APICalls = Batches + Tasks
// is the minimum. PerRecordCalls is what a one-call-per-record tool would
// make: one call per record create, update and delete, per domain
// nameserver change and per DNS host create, modify and delete. LowerBound
// is the sum of the providers' own estimates.
func planCost(p *plan.Plan, tasks, lower int) plan.Cost {
	var c plan.Cost
	for _, s := range p.Stages {
		c.Batches += len(s.Batches)
	}
	c.Tasks = tasks
	c.APICalls = c.Batches + c.Tasks
	for _, ch := range p.Changes {
		switch ch.Kind {
		case plan.RecordCreate, plan.RecordUpdate, plan.RecordDelete, plan.NameserversSet,
			plan.HostCreate, plan.HostModify, plan.HostDelete:
			c.PerRecordCalls++
		}
	}
	c.LowerBound = lower
	return c
}
