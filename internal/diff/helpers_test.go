package diff

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
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

// mustSimulate replays p and fails the test if any intermediate state
// breaks a rule.
func mustSimulate(t *testing.T, live *model.Live, p *plan.Plan) *model.Live {
	t.Helper()
	out, err := simulate.Apply(live, p, dnspodrules.DefaultOptions())
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
			if b.Field != "" {
				fmt.Fprintf(&sb, " %s=%s value=%q mx=%d", b.Field, b.To, b.Value, b.MX)
			}
			if len(b.RecordIDs) > 0 {
				fmt.Fprintf(&sb, " ids=%v", b.RecordIDs)
			}
			for _, r := range b.Records {
				fmt.Fprintf(&sb, " +[%s]", r)
			}
			if len(b.Nameservers) > 0 || b.AliyunDNS {
				fmt.Fprintf(&sb, " ns=%v aliyun=%t", b.Nameservers, b.AliyunDNS)
			}
			if b.Host != "" {
				fmt.Fprintf(&sb, " host=%s %v", b.Host, b.IPs)
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
			switch b.Op {
			case plan.DNSPodModify:
				desc += fmt.Sprintf(" %s=%s", b.Field, b.To)
				if b.Value != "" {
					desc += " value=" + b.Value
				}
				desc += fmt.Sprintf(" x%d", len(b.RecordIDs))
			case plan.DNSPodCreate:
				desc += fmt.Sprintf(" %d records x%d domains", len(b.Records), len(b.Domains))
			case plan.DNSPodRemove:
				desc += " " + b.RecordIDs[0]
			case plan.AliyunModifyDomainDNS:
				desc += fmt.Sprintf(" %v x%d", b.Nameservers, len(b.Domains))
			default:
				if b.Host != "" {
					desc += " " + b.Host
				} else {
					desc += " " + strings.Join(b.Domains, ",")
				}
			}
			out = append(out, desc)
		}
	}
	return out
}
