package dnspod

import (
	"fmt"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodpack"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

// Sim is a simulated DNSPod account: every zone of a live state under the
// same rule engine the emulator enforces. It replays plan batches item by
// item (internal/simulate drives it), so a plan it accepts is one the
// emulator accepts. The replay is dnspodpack's; Sim reads the legacy
// calls' payloads.
type Sim struct {
	acct *dnspodpack.Account
}

// NewSim loads the zones of live under rules (with each zone's grade
// minimum TTL); alloc names created records.
func NewSim(live *model.Live, rules dnspodrules.Options, alloc func() string) *Sim {
	return &Sim{acct: dnspodpack.NewAccount(live, func(l *model.LiveDNS) dnspodrules.Options { return ZoneRules(rules, l) }, alloc)}
}

// Export writes the simulated zones into live's domains.
func (sim *Sim) Export(live *model.Live) { sim.acct.Export(live) }

func decode(b plan.Batch) (Payload, error) {
	var p Payload
	err := providers.DecodePayload(b, &p)
	return p, err
}

// effect reads what a batch does; DomainIDs, when given, must match the
// live domain ids.
func (sim *Sim) effect(b plan.Batch) (dnspodpack.Effect, error) {
	p, err := decode(b)
	if err != nil {
		return dnspodpack.Effect{}, err
	}
	if len(p.DomainIDs) > 0 {
		if err := sim.acct.CheckIDs(b.Domains, p.DomainIDs); err != nil {
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

// Apply runs one batch item by item against the rules.
func (sim *Sim) Apply(b plan.Batch) error {
	e, err := sim.effect(b)
	if err != nil {
		return err
	}
	return sim.acct.Run(b.Domains, e)
}

// CheckStage proves that this account's batches of one stage may run
// concurrently (dnspodpack.Account.CheckStage).
func (sim *Sim) CheckStage(bs []plan.Batch) error {
	return sim.acct.CheckStage(bs, sim.effect)
}
