// Package importer turns live state into zone files, for `dnssync import`:
// the way to start managing domains that already exist. The files it writes
// are in the same canonical form the loader produces, so planning them
// against the live state they came from yields no changes.
package importer

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/model"
)

// Options say which providers the imported domain uses.
type Options struct {
	RegistrarProvider string // "" leaves the registrar side out
	DNSProvider       string // "" leaves the records out
	SchemaPath        string // for the editor modeline, e.g. ../schema.json
}

// Zone renders one domain's live state as a zone file.
func Zone(ld *model.LiveDomain, o Options) ([]byte, error) {
	root := mapping(false)
	add(root, "domain", scalar(ld.Name))
	if ld.Registrar != nil && o.RegistrarProvider != "" {
		reg := mapping(false)
		add(reg, "provider", scalar(o.RegistrarProvider))
		if ld.Registrar.AliyunDNS {
			add(reg, "aliyun_dns", boolean(true))
		} else {
			ns := sequence(true)
			for _, n := range ld.Registrar.Nameservers {
				ns.Content = append(ns.Content, scalar(n))
			}
			add(reg, "nameservers", ns)
		}
		hosts := sequence(false)
		for _, h := range ld.Registrar.DNSHosts {
			m := mapping(true)
			add(m, "host", scalar(h.Host))
			ips := sequence(true)
			for _, ip := range h.IPs {
				ips.Content = append(ips.Content, scalar(ip))
			}
			add(m, "ips", ips)
			hosts.Content = append(hosts.Content, m)
		}
		add(reg, "dns_hosts", hosts)
		add(root, "registrar", reg)
	}
	if ld.DNS != nil && o.DNSProvider != "" {
		dns := mapping(false)
		add(dns, "provider", scalar(o.DNSProvider))
		var recs []model.Record
		for _, r := range ld.DNS.Records {
			if !r.System {
				recs = append(recs, r)
			}
		}
		model.SortRecords(recs)
		ttl := commonTTL(recs)
		add(dns, "ttl", integer(ttl))
		list := sequence(false)
		for _, r := range recs {
			m := mapping(true)
			add(m, "name", scalar(r.Name))
			add(m, "type", scalar(r.Type))
			add(m, "value", scalar(recordValue(r)))
			if r.Type == model.TypeMX {
				add(m, "mx", integer(r.MX))
			}
			if r.Line != "" && r.Line != model.DefaultLine {
				add(m, "line", scalar(r.Line))
			}
			if r.TTL != ttl {
				add(m, "ttl", integer(r.TTL))
			}
			if !r.Enabled {
				add(m, "enabled", boolean(false))
			}
			list.Content = append(list.Content, m)
		}
		add(dns, "records", list)
		add(root, "dns", dns)
	}
	var buf bytes.Buffer
	if o.SchemaPath != "" {
		fmt.Fprintf(&buf, "# yaml-language-server: $schema=%s\n", o.SchemaPath)
	}
	fmt.Fprintf(&buf, "#\n# Imported from live state by `dnssync import`. Review before committing:\n# from now on this file is the truth for %s.\n", ld.Name)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// recordValue is r's value as a zone file must spell it to load back as
// r.Value. A TXT value is its text, except that text starting with a
// double quote would be read as zone-file quoted strings; such text is
// written quoted itself.
func recordValue(r model.Record) string {
	if r.Type != model.TypeTXT || !strings.HasPrefix(strings.TrimSpace(r.Value), `"`) {
		return r.Value
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(r.Value) + `"`
}

// commonTTL is the most frequent TTL (the smallest on a tie), which becomes
// the zone default so that only exceptions are written per record.
func commonTTL(rs []model.Record) int {
	if len(rs) == 0 {
		return 600
	}
	n := map[int]int{}
	for _, r := range rs {
		n[r.TTL]++
	}
	ttls := make([]int, 0, len(n))
	for t := range n {
		ttls = append(ttls, t)
	}
	sort.Ints(ttls)
	best := ttls[0]
	for _, t := range ttls {
		if n[t] > n[best] {
			best = t
		}
	}
	return best
}

func mapping(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func sequence(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func add(m *yaml.Node, key string, v *yaml.Node) { m.Content = append(m.Content, scalar(key), v) }

// scalar is a string that stays a string when read back ("@", "*", values
// that look like numbers or booleans are quoted by the encoder).
func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func integer(i int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(i)}
}

func boolean(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}
