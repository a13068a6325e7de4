package aliyun

import (
	"slices"
	"strconv"
	"strings"

	"github.com/dnssync/dnssync/internal/display"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
)

// Operations of the Alibaba Cloud Domain API that plans use.
const (
	OpModifyDomainDNS plan.Op = "aliyun:SaveBatchTaskForModifyingDomainDns"
	OpSyncDNSHost     plan.Op = "aliyun:SaveSingleTaskForSynchronizingDnsHost"
	OpCreateDNSHost   plan.Op = "aliyun:SaveSingleTaskForCreatingDnsHost"
	OpModifyDNSHost   plan.Op = "aliyun:SaveSingleTaskForModifyingDnsHost"
	OpDeleteDNSHost   plan.Op = "aliyun:SaveSingleTaskForDeletingDnsHost"
)

// DefaultMaxDomains is the number of domains per
// SaveBatchTaskForModifyingDomainDns when the configuration sets no
// batch_size (the API documents no limit: UNVERIFIED).
const DefaultMaxDomains = 100

// Payload is what an Alibaba batch carries for its call: the nameserver set
// (or the registrar-DNS flag) of SaveBatchTaskForModifyingDomainDns, or the
// host and addresses of a DNS host operation (Domains then has one entry;
// a synchronisation carries neither).
type Payload struct {
	Nameservers []string `json:"nameservers,omitempty"`
	AliyunDNS   bool     `json:"aliyun_dns,omitempty"`
	Host        string   `json:"host,omitempty"`
	IPs         []string `json:"ips,omitempty"`
}

// NewBatch returns the plan batch for a call of op on domains, with its
// item count and description (ID and Changes are the core's to fill).
func NewBatch(provider string, op plan.Op, domains []string, p Payload) plan.Batch {
	b := plan.Batch{Provider: provider, Op: op, Domains: domains, Payload: providers.EncodePayload(p)}
	b.Items, b.Detail = describeBatch(op, domains, p)
	return b
}

func describeBatch(op plan.Op, domains []string, p Payload) (int, string) {
	doms := display.Names(domains)
	if op == OpModifyDomainDNS {
		to := "(none)"
		if len(p.Nameservers) > 0 {
			to = display.Names(p.Nameservers)
		}
		if p.AliyunDNS {
			to = "registrar DNS"
		}
		return len(domains), display.Plural(len(domains), "domain", "domains") + ": " + doms + " → " + to
	}
	if p.Host == "" { // a synchronisation covers all of the domain's hosts
		return 1, "all DNS hosts (" + doms + ")"
	}
	s := "host " + display.Name(p.Host)
	if len(p.IPs) > 0 {
		s += " " + display.IPs(p.IPs)
	}
	return 1, s + " (" + doms + ")"
}

func decode(b plan.Batch) (Payload, error) {
	var p Payload
	err := providers.DecodePayload(b, &p)
	return p, err
}

// Planner packs delegation changes for one configured Alibaba account.
type Planner struct {
	name       string
	maxDomains int
}

// NewPlanner returns the planner of provider name; batchSize caps the
// domains per nameserver batch (0 keeps the default).
func NewPlanner(name string, batchSize int) *Planner {
	n := DefaultMaxDomains
	if batchSize > 0 {
		n = min(n, batchSize)
	}
	return &Planner{name: name, maxDomains: n}
}

var _ providers.Planner = (*Planner)(nil)

// MaxDomains is the number of domains per nameserver batch.
func (pl *Planner) MaxDomains() int { return pl.maxDomains }

// PlanRecords: Alibaba Cloud Domain manages delegations, not records.
func (pl *Planner) PlanRecords(zones []*providers.ZoneDiff, _ providers.PlanOptions) *providers.Packed {
	out := &providers.Packed{}
	for _, z := range zones {
		out.Refusals = append(out.Refusals, plan.Refusal{Domain: z.Domain, Rule: plan.RuleProvider,
			Reason: "provider " + pl.name + " (aliyun) manages delegations, not records"})
	}
	return out
}

// Recovered: a finished DNS host synchronisation did what the glue-sync
// phase would do.
func (pl *Planner) Recovered(op plan.Op) bool { return op == OpSyncDNSHost }

// PlanRegistrar packs the delegation changes:
//
//   - DNS hosts are synchronised from the registry first (the glue-sync
//     phase, after which the apply re-reads hosts and plans again), unless
//     a sync already ran in this run: a sync repairs what the registry
//     knows, so only what still differs afterwards is written directly;
//   - host creates and modifies one call each, one task per domain at a
//     time, so the k-th operation of every domain goes to the k-th step;
//   - nameserver changes grouped by identical (nameserver set, registrar
//     DNS) across domains, chunked at the domain limit;
//   - host deletes last, again one per domain per step.
func (pl *Planner) PlanRegistrar(regs []*providers.RegistrarDiff, o providers.PlanOptions) *providers.Packed {
	out := &providers.Packed{}
	type nsGroup struct {
		c       *plan.Change
		domains []string
		changes []*plan.Change
	}
	groups := map[string]*nsGroup{}
	var order []string
	for _, rd := range regs {
		if rd.NS != nil {
			out.Changes = append(out.Changes, rd.NS)
			k := nsKey(rd.NS)
			g := groups[k]
			if g == nil {
				g = &nsGroup{c: rd.NS}
				groups[k] = g
				order = append(order, k)
			}
			g.domains = append(g.domains, rd.Domain)
			g.changes = append(g.changes, rd.NS)
		}
		hosts := rd.Hosts
		if len(hosts) > 0 && !o.Synced(rd.Domain) {
			sync := &plan.Change{Domain: rd.Domain, Kind: plan.HostSynchronize, Provider: rd.Provider, Pos: rd.Pos}
			hosts = append([]*plan.Change{sync}, hosts...)
		}
		var up, dl int
		for _, c := range hosts {
			out.Changes = append(out.Changes, c)
			doms := []string{rd.Domain}
			pb := providers.PackedBatch{Task: true, Changes: []*plan.Change{c}}
			switch c.Kind {
			case plan.HostSynchronize:
				pb.Phase, pb.Stage = providers.PhaseGlueSync, "glue-sync"
				pb.Batch = NewBatch(rd.Provider, OpSyncDNSHost, doms, Payload{})
			case plan.HostCreate, plan.HostModify:
				op := OpCreateDNSHost
				if c.Kind == plan.HostModify {
					op = OpModifyDNSHost
				}
				up++
				pb.Phase, pb.Step, pb.Stage = providers.PhaseGlueUpsert, up-1, "glue-upsert-"+strconv.Itoa(up)
				pb.Batch = NewBatch(rd.Provider, op, doms, Payload{Host: c.HostAfter.Host, IPs: c.HostAfter.IPs})
			case plan.HostDelete:
				dl++
				pb.Phase, pb.Step, pb.Stage = providers.PhaseGlueDelete, dl-1, "glue-delete-"+strconv.Itoa(dl)
				pb.Batch = NewBatch(rd.Provider, OpDeleteDNSHost, doms, Payload{Host: c.HostBefore.Host})
			default:
				continue
			}
			out.Batches = append(out.Batches, pb)
		}
		out.LowerBound += len(hosts)
	}
	slices.Sort(order)
	for _, k := range order {
		g := groups[k]
		for i := 0; i < len(g.domains); i += pl.maxDomains {
			j := min(len(g.domains), i+pl.maxDomains)
			out.Batches = append(out.Batches, providers.PackedBatch{Phase: providers.PhaseDelegation, Stage: "nameservers", Task: true,
				Batch: NewBatch(g.c.Provider, OpModifyDomainDNS, slices.Clone(g.domains[i:j]),
					Payload{Nameservers: g.c.NSAfter, AliyunDNS: g.c.AliyunDNSAfter}),
				Changes: slices.Clone(g.changes[i:j])})
			out.LowerBound++
		}
	}
	return out
}

func nsKey(c *plan.Change) string {
	k := c.Provider + "\x00" + strings.Join(c.NSAfter, ",")
	if c.AliyunDNSAfter {
		k += "\x00aliyun"
	}
	return k
}
