package diff

import (
	"cmp"
	"slices"
	"strings"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
)

// regDiff is the registrar half of one domain's diff.
type regDiff struct {
	name     string
	provider string
	ns       *plan.Change   // nameserver set or AliyunDns flag
	hosts    []*plan.Change // host sync first, then creates, modifies, deletes by host
}

// nsSet is the canonical form of a nameserver list: lower-case, no
// trailing dot, sorted, unique — order, case and the dot do not matter.
func nsSet(ns []string) []string {
	out := make([]string, 0, len(ns))
	for _, n := range ns {
		out = append(out, model.Host(n))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// hostName returns a DNS host's FQDN: providers may report the bare label.
func hostName(domain, h string) string {
	h = model.Host(h)
	if !strings.Contains(h, ".") {
		return h + "." + domain
	}
	return h
}

func hostMap(domain string, hs []model.DNSHost) map[string]model.DNSHost {
	m := make(map[string]model.DNSHost, len(hs))
	for _, h := range hs {
		name := hostName(domain, h.Host)
		ips := slices.Clone(h.IPs)
		slices.Sort(ips)
		m[name] = model.DNSHost{Host: name, IPs: slices.Compact(ips), Pos: h.Pos}
	}
	return m
}

func diffRegistrar(dd *model.Domain, lr *model.LiveRegistrar, synced bool) *regDiff {
	want := dd.Registrar
	rd := &regDiff{name: dd.Name, provider: want.Provider}
	wantNS, haveNS := nsSet(want.Nameservers), nsSet(lr.Nameservers)
	if want.AliyunDNS != lr.AliyunDNS || !want.AliyunDNS && !slices.Equal(wantNS, haveNS) {
		pos := want.NSPos
		if pos.IsZero() {
			pos = want.Pos
		}
		rd.ns = &plan.Change{Domain: dd.Name, Kind: plan.NameserversSet, Provider: want.Provider, Pos: pos,
			NSBefore: haveNS, NSAfter: wantNS, AliyunDNSBefore: lr.AliyunDNS, AliyunDNSAfter: want.AliyunDNS}
		if want.AliyunDNS {
			rd.ns.NSAfter = nil
		}
	}
	if !want.ManageHosts {
		return rd
	}
	w, h := hostMap(dd.Name, want.DNSHosts), hostMap(dd.Name, lr.DNSHosts)
	var ops []*plan.Change
	for name, wh := range w {
		hh, ok := h[name]
		switch {
		case !ok:
			a := wh
			ops = append(ops, &plan.Change{Domain: dd.Name, Kind: plan.HostCreate, Provider: want.Provider, Pos: wh.Pos, HostAfter: &a})
		case !slices.Equal(wh.IPs, hh.IPs):
			a, b := wh, hh
			b.Pos = model.Pos{}
			ops = append(ops, &plan.Change{Domain: dd.Name, Kind: plan.HostModify, Provider: want.Provider, Pos: wh.Pos, HostBefore: &b, HostAfter: &a})
		}
	}
	for name, hh := range h {
		if _, ok := w[name]; !ok {
			b := hh
			ops = append(ops, &plan.Change{Domain: dd.Name, Kind: plan.HostDelete, Provider: want.Provider, HostBefore: &b})
		}
	}
	if len(ops) == 0 {
		return rd
	}
	slices.SortFunc(ops, func(a, b *plan.Change) int {
		return cmp.Or(cmp.Compare(hostOrder(a.Kind), hostOrder(b.Kind)), cmp.Compare(changeHost(a), changeHost(b)))
	})
	if synced {
		rd.hosts = ops
		return rd
	}
	rd.hosts = append([]*plan.Change{{Domain: dd.Name, Kind: plan.HostSynchronize, Provider: want.Provider, Pos: want.Pos}}, ops...)
	return rd
}

func hostOrder(k plan.ChangeKind) int {
	switch k {
	case plan.HostSynchronize:
		return 0
	case plan.HostCreate:
		return 1
	case plan.HostModify:
		return 2
	}
	return 3
}

func changeHost(c *plan.Change) string {
	if c.HostAfter != nil {
		return c.HostAfter.Host
	}
	if c.HostBefore != nil {
		return c.HostBefore.Host
	}
	return ""
}

// registrarStages builds the registrar batches: host synchronisation (a
// stage after which the apply engine re-reads hosts and re-plans), host
// creates and modifies (one call each, one task per domain at a time, so
// the k-th operation of every domain goes to the k-th stage), nameserver
// changes grouped by identical (provider, nameserver set, AliyunDns) and
// chunked at the limit, and host deletes last.
func registrarStages(regs []*regDiff, opts Options) (sync, upsert []plan.Stage, ns plan.Stage, del []plan.Stage) {
	sync = []plan.Stage{{Name: "glue-sync", Replan: true}}
	type nsGroup struct {
		key     string
		c       *plan.Change
		domains []string
		changes []string
	}
	groups := map[string]*nsGroup{}
	var order []string
	for _, rd := range regs {
		if rd.ns != nil {
			k := rd.provider + "\x00" + strings.Join(rd.ns.NSAfter, ",")
			if rd.ns.AliyunDNSAfter {
				k += "\x00aliyun"
			}
			g := groups[k]
			if g == nil {
				g = &nsGroup{key: k, c: rd.ns}
				groups[k] = g
				order = append(order, k)
			}
			g.domains = append(g.domains, rd.name)
			g.changes = append(g.changes, rd.ns.ID)
		}
		var up, dl int
		for _, c := range rd.hosts {
			b := plan.Batch{Provider: rd.provider, Domains: []string{rd.name}, Changes: []string{c.ID}}
			switch c.Kind {
			case plan.HostSynchronize:
				b.Op = plan.AliyunSyncDNSHost
				sync[0].Batches = append(sync[0].Batches, b)
				continue
			case plan.HostCreate, plan.HostModify:
				b.Op = plan.AliyunCreateDNSHost
				if c.Kind == plan.HostModify {
					b.Op = plan.AliyunModifyDNSHost
				}
				b.Host, b.IPs = c.HostAfter.Host, c.HostAfter.IPs
				if up == len(upsert) {
					upsert = append(upsert, plan.Stage{Name: "glue-upsert-" + itoa(up+1)})
				}
				upsert[up].Batches = append(upsert[up].Batches, b)
				up++
			case plan.HostDelete:
				b.Op = plan.AliyunDeleteDNSHost
				b.Host = c.HostBefore.Host
				if dl == len(del) {
					del = append(del, plan.Stage{Name: "glue-delete-" + itoa(dl+1)})
				}
				del[dl].Batches = append(del[dl].Batches, b)
				dl++
			}
		}
	}
	if len(sync[0].Batches) == 0 {
		sync = nil
	}
	slices.Sort(order)
	ns.Name = "nameservers"
	for _, k := range order {
		g := groups[k]
		for i := 0; i < len(g.domains); i += opts.MaxRegistrarDomains {
			j := min(len(g.domains), i+opts.MaxRegistrarDomains)
			ns.Batches = append(ns.Batches, plan.Batch{Provider: g.c.Provider, Op: plan.AliyunModifyDomainDNS,
				Domains: slices.Clone(g.domains[i:j]), Nameservers: g.c.NSAfter, AliyunDNS: g.c.AliyunDNSAfter,
				Changes: slices.Clone(g.changes[i:j])})
		}
	}
	return sync, upsert, ns, del
}
