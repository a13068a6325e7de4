package tencentcloud

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

// ErrUnknownDomain is returned when the account has no domain of that
// name; it matches providers.ErrUnknownDomain.
var ErrUnknownDomain = fmt.Errorf("tencentcloud: %w", providers.ErrUnknownDomain)

// Provider adapts a Client to providers.ZoneReader and providers.Executor.
type Provider struct {
	name  string
	c     *Client
	rules dnspodrules.Options // configured: the fall-back for grade limits

	// listMu makes concurrent readers that miss the cache wait for one
	// listing instead of each listing the account.
	listMu  sync.Mutex
	mu      sync.Mutex
	domains map[string]DomainItem // by lower-case name and punycode; nil until listed
	limits  map[string]gradeLimits
	// gradeReads makes concurrent readers of one grade share one read.
	gradeReads singleflight.Group
	// extraLines are the configured line names (option lines) accepted
	// besides those the grade reports: custom lines of one domain.
	extraLines []string
	ledger     *TaskLedger
	syncSlots  int // single-record calls at once (SyncSlots)
}

// gradeLimits are a grade's minimum TTL and lines as the API reports
// them, read once per grade: every domain of one grade has the same.
type gradeLimits struct {
	minTTL int
	lines  []string
}

var (
	_ providers.ZoneReader = (*Provider)(nil)
	_ providers.Executor   = (*Provider)(nil)
	_ providers.SyncCalls  = (*Provider)(nil)
	_ providers.ReadSlots  = (*Provider)(nil)
)

// ReadSlots: zone reads run up to sync_concurrency at once, like single
// calls; the client paces DescribeRecordList at its documented 100 a
// second, more than the four the tasks allow would use.
func (p *Provider) ReadSlots() int { return p.syncSlots }

// SyncSlots: single-record calls run up to sync_concurrency at once beside
// the tasks, which the provider's concurrency bounds (the service runs 4
// tasks per account at once but answers hundreds of single calls a
// second).
func (p *Provider) SyncSlots(op plan.Op) int {
	if IsTask(op) {
		return 0
	}
	return p.syncSlots
}

// NewProvider returns the adapter called name (the configured provider
// name that plan batches carry) over c; rules are the configured limits,
// used where the API does not report a domain's own.
func NewProvider(name string, c *Client, rules dnspodrules.Options) *Provider {
	return &Provider{name: name, c: c, rules: rules, limits: map[string]gradeLimits{}, ledger: NewTaskLedger(nil),
		syncSlots: DefaultSyncConcurrency}
}

// Client returns the underlying client.
func (p *Provider) Client() *Client { return p.c }

// domain resolves a domain name through a cached DescribeDomainList; a
// miss lists again once, so domains added since are found.
func (p *Provider) domain(ctx context.Context, name string) (DomainItem, error) {
	name = model.Host(name)
	p.mu.Lock()
	d, ok := p.domains[name]
	p.mu.Unlock()
	if ok {
		return d, nil
	}
	p.listMu.Lock()
	defer p.listMu.Unlock()
	p.mu.Lock()
	d, ok = p.domains[name]
	p.mu.Unlock()
	if ok {
		return d, nil // listed while this reader waited
	}
	list, err := p.c.DescribeDomainList(ctx)
	if err != nil {
		return DomainItem{}, err
	}
	m := make(map[string]DomainItem, 2*len(list))
	for _, d := range list {
		m[model.Host(d.Name)] = d
		if d.Punycode != "" {
			m[model.Host(d.Punycode)] = d
		}
	}
	p.mu.Lock()
	p.domains = m
	p.mu.Unlock()
	if d, ok = m[name]; !ok {
		return DomainItem{}, fmt.Errorf("%w: %s", ErrUnknownDomain, short(name))
	}
	return d, nil
}

// ReadZone reads a zone: its records in canonical form (the DefaultNS apex
// rows marked System), its id, grade, and the grade's minimum TTL and
// lines as the API reports them.
func (p *Provider) ReadZone(ctx context.Context, domain string) (*model.LiveDNS, error) {
	d, err := p.domain(ctx, domain)
	if err != nil {
		return nil, err
	}
	recs, err := p.c.DescribeRecordList(ctx, d.Ref())
	if err != nil {
		if errors.Is(err, ErrDomainNotFound) {
			return nil, fmt.Errorf("%w: %s: %w", ErrUnknownDomain, short(domain), err)
		}
		return nil, err
	}
	if recs == nil {
		recs = []model.Record{}
	}
	lim, err := p.gradeLimits(ctx, d)
	if err != nil {
		return nil, err
	}
	return &model.LiveDNS{DomainID: d.DomainID.String(), Grade: d.Grade, MinTTL: lim.minTTL, Lines: lim.lines, Records: recs}, nil
}

// gradeLimits reads the minimum TTL from DescribeDomainPurview and the
// lines from DescribeRecordLineList once per grade (through the first
// domain of that grade read), not once per domain: they are the grade's
// (spec §3.6, §3.8), and 100 zones of one grade cost two calls, not 200.
// A domain's own custom lines are not among them; option lines adds them.
// When the service does not say, or refuses to (a key without the
// permission), the configured values stand in; a cancelled read is an
// error and is not cached.
func (p *Provider) gradeLimits(ctx context.Context, d DomainItem) (gradeLimits, error) {
	key := "grade:" + d.Grade
	if d.Grade == "" {
		key = "domain:" + d.DomainID.String()
	}
	p.mu.Lock()
	l, ok := p.limits[key]
	p.mu.Unlock()
	if ok {
		return l, nil
	}
	v, err, _ := p.gradeReads.Do(key, func() (any, error) {
		p.mu.Lock()
		l, ok := p.limits[key]
		p.mu.Unlock()
		if ok {
			return l, nil
		}
		l, err := p.readGradeLimits(ctx, d)
		if err != nil {
			return l, err
		}
		p.mu.Lock()
		p.limits[key] = l
		p.mu.Unlock()
		return l, nil
	})
	if err != nil {
		return gradeLimits{}, err
	}
	return v.(gradeLimits), nil
}

func (p *Provider) readGradeLimits(ctx context.Context, d DomainItem) (gradeLimits, error) {
	l := gradeLimits{minTTL: p.rules.MinTTL}
	items, err := p.c.DescribeDomainPurview(ctx, d.Ref())
	switch {
	case ctx.Err() != nil:
		return l, ctx.Err()
	case err != nil:
		p.c.log.Debug("tencentcloud: DescribeDomainPurview failed, using the configured min_ttl", "domain", d.Name, "err", err)
	default:
		if v, ok := PurviewMinTTL(items); ok {
			l.minTTL = v
		}
	}
	lines, err := p.c.DescribeRecordLineList(ctx, d.Ref(), d.Grade)
	switch {
	case ctx.Err() != nil:
		return l, ctx.Err()
	case err != nil:
		p.c.log.Debug("tencentcloud: DescribeRecordLineList failed, using the configured lines", "domain", d.Name, "err", err)
	default:
		for _, ln := range lines {
			if ln.Name != "" {
				l.lines = append(l.lines, ln.Name)
			}
		}
		for _, ln := range p.extraLines {
			if !slices.Contains(l.lines, ln) {
				l.lines = append(l.lines, ln)
			}
		}
	}
	return l, nil
}

// domainRef is the batch's i-th domain with its id from the payload.
func domainRef(b plan.Batch, p Payload, i int) (DomainRef, error) {
	if i >= len(b.Domains) || i >= len(p.DomainIDs) {
		return DomainRef{}, fmt.Errorf("tencentcloud: batch %s has no domain id for domain %d", b.ID, i+1)
	}
	id, err := ParseID(p.DomainIDs[i])
	if err != nil {
		return DomainRef{}, fmt.Errorf("tencentcloud: batch %s: domain %s: %w", b.ID, b.Domains[i], err)
	}
	return DomainRef{Name: b.Domains[i], ID: id}, nil
}

func parseIDs(ids []string) ([]uint64, error) {
	out := make([]uint64, len(ids))
	for i, s := range ids {
		n, err := ParseID(s)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// Submit makes the batch's single write call. A batch operation answers
// with a task (JobId) to poll; a single-record call is final at once and
// reports its item in the task (Sync). Errors of the call itself are
// returned as the client gives them: an unknown outcome wraps
// providers.ErrOutcomeUnknown and must not be sent again.
func (p *Provider) Submit(ctx context.Context, b plan.Batch) (providers.Task, error) {
	t := providers.Task{Provider: p.name, Op: b.Op, BatchID: b.ID}
	pl, err := DecodePayload(b)
	if err != nil {
		return t, err
	}
	if err := shape(b, pl); err != nil {
		return t, fmt.Errorf("tencentcloud: batch %s: %w", b.ID, err)
	}
	ctx = providers.WithOperation(ctx, strings.TrimPrefix(string(b.Op), "tencentcloud:"))
	if !IsTask(b.Op) {
		return p.single(ctx, t, b, pl)
	}
	if p.ledger.Exhausted() {
		// Planned before the service refused a task for the quota: it
		// would be refused too. Nothing is sent; the next plan uses
		// single-record calls.
		return t, fmt.Errorf("tencentcloud: batch %s not submitted: the hour's batch-task quota is spent (%s answered earlier): %w",
			b.ID, CodeBatchTaskLimit, providers.ErrReplan)
	}
	t, err = p.submitTask(ctx, t, b, pl)
	var e *APIError
	switch {
	case err == nil:
		p.ledger.Submitted()
	case errors.As(err, &e) && e.Code == CodeBatchTaskLimit:
		p.ledger.Refused()
		err = fmt.Errorf("%w: %w", err, providers.ErrReplan)
	}
	return t, err
}

// submitTask makes the call of a batch operation; the task it starts is
// t.ID.
func (p *Provider) submitTask(ctx context.Context, t providers.Task, b plan.Batch, pl Payload) (providers.Task, error) {
	switch b.Op {
	case OpCreateBatch:
		ids, err := parseIDs(pl.DomainIDs)
		if err != nil {
			return t, fmt.Errorf("tencentcloud: batch %s: %w", b.ID, err)
		}
		job, err := p.c.CreateRecordBatch(ctx, ids, pl.Records)
		if err != nil {
			return t, err
		}
		t.ID = job.JobID.String()
	case OpModifyBatch:
		ids, err := parseIDs(pl.RecordIDs)
		if err != nil {
			return t, fmt.Errorf("tencentcloud: batch %s: %w", b.ID, err)
		}
		job, err := p.c.ModifyRecordBatch(ctx, p.batchChange(ids, pl))
		if err != nil {
			return t, err
		}
		t.ID = job.JobID.String()
	case OpModifyV3:
		items := make([]ModifyRecordItem, len(pl.Records))
		for i, r := range pl.Records {
			var err error
			if items[i], err = ModifyItem(r); err != nil {
				return t, fmt.Errorf("tencentcloud: batch %s: %w", b.ID, err)
			}
		}
		id, err := p.c.ModifyRecordBatchV3(ctx, items)
		if err != nil {
			return t, err
		}
		t.ID = strconv.FormatUint(id, 10)
	case OpDeleteBatch:
		ids, err := parseIDs(pl.RecordIDs)
		if err != nil {
			return t, fmt.Errorf("tencentcloud: batch %s: %w", b.ID, err)
		}
		job, err := p.c.DeleteRecordBatch(ctx, ids)
		if err != nil {
			return t, err
		}
		t.ID = job.JobID.String()
	}
	return t, nil
}

// batchChange is the ModifyRecordBatch of a payload: the status in the
// service's spelling, MX with MX records. Values are canonical already
// (targets dotted, as the service stores them).
func (p *Provider) batchChange(ids []uint64, pl Payload) BatchChange {
	bc := BatchChange{RecordIDs: ids, Change: pl.Field, ChangeTo: pl.To, Value: pl.Value}
	switch pl.Field {
	case ChangeStatus:
		bc.ChangeTo = strings.ToUpper(pl.To)
		if p.c.opts.LowerCaseBatchStatus {
			bc.ChangeTo = strings.ToLower(pl.To)
		}
	}
	if pl.MX != 0 {
		mx := pl.MX
		bc.MX = &mx
	}
	return bc
}

// single makes one synchronous single-record call. A definite refusal is
// the item's result, not a failure to ask; anything else (throttled after
// retries, an unknown outcome) is returned for the apply to handle.
func (p *Provider) single(ctx context.Context, t providers.Task, b plan.Batch, pl Payload) (providers.Task, error) {
	d, err := domainRef(b, pl, 0)
	if err != nil {
		return t, err
	}
	item := providers.ItemResult{Domain: d.Name, State: providers.ItemOK, Tries: 1}
	switch b.Op {
	case OpCreate:
		r := pl.Records[0]
		item.What = "create " + r.String()
		var id string
		if id, err = p.c.CreateRecord(ctx, d, r); err == nil {
			item.RecordID = id
		}
		t.ID = "create-" + b.ID
	case OpModify:
		r := pl.Records[0]
		item.RecordID, item.What = r.ID, "modify record "+r.ID+" to "+r.String()
		err = p.c.ModifyRecord(ctx, d, r)
		t.ID = "modify-" + r.ID
	case OpDelete:
		id := pl.RecordIDs[0]
		item.RecordID, item.What = id, "delete record "+id
		err = p.c.DeleteRecord(ctx, d, id)
		t.ID = "delete-" + id
	}
	var e *APIError
	switch {
	case err == nil:
	case errors.Is(err, providers.ErrOutcomeUnknown), errors.Is(err, providers.ErrTransient), !errors.As(err, &e):
		return t, err
	default:
		item.State = providers.ItemFailed
		item.Message = e.Code + ": " + e.Message
	}
	t.Sync = true
	t.Items = []providers.ItemResult{item}
	return t, nil
}

// Poll reads a task's per-record state with DescribeBatchTask.
func (p *Provider) Poll(ctx context.Context, t providers.Task) (providers.TaskStatus, error) {
	if t.Sync {
		return providers.TaskStatus{Done: true, Items: t.Items}, nil
	}
	id, err := ParseID(t.ID)
	if err != nil {
		return providers.TaskStatus{}, fmt.Errorf("tencentcloud: task of batch %s: %w", t.BatchID, err)
	}
	bt, err := p.c.DescribeBatchTask(providers.WithOperation(ctx, "DescribeBatchTask"), id)
	if err != nil {
		return providers.TaskStatus{}, err
	}
	return bt.Status(), nil
}
