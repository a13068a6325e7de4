package diff

import (
	"fmt"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

// Refusal rules (plan.Refusal.Rule).
const (
	RuleUpdateThreshold = "update-threshold" // too many updates for the zone's size (octoDNS)
	RuleDeleteThreshold = "delete-threshold" // too many deletes for the zone's size (octoDNS)
	RuleDelegation      = "delegation"       // nameserver set or AliyunDns flag changes without consent
	RuleEmptyZone       = "empty-zone"       // the file lists no records but the zone has some
	RuleProviderRules   = "provider-rules"   // the desired records break DNSPod's rules
	RuleUnknownDomain   = "unknown-domain"   // a managed side has no live state to compare with
)

// thresholds returns t with zero fields replaced by the defaults.
func thresholds(t model.Thresholds) model.Thresholds {
	d := model.DefaultThresholds()
	if t.UpdatePercent == 0 {
		t.UpdatePercent = d.UpdatePercent
	}
	if t.DeletePercent == 0 {
		t.DeletePercent = d.DeletePercent
	}
	if t.MinExisting == 0 {
		t.MinExisting = d.MinExisting
	}
	return t
}

// zoneSafety applies the record-side checks to one zone's changes:
//   - octoDNS thresholds: refuse when updates or deletes exceed the
//     configured percentage of the records under management, checked only
//     from MinExisting records on; Force skips them;
//   - the empty-zone guard: a file listing no records under policy sync
//     would delete every record; it needs AllowEmptyZone, never Force,
//     because a truncated file must not empty a zone by accident;
//   - provider rules: a record dnssync would write that DNSPod rejects on
//     its own (TTL below the grade's minimum, unknown line, bad value).
func zoneSafety(z *zone, changes []*plan.Change, opts Options) []plan.Refusal {
	var out []plan.Refusal
	var updates, deletes int
	for _, c := range changes {
		switch c.Kind {
		case plan.RecordUpdate:
			updates++
		case plan.RecordDelete:
			deletes++
		}
	}
	if z.emptyDesired && z.policy == model.PolicySync && z.existing > 0 && !opts.AllowEmptyZone {
		out = append(out, plan.Refusal{Domain: z.name, Rule: RuleEmptyZone,
			Reason: fmt.Sprintf("the zone file lists no records; applying would delete all %d records (refused; allow explicitly to empty a zone)", z.existing)})
	}
	t := thresholds(z.thresholds)
	if !opts.Force && z.existing >= t.MinExisting {
		if float64(updates)*100 > t.UpdatePercent*float64(z.existing) {
			out = append(out, plan.Refusal{Domain: z.name, Rule: RuleUpdateThreshold,
				Reason: fmt.Sprintf("%d updates of %d existing records exceed %g%% (use force to override)", updates, z.existing, t.UpdatePercent)})
		}
		if float64(deletes)*100 > t.DeletePercent*float64(z.existing) {
			out = append(out, plan.Refusal{Domain: z.name, Rule: RuleDeleteThreshold,
				Reason: fmt.Sprintf("%d deletes of %d existing records exceed %g%% (use force to override)", deletes, z.existing, t.DeletePercent)})
		}
	}
	bad := 0
	for _, c := range changes {
		if c.After == nil {
			continue
		}
		if e := z.checker.CheckRecord(*c.After, dnspodrules.CodeTTL); e != nil {
			if bad++; bad <= 5 {
				out = append(out, plan.Refusal{Domain: z.name, Rule: RuleProviderRules,
					Reason: fmt.Sprintf("%s at %s: %s", c.After, c.Pos, e.Message)})
			}
		}
	}
	if bad > 5 {
		out = append(out, plan.Refusal{Domain: z.name, Rule: RuleProviderRules,
			Reason: fmt.Sprintf("%d more records break the provider's rules", bad-5)})
	}
	return out
}

// delegationSafety refuses a nameserver or AliyunDns change without consent.
func delegationSafety(c *plan.Change, opts Options) *plan.Refusal {
	if opts.AllowDelegation {
		return nil
	}
	from, to := fmt.Sprint(c.NSBefore), fmt.Sprint(c.NSAfter)
	if c.AliyunDNSBefore {
		from = "Alibaba Cloud DNS"
	}
	if c.AliyunDNSAfter {
		to = "Alibaba Cloud DNS"
	}
	return &plan.Refusal{Domain: c.Domain, Rule: RuleDelegation,
		Reason: fmt.Sprintf("delegation change %s → %s needs explicit consent", from, to)}
}
