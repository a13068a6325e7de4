package diff

import (
	"cmp"
	"slices"
	"strings"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
)

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

// diffRegistrar compares one domain's delegation: the nameserver set (and
// the registrar-DNS flag) and, when the file manages them, the DNS hosts.
func diffRegistrar(idx int, dd *model.Domain, lr *model.LiveRegistrar) *providers.RegistrarDiff {
	want := dd.Registrar
	rd := &providers.RegistrarDiff{Index: idx, Domain: dd.Name, Provider: want.Provider, Live: lr, HostsManaged: want.ManageHosts, Pos: want.Pos}
	wantNS, haveNS := nsSet(want.Nameservers), nsSet(lr.Nameservers)
	if want.AliyunDNS != lr.AliyunDNS || !want.AliyunDNS && !slices.Equal(wantNS, haveNS) {
		pos := want.NSPos
		if pos.IsZero() {
			pos = want.Pos
		}
		rd.NS = &plan.Change{Domain: dd.Name, Kind: plan.NameserversSet, Provider: want.Provider, Pos: pos,
			NSBefore: haveNS, NSAfter: wantNS, AliyunDNSBefore: lr.AliyunDNS, AliyunDNSAfter: want.AliyunDNS}
		if want.AliyunDNS {
			rd.NS.NSAfter = nil
		}
	}
	if !want.ManageHosts {
		return rd
	}
	w, h := hostMap(dd.Name, want.DNSHosts), hostMap(dd.Name, lr.DNSHosts)
	for name, wh := range w {
		hh, ok := h[name]
		switch {
		case !ok:
			a := wh
			rd.Hosts = append(rd.Hosts, &plan.Change{Domain: dd.Name, Kind: plan.HostCreate, Provider: want.Provider, Pos: wh.Pos, HostAfter: &a})
		case !slices.Equal(wh.IPs, hh.IPs):
			a, b := wh, hh
			b.Pos = model.Pos{}
			rd.Hosts = append(rd.Hosts, &plan.Change{Domain: dd.Name, Kind: plan.HostModify, Provider: want.Provider, Pos: wh.Pos, HostBefore: &b, HostAfter: &a})
		}
	}
	for name, hh := range h {
		if _, ok := w[name]; !ok {
			b := hh
			rd.Hosts = append(rd.Hosts, &plan.Change{Domain: dd.Name, Kind: plan.HostDelete, Provider: want.Provider, HostBefore: &b})
		}
	}
	slices.SortFunc(rd.Hosts, func(a, b *plan.Change) int {
		return cmp.Or(cmp.Compare(hostOrder(a.Kind), hostOrder(b.Kind)), cmp.Compare(changeHost(a), changeHost(b)))
	})
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
