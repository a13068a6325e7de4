package tencentcloudtest

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest/dnspodaccount"
)

type handler func(*call, []byte) outcome

func (s *Server) actions() map[string]handler {
	return map[string]handler{
		"DescribeDomainList":     (*call).describeDomainList,
		"DescribeDomain":         (*call).describeDomain,
		"DescribeDomainPurview":  (*call).describeDomainPurview,
		"DescribeRecordLineList": (*call).describeRecordLineList,
		"DescribeRecordList":     (*call).describeRecordList,
		"DescribeRecord":         (*call).describeRecord,
		"CreateRecord":           (*call).createRecord,
		"ModifyRecord":           (*call).modifyRecord,
		"DeleteRecord":           (*call).deleteRecord,
		"CreateRecordBatch":      (*call).createRecordBatch,
		"ModifyRecordBatch":      (*call).modifyRecordBatch,
		"ModifyRecordBatchV3":    (*call).modifyRecordBatchV3,
		"DeleteRecordBatch":      (*call).deleteRecordBatch,
		"DescribeBatchTask":      (*call).describeBatchTask,
	}
}

// cst formats t as the service does: China Standard Time (assumed,
// UNVERIFIED), "YYYY-MM-DD HH:MM:SS".
func cst(t time.Time) string {
	return t.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05")
}

// domainArgs are the Domain/DomainId pair of per-domain actions.
type domainArgs struct {
	Domain   string `json:"Domain"`
	DomainID uint64 `json:"DomainId"`
}

// resolve finds the domain: DomainId wins over Domain, which is required
// all the same (spec §3 notation).
func (c *call) resolve(a domainArgs) (*domain, *apiErr) {
	if a.DomainID != 0 {
		if d, ok := c.s.acct.Domain(a.DomainID); ok {
			return d, nil
		}
		return nil, errDomainIDInvalid
	}
	if a.Domain == "" {
		return nil, missing("Domain")
	}
	if d, ok := c.s.acct.DomainByName(a.Domain); ok {
		return d, nil
	}
	return nil, errDomainNotExists
}

func (c *call) describeDomainList(body []byte) outcome {
	var a struct {
		Type    string `json:"Type"`
		Offset  *int   `json:"Offset"`
		Limit   *int   `json:"Limit"`
		GroupID *int   `json:"GroupId"`
		Keyword string `json:"Keyword"`
		Tags    []any  `json:"Tags"`
	}
	if e := decode(body, &a); e != nil {
		return fail(e)
	}
	offset, limit := 0, 3000
	if a.Offset != nil {
		if *a.Offset < 0 {
			return fail(errOffsetInvalid)
		}
		offset = *a.Offset
	}
	if a.Limit != nil {
		if *a.Limit < 1 || *a.Limit > 3000 {
			return fail(errLimitInvalid)
		}
		limit = *a.Limit
	}
	var all []*domain
	for _, d := range c.s.acct.Domains() {
		if a.Keyword == "" || strings.Contains(d.Name, strings.ToLower(a.Keyword)) {
			all = append(all, d)
		}
	}
	page := all[min(offset, len(all)):min(offset+limit, len(all))]
	list := make([]map[string]any, 0, len(page))
	for _, d := range page {
		list = append(list, map[string]any{
			"DomainId": d.ID, "Name": d.Name, "Punycode": d.Name, "Status": "ENABLE", "TTL": d.TTL,
			"CNAMESpeedup": "DISABLE", "DNSStatus": "", "Grade": apiGrade(d.Grade), "GradeLevel": gradeLevel(d.Grade),
			"GradeTitle": apiGrade(d.Grade), "GroupId": 1, "SearchEnginePush": "NO", "Remark": "",
			"EffectiveDNS": systemNS(d.Grade), "IsVip": "NO", "VipStartAt": "0000-00-00 00:00:00",
			"VipEndAt": "0000-00-00 00:00:00", "VipAutoRenew": "DEFAULT", "RecordCount": d.Zone.Len(),
			"CreatedOn": cst(d.Created), "UpdatedOn": cst(d.Created), "Owner": "owner@example.com", "TagList": []any{},
		})
	}
	n := len(all)
	return ok(map[string]any{
		"DomainCountInfo": map[string]any{"DomainTotal": n, "AllTotal": n, "MineTotal": n, "ShareTotal": 0,
			"VipTotal": 0, "PauseTotal": 0, "ErrorTotal": 0, "LockTotal": 0, "SpamTotal": 0, "VipExpire": 0,
			"ShareOutTotal": 0, "GroupTotal": 1},
		"DomainList": list,
	})
}

func gradeLevel(g string) int { return slices.Index(grades, apiGrade(g)) + 1 }

func (c *call) describeDomain(body []byte) outcome {
	var a domainArgs
	if e := decode(body, &a); e != nil {
		return fail(e)
	}
	d, e := c.resolve(a)
	if e != nil {
		return fail(e)
	}
	return ok(map[string]any{"DomainInfo": map[string]any{
		"DomainId": d.ID, "Domain": d.Name, "Punycode": d.Name, "Status": "ENABLE", "Grade": apiGrade(d.Grade),
		"GradeLevel": gradeLevel(d.Grade), "GradeTitle": apiGrade(d.Grade), "TTL": d.TTL, "DnspodNsList": systemNS(d.Grade),
		"ActualNsList": systemNS(d.Grade), "RecordCount": d.Zone.Len(), "UserId": 1, "Uin": "100000000001",
		"Owner": "owner@example.com", "IsVip": "NO", "VipStartAt": nil, "VipEndAt": nil, "VipAutoRenew": nil,
		"VipResourceId": nil, "IsSubDomain": false, "SlaveDNS": "NO", "SearchEnginePush": "NO", "TagList": []any{},
		"CreatedOn": cst(d.Created), "UpdatedOn": cst(d.Created), "CnameSpeedup": "DISABLE", "DnsStatus": "",
	}})
}

func (c *call) describeDomainPurview(body []byte) outcome {
	var a domainArgs
	if e := decode(body, &a); e != nil {
		return fail(e)
	}
	d, e := c.resolve(a)
	if e != nil {
		return fail(e)
	}
	rr := c.s.acct.Rules(d.Grade).RoundRobinLimit
	if rr == 0 {
		rr = 99999
	}
	p := func(name string, v any) map[string]string {
		return map[string]string{"Name": name, "Value": toText(v)}
	}
	return ok(map[string]any{"PurviewList": []map[string]string{
		p("URL转发数量", 10), p("NS记录数量", 99999), p("AAAA记录数量", 99999), p("SRV记录数量", 99999),
		p("子域名级数", 5), p("泛解析级数", 5), p("负载均衡数量", rr),
		p("记录TTL最低", c.s.acct.MinTTL(d.Grade)), p("混合泛解析", "no"),
	}})
}

func toText(v any) string {
	switch x := v.(type) {
	case int:
		return strconv.Itoa(x)
	case string:
		return x
	}
	return ""
}

func (c *call) describeRecordLineList(body []byte) outcome {
	var a struct {
		domainArgs
		DomainGrade string `json:"DomainGrade"`
	}
	if e := decode(body, &a); e != nil {
		return fail(e)
	}
	d, e := c.resolve(a.domainArgs)
	if e != nil {
		return fail(e)
	}
	if a.DomainGrade == "" {
		return fail(missing("DomainGrade"))
	}
	g := strings.ToUpper(a.DomainGrade)
	if !contains(grades, g) {
		return fail(invalid("DomainGrade"))
	}
	_ = d // resolved for its errors: the lines depend on the grade only
	ids := lineIDs()
	var lines []map[string]string
	ag, _ := dnspodaccount.Grade(g)
	for _, l := range c.s.acct.Rules(ag).Lines {
		l = fromStore(l)
		lines = append(lines, map[string]string{"Name": l, "LineId": ids[l]})
	}
	return ok(map[string]any{"LineList": lines, "LineGroupList": []any{}})
}

// listArgs are DescribeRecordList's parameters (spec §3.3).
type listArgs struct {
	domainArgs
	SubDomain    string  `json:"SubDomain"`
	Subdomain    string  `json:"Subdomain"`
	RecordType   string  `json:"RecordType"`
	RecordLine   string  `json:"RecordLine"`
	RecordLineID string  `json:"RecordLineId"`
	GroupID      *uint64 `json:"GroupId"`
	Keyword      string  `json:"Keyword"`
	SortField    string  `json:"SortField"`
	SortType     string  `json:"SortType"`
	Offset       *int    `json:"Offset"`
	Limit        *int    `json:"Limit"`
	ErrorOnEmpty string  `json:"ErrorOnEmpty"`
}

func (c *call) describeRecordList(body []byte) outcome {
	var a listArgs
	if e := decode(body, &a); e != nil {
		return fail(e)
	}
	d, e := c.resolve(a.domainArgs)
	if e != nil {
		return fail(e)
	}
	offset, limit := 0, 100
	if a.Offset != nil {
		if *a.Offset < 0 {
			return fail(errOffsetInvalid)
		}
		offset = *a.Offset
	}
	if a.Limit != nil {
		if *a.Limit < 1 || *a.Limit > 3000 {
			return fail(errLimitInvalid)
		}
		limit = *a.Limit
	}
	sub := strings.ToLower(cmp.Or(a.SubDomain, a.Subdomain)) // the newer spelling wins
	typ := strings.ToUpper(a.RecordType)
	line := a.RecordLine
	if a.RecordLineID != "" {
		n, found := lineByID(a.RecordLineID)
		if !found {
			return fail(errLineInvalid)
		}
		line = n
	}
	line = toStore(line)
	kw := strings.ToLower(a.Keyword)
	var match []model.Record
	for _, r := range d.Zone.RecordsByID() {
		if m := c.s.acct.Peek(r.ID); m != nil && !r.System && c.now.Sub(m.Created) < c.s.opts.IndexDelay {
			continue // not indexed yet
		}
		if (sub != "" && r.Name != sub) || (typ != "" && r.Type != typ) || (line != "" && r.Line != line) ||
			(kw != "" && !strings.Contains(r.Name, kw) && !strings.Contains(strings.ToLower(r.Value), kw)) {
			continue
		}
		match = append(match, r)
	}
	if kw != "" && len(match) > 500 {
		return fail(errf("InvalidParameter.ResultMoreThan500", "More than 500 records match the keyword.", "搜索结果超过500条，请增加关键字。"))
	}
	if a.SortField != "" {
		less, found := sortKeys[strings.ToLower(a.SortField)]
		if !found {
			return fail(invalid("SortField"))
		}
		desc := strings.EqualFold(a.SortType, "DESC")
		slices.SortStableFunc(match, func(x, y model.Record) int {
			r := less(c.s, x, y)
			if desc {
				r = -r
			}
			return r
		})
	}
	if len(match) == 0 && !strings.EqualFold(a.ErrorOnEmpty, "no") {
		return fail(errNoDataOfRecord)
	}
	page := match[min(offset, len(match)):min(offset+limit, len(match))]
	names := map[string]bool{}
	for _, r := range match {
		names[r.Name] = true
	}
	ids := lineIDs()
	rows := make([]map[string]any, 0, len(page))
	for _, r := range page {
		rows = append(rows, c.listRow(r, ids))
	}
	return ok(map[string]any{
		"RecordCountInfo": map[string]any{"SubdomainCount": len(names), "ListCount": len(page), "TotalCount": len(match)},
		"RecordList":      rows,
	})
}

// sortKeys are DescribeRecordList's SortField values.
var sortKeys = map[string]func(*Server, model.Record, model.Record) int{
	"name":  func(_ *Server, a, b model.Record) int { return strings.Compare(a.Name, b.Name) },
	"line":  func(_ *Server, a, b model.Record) int { return strings.Compare(fromStore(a.Line), fromStore(b.Line)) },
	"type":  func(_ *Server, a, b model.Record) int { return strings.Compare(a.Type, b.Type) },
	"value": func(_ *Server, a, b model.Record) int { return strings.Compare(a.Value, b.Value) },
	"mx":    func(_ *Server, a, b model.Record) int { return cmp.Compare(a.MX, b.MX) },
	"ttl":   func(_ *Server, a, b model.Record) int { return cmp.Compare(a.TTL, b.TTL) },
	"weight": func(s *Server, a, b model.Record) int {
		return cmp.Compare(weightOf(s.acct.Peek(a.ID)), weightOf(s.acct.Peek(b.ID)))
	},
	"updated_on": func(s *Server, a, b model.Record) int {
		return updatedOf(s.acct.Peek(a.ID)).Compare(updatedOf(s.acct.Peek(b.ID)))
	},
}

func weightOf(m *recMeta) int {
	if m == nil || m.Weight == nil {
		return -1
	}
	return *m.Weight
}

func updatedOf(m *recMeta) time.Time {
	if m == nil {
		return time.Time{}
	}
	return m.Updated
}

// listRow renders a record as DescribeRecordList does (numbers as
// numbers, Weight null unless set).
func (c *call) listRow(r model.Record, ids map[string]string) map[string]any {
	m := c.s.metaOf(r.ID, c.now)
	var weight any
	if m.Weight != nil {
		weight = *m.Weight
	}
	id, _ := strconv.ParseUint(r.ID, 10, 64)
	line := fromStore(r.Line)
	return map[string]any{
		"RecordId": id, "Value": r.Value, "Status": statusWord(r.Enabled), "UpdatedOn": cst(m.Updated),
		"Name": r.Name, "Line": line, "LineId": ids[line], "Type": r.Type, "Weight": weight,
		"MonitorStatus": "", "Remark": m.Remark, "TTL": r.TTL, "MX": r.MX, "DefaultNS": r.System,
	}
}

func (s *Server) metaOf(id string, now time.Time) *recMeta { return s.acct.Meta(id, now) }

func statusWord(enabled bool) string {
	if enabled {
		return "ENABLE"
	}
	return "DISABLE"
}

func enabledNum(enabled bool) int {
	if enabled {
		return 1
	}
	return 0
}

func (c *call) describeRecord(body []byte) outcome {
	var a struct {
		domainArgs
		RecordID uint64 `json:"RecordId"`
	}
	if e := decode(body, &a); e != nil {
		return fail(e)
	}
	d, e := c.resolve(a.domainArgs)
	if e != nil {
		return fail(e)
	}
	r, found := d.Zone.Get(strconv.FormatUint(a.RecordID, 10))
	if !found {
		return fail(errRecordIDInvalid)
	}
	m := c.s.metaOf(r.ID, c.now)
	var weight any
	if m.Weight != nil {
		weight = *m.Weight
	}
	// DescribeRecord names its keys differently from the list (spec §3.5).
	return ok(map[string]any{"RecordInfo": map[string]any{
		"Id": a.RecordID, "SubDomain": r.Name, "RecordType": r.Type, "RecordLine": fromStore(r.Line),
		"RecordLineId": lineIDs()[fromStore(r.Line)], "Value": r.Value, "Weight": weight, "MX": r.MX, "TTL": r.TTL,
		"Enabled": enabledNum(r.Enabled), "MonitorStatus": "", "Remark": m.Remark, "UpdatedOn": cst(m.Updated),
		"DomainId": d.ID,
	}})
}

// recordArgs are the fields of CreateRecord and ModifyRecord (spec §3.14).
type recordArgs struct {
	domainArgs
	RecordID           uint64  `json:"RecordId"`
	SubDomain          *string `json:"SubDomain"`
	RecordType         string  `json:"RecordType"`
	RecordLine         string  `json:"RecordLine"`
	RecordLineID       string  `json:"RecordLineId"`
	Value              string  `json:"Value"`
	MX                 *int    `json:"MX"`
	TTL                *int    `json:"TTL"`
	Weight             *int    `json:"Weight"`
	Status             string  `json:"Status"`
	Remark             *string `json:"Remark"`
	DnssecConflictMode string  `json:"DnssecConflictMode"`
	GroupID            *uint64 `json:"GroupId"`
}

// record builds the record a Create/Modify describes, with the documented
// defaults: SubDomain "@", Status ENABLE, TTL 600 (spec §3.15; whether
// ModifyRecord keeps an omitted TTL is UNVERIFIED — here it resets).
func (a recordArgs) record() (model.Record, *apiErr) {
	switch {
	case a.RecordType == "":
		return model.Record{}, missing("RecordType")
	case a.RecordLine == "" && a.RecordLineID == "":
		return model.Record{}, missing("RecordLine")
	case a.Value == "":
		return model.Record{}, missing("Value")
	}
	r := model.Record{Name: "@", Type: strings.ToUpper(a.RecordType), Line: a.RecordLine, TTL: 600, Enabled: true}
	if a.SubDomain != nil && *a.SubDomain != "" {
		r.Name = strings.ToLower(*a.SubDomain)
	}
	if a.RecordLineID != "" {
		n, found := lineByID(a.RecordLineID)
		if !found {
			return r, errLineInvalid
		}
		r.Line = n
	}
	r.Line = toStore(r.Line)
	r.Value = storedValue(r.Type, a.Value)
	if r.Type == model.TypeMX {
		if a.MX == nil {
			return r, errMxInvalid
		}
		r.MX = *a.MX
	}
	if a.MX != nil && (*a.MX < 0 || *a.MX > 65535) {
		return r, errMxInvalid
	}
	if a.TTL != nil {
		r.TTL = *a.TTL
	}
	switch strings.ToUpper(a.Status) {
	case "", "ENABLE":
	case "DISABLE":
		r.Enabled = false
	default:
		return r, invalid("Status")
	}
	if a.Weight != nil && (*a.Weight < 0 || *a.Weight > 100) {
		return r, errInvalidWeight
	}
	return r, nil
}

// setMeta records weight and remark after a write (weight 0 turns it off).
func (a recordArgs) setMeta(m *recMeta, now time.Time, create bool) {
	m.Updated = now
	if create {
		m.Created = now
	}
	if a.Weight != nil {
		w := *a.Weight
		m.Weight = &w
		if w == 0 {
			m.Weight = nil
		}
	}
	if a.Remark != nil {
		m.Remark = *a.Remark
	}
}

func (c *call) createRecord(body []byte) outcome {
	var a recordArgs
	if e := decode(body, &a); e != nil {
		return fail(e)
	}
	d, e := c.resolve(a.domainArgs)
	if e != nil {
		return fail(e)
	}
	r, e := a.record()
	if e != nil {
		return fail(e)
	}
	id, re := d.Zone.Create(r)
	if re != nil {
		return fail(ruleErr(re))
	}
	m := c.s.metaOf(id, c.now)
	a.setMeta(m, c.now, true)
	n, _ := strconv.ParseUint(id, 10, 64)
	return outcome{fields: map[string]any{"RecordId": n}, committed: true}
}

func (c *call) modifyRecord(body []byte) outcome {
	var a recordArgs
	if e := decode(body, &a); e != nil {
		return fail(e)
	}
	d, e := c.resolve(a.domainArgs)
	if e != nil {
		return fail(e)
	}
	if a.RecordID == 0 {
		return fail(missing("RecordId"))
	}
	id := strconv.FormatUint(a.RecordID, 10)
	if _, found := d.Zone.Get(id); !found {
		return fail(errRecordIDInvalid)
	}
	r, e := a.record()
	if e != nil {
		return fail(e)
	}
	if re := d.Zone.Replace(id, r); re != nil {
		return fail(ruleErr(re))
	}
	a.setMeta(c.s.metaOf(id, c.now), c.now, false)
	return outcome{fields: map[string]any{"RecordId": a.RecordID}, committed: true}
}

func (c *call) deleteRecord(body []byte) outcome {
	var a struct {
		domainArgs
		RecordID uint64 `json:"RecordId"`
	}
	if e := decode(body, &a); e != nil {
		return fail(e)
	}
	d, e := c.resolve(a.domainArgs)
	if e != nil {
		return fail(e)
	}
	if a.RecordID == 0 {
		return fail(missing("RecordId"))
	}
	id := strconv.FormatUint(a.RecordID, 10)
	if re := d.Zone.Remove(id); re != nil {
		if re.Code == dnspodrules.CodeRecordID {
			return fail(errRecordIDInvalid)
		}
		return fail(ruleErr(re))
	}
	c.s.acct.Forget(id)
	return outcome{fields: map[string]any{}, committed: true}
}
