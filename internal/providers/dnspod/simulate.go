package dnspod

import (
	"fmt"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodpack"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

// Sim is a simulated DNSPod account (dnspodpack.Sim): every zone of a live
// state under the rule engine the emulator enforces, replaying plan
// batches item by item (internal/simulate drives it), so a plan it
// accepts is one the emulator accepts. This file reads the payloads.
type Sim = dnspodpack.Sim

// NewSim loads the zones of live under rules (with each zone's grade
// rules, as the planner uses them); alloc names created records.
func NewSim(live *model.Live, rules dnspodrules.Options, alloc func() string) *Sim {
	acct := dnspodpack.NewAccount(live, func(l *model.LiveDNS) dnspodrules.Options { return ZoneRules(rules, l) }, alloc)
	return dnspodpack.NewSim(acct, func(b plan.Batch) (dnspodpack.Effect, error) { return effect(acct, b) })
}

func decode(b plan.Batch) (Payload, error) {
	var p Payload
	err := providers.DecodePayload(b, &p)
	return p, err
}

// effect reads what a batch does; DomainIDs, when given, must match the
// live domain ids.
func effect(acct *dnspodpack.Account, b plan.Batch) (dnspodpack.Effect, error) {
	p, err := decode(b)
	if err != nil {
		return dnspodpack.Effect{}, err
	}
	if len(p.DomainIDs) > 0 {
		if err := acct.CheckIDs(b.Domains, p.DomainIDs); err != nil {
			return dnspodpack.Effect{}, err
		}
	}
	switch b.Op {
	case OpCreate:
		return dnspodpack.Effect{Creates: p.Records}, nil
	case OpModify:
		return dnspodpack.Effect{Set: dnspodpack.Item{Field: p.Field, To: p.To, Value: p.Value, MX: p.MX}, SetIDs: p.RecordIDs}, nil
	case OpRemove:
		if len(p.RecordIDs) != 1 || len(b.Domains) != 1 {
			return dnspodpack.Effect{}, fmt.Errorf("Record.Remove needs one record and one domain")
		}
		return dnspodpack.Effect{Removes: p.RecordIDs}, nil
	}
	return dnspodpack.Effect{}, fmt.Errorf("unknown operation %q", b.Op)
}
