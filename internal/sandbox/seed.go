package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/idna"
	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/aliyun/aliyuntest"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest"
)

// Seed is the live state at the providers that a fresh sandbox starts
// from (docs/SANDBOX.md, "Seed file"). It is read by LoadSeed, which
// checks it completely — including DNSPod's record rules, by adding the
// records to a scratch emulator — so that Apply cannot fail half way.
type Seed struct {
	File   string
	Aliyun []SeedRegistrarDomain
	DNSPod []SeedZone
}

// SeedRegistrarDomain is one domain at the registrar.
type SeedRegistrarDomain struct {
	Name        string // A-label form
	InstanceID  string // generated when the file gives none
	Nameservers []string
	AliyunDNS   bool
	Registered  time.Time
	Hosts       []SeedHost
	Pos         model.Pos
}

// SeedHost is one DNS host (glue). Registry is the registry's truth,
// Registrar what QueryDnsHost reports; nil means absent in that layer, so
// a host present in only one layer, or with different addresses in the
// two, needs a synchronize task.
type SeedHost struct {
	Host      string // full name
	Registry  []string
	Registrar []string
	Pos       model.Pos
}

// SeedZone is one DNSPod domain with its records (the system apex NS rows
// are added by the emulator).
type SeedZone struct {
	Name    string
	Grade   string
	Records []model.Record // Pos set
	Pos     model.Pos
}

// aliyunDNSServers are the name servers of a domain on Alibaba Cloud DNS
// (aliyuntest's default AliyunNameservers; the sandbox keeps that default).
func aliyunDNSServers() []string { return []string{"ns1.alidns.com", "ns2.alidns.com"} }

// seedRegistered is the registration date of seeded domains that do not
// give one: fixed, so a seed gives the same state on every machine.
var seedRegistered = time.Date(2019, 5, 20, 0, 0, 0, 0, time.UTC)

var (
	gradeRE      = regexp.MustCompile(`^DP?_(Free|Plus|Extra|Expert|Ultra)$`)
	instanceIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	hostLabelRE  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
)

// LoadSeed reads and checks a seed file.
func LoadSeed(path string) (*Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sandbox: seed: %w", err)
	}
	return ParseSeed(path, data)
}

// ParseSeed checks seed data read from file (used in positions). Every
// problem is reported, as a *SeedError.
func ParseSeed(file string, data []byte) (*Seed, error) {
	r := &nodeReader{file: file}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			r.problems = append(r.problems, SeedProblem{Pos: model.Pos{File: file, Line: 1}, Message: "seed file is empty (write {} for emulators without domains)"})
		} else {
			r.syntaxProblem(err)
		}
		return nil, r.err()
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		r.errf(&extra, "a seed file holds one YAML document; found another one here")
	} else if !errors.Is(err, io.EOF) {
		r.syntaxProblem(err)
	}
	s := &Seed{File: file}
	if len(doc.Content) == 1 {
		s.read(r, doc.Content[0])
	}
	// The emulators' rules are checked on whatever parsed, so that one run
	// reports structural and rule problems together.
	if err := s.check(); err != nil {
		var se *SeedError
		switch {
		case errors.As(err, &se):
			r.problems = append(r.problems, se.Problems...)
		case len(r.problems) == 0:
			return nil, err
		}
	}
	if err := r.err(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Seed) read(r *nodeReader, root *yaml.Node) {
	top, ok := r.fields(root, "the seed file", "version", "aliyun", "dnspod")
	if !ok {
		return
	}
	if n := top["version"]; n != nil {
		r.integer(n, "version", 1, 1)
	}
	if n := top["aliyun"]; n != nil {
		if f, ok := r.fields(n, "aliyun", "domains"); ok && f["domains"] != nil {
			items, _ := r.list(f["domains"], "aliyun.domains")
			seen := map[string]bool{}
			ids := map[string]bool{}
			for _, it := range items {
				d, ok := readRegistrarDomain(r, it)
				if !ok {
					continue
				}
				if seen[d.Name] {
					r.errf(it, "aliyun domain %s is listed twice", d.Name)
				}
				if d.InstanceID != "" && ids[d.InstanceID] {
					r.errf(it, "instance_id %s is used twice", d.InstanceID)
				}
				seen[d.Name], ids[d.InstanceID] = true, true
				s.Aliyun = append(s.Aliyun, d)
			}
		}
	}
	if n := top["dnspod"]; n != nil {
		if f, ok := r.fields(n, "dnspod", "domains"); ok && f["domains"] != nil {
			items, _ := r.list(f["domains"], "dnspod.domains")
			seen := map[string]bool{}
			for _, it := range items {
				z, ok := readZone(r, it)
				if !ok {
					continue
				}
				if seen[z.Name] {
					r.errf(it, "dnspod domain %s is listed twice", z.Name)
				}
				seen[z.Name] = true
				s.DNSPod = append(s.DNSPod, z)
			}
		}
	}
}

// domainName converts a domain name to lower-case A-labels.
func (r *nodeReader) domainName(n *yaml.Node, what string) (string, bool) {
	v, ok := r.str(n, what)
	if !ok {
		return "", false
	}
	a, err := idna.Lookup.ToASCII(strings.TrimSuffix(strings.TrimSpace(v), "."))
	if err != nil || !strings.Contains(a, ".") {
		r.errf(n, "%s %q is not a domain name", what, v)
		return "", false
	}
	return strings.ToLower(a), true
}

// hostName checks a name-server or DNS host name (letters, digits, "-").
func (r *nodeReader) hostName(n *yaml.Node, v, what string) (string, bool) {
	h := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(v), "."))
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if !hostLabelRE.MatchString(l) {
			r.errf(n, "%s %q is not a host name", what, v)
			return "", false
		}
	}
	return h, true
}

func (r *nodeReader) ips(n *yaml.Node, what string) ([]string, bool) {
	vals, nodes, ok := r.strs(n, what)
	if !ok {
		return nil, false
	}
	if len(vals) == 0 {
		r.errf(n, "%s must list at least one address", what)
		return nil, false
	}
	out := make([]string, 0, len(vals))
	for i, v := range vals {
		a, err := netip.ParseAddr(strings.TrimSpace(v))
		if err != nil || a.Zone() != "" {
			r.errf(nodes[i], "%s: %q is not an IP address", what, v)
			ok = false
			continue
		}
		out = append(out, a.Unmap().String())
	}
	slices.Sort(out)
	return slices.Compact(out), ok
}

func readRegistrarDomain(r *nodeReader, n *yaml.Node) (SeedRegistrarDomain, bool) {
	d := SeedRegistrarDomain{Pos: r.pos(n), Registered: seedRegistered}
	f, ok := r.fields(n, "an aliyun domain", "name", "instance_id", "nameservers", "aliyun_dns", "registered", "dns_hosts")
	if !ok {
		return d, false
	}
	if f["name"] == nil {
		r.errf(n, "aliyun domain needs a name")
		return d, false
	}
	if d.Name, ok = r.domainName(f["name"], "name"); !ok {
		return d, false
	}
	if v := f["instance_id"]; v != nil {
		if id, ok := r.str(v, "instance_id"); ok {
			if !instanceIDRE.MatchString(id) {
				r.errf(v, "instance_id %q: use letters, digits, '-' and '_'", id)
			}
			d.InstanceID = id
		}
	}
	if v := f["aliyun_dns"]; v != nil {
		d.AliyunDNS, _ = r.boolean(v, "aliyun_dns")
	}
	if v := f["nameservers"]; v != nil {
		vals, nodes, _ := r.strs(v, "nameservers")
		for i, ns := range vals {
			if h, ok := r.hostName(nodes[i], ns, "name server"); ok {
				d.Nameservers = append(d.Nameservers, h)
			}
		}
	}
	if len(d.Nameservers) == 0 && !d.AliyunDNS && f["aliyun_dns"] == nil {
		r.errf(n, "aliyun domain %s needs nameservers (or aliyun_dns: true)", d.Name)
	}
	if v := f["registered"]; v != nil {
		if s, ok := r.str(v, "registered"); ok {
			t, err := time.Parse(time.DateOnly, s)
			if err != nil {
				t, err = time.Parse(time.RFC3339, s)
			}
			if err != nil {
				r.errf(v, "registered %q must be a date (2019-05-20) or an RFC 3339 time", s)
			}
			d.Registered = t.UTC()
		}
	}
	if v := f["dns_hosts"]; v != nil {
		items, _ := r.list(v, "dns_hosts")
		seen := map[string]bool{}
		for _, it := range items {
			h, ok := readHost(r, it, d.Name)
			if h.Host != "" && seen[h.Host] {
				r.errf(it, "DNS host %s is listed twice", h.Host)
			}
			seen[h.Host] = true
			if ok {
				d.Hosts = append(d.Hosts, h)
			}
		}
	}
	return d, true
}

func readHost(r *nodeReader, n *yaml.Node, domain string) (SeedHost, bool) {
	h := SeedHost{Pos: r.pos(n)}
	f, ok := r.fields(n, "a DNS host", "host", "ips", "registry", "registrar")
	if !ok {
		return h, false
	}
	if f["host"] == nil {
		r.errf(n, "DNS host needs a host name")
		return h, false
	}
	v, ok := r.str(f["host"], "host")
	if !ok {
		return h, false
	}
	name, ok := r.hostName(f["host"], v, "DNS host")
	if !ok {
		return h, false
	}
	switch {
	case name != domain && strings.HasSuffix(name, "."+domain):
	case !strings.Contains(name, "."):
		name += "." + domain // a label
	default:
		r.errf(f["host"], "DNS host %q must be a label or a name under %s", v, domain)
		return h, false
	}
	h.Host = name
	switch {
	case f["ips"] != nil && (f["registry"] != nil || f["registrar"] != nil):
		r.errf(n, "DNS host %s: give ips (both layers agree) or registry/registrar (they differ), not both", name)
		return h, false
	case f["ips"] != nil:
		ips, ok := r.ips(f["ips"], "ips")
		h.Registry, h.Registrar = ips, slices.Clone(ips)
		return h, ok
	case f["registry"] == nil && f["registrar"] == nil:
		r.errf(n, "DNS host %s needs ips, or registry and/or registrar addresses", name)
		return h, false
	}
	ok = true
	if f["registry"] != nil {
		var ok2 bool
		h.Registry, ok2 = r.ips(f["registry"], "registry")
		ok = ok && ok2
	}
	if f["registrar"] != nil {
		var ok2 bool
		h.Registrar, ok2 = r.ips(f["registrar"], "registrar")
		ok = ok && ok2
	}
	return h, ok
}

func readZone(r *nodeReader, n *yaml.Node) (SeedZone, bool) {
	z := SeedZone{Pos: r.pos(n), Grade: "DP_Free"}
	f, ok := r.fields(n, "a dnspod domain", "name", "grade", "ttl", "records")
	if !ok {
		return z, false
	}
	if f["name"] == nil {
		r.errf(n, "dnspod domain needs a name")
		return z, false
	}
	if z.Name, ok = r.domainName(f["name"], "name"); !ok {
		return z, false
	}
	if v := f["grade"]; v != nil {
		if g, ok := r.str(v, "grade"); ok {
			if gradeRE.MatchString(g) {
				z.Grade = g
			} else {
				r.errf(v, "grade %q is not a DNSPod grade (DP_Free, DP_Plus, DP_Extra, DP_Expert, DP_Ultra or the D_ forms)", g)
			}
		}
	}
	ttl := 600
	if v := f["ttl"]; v != nil {
		ttl, _ = r.integer(v, "ttl", 1, 604800)
	}
	if v := f["records"]; v != nil {
		items, _ := r.list(v, "records")
		for _, it := range items {
			z.Records = append(z.Records, readRecords(r, it, ttl)...)
		}
	}
	return z, true
}

// readRecords reads one record entry; "values" makes one record per value.
func readRecords(r *nodeReader, n *yaml.Node, ttl int) []model.Record {
	f, ok := r.fields(n, "a record", "name", "type", "value", "values", "line", "ttl", "mx", "enabled")
	if !ok {
		return nil
	}
	base := model.Record{Name: "@", Line: model.DefaultLine, TTL: ttl, Enabled: true, Pos: r.pos(n)}
	if v := f["name"]; v != nil {
		if s, ok := r.str(v, "name"); ok {
			name, err := recordName(s)
			if err != nil {
				r.errf(v, "record name %q: %v", s, err)
			}
			base.Name = name
		}
	}
	if f["type"] == nil {
		r.errf(n, "record needs a type")
		return nil
	}
	t, ok := r.str(f["type"], "type")
	if !ok {
		return nil
	}
	base.Type = strings.ToUpper(t)
	if v := f["line"]; v != nil {
		base.Line, _ = r.str(v, "line")
	}
	if v := f["ttl"]; v != nil {
		base.TTL, _ = r.integer(v, "ttl", 1, 604800)
	}
	if v := f["mx"]; v != nil {
		base.MX, _ = r.integer(v, "mx", 0, 65535)
	}
	if v := f["enabled"]; v != nil {
		base.Enabled, _ = r.boolean(v, "enabled")
	}
	var vals []string
	var nodes []*yaml.Node
	switch {
	case f["value"] != nil && f["values"] != nil:
		r.errf(n, "record: give value or values, not both")
		return nil
	case f["value"] != nil:
		v, ok := r.str(f["value"], "value")
		if !ok {
			return nil
		}
		vals, nodes = []string{v}, []*yaml.Node{f["value"]}
	case f["values"] != nil:
		if vals, nodes, ok = r.strs(f["values"], "values"); !ok {
			return nil
		}
		if len(vals) == 0 {
			r.errf(f["values"], "values must not be empty")
			return nil
		}
	default:
		r.errf(n, "record needs a value (or values)")
		return nil
	}
	out := make([]model.Record, 0, len(vals))
	for i, v := range vals {
		rec := base
		rec.Value = v
		if len(vals) > 1 {
			rec.Pos = r.pos(nodes[i])
		}
		out = append(out, rec)
	}
	return out
}

// recordName converts a relative record name to lower-case A-labels label
// by label, so "*" and "_service" labels pass through to the rule engine.
func recordName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "@" {
		return "@", nil
	}
	labels := strings.Split(s, ".")
	for i, l := range labels {
		ascii := true
		for j := 0; j < len(l); j++ {
			ascii = ascii && l[j] < 0x80
		}
		if ascii {
			labels[i] = strings.ToLower(l)
			continue
		}
		a, err := idna.Lookup.ToASCII(l)
		if err != nil {
			return "", err
		}
		labels[i] = a
	}
	return strings.Join(labels, "."), nil
}

// check applies the seed to scratch emulators, so that the emulators' own
// rules (DNSPod's record and conflict rules, the registrar's state checks)
// reject a bad seed with the position of the offending item.
func (s *Seed) check() error {
	return s.Apply(aliyuntest.New(aliyuntest.Options{}), dnspodtest.New(dnspodtest.Options{}))
}

// aliyunState is the registrar part of the seed as emulator state.
func (s *Seed) aliyunState() aliyuntest.State {
	st := aliyuntest.State{Version: aliyuntest.StateVersion, Domains: []aliyuntest.DomainState{}, Tasks: []aliyuntest.TaskState{}}
	for i, d := range s.Aliyun {
		id := d.InstanceID
		if id == "" {
			id = fmt.Sprintf("S2018%011d", i+1)
		}
		ns := slices.Clone(d.Nameservers)
		if len(ns) == 0 && d.AliyunDNS {
			ns = aliyunDNSServers()
		}
		ds := aliyuntest.DomainState{
			Name: d.Name, InstanceID: id, Nameservers: ns, AliyunDNS: d.AliyunDNS,
			Registered: d.Registered, RegistryHosts: []aliyuntest.HostState{}, RegistrarHosts: []aliyuntest.HostState{},
		}
		for _, h := range d.Hosts {
			if h.Registry != nil {
				ds.RegistryHosts = append(ds.RegistryHosts, aliyuntest.HostState{Name: h.Host, IPs: slices.Clone(h.Registry)})
			}
			if h.Registrar != nil {
				ds.RegistrarHosts = append(ds.RegistrarHosts, aliyuntest.HostState{Name: h.Host, IPs: slices.Clone(h.Registrar)})
			}
		}
		st.Domains = append(st.Domains, ds)
	}
	// Task numbers and detail numbers come from the same counter as the
	// generated instance ids; start past them.
	st.NextID = int64(len(s.Aliyun))
	return st
}

// Apply replaces the registrar emulator's state with the seed and adds
// the seed's DNSPod domains and records to d (which should be empty).
func (s *Seed) Apply(a *aliyuntest.Server, d *dnspodtest.Server) error {
	var problems []SeedProblem
	for _, z := range s.DNSPod {
		if _, err := d.AddDomain(z.Name, z.Grade); err != nil {
			problems = append(problems, SeedProblem{Pos: z.Pos, Message: err.Error()})
			continue
		}
		for _, rec := range z.Records {
			if _, err := d.AddRecord(z.Name, rec); err != nil {
				problems = append(problems, SeedProblem{Pos: rec.Pos, Message: fmt.Sprintf("%s: record %s: %v", z.Name, describe(rec), err)})
			}
		}
	}
	if len(problems) > 0 {
		return &SeedError{Problems: problems}
	}
	js, err := json.Marshal(s.aliyunState())
	if err != nil {
		return fmt.Errorf("sandbox: seed: %w", err)
	}
	if err := a.Import(js); err != nil {
		return fmt.Errorf("sandbox: seed %s: %w", s.File, err)
	}
	return nil
}

func describe(r model.Record) string {
	s := r.Name + " " + r.Type + " " + strconv.Quote(r.Value)
	if r.Line != model.DefaultLine {
		s += " line " + r.Line
	}
	return s
}
