package dnspodtest

import (
	"sort"
	"strconv"
	"time"

	"github.com/dnssync/dnssync/internal/model"
)

// job is a batch job (Batch.Record.Create or Batch.Record.Modify). Items
// are applied in order as time passes; see Options.BatchStep.
type job struct {
	ID      int         `json:"id"`
	Type    string      `json:"type"` // record_add | record_modify
	Created time.Time   `json:"created"`
	Step    int64       `json:"step_ns"`
	Domains []jobDomain `json:"domains"`
}

type jobDomain struct {
	DomainID uint64    `json:"domain_id"`
	Name     string    `json:"name"`
	Grade    string    `json:"grade"`
	Items    []jobItem `json:"items"`
}

type jobItem struct {
	Index    int          `json:"index"` // position in the whole job: processing order
	Rec      model.Record `json:"rec"`   // record to add, or the target's state at submit (echo)
	RecordID string       `json:"record_id,omitempty"`
	Field    string       `json:"field,omitempty"`
	To       string       `json:"to,omitempty"`
	Value    string       `json:"value,omitempty"`
	MX       int          `json:"mx,omitempty"`
	Fail     bool         `json:"fail,omitempty"` // injected failure
	Done     bool         `json:"done,omitempty"`
	OK       bool         `json:"ok,omitempty"`
	ErrMsg   string       `json:"err_msg,omitempty"`
}

func (j *job) clone() *job {
	c := *j
	c.Domains = make([]jobDomain, len(j.Domains))
	for i, d := range j.Domains {
		d.Items = append([]jobItem(nil), d.Items...)
		c.Domains[i] = d
	}
	return &c
}

func (j *job) startAt(it jobItem) time.Time {
	return j.Created.Add(time.Duration(int64(2*it.Index+1) * j.Step))
}

func (j *job) dueAt(it jobItem) time.Time {
	return j.Created.Add(time.Duration(int64(2*it.Index+2) * j.Step))
}

// state is an item's status as Batch.Detail reports it at now.
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

// advanceJobs applies every batch item of this emulator's jobs due by now,
// across jobs in due order, so reads see the intermediate states a real
// queue would produce. The account calls it with mu held (Advance), at
// the start of every request to either API.
func (s *Server) advanceJobs(now time.Time) {
	type ref struct {
		j      *job
		d, i   int
		due    time.Time
		jobID  int
		global int
	}
	var due []ref
	for _, j := range s.jobs {
		for di := range j.Domains {
			for ii, it := range j.Domains[di].Items {
				if !it.Done && !now.Before(j.dueAt(it)) {
					due = append(due, ref{j: j, d: di, i: ii, due: j.dueAt(it), jobID: j.ID, global: it.Index})
				}
			}
		}
	}
	sort.Slice(due, func(a, b int) bool {
		if !due[a].due.Equal(due[b].due) {
			return due[a].due.Before(due[b].due)
		}
		if due[a].jobID != due[b].jobID {
			return due[a].jobID < due[b].jobID
		}
		return due[a].global < due[b].global
	})
	for _, r := range due {
		s.process(r.j, &r.j.Domains[r.d], &r.j.Domains[r.d].Items[r.i], r.due)
	}
}

// process applies one item through the rule engine.
func (s *Server) process(j *job, jd *jobDomain, it *jobItem, at time.Time) {
	it.Done = true
	if it.Fail {
		it.ErrMsg = "injected failure: the record was not processed"
		return
	}
	if msg := legacyMXItem(j.Type, it); msg != "" {
		it.ErrMsg = msg
		return
	}
	switch j.Type {
	case "record_add":
		d, ok := s.acct.Domain(jd.DomainID)
		if !ok {
			it.ErrMsg = "domain does not exist"
			return
		}
		id, e := d.Zone.Create(it.Rec)
		if e != nil {
			it.ErrMsg = e.Message
			return
		}
		it.OK, it.RecordID = true, id
		s.acct.Meta(id, at).Updated = at
	case "record_modify":
		d := s.acct.DomainOfRecord(it.RecordID)
		if d == nil {
			it.ErrMsg = "record id " + it.RecordID + " does not exist"
			return
		}
		if e := d.Zone.Set(it.RecordID, it.Field, it.To, it.Value, it.MX); e != nil {
			it.ErrMsg = e.Message
			return
		}
		it.OK = true
		s.acct.Meta(it.RecordID, at).Updated = at
	}
}

// jobDetail renders Batch.Detail (spec §3.18 types: domain_id string,
// record_id number, ttl number, mx null when not MX, counts numbers).
func (j *job) detail(now time.Time) map[string]any {
	total, success, fail := 0, 0, 0
	details := make([]map[string]any, 0, len(j.Domains))
	for di, d := range j.Domains {
		recs := make([]map[string]any, 0, len(d.Items))
		allDone, anyStarted := true, false
		for ii, it := range d.Items {
			st := j.state(it, now)
			if st != "ok" && st != "error" {
				allDone = false
			}
			if st != "waiting" {
				anyStarted = true
			}
			total++
			switch st {
			case "ok":
				success++
			case "error":
				fail++
			}
			var mx any
			if it.Rec.Type == model.TypeMX {
				mx = it.Rec.MX
			}
			var recordID any = 0
			if it.RecordID != "" {
				if n, err := strconv.Atoi(it.RecordID); err == nil {
					recordID = n
				}
			}
			if j.Type == "record_add" && !it.OK {
				recordID = 0
			}
			var errMsg any
			if it.ErrMsg != "" {
				errMsg = it.ErrMsg
			}
			op := "plus"
			if j.Type == "record_modify" {
				op = "edit"
			}
			recs = append(recs, map[string]any{
				"id": ii, "sub_domain": batchName(it.Rec.Name), "record_type": it.Rec.Type, "area": it.Rec.Line,
				"value": it.Rec.Value, "ttl": it.Rec.TTL, "mx": mx, "err_msg": errMsg, "status": st,
				"operation": op, "record_id": recordID,
			})
		}
		dst := "waiting"
		switch {
		case allDone:
			dst = "ok"
		case anyStarted:
			dst = "running"
		}
		total++
		if dst == "ok" {
			success++
		}
		details = append(details, map[string]any{
			"id": di, "domain": d.Name, "domain_grade": d.Grade, "domain_id": strconv.FormatUint(d.DomainID, 10),
			"err_msg": nil, "status": dst, "operation": nil, "records": recs,
		})
	}
	return map[string]any{
		"detail": details, "total": total, "success": success, "fail": fail, "type": j.Type,
		"created_at": cst(j.Created),
	}
}

// batchName is the Batch.* spelling of a host: "" for the apex.
func batchName(n string) string {
	if n == "@" {
		return ""
	}
	return n
}
