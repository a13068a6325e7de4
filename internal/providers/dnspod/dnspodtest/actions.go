package dnspodtest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

// Action-specific codes (spec §3). Where the docs disagree between
// generations the 2020 meanings are used (spec §9).
const (
	codeDomainID   = 6  // domain id error / bad parameter
	codeOffset     = 7  // Record.List bad offset
	codeLength     = 8  // Record.List bad length
	codeRecordID   = 8  // record id error
	codeJobUnknown = 8  // Batch.Detail: no such job
	codeNoDomains  = 9  // Domain.List empty with error_on_empty=yes
	codeNoRecords  = 10 // Record.List empty with error_on_empty=yes
	codeLocked     = 21 // record locked (no-op modify limit; code UNVERIFIED)
	codeLine       = dnspodrules.CodeLine
	codeType       = dnspodrules.CodeType
	codeMX         = dnspodrules.CodeMX
	codeParam      = dnspodrules.CodeParam

	maxListLength     = 3000
	defaultListLength = 100 // what Record.List returns without length (spec §3.7)
)

type handler func(*call) answer

func (s *Server) actions() map[string]handler {
	return map[string]handler{
		"Info.Version":        func(*call) answer { return answer{code: codeOK, message: "4.6"} },
		"Domain.List":         (*call).domainList,
		"Domain.Info":         (*call).domainInfo,
		"Domain.Purview":      (*call).domainPurview,
		"Record.Type":         (*call).recordType,
		"Record.Line":         (*call).recordLine,
		"Record.List":         (*call).recordList,
		"Record.Info":         (*call).recordInfo,
		"Record.Create":       (*call).recordCreate,
		"Record.Modify":       (*call).recordModify,
		"Record.Remove":       (*call).recordRemove,
		"Record.Status":       (*call).recordStatus,
		"Batch.Record.Create": (*call).batchCreate,
		"Batch.Record.Modify": (*call).batchModify,
		"Batch.Detail":        (*call).batchDetail,
	}
}

// domain resolves domain_id, or domain (a name) when domain_id is absent.
func (c *call) domain() (*domain, *answer) {
	if id := c.get("domain_id"); id != "" {
		n, err := strconv.ParseUint(id, 10, 64)
		if d, ok := c.s.acct.Domain(n); err == nil && ok {
			return d, nil
		}
		a := fail(codeDomainID, "Domain id invalid")
		return nil, &a
	}
	if name := c.get("domain"); name != "" {
		if d, ok := c.s.acct.DomainByName(name); ok {
			return d, nil
		}
	}
	a := fail(codeDomainID, "Domain id invalid")
	return nil, &a
}

// record resolves record_id inside d.
func (c *call) record(d *domain) (model.Record, *answer) {
	if r, ok := d.Zone.Get(c.get("record_id")); ok {
		return r, nil
	}
	a := fail(codeRecordID, "Record id invalid")
	return model.Record{}, &a
}

func lineID(name string) string {
	if id, ok := dnspodrules.LineIDs()[name]; ok {
		return id
	}
	return ""
}

func lineByID(id string) (string, bool) {
	for name, lid := range dnspodrules.LineIDs() {
		if lid == id {
			return name, true
		}
	}
	return "", false
}

// line reads record_line_id (wins) or record_line.
func (c *call) line() (string, *answer) {
	if id := c.get("record_line_id"); id != "" {
		if n, ok := lineByID(id); ok {
			return n, nil
		}
		a := fail(codeLine, "Record line invalid")
		return "", &a
	}
	if l := c.get("record_line"); l != "" {
		return l, nil
	}
	a := fail(codeLine, "Record line invalid")
	return "", &a
}

func enabledStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func statusWord(b bool) string {
	if b {
		return "enable"
	}
	return "disable"
}

func (c *call) updatedOn(id string) string {
	if t, ok := c.s.acct.Touched(id); ok {
		return cst(t)
	}
	return cst(c.now)
}

func (c *call) domainList() answer {
	offset, length := 0, maxListLength
	if c.has("offset") {
		n, err := strconv.Atoi(c.get("offset"))
		if err != nil || n < 0 {
			return fail(codeDomainID, "Offset invalid")
		}
		offset = n
	}
	if c.has("length") {
		n, err := strconv.Atoi(c.get("length"))
		if err != nil || n <= 0 {
			return fail(codeOffset, "Length invalid")
		}
		length = min(n, maxListLength)
	}
	kw := strings.ToLower(c.get("keyword"))
	var all []*domain
	for _, d := range c.s.acct.Domains() {
		if kw == "" || strings.Contains(d.Name, kw) {
			all = append(all, d)
		}
	}
	if len(all) == 0 && c.emptyErr {
		return fail(codeNoDomains, "No domains")
	}
	page := all[min(offset, len(all)):min(offset+length, len(all))]
	domains := make([]map[string]any, 0, len(page))
	for _, d := range page {
		domains = append(domains, map[string]any{
			"id": d.ID, "name": d.Name, "punycode": d.Name, "grade": d.Grade, "grade_title": d.Grade,
			"status": "enable", "ext_status": "", "records": strconv.Itoa(d.Zone.Len()), "group_id": "1",
			"is_mark": "no", "remark": "", "is_vip": "no", "searchengine_push": "yes", "user_id": "1",
			"created_on": cst(d.Created), "updated_on": cst(d.Created), "ttl": strconv.Itoa(d.TTL),
			"cname_speedup": "disable", "owner": "owner@example.com", "auth_to_anquanbao": false,
			"grade_ns": systemNS(d.Grade),
		})
	}
	n := len(all)
	info := map[string]any{
		"domain_total": n, "all_total": n, "mine_total": n, "share_total": "0", "vip_total": 0,
		"ismark_total": 0, "pause_total": 0, "error_total": 0, "lock_total": 0, "spam_total": 0,
		"vip_expire": 0, "share_out_total": 0,
	}
	return ok(map[string]any{"info": info, "domains": domains})
}

func (c *call) domainInfo() answer {
	d, f := c.domain()
	if f != nil {
		return *f
	}
	return ok(map[string]any{"domain": map[string]any{
		"id": strconv.FormatUint(d.ID, 10), "name": d.Name, "punycode": d.Name, "grade": d.Grade, "grade_title": d.Grade,
		"status": "enable", "ext_status": "", "records": strconv.Itoa(d.Zone.Len()), "group_id": "1",
		"is_mark": "no", "remark": false, "is_vip": "no", "searchengine_push": "yes", "user_id": "1",
		"created_on": cst(d.Created), "updated_on": cst(d.Created), "ttl": strconv.Itoa(d.TTL),
		"cname_speedup": "disable", "owner": "owner@example.com", "auth_to_anquanbao": false,
		"dnspod_ns": systemNS(d.Grade), "is_beian": "no",
	}})
}

func (c *call) domainPurview() answer {
	d, f := c.domain()
	if f != nil {
		return *f
	}
	rr := c.s.acct.Rules(d.Grade).RoundRobinLimit
	if rr == 0 {
		rr = 99999
	}
	p := []map[string]any{
		{"name": "URL转发数量", "value": 10},
		{"name": "NS记录数量", "value": 99999},
		{"name": "AAAA记录数量", "value": 99999},
		{"name": "SRV记录数量", "value": 99999},
		{"name": "子域名级数", "value": 3},
		{"name": "泛解析级数", "value": 2},
		{"name": "负载均衡数量", "value": rr},
		{"name": "记录TTL最低", "value": c.s.gradeMinTTL(d.Grade)},
		{"name": "混合泛解析", "value": "no"},
	}
	return ok(map[string]any{"purview": p})
}

func (c *call) recordType() answer {
	if !gradeRE.MatchString(c.get("domain_grade")) {
		return fail(codeDomainID, "Domain grade invalid")
	}
	return ok(map[string]any{"types": dnspodrules.Types()})
}

func (c *call) recordLine() answer {
	g := c.get("domain_grade")
	if !gradeRE.MatchString(g) {
		return fail(codeDomainID, "Domain grade invalid")
	}
	if _, f := c.domain(); f != nil {
		return *f
	}
	lines := c.s.acct.Rules(g).Lines
	ids := map[string]any{}
	for _, l := range lines {
		if l == model.DefaultLine {
			ids[l] = 0 // the only numeric id (spec §6)
			continue
		}
		ids[l] = lineID(l)
	}
	return ok(map[string]any{"lines": lines, "line_ids": ids})
}

// listedRecord is a record as Record.List renders it (spec §6: strings
// except weight, which is null). A struct rather than a map because a page
// holds up to 3,000 of them; its fields are in the order of their names,
// which is how encoding/json writes a map, so the bytes are the same.
type listedRecord struct {
	Enabled       string  `json:"enabled"`
	Hold          string  `json:"hold,omitempty"` // "hold" on system rows only
	ID            string  `json:"id"`
	Line          string  `json:"line"`
	LineID        string  `json:"line_id"`
	MonitorStatus string  `json:"monitor_status"`
	MX            string  `json:"mx"`
	Name          string  `json:"name"`
	Remark        string  `json:"remark"`
	Status        string  `json:"status"`
	TTL           string  `json:"ttl"`
	Type          string  `json:"type"`
	UpdatedOn     string  `json:"updated_on"`
	UseAQB        string  `json:"use_aqb"`
	Value         string  `json:"value"`
	Weight        *string `json:"weight"` // always null
}

// listRecord renders a record as Record.List does. lines holds the line ids
// (dnspodrules.LineIDs) and now the time of records never updated, both
// computed once per page.
func (c *call) listRecord(r model.Record, lines map[string]string, now string) listedRecord {
	lr := listedRecord{
		ID: r.ID, Name: r.Name, Line: r.Line, LineID: lines[r.Line], Type: r.Type,
		TTL: strconv.Itoa(r.TTL), Value: r.Value, MX: strconv.Itoa(r.MX),
		Enabled: enabledStr(r.Enabled), Status: statusWord(r.Enabled) + "d",
		UpdatedOn: now, UseAQB: "no",
	}
	if t, ok := c.s.acct.Touched(r.ID); ok {
		lr.UpdatedOn = cst(t)
	}
	if r.System {
		lr.Hold = "hold"
	}
	return lr
}

func (c *call) recordList() answer {
	d, f := c.domain()
	if f != nil {
		return *f
	}
	offset, length := 0, defaultListLength
	if c.has("offset") {
		n, err := strconv.Atoi(c.get("offset"))
		if err != nil || n < 0 {
			return fail(codeOffset, "Offset invalid")
		}
		offset = n
	}
	if c.has("length") {
		n, err := strconv.Atoi(c.get("length"))
		if err != nil || n <= 0 || n > maxListLength {
			return fail(codeLength, "Length invalid")
		}
		length = n
	}
	all := d.Zone.RecordsByID()
	kw := strings.ToLower(c.get("keyword"))
	sub := strings.ToLower(c.get("sub_domain"))
	typ := strings.ToUpper(c.get("record_type"))
	line := c.get("record_line")
	if id := c.get("record_line_id"); id != "" {
		if n, ok := lineByID(id); ok {
			line = n
		} else {
			// The 2020 code list gives Record.List 27 for a bad line.
			return fail(codeType, "Record line invalid")
		}
	}
	match := all // unfiltered: page through the shared ordering, no copy
	if kw != "" || sub != "" || typ != "" || line != "" {
		match = nil
		for _, r := range all {
			if kw != "" {
				// keyword overrides the other filters (spec §3.7).
				if !strings.Contains(r.Name, kw) && !strings.Contains(strings.ToLower(r.Value), kw) {
					continue
				}
			} else if (sub != "" && r.Name != sub) || (typ != "" && r.Type != typ) || (line != "" && r.Line != line) {
				continue
			}
			match = append(match, r)
		}
	}
	if len(match) == 0 && c.emptyErr {
		return fail(codeNoRecords, "No records")
	}
	page := match[min(offset, len(match)):min(offset+length, len(match))]
	recs := make([]listedRecord, 0, len(page))
	lines, now := dnspodrules.LineIDs(), cst(c.now)
	for _, r := range page {
		recs = append(recs, c.listRecord(r, lines, now))
	}
	return ok(map[string]any{
		"domain": map[string]any{
			"id": strconv.FormatUint(d.ID, 10), "name": d.Name, "punycode": d.Name, "grade": d.Grade,
			"owner": "owner@example.com", "ext_status": "", "ttl": d.TTL, "min_ttl": c.s.gradeMinTTL(d.Grade),
			"dnspod_ns": systemNS(d.Grade),
		},
		"info": map[string]any{
			"sub_domains": strconv.Itoa(len(all)), "record_total": strconv.Itoa(len(match)),
			"records_num": strconv.Itoa(len(page)),
		},
		"records": recs,
	})
}

func (c *call) recordInfo() answer {
	d, f := c.domain()
	if f != nil {
		return *f
	}
	r, f := c.record(d)
	if f != nil {
		return *f
	}
	return ok(map[string]any{
		"domain": map[string]any{"id": strconv.FormatUint(d.ID, 10), "domain": d.Name, "domain_grade": d.Grade, "dnspod_ns": systemNS(d.Grade)},
		"record": map[string]any{
			"id": r.ID, "sub_domain": r.Name, "record_type": r.Type, "record_line": r.Line,
			"record_line_id": lineID(r.Line), "value": r.Value, "weight": nil, "mx": strconv.Itoa(r.MX),
			"ttl": strconv.Itoa(r.TTL), "enabled": enabledStr(r.Enabled), "monitor_status": "", "remark": "",
			"updated_on": c.updatedOn(r.ID), "domain_id": strconv.FormatUint(d.ID, 10),
		},
	})
}

// recordFromForm reads a full record from a Create/Modify form, applying
// the documented defaults for omitted fields (sub_domain @, status enable,
// ttl the domain's default). ttlCode is 32 on create, 29 on modify.
func (c *call) recordFromForm(d *domain, ttlCode int) (model.Record, *answer) {
	r := model.Record{Name: strings.ToLower(c.get("sub_domain")), Enabled: true, TTL: d.TTL}
	if r.Name == "" {
		r.Name = "@"
	}
	r.Type = strings.ToUpper(c.get("record_type"))
	if r.Type == "" {
		a := fail(codeType, "Record type invalid")
		return r, &a
	}
	line, f := c.line()
	if f != nil {
		return r, f
	}
	r.Line = line
	r.Value = storedValue(r.Type, c.get("value"))
	if r.Type == model.TypeMX {
		n, err := strconv.Atoi(c.get("mx"))
		if err != nil {
			a := fail(codeMX, "MX value invalid")
			return r, &a
		}
		if msg := legacyMX(n); msg != "" {
			a := fail(codeMX, msg)
			return r, &a
		}
		r.MX = n
	}
	if c.get("ttl") != "" {
		n, err := strconv.Atoi(c.get("ttl"))
		if err != nil {
			a := fail(ttlCode, "TTL invalid")
			return r, &a
		}
		r.TTL = n
	}
	switch c.get("status") {
	case "", "enable":
	case "disable":
		r.Enabled = false
	default:
		a := fail(codeParam, "Status invalid")
		return r, &a
	}
	return r, nil
}

func (c *call) recordCreate() answer {
	d, f := c.domain()
	if f != nil {
		return *f
	}
	r, f := c.recordFromForm(d, dnspodrules.CodeTTL)
	if f != nil {
		return *f
	}
	id, e := d.Zone.Create(r)
	if e != nil {
		return fail(e.Code, e.Message)
	}
	c.s.acct.Meta(id, c.now).Updated = c.now
	a := ok(map[string]any{"record": map[string]any{"id": id, "name": r.Name, "status": statusWord(r.Enabled)}})
	a.committed = true
	return a
}

func (c *call) recordModify() answer {
	d, f := c.domain()
	if f != nil {
		return *f
	}
	old, f := c.record(d)
	if f != nil {
		return *f
	}
	r, f := c.recordFromForm(d, dnspodrules.CodeTTLModify)
	if f != nil {
		return *f
	}
	r.ID = old.ID
	noop := r.Key() == old.Key() && r.TTL == old.TTL && r.Enabled == old.Enabled
	if noop && c.s.opts.NoopModifyLimit > 0 {
		kept := c.s.noops[old.ID][:0]
		for _, t := range c.s.noops[old.ID] {
			if c.now.Sub(t) < time.Hour {
				kept = append(kept, t)
			}
		}
		if len(kept) >= c.s.opts.NoopModifyLimit {
			c.s.noops[old.ID] = kept
			return fail(codeLocked, "Record is locked: too many unchanged modifications within an hour")
		}
		c.s.noops[old.ID] = append(kept, c.now)
	}
	if e := d.Zone.Replace(old.ID, r); e != nil {
		return fail(e.Code, e.Message)
	}
	c.s.acct.Meta(old.ID, c.now).Updated = c.now
	n, _ := strconv.Atoi(old.ID)
	a := ok(map[string]any{"record": map[string]any{"id": n, "name": r.Name, "value": r.Value, "status": statusWord(r.Enabled)}})
	a.committed = !noop
	return a
}

func (c *call) recordRemove() answer {
	d, f := c.domain()
	if f != nil {
		return *f
	}
	old, f := c.record(d)
	if f != nil {
		return *f
	}
	if e := d.Zone.Remove(old.ID); e != nil {
		return fail(e.Code, e.Message)
	}
	c.s.acct.Forget(old.ID)
	delete(c.s.noops, old.ID)
	a := ok(nil)
	a.committed = true
	return a
}

func (c *call) recordStatus() answer {
	d, f := c.domain()
	if f != nil {
		return *f
	}
	old, f := c.record(d)
	if f != nil {
		return *f
	}
	st := c.get("status")
	if e := d.Zone.Set(old.ID, "status", st, "", 0); e != nil {
		return fail(e.Code, e.Message)
	}
	c.s.acct.Meta(old.ID, c.now).Updated = c.now
	n, _ := strconv.Atoi(old.ID)
	a := ok(map[string]any{"record": map[string]any{"id": n, "name": old.Name, "status": st}})
	a.committed = true
	return a
}

// scalar reads a JSON value of a batch record as text (strings or numbers).
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case json.Number:
		return x.String()
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

func (c *call) batchCreate() answer {
	var doms []*domain
	for _, id := range strings.Split(c.get("domain_id"), ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(id), 10, 64)
		d, ok := c.s.acct.Domain(n)
		if err != nil || !ok {
			return fail(codeDomainID, "Domain id invalid: "+id)
		}
		doms = append(doms, d)
	}
	dec := json.NewDecoder(strings.NewReader(c.get("records")))
	dec.UseNumber()
	var raw []map[string]any
	if err := dec.Decode(&raw); err != nil || len(raw) == 0 {
		return fail(codeParam, "records must be a non-empty JSON array")
	}
	type spec struct {
		rec model.Record
		ttl bool
	}
	var specs []spec
	for i, m := range raw {
		typ := strings.ToUpper(scalar(m["record_type"]))
		if typ == "" {
			return fail(codeParam, fmt.Sprintf("records[%d]: record_type missing", i))
		}
		line := scalar(m["record_line"])
		if id := scalar(m["record_line_id"]); id != "" {
			n, ok := lineByID(id)
			if !ok {
				return fail(codeParam, fmt.Sprintf("records[%d]: record_line_id invalid", i))
			}
			line = n
		}
		if line == "" {
			line = model.DefaultLine
		}
		r := model.Record{Type: typ, Line: line, Value: storedValue(typ, scalar(m["value"])), Enabled: true}
		if typ == model.TypeMX {
			mx := ""
			for _, k := range c.s.opts.BatchMXKeys {
				if v := scalar(m[k]); v != "" {
					mx = v
					break
				}
			}
			n, err := strconv.Atoi(mx)
			if err != nil {
				// Left to the item: the rule engine reports code 30's text.
				n = 0
			}
			r.MX = n
		}
		hasTTL := false
		if t := scalar(m["ttl"]); t != "" {
			n, err := strconv.Atoi(t)
			if err != nil {
				return fail(codeParam, fmt.Sprintf("records[%d]: ttl invalid", i))
			}
			r.TTL, hasTTL = n, true
		}
		switch scalar(m["status"]) {
		case "", "enable":
		case "disable":
			r.Enabled = false
		default:
			return fail(codeParam, fmt.Sprintf("records[%d]: status invalid", i))
		}
		for _, host := range strings.Split(scalar(m["sub_domain"]), ",") {
			rr := r
			rr.Name = strings.ToLower(strings.TrimSpace(host))
			if rr.Name == "" {
				rr.Name = "@"
			}
			specs = append(specs, spec{rec: rr, ttl: hasTTL})
		}
	}
	c.s.nextJob++
	j := &job{ID: c.s.nextJob, Type: "record_add", Created: c.now, Step: int64(c.s.opts.BatchStep)}
	detail := make([]map[string]any, 0, len(doms))
	idx := 0
	for di, d := range doms {
		jd := jobDomain{DomainID: d.ID, Name: d.Name, Grade: d.Grade}
		recs := make([]map[string]any, 0, len(specs))
		for ri, sp := range specs {
			r := sp.rec
			if !sp.ttl {
				r.TTL = d.TTL
			}
			jd.Items = append(jd.Items, jobItem{Index: idx, Rec: r, Fail: c.s.failItem()})
			idx++
			recs = append(recs, map[string]any{
				"id": ri, "sub_domain": batchName(r.Name), "record_type": r.Type, "area": r.Line,
				"value": r.Value, "mx": strconv.Itoa(r.MX), "ttl": strconv.Itoa(r.TTL), "err_msg": nil,
				"status": "waiting", "operation": "plus",
			})
		}
		j.Domains = append(j.Domains, jd)
		detail = append(detail, map[string]any{
			"id": di, "domain_id": strconv.FormatUint(d.ID, 10), "domain": d.Name, "domain_grade": d.Grade,
			"err_msg": nil, "status": "waiting", "operation": nil, "records": recs,
		})
	}
	c.s.jobs[j.ID] = j
	a := ok(map[string]any{"job_id": strconv.Itoa(j.ID), "detail": detail})
	a.committed, a.jobID = true, strconv.Itoa(j.ID)
	return a
}

// failItem draws an injected batch item failure.
func (s *Server) failItem() bool {
	return s.opts.Faults.FailItem > 0 && s.rng.Float64() < s.opts.Faults.FailItem
}

var batchFields = map[string]bool{"sub_domain": true, "record_type": true, "area": true, "value": true, "mx": true, "ttl": true, "status": true}

func (c *call) batchModify() answer {
	field, to := c.get("change"), c.get("change_to")
	if !batchFields[field] {
		return fail(codeParam, "change must be one of sub_domain, record_type, area, value, mx, ttl, status")
	}
	if to == "" && field != "sub_domain" {
		return fail(codeParam, "change_to is required")
	}
	value := c.get("value")
	if field == "record_type" && value == "" {
		return fail(codeParam, "value is required when change=record_type")
	}
	mx := 0
	if c.get("mx") != "" {
		n, err := strconv.Atoi(c.get("mx"))
		if err != nil {
			return fail(codeMX, "MX value invalid")
		}
		mx = n
	}
	if field == "record_type" {
		value = storedValue(to, value)
	}
	var order []*domain
	groups := map[uint64]*jobDomain{}
	seen := map[string]bool{}
	idx := 0
	for _, id := range strings.Split(c.get("record_id"), ",") {
		id = strings.TrimSpace(id)
		if seen[id] {
			continue
		}
		seen[id] = true
		d := c.s.acct.DomainOfRecord(id)
		if d == nil {
			return fail(codeRecordID, "Record id invalid: "+id)
		}
		r, _ := d.Zone.Get(id)
		if groups[d.ID] == nil {
			groups[d.ID] = &jobDomain{DomainID: d.ID, Name: d.Name, Grade: d.Grade}
			order = append(order, d)
		}
		itTo := to
		if field == "value" {
			itTo = storedValue(r.Type, to)
		}
		groups[d.ID].Items = append(groups[d.ID].Items, jobItem{Index: idx, Rec: r, RecordID: id, Field: field, To: itTo, Value: value, MX: mx, Fail: c.s.failItem()})
		idx++
	}
	c.s.nextJob++
	j := &job{ID: c.s.nextJob, Type: "record_modify", Created: c.now, Step: int64(c.s.opts.BatchStep)}
	detail := make([]map[string]any, 0, len(order))
	for di, d := range order {
		jd := groups[d.ID]
		j.Domains = append(j.Domains, *jd)
		recs := make([]map[string]any, 0, len(jd.Items))
		for ri, it := range jd.Items {
			m := map[string]any{
				"id": ri, "record_id": it.RecordID, "sub_domain": it.Rec.Name, "area": it.Rec.Line,
				"record_type": it.Rec.Type, "ttl": strconv.Itoa(it.Rec.TTL), "value": it.Rec.Value,
				"enabled": enabledStr(it.Rec.Enabled), "status": "waiting", "err_msg": nil, "operation": "edit",
			}
			if it.Rec.Type == model.TypeMX {
				m["mx"] = strconv.Itoa(it.Rec.MX)
			}
			recs = append(recs, m)
		}
		detail = append(detail, map[string]any{
			"id": di, "domain_id": d.ID, "domain": d.Name, "domain_grade": d.Grade, "err_msg": nil,
			"status": "waiting", "operation": nil, "records": recs,
		})
	}
	c.s.jobs[j.ID] = j
	a := ok(map[string]any{"job_id": strconv.Itoa(j.ID), "detail": detail})
	a.committed, a.jobID = true, strconv.Itoa(j.ID)
	return a
}

func (c *call) batchDetail() answer {
	n, err := strconv.Atoi(c.get("job_id"))
	j, found := c.s.jobs[n]
	if err != nil || !found {
		return fail(codeJobUnknown, "Empty data")
	}
	return ok(j.detail(c.now))
}

// legacyMX is the refusal of an MX priority outside the legacy API's
// documented 1–20 (code 30), or "". The account's rules may allow more:
// in the sandbox it is one account behind both APIs and API 3.0 documents
// 0–65535, so this API checks its own range where records come in.
func legacyMX(n int) string {
	if n < dnspodrules.LegacyMinMX || n > dnspodrules.LegacyMaxMX {
		return fmt.Sprintf("MX priority %d is outside %d-%d", n, dnspodrules.LegacyMinMX, dnspodrules.LegacyMaxMX)
	}
	return ""
}

// legacyMXItem is legacyMX for a batch item: the priority it creates or
// sets, if any.
func legacyMXItem(jobType string, it *jobItem) string {
	switch {
	case jobType == "record_add" && it.Rec.Type == model.TypeMX:
		return legacyMX(it.Rec.MX)
	case jobType == "record_modify" && it.Field == dnspodrules.FieldMX:
		if n, err := strconv.Atoi(it.To); err == nil {
			return legacyMX(n)
		}
	case jobType == "record_modify" && it.Field == dnspodrules.FieldRecordType && it.To == model.TypeMX:
		return legacyMX(it.MX)
	}
	return ""
}
