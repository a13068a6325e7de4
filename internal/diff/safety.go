package diff

import (
	"fmt"
	"strings"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
)

// Refusal rules (plan.Refusal.Rule), named here for the planner's callers.
const (
	RuleUpdateThreshold = plan.RuleUpdateThreshold
	RuleDeleteThreshold = plan.RuleDeleteThreshold
	RuleDelegation      = plan.RuleDelegation
	RuleEmptyZone       = plan.RuleEmptyZone
	RuleProviderRules   = plan.RuleProviderRules
	RuleUnknownDomain   = plan.RuleUnknownDomain
	RuleProvider        = plan.RuleProvider
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
//     because a truncated file must not empty a zone by accident.
//
// What the provider itself would reject is the provider planner's to say.
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
	zd := z.diff
	if z.emptyDesired && zd.Policy == model.PolicySync && zd.Existing > 0 && !opts.AllowEmptyZone {
		out = append(out, plan.Refusal{Domain: zd.Domain, Rule: RuleEmptyZone,
			Reason: fmt.Sprintf("the zone file lists no records; applying would delete all %d records (refused; allow explicitly to empty a zone)", zd.Existing)})
	}
	t := thresholds(z.thresholds)
	if !opts.Force && zd.Existing >= t.MinExisting {
		if float64(updates)*100 > t.UpdatePercent*float64(zd.Existing) {
			out = append(out, plan.Refusal{Domain: zd.Domain, Rule: RuleUpdateThreshold,
				Reason: fmt.Sprintf("%d updates of %d existing records exceed %g%%", updates, zd.Existing, t.UpdatePercent)})
		}
		if float64(deletes)*100 > t.DeletePercent*float64(zd.Existing) {
			out = append(out, plan.Refusal{Domain: zd.Domain, Rule: RuleDeleteThreshold,
				Reason: fmt.Sprintf("%d deletes of %d existing records exceed %g%%", deletes, zd.Existing, t.DeletePercent)})
		}
	}
	return out
}

// delegationSafety refuses a nameserver or registrar-DNS change without consent.
func delegationSafety(c *plan.Change, opts Options) *plan.Refusal {
	if opts.AllowDelegation {
		return nil
	}
	from, to := nsText(c.NSBefore), nsText(c.NSAfter)
	if c.AliyunDNSBefore {
		from = "Alibaba Cloud DNS"
	}
	if c.AliyunDNSAfter {
		to = "Alibaba Cloud DNS"
	}
	return &plan.Refusal{Domain: c.Domain, Rule: RuleDelegation,
		Reason: fmt.Sprintf("delegation change %s → %s needs explicit consent", from, to)}
}

// nsText words a nameserver set for a refusal: the names, comma-separated,
// or "none".
func nsText(ns []string) string {
	if len(ns) == 0 {
		return "none"
	}
	return strings.Join(ns, ", ")
}
