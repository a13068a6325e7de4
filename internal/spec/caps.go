package spec

import (
	"slices"

	"github.com/dnssync/dnssync/internal/model"
)

// Caps is what a DNS provider accepts, as far as a file can be checked
// without asking the provider.
type Caps struct {
	Types          []string // record types
	Lines          []string // line names
	MinTTL, MaxTTL int
	MinMX, MaxMX   int
}

// DNSPodLines returns the line names of DNSPod's CN API (spec §3.6): the
// default line, the regions, the carriers and the search-engine lines, plus
// the newer UI names 境内/境外 (their mapping to 国内/国外 is UNVERIFIED).
// Which of them a grade offers is only known to the provider (error 26); a
// provider's `lines` option adds names.
func DNSPodLines() []string {
	return []string{model.DefaultLine, "国内", "国外", "境内", "境外", "电信", "联通", "教育网", "移动",
		"百度", "谷歌", "有道", "必应", "搜搜", "搜狗", "奇虎", "搜索引擎"}
}

// RecordCaps returns what the provider accepts for records, or false when
// the provider does not manage records. DNSPod (spec §4): TTL 1–604800 with
// a grade minimum (min_ttl, 600 by default), MX 1–20, types A CNAME MX TXT
// NS AAAA SRV and CAA; CAA on the legacy API is UNVERIFIED and accepted.
func (p Provider) RecordCaps() (Caps, bool) {
	if p.Type != ProviderDNSPod {
		return Caps{}, false
	}
	minTTL := p.MinTTL
	if minTTL <= 0 {
		minTTL = DefaultDNSPodMinTTL
	}
	return Caps{
		Types:  []string{model.TypeA, model.TypeAAAA, model.TypeCNAME, model.TypeMX, model.TypeTXT, model.TypeNS, model.TypeSRV, model.TypeCAA},
		Lines:  append(DNSPodLines(), p.Lines...),
		MinTTL: minTTL, MaxTTL: 604800,
		MinMX: 1, MaxMX: 20,
	}, true
}

func (c Caps) hasType(t string) bool { return slices.Contains(c.Types, t) }
func (c Caps) hasLine(l string) bool { return slices.Contains(c.Lines, l) }
