package tencentcloud

import (
	"fmt"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodpack"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

// Sim is a simulated Tencent Cloud account (dnspodpack.Sim): every zone of a live
// state under the rule engine the emulator enforces, replaying plan
// batches item by item (internal/simulate drives it), so a plan it
// accepts is one the emulator accepts. This file reads the payloads.
type Sim = dnspodpack.Sim

// NewSim loads the zones of live under rules (with each zone's grade
// rules, as the planner uses them); alloc names created records.
func NewSim(live *model.Live, rules dnspodrules.Options, alloc func() string) *Sim {
	acct := dnspodpack.NewAccount(live, func(l *model.LiveDNS) dnspodrules.Options { return zoneRules(rules, l) }, alloc)
	return dnspodpack.NewSim(acct, func(b plan.Batch) (dnspodpack.Effect, error) { return effect(acct, b) })
}

// DecodePayload reads a batch's payload.
func DecodePayload(b plan.Batch) (Payload, error) {
	var p Payload
	err := providers.DecodePayload(b, &p)
	return p, err
}

// shape checks what each operation must carry.
func shape(b plan.Batch, p Payload) error {
	one := func(what string, n int) error {
		if n != 1 || len(b.Domains) != 1 {
			return fmt.Errorf("%s needs one %s and one domain, has %d and %d", b.Op, what, n, len(b.Domains))
		}
		return nil
	}
	switch b.Op {
	case OpCreate:
		return one("record", len(p.Records))
	case OpModify:
		return one("record", len(p.Records))
	case OpDelete:
		return one("record id", len(p.RecordIDs))
	case OpCreateBatch:
		for _, r := range p.Records {
			if !r.Enabled {
				return fmt.Errorf("CreateRecordBatch cannot create the paused record %s", r)
			}
		}
	case OpModifyBatch, OpModifyV3, OpDeleteBatch:
	default:
		return fmt.Errorf("unknown operation %q", b.Op)
	}
	return nil
}

// effect reads what a batch does, after checking its shape and that its
// DomainIDs match the live domain ids.
func effect(acct *dnspodpack.Account, b plan.Batch) (dnspodpack.Effect, error) {
	p, err := DecodePayload(b)
	if err != nil {
		return dnspodpack.Effect{}, err
	}
	if err := shape(b, p); err != nil {
		return dnspodpack.Effect{}, err
	}
	if err := acct.CheckIDs(b.Domains, p.DomainIDs); err != nil {
		return dnspodpack.Effect{}, err
	}
	switch b.Op {
	case OpCreateBatch, OpCreate:
		return dnspodpack.Effect{Creates: p.Records}, nil
	case OpModifyBatch:
		return dnspodpack.Effect{Set: dnspodpack.Item{Field: p.Field, To: p.To, Value: p.Value, MX: p.MX}, SetIDs: p.RecordIDs}, nil
	case OpModifyV3, OpModify:
		return dnspodpack.Effect{Replaces: p.Records}, nil
	}
	return dnspodpack.Effect{Removes: p.RecordIDs}, nil // OpDeleteBatch, OpDelete
}
