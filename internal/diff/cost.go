package diff

import (
	"strings"

	"github.com/dnssync/dnssync/internal/plan"
)

// planCost counts the plan's calls. Every batch is one write call; every
// batch except Record.Remove (answered synchronously) starts a task that
// needs at least one poll, so APICalls = Batches + Tasks is the minimum.
// PerRecordCalls is what a one-call-per-record tool would make: one call
// per record create, update and delete, per domain nameserver change and
// per DNS host create, modify and delete.
func planCost(p *plan.Plan, lower int) plan.Cost {
	var c plan.Cost
	for _, s := range p.Stages {
		for _, b := range s.Batches {
			c.Batches++
			if b.Op != plan.DNSPodRemove {
				c.Tasks++
			}
		}
	}
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

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// lowerBound estimates the fewest write calls any packing of the same
// desired state could use (docs/PLANNING.md, "Cost"):
//
//   - registrar: one call per distinct (provider, nameserver set, flag),
//     split at the domain limit; one call per DNS host operation and sync;
//   - per zone, every leftover live record beyond the leftover desired
//     records can only go by Record.Remove (no batch delete exists, and a
//     modification turns one live record into one desired record);
//   - every distinct (field, value) among the TTL/status updates of
//     exactly matching records needs a modify call per limit's worth of
//     records (deleting and re-creating instead costs a call per record);
//   - one more call when any desired record is missing: it needs a create
//     or a modification, neither of which a TTL/status group provides.
func lowerBound(zones []*zone, regs []*regDiff, opts Options) int {
	lb := 0
	nsGroups := map[string]int{}
	for _, rd := range regs {
		if rd.ns != nil {
			k := rd.provider + "\x00" + strings.Join(rd.ns.NSAfter, ",")
			if rd.ns.AliyunDNSAfter {
				k += "\x00aliyun"
			}
			nsGroups[k]++
		}
		lb += len(rd.hosts)
	}
	for _, n := range nsGroups {
		lb += ceilDiv(n, opts.MaxRegistrarDomains)
	}
	groups := map[gkey]int{}
	missing := false
	for _, z := range zones {
		if d := len(z.leftL) - len(z.leftD); d > 0 {
			lb += d
		}
		if len(z.leftD) > 0 {
			missing = true
		}
		for _, u := range z.updates {
			for _, it := range neutralItems(z.live[u.l], z.desired[u.d], nil) {
				groups[gkey{z.provider, it}]++
			}
		}
	}
	for _, n := range groups {
		lb += ceilDiv(n, opts.MaxModifyIDs)
	}
	if missing {
		lb++
	}
	return lb
}
