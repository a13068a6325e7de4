// Package importer turns live state into zone files, for `dnssync import`:
// the way to start managing domains that already exist. The files it writes
// are in the same canonical form the loader produces, so planning them
// against the live state they came from yields no changes.
package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/spec"
)

// Options say which providers the imported domain uses.
type Options struct {
	RegistrarProvider string // "" leaves the registrar side out
	DNSProvider       string // "" leaves the records out
	SchemaPath        string // for the editor modeline, e.g. ../schema.json
	// Config, when set, is the configuration the file must validate under
	// (`dnssync validate`). A live record the loader would reject there —
	// one the provider accepted against a rule dnssync keeps, such as a
	// CNAME at the apex — is not written as a record but as an ignore
	// entry matching exactly it, so that the file validates and dnssync
	// leaves that record as it is. Anything else that fails is an error
	// and no file is returned.
	Config *spec.Config
}

// Zone renders one domain's live state as a zone file. With o.Config it
// returns only a file that validates under that configuration; the
// records it had to leave to ignore entries are returned too.
func Zone(ld *model.LiveDomain, o Options) ([]byte, error) {
	data, _, err := ZoneChecked(ld, o)
	return data, err
}

// ZoneChecked is Zone, also returning the live records written as ignore
// entries because the loader would reject them as records.
func ZoneChecked(ld *model.LiveDomain, o Options) ([]byte, []model.Record, error) {
	data, err := zone(ld, o, nil)
	if err != nil || o.Config == nil {
		return data, nil, err
	}
	file := ld.Name + ".yaml"
	_, ds := spec.ParseZone(context.Background(), o.Config, file, data)
	if !ds.HasErrors() {
		return data, nil, nil
	}
	// Each pass moves the records with errors to ignore entries; what
	// stood next to them may be reported only once they are gone (a
	// second CNAME beside an A record), so passes repeat while they make
	// progress.
	var left []model.Record
	for ds.HasErrors() {
		recs := zoneRecords(ld)
		recs = slices.DeleteFunc(recs, func(r model.Record) bool { return isLeft(left, r) })
		lines, err := recordLines(data)
		if err != nil {
			return nil, nil, err
		}
		n := len(left)
		for i, line := range lines {
			if i < len(recs) && slices.ContainsFunc(ds, func(d spec.Diagnostic) bool {
				return d.Severity == spec.SeverityError && d.Pos.Line == line
			}) {
				left = append(left, recs[i])
			}
		}
		if len(left) == n {
			return nil, nil, fmt.Errorf("import %s: the zone file would not validate: %w", ld.Name, ds.Err())
		}
		if data, err = zone(ld, o, left); err != nil {
			return nil, nil, err
		}
		_, ds = spec.ParseZone(context.Background(), o.Config, file, data)
	}
	return data, left, nil
}

func isLeft(left []model.Record, r model.Record) bool {
	return slices.ContainsFunc(left, func(x model.Record) bool { return x.ID == r.ID && x.Key() == r.Key() })
}

// zoneRecords are the records an imported file lists, in its order.
func zoneRecords(ld *model.LiveDomain) []model.Record {
	var recs []model.Record
	if ld.DNS == nil {
		return nil
	}
	for _, r := range ld.DNS.Records {
		if !r.System {
			recs = append(recs, r)
		}
	}
	model.SortRecords(recs)
	return recs
}

// recordLines returns the line of each entry of dns.records in data.
func recordLines(data []byte) ([]int, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	get := func(n *yaml.Node, key string) *yaml.Node {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
		return nil
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("import: empty document")
	}
	var lines []int
	if list := get(get(doc.Content[0], "dns"), "records"); list != nil {
		for _, it := range list.Content {
			lines = append(lines, it.Line)
		}
	}
	return lines, nil
}

// globEscape quotes s for path.Match, the matching of ignore entries.
func globEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`).Replace(s)
}

// zone renders the file; the records in left are written as ignore
// entries instead of records.
func zone(ld *model.LiveDomain, o Options, left []model.Record) ([]byte, error) {
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
		recs := zoneRecords(ld)
		ttl := commonTTL(recs)
		add(dns, "ttl", integer(ttl))
		if len(left) > 0 {
			ig := sequence(false)
			for _, r := range left {
				m := mapping(true)
				add(m, "name", scalar(globEscape(r.Name)))
				add(m, "type", scalar(r.Type))
				add(m, "value", scalar(globEscape(r.Value)))
				ig.Content = append(ig.Content, m)
			}
			add(dns, "ignore", ig)
			dns.Content[len(dns.Content)-2].HeadComment = "Live records that break a rule `dnssync validate` checks: left as they are."
		}
		list := sequence(false)
		for _, r := range recs {
			if isLeft(left, r) {
				continue
			}
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
