package aliyuntest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/sandbox/emulator"
)

// seedDomain is one domain of a seed file's aliyun section.
type seedDomain struct {
	Name        string // A-label form
	InstanceID  string // generated when the file gives none
	Nameservers []string
	AliyunDNS   bool
	Registered  time.Time
	Hosts       []seedHost
}

// seedHost is one DNS host (glue). Registry is the registry's truth,
// Registrar what QueryDnsHost reports; nil means absent in that layer, so
// a host present in only one layer, or with different addresses in the
// two, needs a synchronize task.
type seedHost struct {
	Host      string // full name
	Registry  []string
	Registrar []string
}

// seedRegistered is the registration date of seeded domains that do not
// give one: fixed, so a seed gives the same state on every machine.
func seedRegistered() time.Time { return time.Date(2019, 5, 20, 0, 0, 0, 0, time.UTC) }

var instanceIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// readSeed reads the aliyun section: {domains: [...]}.
func readSeed(r *emulator.SeedReader, n *yaml.Node) []seedDomain {
	f, ok := r.Fields(n, "aliyun", "domains")
	if !ok || f["domains"] == nil {
		return nil
	}
	items, _ := r.List(f["domains"], "aliyun.domains")
	var out []seedDomain
	seen := map[string]bool{}
	ids := map[string]bool{}
	for _, it := range items {
		d, ok := readSeedDomain(r, it)
		if !ok {
			continue
		}
		if seen[d.Name] {
			r.Errf(it, "aliyun domain %s is listed twice", d.Name)
		}
		if d.InstanceID != "" && ids[d.InstanceID] {
			r.Errf(it, "instance_id %s is used twice", d.InstanceID)
		}
		seen[d.Name], ids[d.InstanceID] = true, true
		out = append(out, d)
	}
	return out
}

func readSeedDomain(r *emulator.SeedReader, n *yaml.Node) (seedDomain, bool) {
	d := seedDomain{Registered: seedRegistered()}
	f, ok := r.Fields(n, "an aliyun domain", "name", "instance_id", "nameservers", "aliyun_dns", "registered", "dns_hosts")
	if !ok {
		return d, false
	}
	if f["name"] == nil {
		r.Errf(n, "aliyun domain needs a name")
		return d, false
	}
	if d.Name, ok = r.DomainName(f["name"], "name"); !ok {
		return d, false
	}
	if v := f["instance_id"]; v != nil {
		if id, ok := r.Str(v, "instance_id"); ok {
			if !instanceIDRE.MatchString(id) {
				r.Errf(v, "instance_id %q: use letters, digits, '-' and '_'", id)
			}
			d.InstanceID = id
		}
	}
	if v := f["aliyun_dns"]; v != nil {
		d.AliyunDNS, _ = r.Boolean(v, "aliyun_dns")
	}
	if v := f["nameservers"]; v != nil {
		vals, nodes, _ := r.Strs(v, "nameservers")
		for i, ns := range vals {
			if h, ok := r.HostName(nodes[i], ns, "name server"); ok {
				d.Nameservers = append(d.Nameservers, h)
			}
		}
	}
	if len(d.Nameservers) == 0 && !d.AliyunDNS && f["aliyun_dns"] == nil {
		r.Errf(n, "aliyun domain %s needs nameservers (or aliyun_dns: true)", d.Name)
	}
	if v := f["registered"]; v != nil {
		if s, ok := r.Str(v, "registered"); ok {
			t, err := time.Parse(time.DateOnly, s)
			if err != nil {
				t, err = time.Parse(time.RFC3339, s)
			}
			if err != nil {
				r.Errf(v, "registered %q must be a date (2019-05-20) or an RFC 3339 time", s)
			}
			d.Registered = t.UTC()
		}
	}
	if v := f["dns_hosts"]; v != nil {
		items, _ := r.List(v, "dns_hosts")
		seen := map[string]bool{}
		for _, it := range items {
			h, ok := readSeedHost(r, it, d.Name)
			if h.Host != "" && seen[h.Host] {
				r.Errf(it, "DNS host %s is listed twice", h.Host)
			}
			seen[h.Host] = true
			if ok {
				d.Hosts = append(d.Hosts, h)
			}
		}
	}
	return d, true
}

func readSeedHost(r *emulator.SeedReader, n *yaml.Node, domain string) (seedHost, bool) {
	var h seedHost
	f, ok := r.Fields(n, "a DNS host", "host", "ips", "registry", "registrar")
	if !ok {
		return h, false
	}
	if f["host"] == nil {
		r.Errf(n, "DNS host needs a host name")
		return h, false
	}
	v, ok := r.Str(f["host"], "host")
	if !ok {
		return h, false
	}
	name, ok := r.HostName(f["host"], v, "DNS host")
	if !ok {
		return h, false
	}
	switch {
	case name != domain && strings.HasSuffix(name, "."+domain):
	case !strings.Contains(name, "."):
		name += "." + domain // a label
	default:
		r.Errf(f["host"], "DNS host %q must be a label or a name under %s", v, domain)
		return h, false
	}
	h.Host = name
	switch {
	case f["ips"] != nil && (f["registry"] != nil || f["registrar"] != nil):
		r.Errf(n, "DNS host %s: give ips (both layers agree) or registry/registrar (they differ), not both", name)
		return h, false
	case f["ips"] != nil:
		ips, ok := r.IPs(f["ips"], "ips")
		h.Registry, h.Registrar = ips, slices.Clone(ips)
		return h, ok
	case f["registry"] == nil && f["registrar"] == nil:
		r.Errf(n, "DNS host %s needs ips, or registry and/or registrar addresses", name)
		return h, false
	}
	ok = true
	if f["registry"] != nil {
		var ok2 bool
		h.Registry, ok2 = r.IPs(f["registry"], "registry")
		ok = ok && ok2
	}
	if f["registrar"] != nil {
		var ok2 bool
		h.Registrar, ok2 = r.IPs(f["registrar"], "registrar")
		ok = ok && ok2
	}
	return h, ok
}

// seedState is the seed as emulator state.
func seedState(domains []seedDomain) State {
	st := State{Version: StateVersion, Domains: []DomainState{}, Tasks: []TaskState{}}
	for i, d := range domains {
		id := d.InstanceID
		if id == "" {
			id = fmt.Sprintf("S2018%011d", i+1)
		}
		ns := slices.Clone(d.Nameservers)
		if len(ns) == 0 && d.AliyunDNS {
			// The servers AliyunDns=true sets (Options.AliyunNameservers'
			// default, which the sandbox keeps).
			ns = []string{"ns1.alidns.com", "ns2.alidns.com"}
		}
		ds := DomainState{
			Name: d.Name, InstanceID: id, Nameservers: ns, AliyunDNS: d.AliyunDNS,
			Registered: d.Registered, RegistryHosts: []HostState{}, RegistrarHosts: []HostState{},
		}
		for _, h := range d.Hosts {
			if h.Registry != nil {
				ds.RegistryHosts = append(ds.RegistryHosts, HostState{Name: h.Host, IPs: slices.Clone(h.Registry)})
			}
			if h.Registrar != nil {
				ds.RegistrarHosts = append(ds.RegistrarHosts, HostState{Name: h.Host, IPs: slices.Clone(h.Registrar)})
			}
		}
		st.Domains = append(st.Domains, ds)
	}
	// Task numbers and detail numbers come from the same counter as the
	// generated instance ids; start past them.
	st.NextID = int64(len(domains))
	return st
}
