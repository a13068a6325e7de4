package dnspod

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Domain is one item of Domain.List.
type Domain struct {
	ID         Str      `json:"id"`
	Name       string   `json:"name"`
	Punycode   string   `json:"punycode"`
	Grade      string   `json:"grade"`
	GradeTitle string   `json:"grade_title"`
	Status     string   `json:"status"`
	ExtStatus  string   `json:"ext_status"`
	TTL        Str      `json:"ttl"`
	Records    Str      `json:"records"`
	GroupID    Str      `json:"group_id"`
	Remark     Str      `json:"remark"`
	Owner      string   `json:"owner"`
	GradeNS    []string `json:"grade_ns"`
	DNSPodNS   []string `json:"dnspod_ns"`
}

type domainListAnswer struct {
	Info struct {
		DomainTotal Str `json:"domain_total"`
		AllTotal    Str `json:"all_total"`
	} `json:"info"`
	Domains []Domain `json:"domains"`
}

// DomainList returns every domain of the account, reading all pages.
func (c *Client) DomainList(ctx context.Context) ([]Domain, error) {
	var all []Domain
	seen := map[string]bool{}
	for offset := 0; ; {
		p := url.Values{"type": {"all"}, "offset": {itoa(offset)}, "length": {itoa(c.opts.PageSize)}}
		var a domainListAnswer
		if err := c.call(ctx, "Domain.List", p, false, &a); err != nil {
			var e *Error
			if errors.As(err, &e) && e.Code == CodeNoDomains {
				return all, nil
			}
			return nil, err
		}
		for _, d := range a.Domains {
			if !seen[d.ID.String()] {
				seen[d.ID.String()] = true
				all = append(all, d)
			}
		}
		offset += len(a.Domains)
		total := a.Info.DomainTotal.IntOr(-1)
		if len(a.Domains) == 0 || len(a.Domains) < c.opts.PageSize || (total >= 0 && offset >= total) {
			return all, nil
		}
	}
}

// Record is one item of Record.List (and Record.Info, translated).
type Record struct {
	ID            Str    `json:"id"`
	Name          string `json:"name"`
	Line          string `json:"line"`
	LineID        Str    `json:"line_id"`
	Type          string `json:"type"`
	TTL           Str    `json:"ttl"`
	Value         string `json:"value"`
	Weight        Str    `json:"weight"`
	MX            Str    `json:"mx"`
	Enabled       Bool   `json:"enabled"`
	Status        string `json:"status"`
	MonitorStatus string `json:"monitor_status"`
	Remark        Str    `json:"remark"`
	UpdatedOn     string `json:"updated_on"`
	UseAQB        string `json:"use_aqb"`
	Hold          Str    `json:"hold"`
}

// ZoneDomain is the domain block of a Record.List answer.
type ZoneDomain struct {
	ID       Str      `json:"id"`
	Name     string   `json:"name"`
	Punycode string   `json:"punycode"`
	Grade    string   `json:"grade"`
	Owner    string   `json:"owner"`
	TTL      Str      `json:"ttl"`
	DNSPodNS []string `json:"dnspod_ns"`
	GradeNS  []string `json:"grade_ns"`
}

// Zone is a complete Record.List read.
type Zone struct {
	Domain  ZoneDomain
	Records []Record
}

type recordListAnswer struct {
	size int // records expected, when known: room for them, so that decoding does not grow the list

	Status status     `json:"status"`
	Domain ZoneDomain `json:"domain"`
	Info   struct {
		SubDomains  Str `json:"sub_domains"`
		RecordTotal Str `json:"record_total"`
		RecordsNum  Str `json:"records_num"`
	} `json:"info"`
	Records []Record `json:"records"`
}

// recordListAnswer carries its status, so that a page is parsed once
// (statusAnswer).
func (a *recordListAnswer) answerStatus() status { return a.Status }
func (a *recordListAnswer) reset() {
	*a = recordListAnswer{size: a.size, Records: make([]Record, 0, a.size)}
}

// RecordList reads every record of the domain, page by page with an
// explicit length (the default page silently stops at 100, spec §3.7).
// Records are de-duplicated by id in case the zone shifts between pages.
func (c *Client) RecordList(ctx context.Context, domainID string) (*Zone, error) {
	z := &Zone{}
	err := c.recordPages(ctx, domainID, func(d ZoneDomain, total int) {
		z.Domain = d
		if total > 0 {
			z.Records = make([]Record, 0, sizeHint(total))
		}
	}, func(rs []Record) error {
		z.Records = append(z.Records, rs...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return z, nil
}

// sizeHint is how many records to make room for when a zone announces
// total: all of them (a large zone is 100,000s of records; growing by
// appends would copy them many times), within reason should it be wrong.
func sizeHint(total int) int { return min(total, 1<<19) }

// recordPages reads the zone as RecordList does and hands it over as it
// comes: begin gets the domain block and the announced record total (-1
// when unknown) before any record, add the records of each page in zone
// order, de-duplicated, as soon as the pages before it are in. Calls to
// begin and add never overlap. A zone without records calls neither. An
// error from add stops the reading.
func (c *Client) recordPages(ctx context.Context, domainID string, begin func(ZoneDomain, int), add func([]Record) error) error {
	seen := map[string]struct{}{}
	dedup := func(rs []Record) error {
		out := rs[:0] // filtered in place: the page is ours
		for _, r := range rs {
			n := len(seen)
			seen[r.ID.String()] = struct{}{} // one hash lookup, not two
			if len(seen) > n {
				out = append(out, r)
			}
		}
		return add(out)
	}
	// page reads the page at offset; want is how many records it should
	// hold, when known, 0 if not.
	page := func(ctx context.Context, offset, want int) (*recordListAnswer, error) {
		p := url.Values{"domain_id": {domainID}, "offset": {itoa(offset)}, "length": {itoa(c.opts.PageSize)}}
		a := recordListAnswer{size: want}
		if err := c.call(ctx, "Record.List", p, false, &a); err != nil {
			return nil, err
		}
		return &a, nil
	}
	first, err := page(ctx, 0, 0)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code == CodeNoRecords {
			return nil
		}
		return err
	}
	total := first.Info.RecordTotal.IntOr(-1)
	begin(first.Domain, total)
	if total > 0 {
		seen = make(map[string]struct{}, sizeHint(total))
	}
	n := len(first.Records)
	if err := dedup(first.Records); err != nil {
		return err
	}
	if total > n && n == c.opts.PageSize {
		// The total is known: fetch the other pages concurrently (the rate
		// limiter still paces every request) and hand them over in order,
		// each as soon as those before it are in, so that few are held.
		offsets := make([]int, 0, total/c.opts.PageSize)
		for off := n; off < total; off += c.opts.PageSize {
			offsets = append(offsets, off)
		}
		var mu sync.Mutex
		pages := make([]*recordListAnswer, len(offsets))
		next, last := 0, 0 // next page to hand over; length of the last page
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(listConcurrency)
		for i, off := range offsets {
			g.Go(func() error {
				a, err := page(gctx, off, min(c.opts.PageSize, total-off))
				if err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				pages[i] = a
				for ; next < len(pages) && pages[next] != nil; next++ {
					last = len(pages[next].Records)
					err := dedup(pages[next].Records)
					pages[next] = nil // handed over: let it go
					if err != nil {
						return err
					}
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		if last < c.opts.PageSize {
			return nil
		}
		// The zone grew while it was read: go on sequentially.
		return c.recordPagesFrom(ctx, dedup, page, offsets[len(offsets)-1]+last)
	}
	if n < c.opts.PageSize || (total >= 0 && n >= total) {
		return nil
	}
	return c.recordPagesFrom(ctx, dedup, page, n)
}

// listConcurrency is how many Record.List pages of one zone are in flight.
const listConcurrency = 4

// recordPagesFrom pages sequentially from offset until a short page.
func (c *Client) recordPagesFrom(ctx context.Context, add func([]Record) error,
	page func(context.Context, int, int) (*recordListAnswer, error), offset int) error {
	for {
		a, err := page(ctx, offset, 0)
		if err != nil {
			return err
		}
		n := len(a.Records)
		if err := add(a.Records); err != nil {
			return err
		}
		offset += n
		total := a.Info.RecordTotal.IntOr(-1)
		if n == 0 || n < c.opts.PageSize || (total >= 0 && offset >= total) {
			return nil
		}
	}
}

// PurviewItem is one limit of Domain.Purview.
type PurviewItem struct {
	Name  string `json:"name"`
	Value Str    `json:"value"`
}

// DomainPurview returns the domain's grade limits.
func (c *Client) DomainPurview(ctx context.Context, domainID string) ([]PurviewItem, error) {
	var a struct {
		Purview []PurviewItem `json:"purview"`
	}
	if err := c.call(ctx, "Domain.Purview", url.Values{"domain_id": {domainID}}, false, &a); err != nil {
		return nil, err
	}
	return a.Purview, nil
}

// PurviewMinTTL finds the minimum record TTL ("记录TTL最低") among items.
func PurviewMinTTL(items []PurviewItem) (int, bool) {
	for _, it := range items {
		n := strings.ToLower(it.Name)
		if strings.Contains(n, "ttl") && (strings.Contains(n, "最低") || strings.Contains(n, "min")) {
			if v, err := it.Value.Int(); err == nil && v > 0 {
				return v, true
			}
		}
	}
	return 0, false
}

// Lines is a Record.Line answer.
type Lines struct {
	Lines   []string       `json:"lines"`
	LineIDs map[string]Str `json:"line_ids"`
}

// RecordLine returns the lines available to a domain of grade.
func (c *Client) RecordLine(ctx context.Context, domainID, grade string) (*Lines, error) {
	var a Lines
	p := url.Values{"domain_id": {domainID}, "domain_grade": {grade}}
	if err := c.call(ctx, "Record.Line", p, false, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// RecordParams are the fields of a single Record.Create or Record.Modify.
// Modify is a full replace: every field is sent, none is preserved.
type RecordParams struct {
	SubDomain string // "@" for the apex
	Type      string
	Line      string // line name; default 默认
	LineID    string // wins over Line when set
	Value     string
	MX        int    // MX only
	TTL       int    // 0: server default
	Status    string // "enable" | "disable"; "" = enable
}

func (p RecordParams) form() url.Values {
	v := url.Values{"sub_domain": {p.SubDomain}, "record_type": {p.Type}, "value": {p.Value}}
	if p.SubDomain == "" {
		v.Set("sub_domain", "@")
	}
	switch {
	case p.LineID != "":
		v.Set("record_line_id", p.LineID)
	case p.Line != "":
		v.Set("record_line", p.Line)
	default:
		v.Set("record_line", "默认")
	}
	if strings.EqualFold(p.Type, "MX") {
		v.Set("mx", itoa(p.MX))
	}
	if p.TTL > 0 {
		v.Set("ttl", itoa(p.TTL))
	}
	st := p.Status
	if st == "" {
		st = "enable"
	}
	v.Set("status", st)
	return v
}

// RecordCreate creates one record and returns its id.
func (c *Client) RecordCreate(ctx context.Context, domainID string, p RecordParams) (string, error) {
	f := p.form()
	f.Set("domain_id", domainID)
	var a struct {
		Record struct {
			ID Str `json:"id"`
		} `json:"record"`
	}
	if err := c.call(ctx, "Record.Create", f, true, &a); err != nil {
		return "", err
	}
	return a.Record.ID.String(), nil
}

// RecordModify replaces the record recordID with p (record_id is sent;
// spec §7.1 notes a client version that forgot it).
func (c *Client) RecordModify(ctx context.Context, domainID, recordID string, p RecordParams) error {
	f := p.form()
	f.Set("domain_id", domainID)
	f.Set("record_id", recordID)
	return c.call(ctx, "Record.Modify", f, true, nil)
}

// RecordInfo reads one record. Record.Info names its keys differently from
// Record.List; the answer is translated into a Record.
func (c *Client) RecordInfo(ctx context.Context, domainID, recordID string) (*Record, error) {
	var a struct {
		Record struct {
			ID           Str    `json:"id"`
			SubDomain    string `json:"sub_domain"`
			RecordType   string `json:"record_type"`
			RecordLine   string `json:"record_line"`
			RecordLineID Str    `json:"record_line_id"`
			Value        string `json:"value"`
			Weight       Str    `json:"weight"`
			MX           Str    `json:"mx"`
			TTL          Str    `json:"ttl"`
			Enabled      Bool   `json:"enabled"`
			Remark       Str    `json:"remark"`
			UpdatedOn    string `json:"updated_on"`
		} `json:"record"`
	}
	p := url.Values{"domain_id": {domainID}, "record_id": {recordID}}
	if err := c.call(ctx, "Record.Info", p, false, &a); err != nil {
		return nil, err
	}
	r := a.Record
	return &Record{ID: r.ID, Name: r.SubDomain, Type: r.RecordType, Line: r.RecordLine, LineID: r.RecordLineID,
		Value: r.Value, Weight: r.Weight, MX: r.MX, TTL: r.TTL, Enabled: r.Enabled, Remark: r.Remark, UpdatedOn: r.UpdatedOn}, nil
}

// RecordRemove deletes one record.
func (c *Client) RecordRemove(ctx context.Context, domainID, recordID string) error {
	p := url.Values{"domain_id": {domainID}, "record_id": {recordID}}
	return c.call(ctx, "Record.Remove", p, true, nil)
}

// BatchRecord is one record of Batch.Record.Create.
type BatchRecord struct {
	SubDomain string // "" for the apex (Batch.Record.Create's spelling)
	Type      string
	Line      string // line name; default 默认
	Value     string
	TTL       int
	MX        int    // MX only
	Status    string // "disable" for a paused record; "" omits the key (UNVERIFIED key)
}

// BatchItem is the per-record (or per-domain) state in batch answers.
type BatchItem struct {
	ID         Str    `json:"id"`
	SubDomain  Str    `json:"sub_domain"`
	RecordType string `json:"record_type"`
	Area       string `json:"area"`
	Value      string `json:"value"`
	TTL        Str    `json:"ttl"`
	MX         Str    `json:"mx"`
	Enabled    Str    `json:"enabled"`
	ErrMsg     Str    `json:"err_msg"`
	Status     string `json:"status"`
	Operation  Str    `json:"operation"`
	RecordID   Str    `json:"record_id"`
}

// BatchDomain is the per-domain block of batch answers.
type BatchDomain struct {
	ID          Str         `json:"id"`
	DomainID    Str         `json:"domain_id"`
	Domain      string      `json:"domain"`
	DomainGrade string      `json:"domain_grade"`
	ErrMsg      Str         `json:"err_msg"`
	Status      string      `json:"status"`
	Operation   Str         `json:"operation"`
	Records     []BatchItem `json:"records"`
}

// BatchJob is the answer to Batch.Record.Create/Modify: a job id and an echo
// of the normalised input (not results).
type BatchJob struct {
	JobID  Str           `json:"job_id"`
	Detail []BatchDomain `json:"detail"`
}

// BatchRecordCreate adds the same records to every listed domain.
func (c *Client) BatchRecordCreate(ctx context.Context, domainIDs []string, recs []BatchRecord) (*BatchJob, error) {
	if len(domainIDs) == 0 || len(recs) == 0 {
		return nil, errors.New("dnspod Batch.Record.Create: no domains or no records")
	}
	if len(recs) > c.opts.BatchSize {
		return nil, fmt.Errorf("dnspod Batch.Record.Create: %d records over the batch size %d", len(recs), c.opts.BatchSize)
	}
	items := make([]map[string]string, len(recs))
	for i, r := range recs {
		line := r.Line
		if line == "" {
			line = "默认"
		}
		m := map[string]string{"sub_domain": r.SubDomain, "record_type": r.Type, "record_line": line, "value": r.Value}
		if r.TTL > 0 {
			m["ttl"] = itoa(r.TTL)
		}
		if strings.EqualFold(r.Type, "MX") {
			m[c.opts.BatchMXKey] = itoa(r.MX)
		}
		if r.Status != "" {
			m["status"] = r.Status
		}
		items[i] = m
	}
	js, err := json.Marshal(items)
	if err != nil {
		return nil, fmt.Errorf("dnspod Batch.Record.Create: %w", err)
	}
	p := url.Values{"domain_id": {strings.Join(domainIDs, ",")}, "records": {string(js)}}
	var a BatchJob
	if err := c.call(ctx, "Batch.Record.Create", p, true, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// BatchModify is one Batch.Record.Modify call: Change set to ChangeTo on
// every record. With Change "record_type", Value (and MX for MX) go along.
type BatchModify struct {
	RecordIDs []string
	Change    string // sub_domain, record_type, area, value, mx, ttl, status
	ChangeTo  string
	Value     string
	MX        int
}

// BatchRecordModify sets one field to one value on many records.
func (c *Client) BatchRecordModify(ctx context.Context, m BatchModify) (*BatchJob, error) {
	if len(m.RecordIDs) == 0 || m.Change == "" {
		return nil, errors.New("dnspod Batch.Record.Modify: no records or no field")
	}
	if len(m.RecordIDs) > c.opts.BatchSize {
		return nil, fmt.Errorf("dnspod Batch.Record.Modify: %d records over the batch size %d", len(m.RecordIDs), c.opts.BatchSize)
	}
	p := url.Values{"record_id": {strings.Join(m.RecordIDs, ",")}, "change": {m.Change}, "change_to": {m.ChangeTo}}
	if m.Change == "record_type" {
		p.Set("value", m.Value)
		if strings.EqualFold(m.ChangeTo, "MX") {
			p.Set("mx", itoa(m.MX))
		}
	}
	var a BatchJob
	if err := c.call(ctx, "Batch.Record.Modify", p, true, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// BatchDetail is a Batch.Detail answer.
type BatchDetail struct {
	Detail    []BatchDomain `json:"detail"`
	Total     Str           `json:"total"`
	Success   Str           `json:"success"`
	Fail      Str           `json:"fail"`
	Type      string        `json:"type"`
	CreatedAt string        `json:"created_at"`
}

// BatchDetail reads the progress of a batch job.
func (c *Client) BatchDetail(ctx context.Context, jobID string) (*BatchDetail, error) {
	var a BatchDetail
	if err := c.call(ctx, "Batch.Detail", url.Values{"job_id": {jobID}}, false, &a); err != nil {
		return nil, err
	}
	return &a, nil
}
