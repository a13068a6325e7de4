package tencentcloud

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
)

// DescribeDomainList returns every domain of the account, reading all
// pages (Offset advanced by the rows received until AllTotal).
func (c *Client) DescribeDomainList(ctx context.Context) ([]DomainItem, error) {
	var all []DomainItem
	seen := map[ID]bool{}
	for offset := 0; ; {
		p := map[string]any{"Type": "ALL", "Offset": offset, "Limit": c.opts.PageSize}
		var a describeDomainListResponse
		if err := c.call(ctx, "DescribeDomainList", p, &a); err != nil {
			return nil, err
		}
		for _, d := range a.DomainList {
			if !seen[d.DomainID] {
				seen[d.DomainID] = true
				all = append(all, d)
			}
		}
		offset += len(a.DomainList)
		total := a.DomainCountInfo.AllTotal
		if len(a.DomainList) == 0 || (total.Valid && int64(offset) >= total.V) || (!total.Valid && len(a.DomainList) < c.opts.PageSize) {
			return all, nil
		}
	}
}

// FindDomain returns the account's domain called name (or with that
// punycode), or an error matching ErrDomainNotFound.
func (c *Client) FindDomain(ctx context.Context, name string) (DomainItem, error) {
	name = model.Host(name)
	list, err := c.DescribeDomainList(ctx)
	if err != nil {
		return DomainItem{}, err
	}
	for _, d := range list {
		if model.Host(d.Name) == name || model.Host(d.Punycode) == name {
			return d, nil
		}
	}
	return DomainItem{}, fmt.Errorf("%w: %s", ErrDomainNotFound, short(name))
}

func domainParams(d DomainRef) map[string]any {
	p := map[string]any{"Domain": d.Name}
	if d.ID != 0 {
		p["DomainId"] = d.ID
	}
	return p
}

// DescribeDomain returns a domain's details (grade, assigned name servers).
func (c *Client) DescribeDomain(ctx context.Context, d DomainRef) (*DomainInfo, error) {
	var a struct {
		DomainInfo DomainInfo `json:"DomainInfo"`
	}
	if err := c.call(ctx, "DescribeDomain", domainParams(d), &a); err != nil {
		return nil, err
	}
	return &a.DomainInfo, nil
}

// DescribeRecordLineList returns the lines a domain of grade may use.
func (c *Client) DescribeRecordLineList(ctx context.Context, d DomainRef, grade string) ([]Line, error) {
	p := domainParams(d)
	p["DomainGrade"] = grade
	var a struct {
		LineList []Line `json:"LineList"`
	}
	if err := c.call(ctx, "DescribeRecordLineList", p, &a); err != nil {
		return nil, err
	}
	return a.LineList, nil
}

// DescribeDomainPurview returns the domain's limits as name/value pairs.
func (c *Client) DescribeDomainPurview(ctx context.Context, d DomainRef) ([]PurviewItem, error) {
	var a struct {
		PurviewList []PurviewItem `json:"PurviewList"`
	}
	if err := c.call(ctx, "DescribeDomainPurview", domainParams(d), &a); err != nil {
		return nil, err
	}
	return a.PurviewList, nil
}

// PurviewMinTTL finds the minimum record TTL (记录TTL最低) among items.
func PurviewMinTTL(items []PurviewItem) (int, bool) {
	for _, it := range items {
		n := strings.ToLower(it.Name)
		if strings.Contains(n, "ttl") && (strings.Contains(n, "最低") || strings.Contains(n, "min")) {
			if v, err := strconv.Atoi(strings.TrimSpace(it.Value)); err == nil && v > 0 {
				return v, true
			}
		}
	}
	return 0, false
}

// Limits are what a planner needs to know about a domain's grade.
type Limits struct {
	Grade  string
	MinTTL int
	Lines  []Line
	// MinTTLFromService is false when the purview did not say and MinTTL
	// is Options.DefaultMinTTL.
	MinTTLFromService bool
}

// DomainLimits reads the grade (DescribeDomain), its minimum TTL
// (DescribeDomainPurview, per domain, so no join on the grade's spelling —
// DP_FREE here, DP_Free in DescribePackageDetail) and its lines
// (DescribeRecordLineList).
func (c *Client) DomainLimits(ctx context.Context, d DomainRef) (*Limits, error) {
	info, err := c.DescribeDomain(ctx, d)
	if err != nil {
		return nil, err
	}
	if d.ID == 0 {
		d.ID = uint64(info.DomainID)
	}
	l := &Limits{Grade: info.Grade, MinTTL: c.opts.DefaultMinTTL}
	items, err := c.DescribeDomainPurview(ctx, d)
	if err != nil {
		return nil, err
	}
	if v, ok := PurviewMinTTL(items); ok {
		l.MinTTL, l.MinTTLFromService = v, true
	}
	if l.Lines, err = c.DescribeRecordLineList(ctx, d, info.Grade); err != nil {
		return nil, err
	}
	return l, nil
}

// ErrZoneChanged reports a zone whose record count changed while its pages
// were read twice in a row; it matches providers.ErrTransient.
var ErrZoneChanged = fmt.Errorf("tencentcloud: zone changed while it was read: %w", providers.ErrTransient)

// DescribeRecordList reads every record of the domain in canonical form
// (model order), apex system NS rows marked System. The first page tells
// the total; the others are fetched concurrently, at most ListConcurrency
// at a time, each paced by the action's rate limiter. Rows are
// de-duplicated by RecordId; if the total changes between pages the read is
// repeated once.
func (c *Client) DescribeRecordList(ctx context.Context, d DomainRef) ([]model.Record, error) {
	for try := 0; ; try++ {
		rows, err := c.recordRows(ctx, d)
		if errors.Is(err, ErrZoneChanged) && try == 0 {
			c.log.Debug("tencentcloud: zone changed while reading, reading again", "domain", d.Name)
			continue
		}
		if err != nil {
			return nil, err
		}
		out := make([]model.Record, 0, len(rows))
		for _, it := range rows {
			r, err := RecordFromAPI(it, c.opts.Lines)
			if err != nil {
				return nil, fmt.Errorf("tencentcloud: zone %s: %w", short(d.Name), err)
			}
			out = append(out, r)
		}
		model.SortRecords(out)
		return out, nil
	}
}

// recordRows reads all pages of DescribeRecordList.
func (c *Client) recordRows(ctx context.Context, d DomainRef) ([]RecordListItem, error) {
	size := c.opts.PageSize
	page := func(ctx context.Context, offset int) (*describeRecordListResponse, error) {
		p := domainParams(d)
		p["Offset"], p["Limit"] = offset, size
		if c.opts.SortField != "" {
			p["SortField"], p["SortType"] = c.opts.SortField, "ASC"
		}
		var a describeRecordListResponse
		if err := c.call(ctx, "DescribeRecordList", p, &a); err != nil {
			return nil, err
		}
		return &a, nil
	}
	first, err := page(ctx, 0)
	if err != nil {
		var e *APIError
		if errors.As(err, &e) && e.Code == CodeNoDataOfRecord {
			return nil, nil // empty; never for a whole live zone (the NS rows)
		}
		return nil, err
	}
	total := int(first.RecordCountInfo.TotalCount.V)
	if !first.RecordCountInfo.TotalCount.Valid {
		total = -1
	}
	pages := [][]RecordListItem{first.RecordList}
	if total > len(first.RecordList) && len(first.RecordList) == size {
		var offsets []int
		for off := size; off < total; off += size {
			offsets = append(offsets, off)
		}
		rest := make([]*describeRecordListResponse, len(offsets))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(c.opts.ListConcurrency)
		for i, off := range offsets {
			g.Go(func() error {
				a, err := page(gctx, off)
				rest[i] = a
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		for _, a := range rest {
			if int(a.RecordCountInfo.TotalCount.V) != total {
				return nil, ErrZoneChanged
			}
			pages = append(pages, a.RecordList)
		}
	} else if total < 0 && len(first.RecordList) == size {
		// No total: page on until a short page.
		for off := size; ; off += size {
			a, err := page(ctx, off)
			if err != nil {
				return nil, err
			}
			pages = append(pages, a.RecordList)
			if len(a.RecordList) < size {
				break
			}
		}
	}
	seen := make(map[ID]bool, max(total, 0))
	var rows []RecordListItem
	for _, p := range pages {
		for _, it := range p {
			if !seen[it.RecordID] {
				seen[it.RecordID] = true
				rows = append(rows, it)
			}
		}
	}
	if total >= 0 && len(rows) != total {
		// Rows moved between pages (a write during the read).
		return nil, ErrZoneChanged
	}
	return rows, nil
}

// CreateRecordBatch adds every record to every listed domain as one
// asynchronous task. Disabled records are refused (the action has no
// status); more than MaxBatchRecords records in total are refused before
// sending.
func (c *Client) CreateRecordBatch(ctx context.Context, domainIDs []uint64, recs []model.Record) (*BatchJob, error) {
	const action = "CreateRecordBatch"
	if len(domainIDs) == 0 || len(recs) == 0 {
		return nil, fmt.Errorf("tencentcloud dnspod %s: no domains or no records", action)
	}
	if n := len(domainIDs) * len(recs); n > c.opts.MaxBatchRecords {
		return nil, fmt.Errorf("tencentcloud dnspod %s: %d records over the task limit %d", action, n, c.opts.MaxBatchRecords)
	}
	ids := make([]string, len(domainIDs))
	for i, id := range domainIDs {
		ids[i] = strconv.FormatUint(id, 10) // strings, as the SDK sends them (spec §3.9)
	}
	list := make([]AddRecordBatch, len(recs))
	for i, r := range recs {
		var err error
		if list[i], err = toAddRecordBatch(r, c.opts.Lines); err != nil {
			return nil, fmt.Errorf("tencentcloud dnspod %s: records[%d]: %w", action, i, err)
		}
	}
	var a BatchJob
	if err := c.call(ctx, action, map[string]any{"DomainIdList": ids, "RecordList": list}, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// ModifyRecordBatch sets one field to one value on many records (up to
// MaxBatchRecords) as one task. See ChangeFor.
func (c *Client) ModifyRecordBatch(ctx context.Context, b BatchChange) (*BatchJob, error) {
	const action = "ModifyRecordBatch"
	if len(b.RecordIDs) == 0 || b.Change == "" {
		return nil, fmt.Errorf("tencentcloud dnspod %s: no records or no field", action)
	}
	if len(b.RecordIDs) > c.opts.MaxBatchRecords {
		return nil, fmt.Errorf("tencentcloud dnspod %s: %d records over the task limit %d", action, len(b.RecordIDs), c.opts.MaxBatchRecords)
	}
	req := modifyRecordBatchRequest{RecordIDList: b.RecordIDs, Change: b.Change, ChangeTo: b.ChangeTo, Value: b.Value}
	if b.MX != nil {
		req.MX = strconv.Itoa(*b.MX) // a string in this action (spec §3.10)
	}
	var a BatchJob
	if err := c.call(ctx, action, req, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// ModifyRecordBatchV3 changes many records, each in its own way, as one
// task (added to the API in 2026; availability on both sites and its
// size limit are UNVERIFIED, MaxBatchRecords is assumed). It returns the
// JobId.
func (c *Client) ModifyRecordBatchV3(ctx context.Context, items []ModifyRecordItem) (uint64, error) {
	const action = "ModifyRecordBatchV3"
	if len(items) == 0 {
		return 0, fmt.Errorf("tencentcloud dnspod %s: no records", action)
	}
	if len(items) > c.opts.MaxBatchRecords {
		return 0, fmt.Errorf("tencentcloud dnspod %s: %d records over the task limit %d", action, len(items), c.opts.MaxBatchRecords)
	}
	var a struct {
		JobID ID `json:"JobId"`
	}
	if err := c.call(ctx, action, map[string]any{"ModifyRecordList": items}, &a); err != nil {
		return 0, err
	}
	return uint64(a.JobID), nil
}

// DeleteRecordBatch deletes records (up to MaxDeleteIDs) as one task.
func (c *Client) DeleteRecordBatch(ctx context.Context, recordIDs []uint64) (*DeleteJob, error) {
	const action = "DeleteRecordBatch"
	if len(recordIDs) == 0 {
		return nil, fmt.Errorf("tencentcloud dnspod %s: no records", action)
	}
	if len(recordIDs) > c.opts.MaxDeleteIDs {
		return nil, fmt.Errorf("tencentcloud dnspod %s: %d ids over the limit %d", action, len(recordIDs), c.opts.MaxDeleteIDs)
	}
	var a DeleteJob
	if err := c.call(ctx, action, map[string]any{"RecordIdList": recordIDs}, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// DescribeBatchTask reads a task's per-record progress; Status turns it
// into provider-neutral results.
func (c *Client) DescribeBatchTask(ctx context.Context, jobID uint64) (*BatchTask, error) {
	var a BatchTask
	if err := c.call(ctx, "DescribeBatchTask", map[string]any{"JobId": jobID}, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// CreateRecord creates one record synchronously and returns its id.
func (c *Client) CreateRecord(ctx context.Context, d DomainRef, r model.Record) (string, error) {
	req, err := toRecordRequest(d, r, c.opts.Lines)
	if err != nil {
		return "", fmt.Errorf("tencentcloud dnspod CreateRecord: %w", err)
	}
	var a struct {
		RecordID ID `json:"RecordId"`
	}
	if err := c.call(ctx, "CreateRecord", req, &a); err != nil {
		return "", err
	}
	return a.RecordID.String(), nil
}

// ModifyRecord replaces the record r.ID with r (every field is sent).
func (c *Client) ModifyRecord(ctx context.Context, d DomainRef, r model.Record) error {
	id, err := ParseID(r.ID)
	if err != nil {
		return fmt.Errorf("tencentcloud dnspod ModifyRecord: %w", err)
	}
	req, err := toRecordRequest(d, r, c.opts.Lines)
	if err != nil {
		return fmt.Errorf("tencentcloud dnspod ModifyRecord: %w", err)
	}
	req.RecordID = id
	return c.call(ctx, "ModifyRecord", req, nil)
}

// DeleteRecord deletes one record synchronously.
func (c *Client) DeleteRecord(ctx context.Context, d DomainRef, recordID string) error {
	id, err := ParseID(recordID)
	if err != nil {
		return fmt.Errorf("tencentcloud dnspod DeleteRecord: %w", err)
	}
	p := domainParams(d)
	p["RecordId"] = id
	return c.call(ctx, "DeleteRecord", p, nil)
}
