package spec

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"path"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
)

// maxNameservers and maxGlueIPs are the registry limits (aliyun spec §5;
// 2–13 nameservers is the common registry rule, UNVERIFIED for the API).
const (
	minNameservers = 2
	maxNameservers = 13
	maxGlueIPs     = 13
	maxGlueHostLen = 80 // Alibaba DNS host name rule
)

// supportedTypes are the record types dnssync manages.
func supportedTypes() []string {
	return []string{model.TypeA, model.TypeAAAA, model.TypeCNAME, model.TypeMX, model.TypeTXT, model.TypeNS, model.TypeSRV, model.TypeCAA, model.TypePTR}
}

// supportedType is slices.Contains(supportedTypes(), t) without building
// the list for every record.
func supportedType(t string) bool {
	switch t {
	case model.TypeA, model.TypeAAAA, model.TypeCNAME, model.TypeMX, model.TypeTXT, model.TypeNS, model.TypeSRV, model.TypeCAA, model.TypePTR:
		return true
	}
	return false
}

// LoadZone reads and checks one zone file against cfg (nil: an empty
// config, so every provider reference fails). The domain is nil when the
// file could not be read or parsed, names no valid domain, or ctx was
// cancelled; otherwise it is returned even when diagnostics hold errors
// (best effort, for reporting).
func LoadZone(ctx context.Context, cfg *Config, file string) (*model.Domain, Diagnostics) {
	if cfg == nil {
		cfg = DefaultConfig(".", nil)
	}
	return loadZone(ctx, cfg, file, nil)
}

// loadZone is LoadZone with a ZoneReady hook (nil: none).
func loadZone(ctx context.Context, cfg *Config, file string, ready ZoneReady) (*model.Domain, Diagnostics) {
	data, d := readFile(ctx, file, "zone file", cfg.ReadOptions())
	if d != nil {
		return nil, Diagnostics{*d}
	}
	return parseZoneReady(ctx, cfg, file, data, ready)
}

// ParseZone is LoadZone on data already read from file.
func ParseZone(ctx context.Context, cfg *Config, file string, data []byte) (*model.Domain, Diagnostics) {
	if cfg == nil {
		cfg = DefaultConfig(".", nil)
	}
	return parseZoneReady(ctx, cfg, file, data, nil)
}

// parseZoneReady is ParseZone with a ZoneReady hook (nil: none).
func parseZoneReady(ctx context.Context, cfg *Config, file string, data []byte, ready ZoneReady) (*model.Domain, Diagnostics) {
	s, err := cfg.Schemas()
	if err != nil {
		return nil, Diagnostics{{Pos: model.Pos{File: file, Line: 1}, Rule: RuleSchema, Severity: SeverityError, Message: err.Error()}}
	}
	return parseZoneMode(ctx, cfg, s, parseMode{fast: s.fastRecords, stream: s.fastRecords, ready: ready}, file, data)
}

// parseMode selects the ways of parsing a zone file (tests compare them).
type parseMode struct {
	fast   bool      // the records fast path (fastRecord)
	stream bool      // the record stream (stream.go); needs fast
	run    int       // entries per streamed run; 0: streamRunEntries
	ready  ZoneReady // nil: nobody to tell
}

// parseZoneMode parses a zone file in mode m; the records fast path
// (fastRecords) also allows the record stream.
func parseZoneMode(ctx context.Context, cfg *Config, s *Schemas, m parseMode, file string, data []byte) (*model.Domain, Diagnostics) {
	fast := m.fast
	ti := scanText(ctx, file, data)
	if ti.cancelled {
		return nil, notLoaded(ctx, file)
	}
	if ti.problem != nil {
		return nil, Diagnostics{*ti.problem}
	}
	if m.stream && fast && ti.plainBreaks {
		if rs := findRecords(ctx, data); rs != nil {
			rs.run = m.run
			dom, ds, err := streamZone(ctx, cfg, s, file, rs, m.ready)
			switch err.(type) {
			case nil, errSyntax:
				return dom, ds
			case errFallback:
				// Parse it as one document.
			default:
				return nil, notLoaded(ctx, file)
			}
		}
	}
	d := parseYAMLContext(ctx, file, data, fast)
	if d.cancelled != nil {
		return nil, notLoaded(ctx, file)
	}
	if !d.ok {
		return nil, d.diags
	}
	d.validate(s.zone, s.record, s.printer)
	z := zoneDecoder{ctx: ctx, cfg: cfg, d: d, ready: m.ready}
	dom := z.decode(d.cursor())
	if z.err != nil {
		return nil, notLoaded(ctx, file)
	}
	return dom, d.diags
}

// streamZone parses a zone file whose dns.records is streamed: the
// skeleton first, then the entries run by run. err is errSyntax when the
// diagnostics hold the file's syntax error, errFallback when the file must
// be parsed as one document, or the context's error.
func streamZone(ctx context.Context, cfg *Config, s *Schemas, file string, rs *recordStream, ready ZoneReady) (*model.Domain, Diagnostics, error) {
	d := parseYAMLContext(ctx, file, rs.skeleton(), true)
	d.stream, d.schemas = rs, s
	if d.cancelled != nil {
		return nil, nil, d.cancelled
	}
	if !d.ok {
		// yaml.v3 reports the first error of the file. When the part
		// before the records shows the same error, that is it; an error
		// after them may read differently without the records in between
		// (another enclosing construct), so the whole document decides.
		if p := parseYAML(file, rs.skeletonPrefix(), true); !p.ok && slices.Equal(p.diags, d.diags) {
			return nil, d.diags, errSyntax{}
		}
		return nil, nil, errFallback{}
	}
	// The skeleton must read as the lexer cut it: the "[]" it put after
	// "records:" is dns.records.
	_, ph, all := d.lookup("/dns/records")
	if !all || ph.Kind != yaml.SequenceNode || ph.Style&yaml.FlowStyle == 0 || len(ph.Content) != 0 ||
		ph.Line != rs.keyLine || ph.Column != rs.col || ph.Anchor != "" {
		return nil, nil, errFallback{}
	}
	rs.placeholder = ph
	d.validate(s.zone, s.record, s.printer)
	z := zoneDecoder{ctx: ctx, cfg: cfg, d: d, ready: ready}
	dom := z.decode(d.cursor())
	if z.err != nil {
		return nil, nil, z.err
	}
	if !rs.read && d.streamErr == nil {
		// The decoder did not get to the records (dns was rejected):
		// they are still checked against the schema, as in a whole
		// document.
		for range d.streamedRecords(ctx) {
		}
	}
	switch d.streamErr.(type) {
	case nil:
		return dom, d.diags, nil
	case errSyntax:
		return nil, d.diags, d.streamErr
	default:
		return nil, nil, d.streamErr
	}
}

// notLoaded is the diagnostic of a file whose loading ctx cancelled.
func notLoaded(ctx context.Context, file string) Diagnostics {
	return Diagnostics{{Pos: model.Pos{File: file, Line: 1}, Rule: RuleReadFile, Severity: SeverityError,
		Message: fmt.Sprintf("not loaded: %v", context.Cause(ctx))}}
}

type zoneDecoder struct {
	ctx   context.Context // checked every checkEvery records
	cfg   *Config
	d     *doc
	err   error     // the context's error, when it stopped decoding
	ready ZoneReady // told when the records are about to be decoded; nil: nobody
	named bool      // the file names a valid domain
}

// ZoneReady is told, while a zone file is loaded, the domain and the DNS
// provider whose live records the file manages, as soon as both are known
// and valid and nothing read so far is in error: just before the file's
// records are decoded, which in a large zone is most of the loading. A
// caller can start reading those live records then, alongside the rest of
// the load. It is called at most once per file, from the loading
// goroutine, and must not block. It promises nothing about the file: the
// diagnostics returned at the end decide whether it is valid.
type ZoneReady func(domain, provider string)

// checkEvery is how many records pass between looks at the context.
const checkEvery = 4096

// placeholderDomain stands in for a missing or invalid domain so that the
// rest of the file is still checked.
const placeholderDomain = "domain.invalid"

func (z *zoneDecoder) decode(c cursor) *model.Domain {
	dom := &model.Domain{File: z.d.file}
	valid := false
	if raw, dc, ok := c.strField("domain"); ok {
		dom.Pos = dc.pos()
		if name, p := normDomain(raw); p != nil {
			dc.fail(p)
		} else {
			dom.Name, valid = name, true
		}
	}
	if !valid {
		dom.Name = placeholderDomain
	}
	z.named = valid
	dom.Unicode = Unicode(dom.Name)
	if rc, ok := c.get("registrar"); ok {
		dom.Registrar = z.registrar(rc, dom.Name)
	}
	if nc, ok := c.get("dns"); ok {
		dom.DNS = z.dns(nc, dom.Name)
	}
	if !c.has("registrar") && !c.has("dns") && valid {
		z.d.warn(dom.Pos, RuleEmptyFile, fmt.Sprintf("%s declares neither registrar nor dns: nothing is managed", dom.Unicode))
	}
	if !valid {
		return nil
	}
	return dom
}

// provider looks up a provider reference and checks that it manages the
// side (registrar or records) it is used for.
func (z *zoneDecoder) provider(c cursor, side string, role providers.Role) (Provider, bool) {
	name, pc, ok := c.strField("provider")
	if !ok {
		return Provider{}, false
	}
	p, ok := z.cfg.Provider(name)
	if !ok {
		known := strings.Join(z.cfg.ProviderNames(), ", ")
		if known == "" {
			known = "none"
		}
		pc.errorf(RuleProvider, fmt.Sprintf("%s provider %q is not configured in dnssync.yaml (configured: %s)", side, name, known))
		return Provider{}, false
	}
	if !z.cfg.Roles(name).Has(role) {
		what := "records"
		if role == providers.RoleRegistrar {
			what = "delegations (nameservers, DNS hosts)"
		}
		pc.errorf(RuleProviderKind, fmt.Sprintf("%s provider %q has type %s, which does not manage %s", side, name, p.Type, what))
		return Provider{}, false
	}
	return p, true
}

func (z *zoneDecoder) registrar(c cursor, domain string) *model.Registrar {
	reg := &model.Registrar{Pos: c.keyPos()}
	var rc providers.RegistrarCaps
	if p, ok := z.provider(c, "registrar", providers.RoleRegistrar); ok {
		reg.Provider = p.Name
		if caps, _ := z.cfg.Caps(p.Name); caps.Registrar != nil {
			rc = *caps.Registrar
		}
	} else if name, _, ok := c.strField("provider"); ok {
		reg.Provider = name
	}
	aliyunDNS, ac, aliyunSet := c.boolField("aliyun_dns")
	reg.AliyunDNS = aliyunSet && aliyunDNS
	if aliyunSet {
		reg.NSPos = ac.keyPos()
		if reg.AliyunDNS && reg.Provider != "" && rc.MaxNameservers > 0 && !rc.RegistrarDNS {
			ac.errorf(RuleDelegation, fmt.Sprintf("registrar provider %q offers no DNS service of its own to delegate to", reg.Provider))
		}
	}

	type nsItem struct {
		host string
		c    cursor
	}
	var nss []nsItem
	nsc, hasNS := c.get("nameservers")
	if hasNS {
		reg.NSPos = nsc.keyPos()
		seen := map[string]bool{}
		for _, it := range nsc.items() {
			raw, ok := it.str()
			if !ok {
				continue
			}
			h, p := normHost(raw, kindHost, RuleNSName)
			if p != nil {
				it.fail(p)
				continue
			}
			if seen[h] {
				it.errorf(RuleNSDuplicate, fmt.Sprintf("nameserver %s is listed twice", Unicode(h)))
				continue
			}
			seen[h] = true
			nss = append(nss, nsItem{h, it})
			reg.Nameservers = append(reg.Nameservers, h)
		}
		lo, hi := minNameservers, maxNameservers
		if rc.MaxNameservers > 0 {
			lo, hi = rc.MinNameservers, rc.MaxNameservers
		}
		if n := len(nsc.items()); n < lo || n > hi {
			z.d.add(nsc.keyPos(), RuleNSCount, fmt.Sprintf("%d nameservers; a domain needs %d to %d", n, lo, hi))
		}
	}
	switch {
	case reg.AliyunDNS && c.has("nameservers"):
		z.d.add(reg.NSPos, RuleDelegation, "set either nameservers or aliyun_dns: true, not both")
	case !reg.AliyunDNS && !c.has("nameservers"):
		z.d.add(reg.Pos, RuleDelegation, "registrar needs nameservers (2 to 13 host names) or aliyun_dns: true")
	}

	hosts := map[string]bool{}
	if hc, ok := c.get("dns_hosts"); ok {
		reg.ManageHosts = true
		for _, it := range hc.items() {
			if h, ok := z.glue(it, domain, hosts); ok {
				reg.DNSHosts = append(reg.DNSHosts, h)
			}
		}
	} else {
		reg.ManageHosts = c.has("dns_hosts")
	}
	for _, ns := range nss {
		if inside(ns.host, domain) && !hosts[ns.host] {
			ns.c.errorf(RuleGlueMissing, fmt.Sprintf("nameserver %s lies inside %s and needs glue: declare it under registrar.dns_hosts with its addresses",
				Unicode(ns.host), Unicode(domain)))
		}
	}
	slices.Sort(reg.Nameservers)
	slices.SortFunc(reg.DNSHosts, func(a, b model.DNSHost) int { return strings.Compare(a.Host, b.Host) })
	return reg
}

// glue decodes one dns_hosts entry; hosts collects the names seen.
func (z *zoneDecoder) glue(c cursor, domain string, hosts map[string]bool) (model.DNSHost, bool) {
	raw, hc, ok := c.strField("host")
	if !ok {
		return model.DNSHost{}, false
	}
	h, p := normHost(raw, kindHost, RuleGlueHost)
	if p != nil {
		hc.fail(p)
		return model.DNSHost{}, false
	}
	if len(h) > maxGlueHostLen {
		hc.errorf(RuleGlueHost, fmt.Sprintf("host %s is %d characters; the registrar allows at most %d", Unicode(h), len(h), maxGlueHostLen))
		return model.DNSHost{}, false
	}
	if !inside(h, domain) {
		hc.errorf(RuleGlueOutside, fmt.Sprintf("host %s is not inside %s; glue can only be registered under the domain itself", Unicode(h), Unicode(domain)))
		return model.DNSHost{}, false
	}
	if hosts[h] {
		hc.errorf(RuleGlueDuplicate, fmt.Sprintf("host %s is listed twice", Unicode(h)))
		return model.DNSHost{}, false
	}
	hosts[h] = true
	host := model.DNSHost{Host: h, Pos: c.pos()}
	ic, ok := c.get("ips")
	if !ok {
		return host, true
	}
	items := ic.items()
	if n := len(items); n < 1 || n > maxGlueIPs {
		z.d.add(ic.keyPos(), RuleGlueIPs, fmt.Sprintf("host %s has %d addresses; it needs 1 to %d", Unicode(h), n, maxGlueIPs))
	}
	seen := map[string]bool{}
	for _, it := range items {
		s, ok := it.str()
		if !ok {
			continue
		}
		ip, ok := normIP(s)
		switch {
		case !ok:
			it.errorf(RuleGlueIPs, fmt.Sprintf("%q is not an IPv4 or IPv6 address", s))
		case seen[ip]:
			it.errorf(RuleGlueIPDup, fmt.Sprintf("address %s is listed twice for %s", ip, Unicode(h)))
		default:
			seen[ip] = true
			host.IPs = append(host.IPs, ip)
		}
	}
	slices.Sort(host.IPs)
	return host, true
}

func (z *zoneDecoder) dns(c cursor, domain string) *model.DNS {
	cfg := z.cfg
	dns := &model.DNS{Pos: c.keyPos(), TTL: cfg.Defaults.TTL, Policy: cfg.Defaults.Policy, Thresholds: cfg.Safety.Thresholds}
	prov, haveProv := z.provider(c, "dns", providers.RoleDNS)
	var caps Caps
	if haveProv {
		dns.Provider = prov.Name
		if pc, _ := cfg.Caps(prov.Name); pc.Records != nil {
			caps = *pc.Records
		}
	} else if name, _, ok := c.strField("provider"); ok {
		dns.Provider = name
	}
	if ttl, tc, ok := c.intField("ttl"); ok {
		dns.TTL = ttl
		if haveProv {
			z.checkTTL(tc, ttl, caps, prov.Name)
		}
	} else if haveProv && (dns.TTL < caps.MinTTL || dns.TTL > caps.MaxTTL) {
		z.d.add(dns.Pos, RuleTTLRange, fmt.Sprintf("default TTL %d (defaults.ttl in dnssync.yaml) is outside %d..%d accepted by provider %q; set dns.ttl",
			dns.TTL, caps.MinTTL, caps.MaxTTL, prov.Name))
	}
	line := cfg.Defaults.Line
	if l, lc, ok := c.strField("line"); ok {
		line = l
		if haveProv && !caps.HasLine(l) {
			lc.errorf(RuleLine, lineMsg(&caps, l, prov.Name))
		}
	}
	if p, _, ok := c.strField("policy"); ok {
		dns.Policy = model.Policy(p)
	}
	if tc, ok := c.get("thresholds"); ok {
		dns.Thresholds = decodeThresholds(tc, dns.Thresholds)
	}
	if ic, ok := c.get("ignore"); ok {
		for _, it := range ic.items() {
			if ig, ok := z.ignore(it); ok {
				dns.Ignore = append(dns.Ignore, ig)
			}
		}
	}

	if z.ready != nil && z.named && haveProv && !z.d.diags.HasErrors() {
		z.ready(domain, prov.Name)
	}
	rc, hasRecords := c.get("records")
	recs := []model.Record{} // an empty list, never nil, when there are none
	items := 0
	if hasRecords && rc.kind() == yaml.SequenceNode {
		entries, n := rc.all(), len(rc.n.Content)
		streamed := z.d.stream != nil && rc.n == z.d.stream.placeholder
		if streamed {
			entries, n = z.d.streamedRecords(z.ctx), len(z.d.stream.starts)
		}
		recs = make([]model.Record, 0, n)
		// Nothing looks at an entry's nodes once it is decoded, and in a
		// large zone they are most of the memory: let each go (unless the
		// list is shared through an anchor; streamed entries go anyway).
		release := rc.n.Anchor == "" && !streamed
		for i, it := range entries {
			if items++; items%checkEvery == 0 && z.ctx.Err() != nil {
				z.err = z.ctx.Err()
				break
			}
			recs = z.records(it, domain, dns.TTL, line, caps, haveProv, prov.Name, recs)
			if release {
				rc.n.Content[i] = nil
			}
		}
		if z.err != nil || z.d.streamErr != nil {
			return dns
		}
	}
	if !z.crossChecks(recs, dns.Ignore, caps.MultiCNAME) {
		z.err = z.ctx.Err()
		return dns
	}
	dns.Records = recs
	model.SortRecords(dns.Records)
	if len(dns.Records) == 0 && dns.Policy == model.PolicySync && (!c.has("records") || hasRecords && items == 0) {
		z.d.warn(dns.Pos, RuleNoRecords, "dns declares no records under policy sync: a plan would delete every record at the provider except ignored ones (the safety checks refuse such a plan)")
	}
	return dns
}

func lineMsg(caps *Caps, line, prov string) string {
	if !caps.HasField("line") {
		return fmt.Sprintf("line %q: provider %q has no lines (views); leave line out", line, prov)
	}
	shown := caps.Lines
	more := ""
	if len(shown) > 8 {
		shown, more = shown[:8], ", …"
	}
	return fmt.Sprintf("line %q is not accepted by provider %q; use one of its lines (%s%s) or add it to the provider's lines", line, prov, strings.Join(shown, ", "), more)
}

func (z *zoneDecoder) checkTTL(c cursor, ttl int, caps Caps, prov string) bool {
	if ttl < caps.MinTTL || ttl > caps.MaxTTL {
		c.errorf(RuleTTLRange, fmt.Sprintf("TTL %d is outside %d..%d accepted by provider %q (min_ttl %d)", ttl, caps.MinTTL, caps.MaxTTL, prov, caps.MinTTL))
		return false
	}
	return true
}

func (z *zoneDecoder) ignore(c cursor) (model.Ignore, bool) {
	ig := model.Ignore{Pos: c.pos()}
	ok := true
	if s, sc, set := c.strField("name"); set {
		pat := strings.ToLower(s)
		if a, p := toASCII(pat); p == nil {
			pat = a
		}
		if _, err := path.Match(pat, ""); err != nil {
			sc.errorf(RuleIgnorePattern, fmt.Sprintf("ignore name %q is not a valid glob: %v", s, err))
			ok = false
		}
		ig.Name = pat
	}
	if s, _, set := c.strField("type"); set {
		ig.Type = strings.ToUpper(s)
	}
	if s, sc, set := c.strField("value"); set {
		if _, err := path.Match(s, ""); err != nil {
			sc.errorf(RuleIgnorePattern, fmt.Sprintf("ignore value %q is not a valid glob: %v", s, err))
			ok = false
		}
		ig.Value = s
	}
	return ig, ok
}

// IgnoreMatches reports whether live or desired record r is covered by ig:
// empty fields match anything, Name and Value are path.Match globs.
func IgnoreMatches(ig model.Ignore, r model.Record) bool {
	if ig.Type != "" && ig.Type != r.Type {
		return false
	}
	if ig.Name != "" {
		if ok, _ := path.Match(ig.Name, r.Name); !ok {
			return false
		}
	}
	if ig.Value != "" {
		if ok, _ := path.Match(ig.Value, r.Value); !ok {
			return false
		}
	}
	return true
}

// records decodes one records entry into one record per value, appended
// to out.
func (z *zoneDecoder) records(c cursor, domain string, zoneTTL int, zoneLine string, caps Caps, haveProv bool, prov string, out []model.Record) []model.Record {
	base := model.Record{TTL: zoneTTL, Line: zoneLine, Enabled: true}
	ok := true

	rawName, nc, hasName := c.strField("name")
	if hasName {
		name, p, w := normOwner(rawName, domain)
		switch {
		case p != nil:
			nc.fail(p)
			ok = false
		case w != nil:
			nc.warnp(w)
		}
		base.Name = name
	} else {
		ok = false
	}

	rawType, tc, hasType := c.strField("type")
	if hasType {
		base.Type = strings.ToUpper(rawType)
		switch {
		case !supportedType(base.Type):
			tc.errorf(RuleRecordType, fmt.Sprintf("record type %q is not managed by dnssync (supported: %s)", rawType, strings.Join(supportedTypes(), ", ")))
			ok = false
		case haveProv && !caps.HasType(base.Type):
			tc.errorf(RuleRecordType, fmt.Sprintf("provider %q does not accept %s records", prov, base.Type))
			ok = false
		}
	} else {
		ok = false
	}

	if ttl, ttlc, set := c.intField("ttl"); set {
		base.TTL = ttl
		if haveProv && !z.checkTTL(ttlc, ttl, caps, prov) {
			ok = false
		}
	}
	lineC := c
	if l, lc, set := c.strField("line"); set {
		base.Line, lineC = l, lc
		if haveProv && !caps.HasLine(l) {
			lc.errorf(RuleLine, lineMsg(&caps, l, prov))
			ok = false
		}
	}
	if b, bc, set := c.boolField("enabled"); set {
		base.Enabled = b
		if !b && haveProv && !caps.HasField("enabled") {
			bc.errorf(RuleProvOption, fmt.Sprintf("provider %q cannot keep a record disabled; remove the record instead", prov))
			ok = false
		}
	}

	mx, mxc, mxSet := c.intField("mx")
	switch {
	case base.Type == model.TypeMX && !mxSet && !c.has("mx"):
		c.errorf(RuleMXRange, "MX record needs an mx priority")
		ok = false
	case base.Type == model.TypeMX && mxSet:
		base.MX = mx
		if haveProv && (mx < caps.MinMX || mx > caps.MaxMX) {
			mxc.errorf(RuleMXRange, fmt.Sprintf("MX priority %d is outside %d..%d accepted by provider %q", mx, caps.MinMX, caps.MaxMX, prov))
			ok = false
		}
	case hasType && base.Type != model.TypeMX && c.has("mx"):
		z.d.add(z.d.keyPos(c.ptr()+"/mx"), RuleMXRange, fmt.Sprintf("mx applies to MX records only, not %s", base.Type))
		ok = false
	}

	if base.Type == model.TypeNS && base.Name == "@" && base.Line != model.DefaultLine {
		lineC.errorf(RuleNSApexLine, fmt.Sprintf("NS records at @ may only use the default line %s, not %q", model.DefaultLine, base.Line))
		ok = false
	}
	if base.Type == model.TypeSRV && hasName && !srvOwner(base.Name) {
		nc.warnp(newProblem(RuleSRVName, "SRV name %q should start with _service._proto, e.g. _sip._tcp", rawName))
	}

	var values []cursor
	vc, hasValue := c.get("value")
	vsc, hasValues := c.get("values")
	switch {
	case c.has("value") && c.has("values"):
		c.errorf(RuleRecordValue, "set either value or values, not both")
		return out
	case hasValue:
		values = []cursor{vc}
	case hasValues:
		values = vsc.items()
	case !c.has("value") && !c.has("values"):
		c.errorf(RuleRecordValue, "record needs a value (or values)")
		return out
	}

	for _, v := range values {
		raw, isStr := v.str()
		if !isStr || !hasType || !supportedType(base.Type) {
			continue
		}
		val, p, w := normValue(base.Type, raw)
		if p != nil {
			v.fail(p)
			continue
		}
		if p := valueLimit(base.Type, val, &caps, haveProv, prov); p != nil {
			v.fail(p)
			continue
		}
		if w != nil {
			v.warnp(w)
		}
		if !ok {
			continue
		}
		r := base
		r.Value = val
		r.Pos = c.pos()
		if hasValues {
			r.Pos = v.pos()
		}
		out = append(out, r)
	}
	return out
}

// srvOwner reports whether name starts with _service._proto labels.
func srvOwner(name string) bool {
	l := strings.Split(name, ".")
	return len(l) >= 2 && strings.HasPrefix(l[0], "_") && strings.HasPrefix(l[1], "_")
}

// crossChecks runs the rules that compare records with each other. A
// large zone has 100,000s of records, so instead of maps keyed by whole
// identities it keeps maps of 64-bit hashes to chains of record indexes
// (-1 ends a chain) and compares the records themselves on a hash match.
// It reports false when the context was cancelled before it finished.
//
// multiCNAME says the provider serves several CNAME records on one name
// and line (load balancing across their targets); otherwise a CNAME
// beside another CNAME conflicts like one beside any other record.
func (z *zoneDecoder) crossChecks(recs []model.Record, ignores []model.Ignore, multiCNAME bool) bool {
	seed := maphash.MakeSeed()
	return z.crossCheck(recs, ignores, multiCNAME, func(k model.Key) uint64 { return hashKey(seed, k) },
		func(name, line string) uint64 { return hashNameLine(seed, name, line) })
}

// crossCheck is crossChecks with the hash functions given (tests make
// them collide).
func (z *zoneDecoder) crossCheck(recs []model.Record, ignores []model.Ignore, multiCNAME bool, hashKey func(model.Key) uint64, hashNameLine func(name, line string) uint64) bool {
	n := len(recs)
	chain := func() []int32 { return slices.Repeat([]int32{-1}, n) }

	ids := make(map[uint64]int32, n) // identity hash → last first-of-its-identity record
	idNext := chain()                // earlier first-of-its-identity record with the same hash
	values := make([]string, n)      // Key().Value of each record, computed once

	// Groups of records on the same (name, line), in file order: heads are
	// their first records; members chain the records of one group.
	heads := make(map[uint64]int32, n) // (name, line) hash → last group head
	headNext := chain()                // earlier group head with the same hash
	member := chain()                  // next record in the same group
	last := make([]int32, n)           // last record of the group a head starts
	var order []int32                  // group heads in file order

	for i := range recs {
		if i%checkEvery == checkEvery-1 && z.ctx.Err() != nil {
			return false
		}
		r := &recs[i]
		k := r.Key()
		values[i] = k.Value
		h := hashKey(k)
		dup := int32(-1)
		j, ok := ids[h]
		for ; ok && j >= 0; j = idNext[j] {
			if o := &recs[j]; o.Name == k.Name && o.Type == k.Type && o.Line == k.Line && values[j] == k.Value && o.MX == k.MX {
				dup = j
				break
			}
		}
		if dup >= 0 {
			z.d.add(r.Pos, RuleDuplicate, fmt.Sprintf("duplicate of the record at line %d: %s", recs[dup].Pos.Line, r.String()))
			continue
		}
		if prev, ok := ids[h]; ok {
			idNext[i] = prev
		}
		ids[h] = int32(i)

		g := hashNameLine(r.Name, r.Line)
		head := int32(-1)
		if j, ok := heads[g]; ok {
			for ; j >= 0; j = headNext[j] {
				if recs[j].Name == r.Name && recs[j].Line == r.Line {
					head = j
					break
				}
			}
		}
		if head >= 0 {
			member[last[head]] = int32(i)
			last[head] = int32(i)
		} else {
			if j, ok := heads[g]; ok {
				headNext[i] = j
			}
			heads[g] = int32(i)
			last[i] = int32(i)
			order = append(order, int32(i))
		}
		if r.Type == model.TypeCNAME && r.Name == "@" {
			z.d.add(r.Pos, RuleCNAMEApex, "CNAME at the apex (@) is not allowed: the apex carries SOA and NS records; use A/AAAA records")
		}
		for _, ig := range ignores {
			if IgnoreMatches(ig, *r) {
				z.d.warn(r.Pos, RuleIgnored, fmt.Sprintf("record %s matches the ignore rule at line %d, so dnssync will never change it", r.String(), ig.Pos.Line))
				break
			}
		}
	}
	for _, f := range order {
		if member[f] < 0 {
			continue
		}
		var cname *model.Record
		var others []string
		for i := f; i >= 0; i = member[i] {
			r := &recs[i]
			if r.Type == model.TypeCNAME && (cname == nil || multiCNAME) {
				if cname == nil {
					cname = r
				}
				continue
			}
			others = append(others, fmt.Sprintf("%s (line %d)", r.Type, r.Pos.Line))
		}
		if cname != nil && len(others) > 0 {
			nl := cname.NameLine()
			z.d.add(cname.Pos, RuleCNAMEConflict, fmt.Sprintf("CNAME %s on line %s cannot coexist with other data on the same name and line: %s",
				Unicode(nl.Name), nl.Line, strings.Join(others, ", ")))
		}
	}
	return true
}

// hashKey and hashNameLine hash a record identity and a (name, line) pair;
// the zero byte keeps field boundaries apart.
func hashKey(seed maphash.Seed, k model.Key) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	for _, s := range [...]string{k.Name, k.Type, k.Line, k.Value} {
		h.WriteString(s)
		h.WriteByte(0)
	}
	var mx [8]byte
	binary.LittleEndian.PutUint64(mx[:], uint64(k.MX))
	h.Write(mx[:])
	return h.Sum64()
}

func hashNameLine(seed maphash.Seed, name, line string) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	h.WriteString(name)
	h.WriteByte(0)
	h.WriteString(line)
	return h.Sum64()
}
