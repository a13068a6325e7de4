package diff

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/aliyun"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
	"github.com/dnssync/dnssync/internal/simulate"
)

const line2 = "电信"

func rec(name, typ, value string) model.Record {
	r := model.Record{Name: name, Type: typ, Line: model.DefaultLine, Value: value, TTL: 600, Enabled: true}
	if typ == model.TypeMX {
		r.MX = 10
	}
	return r
}

func withTTL(r model.Record, ttl int) model.Record   { r.TTL = ttl; return r }
func withLine(r model.Record, l string) model.Record { r.Line = l; return r }
func withMX(r model.Record, mx int) model.Record     { r.MX = mx; return r }
func disabled(r model.Record) model.Record           { r.Enabled = false; return r }
func sysNS(v string) model.Record {
	r := rec("@", model.TypeNS, v)
	r.TTL = 86400
	r.System = true
	return r
}
func desiredDNS(recs ...model.Record) *model.DNS {
	return &model.DNS{Provider: "dnspod", TTL: 600, Policy: model.PolicySync, Records: recs}
}
func dom(name string, dns *model.DNS) model.Domain {
	return model.Domain{Name: name, Unicode: name, DNS: dns}
}
func liveDom(name, id string, recs ...model.Record) model.LiveDomain {
	for i := range recs {
		if recs[i].ID == "" {
			recs[i].ID = fmt.Sprintf("%s-%d", id, i+1)
		}
	}
	return model.LiveDomain{Name: name, DNS: &model.LiveDNS{DomainID: id, Records: recs}}
}

// tuning is what the tests tune in the test providers: DNSPod's rules and
// the batch limits (0 keeps each planner's default).
type tuning struct {
	rules              *dnspodrules.Options
	modify, create, ns int
}

// planners are the test providers "dnspod" and "aliyun".
func planners(tu tuning) map[string]providers.Planner {
	rules := dnspodrules.DefaultOptions()
	if tu.rules != nil {
		rules = *tu.rules
	}
	return map[string]providers.Planner{
		"dnspod": dnspod.NewPlannerLimits("dnspod", rules, tu.modify, tu.create),
		"aliyun": aliyun.NewPlanner("aliyun", tu.ns),
	}
}

// tuned returns o planning with the test providers under tu.
func tuned(o Options, tu tuning) Options {
	o.Planners = planners(tu)
	return o
}

// planT is Plan with the default test providers unless o names planners.
func planT(desired *model.Desired, live *model.Live, o Options) *plan.Plan {
	if o.Planners == nil {
		o.Planners = planners(tuning{})
	}
	return Plan(desired, live, o)
}

// models simulate the test providers under rules.
func models(rules dnspodrules.Options) map[string]simulate.Factory {
	return map[string]simulate.Factory{
		"dnspod": func(l *model.Live, alloc func() string) simulate.Model { return dnspod.NewSim(l, rules, alloc) },
		"aliyun": func(l *model.Live, _ func() string) simulate.Model { return aliyun.NewSim(l) },
	}
}

// dp and ap decode the test providers' payloads.
func dp(b plan.Batch) dnspod.Payload {
	var p dnspod.Payload
	_ = json.Unmarshal(b.Payload, &p)
	return p
}

func ap(b plan.Batch) aliyun.Payload {
	var p aliyun.Payload
	_ = json.Unmarshal(b.Payload, &p)
	return p
}

// mustSimulate replays p and fails the test if any intermediate state
// breaks a rule.
func mustSimulate(t *testing.T, live *model.Live, p *plan.Plan) *model.Live {
	t.Helper()
	out, err := simulate.Apply(live, p, models(dnspodrules.DefaultOptions()))
	if err != nil {
		t.Fatalf("simulate: %v\n%s", err, describe(p))
	}
	return out
}

// describe renders a plan compactly for failure messages.
func describe(p *plan.Plan) string {
	var sb strings.Builder
	for _, c := range p.Changes {
		fmt.Fprintf(&sb, "  %s %s %v", c.ID, c.Kind, c.Fields)
		if c.Before != nil {
			fmt.Fprintf(&sb, " before=[%s id=%s]", c.Before, c.Before.ID)
		}
		if c.After != nil {
			fmt.Fprintf(&sb, " after=[%s]", c.After)
		}
		sb.WriteByte('\n')
	}
	for _, s := range p.Stages {
		fmt.Fprintf(&sb, "stage %s replan=%t\n", s.Name, s.Replan)
		for _, b := range s.Batches {
			fmt.Fprintf(&sb, "  %s %s %v", b.ID, b.Op, b.Domains)
			d, a := dp(b), ap(b)
			if d.Field != "" {
				fmt.Fprintf(&sb, " %s=%s value=%q mx=%d", d.Field, d.To, d.Value, d.MX)
			}
			if len(d.RecordIDs) > 0 {
				fmt.Fprintf(&sb, " ids=%v", d.RecordIDs)
			}
			for _, r := range d.Records {
				fmt.Fprintf(&sb, " +[%s]", r)
			}
			if len(a.Nameservers) > 0 || a.AliyunDNS {
				fmt.Fprintf(&sb, " ns=%v aliyun=%t", a.Nameservers, a.AliyunDNS)
			}
			if a.Host != "" {
				fmt.Fprintf(&sb, " host=%s %v", a.Host, a.IPs)
			}
			fmt.Fprintf(&sb, " changes=%v\n", b.Changes)
		}
	}
	fmt.Fprintf(&sb, "cost %+v refusals %v\n", p.Cost, p.Refusals)
	return sb.String()
}

// batchSummary is "op field=to xN" per batch, stage by stage, for
// table-driven expectations.
func batchSummary(p *plan.Plan) []string {
	var out []string
	for _, s := range p.Stages {
		for _, b := range s.Batches {
			op := strings.TrimPrefix(strings.TrimPrefix(string(b.Op), "dnspod:"), "aliyun:")
			desc := s.Name + " " + op
			d, a := dp(b), ap(b)
			switch b.Op {
			case dnspod.OpModify:
				desc += fmt.Sprintf(" %s=%s", d.Field, d.To)
				if d.Value != "" {
					desc += " value=" + d.Value
				}
				desc += fmt.Sprintf(" x%d", len(d.RecordIDs))
			case dnspod.OpCreate:
				desc += fmt.Sprintf(" %d records x%d domains", len(d.Records), len(b.Domains))
			case dnspod.OpRemove:
				desc += " " + d.RecordIDs[0]
			case aliyun.OpModifyDomainDNS:
				desc += fmt.Sprintf(" %v x%d", a.Nameservers, len(b.Domains))
			default:
				if a.Host != "" {
					desc += " " + a.Host
				} else {
					desc += " " + strings.Join(b.Domains, ",")
				}
			}
			out = append(out, desc)
		}
	}
	return out
}
