package aliyun

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
)

// Sim is a small model of an Alibaba registrar account for replaying plans
// (internal/simulate drives it): nameservers and DNS hosts per domain, glue
// that must exist before a delegation points at it, and a host that may not
// be deleted while it still serves a domain. A host synchronisation is
// modelled as a no-op, so a plan is proved valid for the case where the
// registry had nothing to repair.
type Sim struct {
	names   []string
	domains map[string]*model.LiveRegistrar
}

// NewSim loads the registrar side of every domain of live.
func NewSim(live *model.Live) *Sim {
	s := &Sim{domains: map[string]*model.LiveRegistrar{}}
	for _, ld := range live.Domains {
		if ld.Registrar == nil {
			continue
		}
		if _, dup := s.domains[ld.Name]; dup {
			continue
		}
		s.names = append(s.names, ld.Name)
		s.domains[ld.Name] = cloneRegistrar(ld.Registrar)
	}
	slices.Sort(s.names)
	return s
}

func cloneRegistrar(r *model.LiveRegistrar) *model.LiveRegistrar {
	c := *r
	c.Nameservers = slices.Clone(r.Nameservers)
	c.DNSHosts = make([]model.DNSHost, len(r.DNSHosts))
	for i, h := range r.DNSHosts {
		h.IPs = slices.Clone(h.IPs)
		c.DNSHosts[i] = h
	}
	return &c
}

// Export writes the simulated registrar state into live's domains.
func (s *Sim) Export(live *model.Live) {
	for i := range live.Domains {
		if r := s.domains[live.Domains[i].Name]; r != nil {
			live.Domains[i].Registrar = cloneRegistrar(r)
		}
	}
}

// CheckStage: no two batches of a stage touch the same domain, because
// Alibaba refuses a second task on a domain while one is in progress.
func (s *Sim) CheckStage(bs []plan.Batch) error {
	seen := map[string]string{}
	for _, b := range bs {
		for _, n := range b.Domains {
			if prev, ok := seen[n]; ok {
				return fmt.Errorf("batches %s and %s both start a registrar task for %s", prev, b.ID, n)
			}
			seen[n] = b.ID
		}
	}
	return nil
}

func (s *Sim) regOf(name string) (*model.LiveRegistrar, error) {
	d := s.domains[name]
	if d == nil {
		return nil, fmt.Errorf("domain %s has no live registrar state", name)
	}
	return d, nil
}

// Apply runs one batch.
func (s *Sim) Apply(b plan.Batch) error {
	p, err := decode(b)
	if err != nil {
		return err
	}
	switch b.Op {
	case OpModifyDomainDNS:
		for _, n := range b.Domains {
			d, err := s.regOf(n)
			if err != nil {
				return err
			}
			var ns []string
			for _, x := range p.Nameservers {
				ns = append(ns, model.Host(x))
			}
			slices.Sort(ns)
			ns = slices.Compact(ns)
			if !p.AliyunDNS {
				if len(ns) == 0 {
					return fmt.Errorf("%s: no nameservers", n)
				}
				for _, x := range ns {
					if err := s.glueExists(x); err != nil {
						return fmt.Errorf("%s: %w", n, err)
					}
				}
			}
			d.Nameservers = ns
			d.AliyunDNS = p.AliyunDNS
		}
	case OpSyncDNSHost:
		if len(b.Domains) != 1 {
			return fmt.Errorf("host sync needs one domain")
		}
		if _, err := s.regOf(b.Domains[0]); err != nil {
			return err
		}
	case OpCreateDNSHost, OpModifyDNSHost, OpDeleteDNSHost:
		if len(b.Domains) != 1 {
			return fmt.Errorf("DNS host operation needs one domain")
		}
		d, err := s.regOf(b.Domains[0])
		if err != nil {
			return err
		}
		return s.hostOp(b.Domains[0], d, b.Op, p)
	default:
		return fmt.Errorf("unknown operation %q", b.Op)
	}
	return nil
}

// glueExists checks that a nameserver inside a domain known to the
// registrar has its DNS host there: glue must exist before delegation
// points at it.
func (s *Sim) glueExists(ns string) error {
	for _, n := range s.names {
		d := s.domains[n]
		if !strings.HasSuffix(ns, "."+n) {
			continue
		}
		if !slices.ContainsFunc(d.DNSHosts, func(h model.DNSHost) bool { return simHost(n, h.Host) == ns }) {
			return fmt.Errorf("nameserver %s has no DNS host at %s", ns, n)
		}
	}
	return nil
}

func (s *Sim) hostOp(name string, d *model.LiveRegistrar, op plan.Op, p Payload) error {
	host := simHost(name, p.Host)
	i := slices.IndexFunc(d.DNSHosts, func(h model.DNSHost) bool { return simHost(name, h.Host) == host })
	ips := slices.Clone(p.IPs)
	slices.Sort(ips)
	switch op {
	case OpCreateDNSHost, OpModifyDNSHost:
		if len(ips) == 0 || len(ips) > 13 {
			return fmt.Errorf("%s: host %s needs 1-13 addresses, has %d", name, host, len(ips))
		}
		if op == OpCreateDNSHost {
			if i >= 0 {
				return fmt.Errorf("%s: host %s already exists", name, host)
			}
			d.DNSHosts = append(d.DNSHosts, model.DNSHost{Host: host, IPs: ips})
			slices.SortFunc(d.DNSHosts, func(a, b model.DNSHost) int { return strings.Compare(a.Host, b.Host) })
			return nil
		}
		if i < 0 {
			return fmt.Errorf("%s: host %s does not exist", name, host)
		}
		d.DNSHosts[i].IPs = ips
	case OpDeleteDNSHost:
		if i < 0 {
			return fmt.Errorf("%s: host %s does not exist", name, host)
		}
		for _, n := range s.names {
			o := s.domains[n]
			if !o.AliyunDNS && slices.Contains(o.Nameservers, host) {
				return fmt.Errorf("%s: host %s is still a nameserver of %s", name, host, n)
			}
		}
		d.DNSHosts = slices.Delete(d.DNSHosts, i, i+1)
	}
	return nil
}

// simHost is a DNS host's full name: the registrar may report the bare
// label ("ns1") of a host under the domain.
func simHost(domain, h string) string {
	h = model.Host(h)
	if !strings.Contains(h, ".") {
		return h + "." + domain
	}
	return h
}
