package tencentcloudtest

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

// Task types as DescribeBatchTask's JobType reports them. Only
// record_modify is documented; the others are chosen (UNVERIFIED).
const (
	jobAdd      = "record_add"
	jobModify   = "record_modify"
	jobModifyV3 = "record_modify_v3"
	jobRemove   = "record_remove"
)

// job is a batch task. Items are applied in order as time passes (package
// doc).
type job struct {
	ID      uint64
	Type    string
	Created time.Time
	Step    time.Duration
	Lang    string
	Domains []jobDomain
}

type jobDomain struct {
	DomainID uint64
	Name     string
	Grade    string
	Items    []jobItem
}

// jobItem is one record of a task.
type jobItem struct {
	Index    int          // position in the whole task: processing order
	Rec      model.Record // the record to add, or the target as it was at submission
	RecordID string       // target (modify, remove) or created record (add, once done)
	// ModifyRecordBatch: the field change.
	Field, To, Value string
	MX               int
	// ModifyRecordBatchV3: the new record (fields merged at submission),
	// applied as a replacement.
	Patch *v3Item
	Fail  bool // injected failure
	Done  bool
	OK    bool
	Err   *apiErr
}

func (j *job) startAt(it jobItem) time.Time {
	return j.Created.Add(time.Duration(2*it.Index+1) * j.Step)
}
func (j *job) dueAt(it jobItem) time.Time { return j.Created.Add(time.Duration(2*it.Index+2) * j.Step) }

// state is an item's status at now as DescribeBatchTask reports it.
func (j *job) state(it jobItem, now time.Time) string {
	switch {
	case it.Done && it.OK:
		return "ok"
	case it.Done:
		return "error"
	case !now.Before(j.startAt(it)):
		return "running"
	default:
		return "waiting"
	}
}

func (j *job) finished() bool {
	for _, d := range j.Domains {
		for _, it := range d.Items {
			if !it.Done {
				return false
			}
		}
	}
	return true
}

// running counts tasks with items not done (mu held, after advance).
func (s *Server) running() int {
	n := 0
	for _, j := range s.jobs {
		if !j.finished() {
			n++
		}
	}
	return n
}

// advanceJobs applies every item of this emulator's tasks due by now,
// across tasks in due order (mu held). The account calls it (Advance) at
// the start of every request to either API, so reads see what a queue
// would have done by then.
func (s *Server) advanceJobs(now time.Time) {
	type ref struct {
		j    *job
		d, i int
		due  time.Time
	}
	var due []ref
	for _, j := range s.jobs {
		for di := range j.Domains {
			for ii, it := range j.Domains[di].Items {
				if !it.Done && !now.Before(j.dueAt(it)) {
					due = append(due, ref{j: j, d: di, i: ii, due: j.dueAt(it)})
				}
			}
		}
	}
	sort.Slice(due, func(a, b int) bool {
		x, y := due[a], due[b]
		if !x.due.Equal(y.due) {
			return x.due.Before(y.due)
		}
		if x.j.ID != y.j.ID {
			return x.j.ID < y.j.ID
		}
		return x.j.Domains[x.d].Items[x.i].Index < y.j.Domains[y.d].Items[y.i].Index
	})
	for _, r := range due {
		s.process(r.j, &r.j.Domains[r.d], &r.j.Domains[r.d].Items[r.i], r.due)
	}
}

// process applies one item through the rule engine.
func (s *Server) process(j *job, jd *jobDomain, it *jobItem, at time.Time) {
	it.Done = true
	if it.Fail {
		it.Err = errf("FailedOperation", "Injected failure: the record was not processed.", "操作失败，记录未处理。")
		return
	}
	d, found := s.acct.Domain(jd.DomainID)
	if !found {
		it.Err = errDomainNotExists
		return
	}
	var re *dnspodrules.Error
	switch j.Type {
	case jobAdd:
		var id string
		if id, re = d.Zone.Create(it.Rec); re == nil {
			it.RecordID = id
			m := s.metaOf(id, at)
			m.Created, m.Updated = at, at
		}
	case jobModify:
		if re = d.Zone.Set(it.RecordID, it.Field, it.To, it.Value, it.MX); re == nil {
			s.metaOf(it.RecordID, at).Updated = at
		}
	case jobModifyV3:
		cur, ok := d.Zone.Get(it.RecordID)
		if !ok {
			it.Err = errRecordIDInvalid
			return
		}
		r, e := it.Patch.apply(cur)
		if e != nil {
			it.Err = e
			return
		}
		if re = d.Zone.Replace(it.RecordID, r); re == nil {
			m := s.metaOf(it.RecordID, at)
			m.Updated = at
			if it.Patch.Remark != nil {
				m.Remark = *it.Patch.Remark
			}
			if it.Patch.Weight != nil {
				w := *it.Patch.Weight
				m.Weight = &w
				if w == 0 {
					m.Weight = nil
				}
			}
		}
	case jobRemove:
		if re = d.Zone.Remove(it.RecordID); re == nil {
			s.acct.Forget(it.RecordID)
		}
	}
	if re != nil {
		it.Err = ruleErr(re)
		return
	}
	it.OK = true
}

// admit checks the account-wide task limits before a submission (mu held).
func (c *call) admit(records int, maxRecords int) *apiErr {
	if maxRecords > 0 && records > maxRecords {
		return errJobTooBig
	}
	if lim := c.s.opts.MaxRunningTasks; lim > 0 && c.s.running() >= lim {
		return errBatchTaskCount
	}
	if lim := c.s.opts.MaxTasksPerHour; lim > 0 {
		kept := c.s.submits[c.ip][:0]
		for _, t := range c.s.submits[c.ip] {
			if c.now.Sub(t) < c.s.opts.TaskWindow {
				kept = append(kept, t)
			}
		}
		c.s.submits[c.ip] = kept
		if len(kept) >= lim {
			return errBatchHourly
		}
	}
	return nil
}

// start registers an admitted task (mu held).
func (c *call) start(j *job) outcome {
	c.s.nextJob++
	j.ID, j.Created, j.Step, j.Lang = c.s.nextJob, c.now, c.s.opts.BatchStep, c.lang
	failAll := c.s.takeFailItems(c.action)
	for di := range j.Domains {
		for ii := range j.Domains[di].Items {
			it := &j.Domains[di].Items[ii]
			it.Fail = failAll || (c.s.opts.Faults.FailItem > 0 && c.s.rng.Float64() < c.s.opts.Faults.FailItem)
		}
	}
	c.s.jobs[j.ID] = j
	c.s.submits[c.ip] = append(c.s.submits[c.ip], c.now)
	return outcome{committed: true, jobID: j.ID}
}

// flexID is an id sent as a number or a string ("49"): DomainIdList is an
// array of strings in the SDK and of numbers in one doc revision.
type flexID uint64

func (f *flexID) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return &json.UnmarshalTypeError{Value: "id " + s, Field: "DomainIdList"}
	}
	*f = flexID(n)
	return nil
}

func (c *call) createRecordBatch(body []byte) outcome {
	var a struct {
		DomainIDList []flexID `json:"DomainIdList"`
		RecordList   []struct {
			RecordType   string `json:"RecordType"`
			Value        string `json:"Value"`
			SubDomain    string `json:"SubDomain"`
			RecordLine   string `json:"RecordLine"`
			RecordLineID string `json:"RecordLineId"`
			MX           *int   `json:"MX"`
			TTL          *int   `json:"TTL"`
		} `json:"RecordList"`
	}
	if e := decode(body, &a); e != nil {
		return fail(e)
	}
	if len(a.DomainIDList) == 0 {
		return fail(errDomainsEmpty)
	}
	if len(a.RecordList) == 0 {
		return fail(errRecordsEmpty)
	}
	var doms []*domain
	seen := map[flexID]bool{}
	for _, id := range a.DomainIDList {
		if seen[id] {
			return fail(errDomainDuplicated)
		}
		seen[id] = true
		d, found := c.s.acct.Domain(uint64(id))
		if !found {
			return fail(errDomainNotExists)
		}
		doms = append(doms, d)
	}
	var recs []model.Record
	for _, in := range a.RecordList {
		if in.RecordType == "" || in.Value == "" {
			return fail(errParamsMissing)
		}
		r := model.Record{Type: strings.ToUpper(in.RecordType), Line: in.RecordLine, TTL: 600, Enabled: true}
		if in.RecordLineID != "" {
			n, found := lineByID(in.RecordLineID)
			if !found {
				return fail(errLineInvalid)
			}
			r.Line = n
		}
		if r.Line == "" {
			r.Line = model.DefaultLine
		}
		r.Line = toStore(r.Line)
		r.Value = storedValue(r.Type, in.Value)
		if in.MX != nil {
			if *in.MX < 0 || *in.MX > 65535 {
				return fail(errMxInvalid)
			}
			if r.Type == model.TypeMX {
				r.MX = *in.MX
			}
		}
		if in.TTL != nil {
			r.TTL = *in.TTL
		}
		// A comma list of hosts is expanded to one record each, as the
		// legacy API did (UNVERIFIED for 3.0, spec §3.9).
		for host := range strings.SplitSeq(in.SubDomain, ",") {
			rr := r
			rr.Name = strings.ToLower(strings.TrimSpace(host))
			if rr.Name == "" {
				rr.Name = "@"
			}
			recs = append(recs, rr)
		}
	}
	if e := c.admit(len(doms)*len(recs), c.s.opts.MaxTaskRecords); e != nil {
		return fail(e)
	}
	j := &job{Type: jobAdd}
	idx := 0
	for _, d := range doms {
		jd := jobDomain{DomainID: d.ID, Name: d.Name, Grade: apiGrade(d.Grade)}
		for _, r := range recs {
			if c.s.opts.RejectInvalidAtSubmit {
				if re := d.Zone.CheckRecord(r, dnspodrules.CodeTTL); re != nil {
					return fail(ruleErr(re))
				}
			}
			jd.Items = append(jd.Items, jobItem{Index: idx, Rec: r})
			idx++
		}
		j.Domains = append(j.Domains, jd)
	}
	out := c.start(j)
	out.fields = map[string]any{"JobId": j.ID, "DetailList": c.details(j, false)}
	return out
}

func (c *call) modifyRecordBatch(body []byte) outcome {
	var a struct {
		RecordIDList []uint64 `json:"RecordIdList"`
		Change       string   `json:"Change"`
		ChangeTo     string   `json:"ChangeTo"`
		Value        string   `json:"Value"`
		MX           string   `json:"MX"`
	}
	if e := decode(body, &a); e != nil {
		return fail(e)
	}
	if len(a.RecordIDList) == 0 {
		return fail(errRecordsEmpty)
	}
	to := a.ChangeTo
	switch a.Change {
	case "sub_domain", "value", "mx", "ttl":
	case "record_type":
		if a.Value == "" {
			return fail(errParamsMissing)
		}
	case "area":
		// A line id is accepted as well as a name (UNVERIFIED which the
		// service takes).
		if n, found := lineByID(to); found {
			to = n
		}
		to = toStore(to)
	case "status":
		// ENABLE/DISABLE and the legacy enable/disable are both accepted
		// (UNVERIFIED which the service takes).
		to = strings.ToLower(to)
	default:
		return fail(errParamsIllegal)
	}
	if to == "" {
		return fail(errParamsMissing)
	}
	mx := 0
	if a.MX != "" {
		n, err := strconv.Atoi(a.MX)
		if err != nil || n < 0 || n > 65535 {
			return fail(errMxInvalid)
		}
		mx = n
	}
	value := a.Value
	if a.Change == "record_type" {
		value = storedValue(a.ChangeTo, value)
	}
	j := &job{Type: jobModify}
	if e := c.groupByDomain(j, a.RecordIDList, func(it *jobItem) {
		it.Field, it.To, it.Value, it.MX = a.Change, to, value, mx
		if a.Change == "value" {
			it.To = storedValue(it.Rec.Type, to)
		}
	}); e != nil {
		return fail(e)
	}
	if e := c.admit(len(a.RecordIDList), c.s.opts.MaxTaskRecords); e != nil {
		return fail(e)
	}
	out := c.start(j)
	out.fields = map[string]any{"JobId": j.ID, "DetailList": c.details(j, false)}
	return out
}

// groupByDomain fills j with one item per record id, grouped by domain in
// order of first appearance; an unknown id refuses the whole call.
func (c *call) groupByDomain(j *job, ids []uint64, fill func(*jobItem)) *apiErr {
	pos := map[uint64]int{}
	seen := map[string]bool{}
	idx := 0
	for _, n := range ids {
		id := strconv.FormatUint(n, 10)
		if seen[id] {
			continue
		}
		seen[id] = true
		d := c.s.acct.DomainOfRecord(id)
		if d == nil {
			return errRecordIDInvalid
		}
		r, _ := d.Zone.Get(id)
		p, found := pos[d.ID]
		if !found {
			p = len(j.Domains)
			pos[d.ID] = p
			j.Domains = append(j.Domains, jobDomain{DomainID: d.ID, Name: d.Name, Grade: apiGrade(d.Grade)})
		}
		it := jobItem{Index: idx, Rec: r, RecordID: id}
		if fill != nil {
			fill(&it)
		}
		j.Domains[p].Items = append(j.Domains[p].Items, it)
		idx++
	}
	return nil
}

// v3Item is one ModifyRecordBatchV3 item. Omitted fields keep their value
// (the doc example changes only RecordLine; UNVERIFIED, spec §3.11).
type v3Item struct {
	RecordID   uint64  `json:"RecordId"`
	SubDomain  *string `json:"SubDomain"`
	RecordType *string `json:"RecordType"`
	RecordLine *string `json:"RecordLine"`
	Value      *string `json:"Value"`
	Enabled    *string `json:"Enabled"`
	Remark     *string `json:"Remark"`
	Weight     *int    `json:"Weight"`
	MX         *int    `json:"MX"`
	TTL        *int    `json:"TTL"`
}

// apply merges the item into cur.
func (v *v3Item) apply(cur model.Record) (model.Record, *apiErr) {
	r := cur
	if v.SubDomain != nil {
		r.Name = strings.ToLower(*v.SubDomain)
		if r.Name == "" {
			r.Name = "@"
		}
	}
	if v.RecordType != nil {
		r.Type = strings.ToUpper(*v.RecordType)
	}
	if v.RecordLine != nil {
		r.Line = *v.RecordLine
		if n, found := lineByID(r.Line); found {
			r.Line = n
		}
		r.Line = toStore(r.Line)
	}
	if v.Value != nil {
		r.Value = storedValue(r.Type, *v.Value)
	}
	if v.Enabled != nil {
		switch *v.Enabled {
		case "1":
			r.Enabled = true
		case "0":
			r.Enabled = false
		default:
			return r, invalid("Enabled")
		}
	}
	if v.MX != nil {
		if *v.MX < 0 || *v.MX > 65535 {
			return r, errMxInvalid
		}
		r.MX = *v.MX
	}
	if r.Type != model.TypeMX {
		r.MX = 0
	}
	if v.TTL != nil {
		r.TTL = *v.TTL
	}
	if v.Weight != nil && (*v.Weight < 0 || *v.Weight > 100) {
		return r, errInvalidWeight
	}
	return r, nil
}

func (c *call) modifyRecordBatchV3(body []byte) outcome {
	var a struct {
		ModifyRecordList []v3Item `json:"ModifyRecordList"`
	}
	if e := decode(body, &a); e != nil {
		return fail(e)
	}
	if len(a.ModifyRecordList) == 0 {
		return fail(errRecordsEmpty)
	}
	ids := make([]uint64, len(a.ModifyRecordList))
	items := map[string]*v3Item{}
	for i := range a.ModifyRecordList {
		v := &a.ModifyRecordList[i]
		if v.RecordID == 0 {
			return fail(errParamsMissing)
		}
		ids[i] = v.RecordID
		items[strconv.FormatUint(v.RecordID, 10)] = v
	}
	j := &job{Type: jobModifyV3}
	if e := c.groupByDomain(j, ids, func(it *jobItem) { it.Patch = items[it.RecordID] }); e != nil {
		return fail(e)
	}
	if e := c.admit(len(ids), c.s.opts.MaxTaskRecords); e != nil {
		return fail(e)
	}
	out := c.start(j)
	out.fields = map[string]any{"JobId": j.ID}
	return out
}

func (c *call) deleteRecordBatch(body []byte) outcome {
	var a struct {
		RecordIDList []uint64 `json:"RecordIdList"`
	}
	if e := decode(body, &a); e != nil {
		return fail(e)
	}
	if len(a.RecordIDList) == 0 {
		return fail(errRecordsEmpty)
	}
	j := &job{Type: jobRemove}
	if e := c.groupByDomain(j, a.RecordIDList, nil); e != nil {
		return fail(e)
	}
	if e := c.admit(len(a.RecordIDList), c.s.opts.MaxDeleteIDs); e != nil {
		return fail(e)
	}
	out := c.start(j)
	// Each domain's RecordList is a JSON document in a string, with the
	// legacy snake_case keys (spec §3.12).
	var detail []map[string]any
	for _, d := range j.Domains {
		var recs []map[string]string
		for _, it := range d.Items {
			recs = append(recs, map[string]string{"id": it.RecordID, "domain_id": strconv.FormatUint(d.DomainID, 10),
				"sub_domain": it.Rec.Name, "area": fromStore(it.Rec.Line), "record_type": it.Rec.Type,
				"ttl": strconv.Itoa(it.Rec.TTL), "value": it.Rec.Value})
		}
		b, _ := json.Marshal(recs)
		detail = append(detail, map[string]any{"DomainId": d.DomainID, "Domain": d.Name, "Error": nil,
			"Status": "waiting", "Operation": "remove", "RecordList": string(b)})
	}
	out.fields = map[string]any{"JobId": j.ID, "DetailList": detail}
	return out
}

func (c *call) describeBatchTask(body []byte) outcome {
	var a struct {
		JobID uint64 `json:"JobId"`
	}
	if e := decode(body, &a); e != nil {
		return fail(e)
	}
	j, found := c.s.jobs[a.JobID]
	if !found {
		return fail(errBatchTaskNotExist)
	}
	total, okN, failN := 0, 0, 0
	for _, d := range j.Domains {
		for _, it := range d.Items {
			total++
			switch j.state(it, c.now) {
			case "ok":
				okN++
			case "error":
				failN++
			}
		}
	}
	return ok(map[string]any{
		"DetailList": c.details(j, true), "TotalCount": total, "SuccessCount": okN, "FailCount": failN,
		"JobType": j.Type, "CreatedAt": cst(j.Created),
	})
}

// operation is the batch vocabulary of a task type.
func operation(typ string) string {
	switch typ {
	case jobAdd:
		return "plus"
	case jobRemove:
		return "remove"
	}
	return "edit"
}

// details renders the per-domain blocks (submission echo or progress).
// Records show the data as submitted (the target's old data for modify,
// as the doc example does) and, once added, the new RecordId (UNVERIFIED).
func (c *call) details(j *job, progress bool) []map[string]any {
	out := make([]map[string]any, 0, len(j.Domains))
	op := operation(j.Type)
	for di, d := range j.Domains {
		recs := make([]map[string]any, 0, len(d.Items))
		allDone, anyStarted := true, false
		for ii, it := range d.Items {
			st := "waiting"
			if progress {
				st = j.state(it, c.now)
			}
			allDone = allDone && (st == "ok" || st == "error")
			anyStarted = anyStarted || st != "waiting"
			var rid uint64
			if it.RecordID != "" {
				rid, _ = strconv.ParseUint(it.RecordID, 10, 64)
			}
			var errMsg any
			if progress && it.Err != nil {
				errMsg = it.Err.message(j.Lang)
			}
			m := map[string]any{
				"Id": ii, "RecordId": rid, "SubDomain": it.Rec.Name, "RecordType": it.Rec.Type,
				"RecordLine": fromStore(it.Rec.Line), "Value": it.Rec.Value, "TTL": it.Rec.TTL, "MX": it.Rec.MX,
				"Weight": nil, "Enabled": enabledNum(it.Rec.Enabled), "Remark": "", "Status": st,
				"Operation": op, "ErrMsg": errMsg,
			}
			if j.Type == jobAdd && !progress {
				// CreateRecordBatchRecord has neither RecordId nor Enabled.
				delete(m, "RecordId")
				delete(m, "Enabled")
				delete(m, "Remark")
			}
			recs = append(recs, m)
		}
		dst := "waiting"
		switch {
		case progress && allDone:
			dst = "ok"
		case progress && anyStarted:
			dst = "running"
		}
		out = append(out, map[string]any{
			"Id": di, "DomainId": d.DomainID, "Domain": d.Name, "DomainGrade": d.Grade, "Status": dst,
			"Operation": nil, "ErrMsg": nil, "RecordList": recs,
		})
	}
	return out
}
