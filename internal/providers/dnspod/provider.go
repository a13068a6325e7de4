package dnspod

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
)

// ErrUnknownDomain is returned when the account has no domain of that
// name; it matches providers.ErrUnknownDomain.
var ErrUnknownDomain = fmt.Errorf("dnspod: %w", providers.ErrUnknownDomain)

// Provider adapts a Client to providers.ZoneReader and providers.Executor.
type Provider struct {
	name string
	c    *Client

	mu      sync.Mutex
	domains map[string]domainMeta // by lower-case name; nil until Domain.List ran
	minTTL  map[string]int        // by domain id (Domain.Purview is cached, as the docs ask)
}

type domainMeta struct {
	id, grade string
	ns        []string
}

var (
	_ providers.ZoneReader = (*Provider)(nil)
	_ providers.Executor   = (*Provider)(nil)
)

// ProviderOption configures a Provider.
type ProviderOption func(*Provider)

// NewProvider returns the adapter called name (the configured provider name
// that plan batches carry) over c.
func NewProvider(name string, c *Client, opts ...ProviderOption) *Provider {
	p := &Provider{name: name, c: c, minTTL: map[string]int{}}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Name is the configured provider name.
func (p *Provider) Name() string { return p.name }

// Client returns the underlying client.
func (p *Provider) Client() *Client { return p.c }

// domain resolves a domain name through a cached Domain.List; a miss
// re-lists once, so domains added since the last listing are found.
func (p *Provider) domain(ctx context.Context, name string) (domainMeta, error) {
	name = model.Host(name)
	p.mu.Lock()
	d, ok := p.domains[name]
	p.mu.Unlock()
	if ok {
		return d, nil
	}
	list, err := p.c.DomainList(ctx)
	if err != nil {
		return domainMeta{}, err
	}
	m := make(map[string]domainMeta, len(list))
	for _, d := range list {
		meta := domainMeta{id: d.ID.String(), grade: d.Grade, ns: append(append([]string(nil), d.GradeNS...), d.DNSPodNS...)}
		m[model.Host(d.Name)] = meta
		if d.Punycode != "" {
			m[model.Host(d.Punycode)] = meta
		}
	}
	p.mu.Lock()
	p.domains = m
	p.mu.Unlock()
	d, ok = m[name]
	if !ok {
		return domainMeta{}, fmt.Errorf("%w: %s", ErrUnknownDomain, name)
	}
	return d, nil
}

// DomainID returns the provider id of a domain (via the cached Domain.List).
func (p *Provider) DomainID(ctx context.Context, name string) (string, error) {
	d, err := p.domain(ctx, name)
	return d.id, err
}

// ReadZone reads all records of domain in canonical form.
func (p *Provider) ReadZone(ctx context.Context, domain string) (*model.LiveDNS, error) {
	d, err := p.domain(ctx, domain)
	if err != nil {
		return nil, err
	}
	// Records are converted page by page as they arrive, so that a large
	// zone is never held twice (as rows and as records).
	var zd ZoneDomain
	ns := map[string]bool{}
	recs := []model.Record{}
	var bad error // the first record that does not convert; reading errors win
	begin := func(z ZoneDomain, total int) {
		zd = z
		for _, n := range append(append(append([]string(nil), d.ns...), z.DNSPodNS...), z.GradeNS...) {
			ns[model.Host(n)] = true
		}
		if total > 0 {
			recs = make([]model.Record, 0, sizeHint(total))
		}
	}
	add := func(rows []Record) error {
		for _, r := range rows {
			if bad != nil {
				return nil
			}
			rec, err := canonical(r)
			if err != nil {
				bad = fmt.Errorf("dnspod: zone %s: record %s: %w", domain, r.ID, err)
				return nil
			}
			if rec.Type == model.TypeNS && rec.Name == "@" && (r.Hold != "" || ns[model.Host(rec.Value)]) {
				rec.System = true
			}
			recs = append(recs, rec)
		}
		return nil
	}
	if err := p.c.recordPages(ctx, d.id, begin, add); err != nil {
		return nil, err
	}
	if bad != nil {
		return nil, bad
	}
	live := &model.LiveDNS{DomainID: d.id, Grade: d.grade, MinTTL: p.minTTLOf(ctx, d.id), Records: recs}
	if zd.Grade != "" {
		live.Grade = zd.Grade
	}
	model.SortRecords(live.Records)
	return live, nil
}

// minTTLOf returns the grade's minimum TTL from Domain.Purview, cached;
// when Purview fails or does not say, the configured default.
func (p *Provider) minTTLOf(ctx context.Context, id string) int {
	p.mu.Lock()
	v, ok := p.minTTL[id]
	p.mu.Unlock()
	if ok {
		return v
	}
	v = p.c.opts.DefaultMinTTL
	items, err := p.c.DomainPurview(ctx, id)
	if err != nil {
		p.c.log.Debug("dnspod: Domain.Purview unavailable, using default min TTL", "domain_id", id, "err", err)
		return v
	}
	if n, ok := PurviewMinTTL(items); ok {
		v = n
	}
	p.mu.Lock()
	p.minTTL[id] = v
	p.mu.Unlock()
	return v
}

// canonical turns a Record.List row into a model.Record (package doc of
// internal/model): lower-case names, "@" apex, dotted targets, unquoted TXT.
func canonical(r Record) (model.Record, error) {
	ttl, err := r.TTL.Int()
	if err != nil {
		return model.Record{}, fmt.Errorf("ttl: %w", err)
	}
	rec := model.Record{
		Name:    strings.ToLower(r.Name),
		Type:    strings.ToUpper(r.Type),
		Line:    r.Line,
		Value:   r.Value,
		TTL:     ttl,
		Enabled: bool(r.Enabled),
		ID:      r.ID.String(),
	}
	if rec.Name == "" {
		rec.Name = "@"
	}
	if rec.Line == "" {
		rec.Line = model.DefaultLine
	}
	switch rec.Type {
	case model.TypeMX:
		if rec.MX, err = r.MX.Int(); err != nil {
			return model.Record{}, fmt.Errorf("mx: %w", err)
		}
		rec.Value = model.Fqdn(strings.ToLower(rec.Value))
	case model.TypeCNAME, model.TypeNS:
		rec.Value = model.Fqdn(strings.ToLower(rec.Value))
	case model.TypeSRV:
		rec.Value = model.CompareValue(model.TypeSRV, rec.Value)
	case model.TypeTXT:
		rec.Value = unquoteTXT(rec.Value)
	case model.TypeCAA:
		rec.Value = model.CanonicalCAA(rec.Value)
	case model.TypeA, model.TypeAAAA:
		// Addresses entered elsewhere may be written differently
		// ("2001:DB8::0"); the canonical text keeps plans from flapping.
		if a, err := netip.ParseAddr(rec.Value); err == nil {
			rec.Value = a.String()
		}
	}
	return rec, nil
}

// unquoteTXT strips one pair of surrounding quotes: the API stores the raw
// text, but records entered quoted in the console come back quoted.
func unquoteTXT(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' && !strings.Contains(v[1:len(v)-1], `"`) {
		return v[1 : len(v)-1]
	}
	return v
}

// Submit makes the batch's single write call.
func (p *Provider) Submit(ctx context.Context, b plan.Batch) (providers.Task, error) {
	t := providers.Task{Provider: p.name, Op: b.Op, BatchID: b.ID}
	pl, err := decode(b)
	if err != nil {
		return t, err
	}
	switch b.Op {
	case OpCreate:
		ids, err := p.domainIDs(ctx, b, pl)
		if err != nil {
			return t, err
		}
		recs := make([]BatchRecord, len(pl.Records))
		for i, r := range pl.Records {
			recs[i] = batchRecord(r)
		}
		job, err := p.c.BatchRecordCreate(ctx, ids, recs)
		if err != nil {
			return t, err
		}
		t.ID = job.JobID.String()
		return t, nil
	case OpModify:
		job, err := p.c.BatchRecordModify(ctx, BatchModify{RecordIDs: pl.RecordIDs, Change: pl.Field, ChangeTo: pl.To, Value: pl.Value, MX: pl.MX})
		if err != nil {
			return t, err
		}
		t.ID = job.JobID.String()
		return t, nil
	case OpRemove:
		if len(pl.RecordIDs) != 1 {
			return t, fmt.Errorf("dnspod: Record.Remove batch %s needs exactly one record id, has %d", b.ID, len(pl.RecordIDs))
		}
		ids, err := p.domainIDs(ctx, b, pl)
		if err != nil {
			return t, err
		}
		if len(ids) != 1 {
			return t, fmt.Errorf("dnspod: Record.Remove batch %s needs exactly one domain, has %d", b.ID, len(ids))
		}
		rid := pl.RecordIDs[0]
		t.ID = "remove-" + rid
		t.Sync = true
		item := providers.ItemResult{RecordID: rid, What: "remove record " + rid, State: providers.ItemOK, Tries: 1}
		if len(b.Domains) > 0 {
			item.Domain = b.Domains[0]
		}
		err = p.c.RecordRemove(ctx, ids[0], rid)
		var e *Error
		switch {
		case err == nil:
		case errors.As(err, &e) && !e.Transient() && !errors.Is(err, providers.ErrOutcomeUnknown):
			// A definite refusal is the item's result, not a failure to ask.
			item.State = providers.ItemFailed
			item.Message = fmt.Sprintf("code %d: %s", e.Code, e.Message)
		default:
			return t, err
		}
		t.Items = []providers.ItemResult{item}
		return t, nil
	default:
		return t, fmt.Errorf("dnspod: cannot submit %s", b.Op)
	}
}

// domainIDs returns b.DomainIDs, or resolves b.Domains when ids are absent.
func (p *Provider) domainIDs(ctx context.Context, b plan.Batch, pl Payload) ([]string, error) {
	if len(pl.DomainIDs) > 0 {
		return pl.DomainIDs, nil
	}
	ids := make([]string, len(b.Domains))
	for i, n := range b.Domains {
		d, err := p.domain(ctx, n)
		if err != nil {
			return nil, err
		}
		ids[i] = d.id
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("dnspod: batch %s names no domain", b.ID)
	}
	return ids, nil
}

func batchRecord(r model.Record) BatchRecord {
	br := BatchRecord{SubDomain: r.Name, Type: r.Type, Line: r.Line, Value: r.Value, TTL: r.TTL, MX: r.MX}
	if r.Name == "@" {
		br.SubDomain = ""
	}
	if !r.Enabled {
		br.Status = "disable"
	}
	return br
}

// Poll reads a task's per-record state. Batch.Detail has no overall status;
// the task is done when no item is waiting or running (UNVERIFIED rule).
func (p *Provider) Poll(ctx context.Context, t providers.Task) (providers.TaskStatus, error) {
	if t.Sync {
		return providers.TaskStatus{Done: true, Items: t.Items}, nil
	}
	d, err := p.c.BatchDetail(ctx, t.ID)
	if err != nil {
		return providers.TaskStatus{}, err
	}
	return detailStatus(d), nil
}

func detailStatus(d *BatchDetail) providers.TaskStatus {
	st := providers.TaskStatus{Done: true, Items: []providers.ItemResult{}}
	for _, dom := range d.Detail {
		domState := itemState(dom.Status)
		for _, r := range dom.Records {
			it := providers.ItemResult{
				Domain:   dom.Domain,
				RecordID: r.RecordID.String(),
				What:     describe(r),
				State:    itemState(r.Status),
				Message:  r.ErrMsg.String(),
			}
			if it.RecordID == "0" {
				it.RecordID = ""
			}
			// A domain that failed as a whole leaves its records unprocessed:
			// they fail with the domain's message instead of waiting forever.
			if domState == providers.ItemFailed && !it.State.Final() {
				it.State = providers.ItemFailed
				it.Message = dom.ErrMsg.String()
			}
			if !it.State.Final() {
				st.Done = false
			}
			st.Items = append(st.Items, it)
		}
		if len(dom.Records) == 0 && domState != providers.ItemOK {
			it := providers.ItemResult{Domain: dom.Domain, What: "domain " + dom.Domain, State: domState, Message: dom.ErrMsg.String()}
			if !it.State.Final() {
				st.Done = false
			}
			st.Items = append(st.Items, it)
		}
	}
	return st
}

func itemState(s string) providers.ItemState {
	switch strings.ToLower(s) {
	case "ok", "success":
		return providers.ItemOK
	case "error", "fail", "failed":
		return providers.ItemFailed
	case "running":
		return providers.ItemRunning
	default:
		return providers.ItemWaiting
	}
}

func describe(r BatchItem) string {
	name := r.SubDomain.String()
	if name == "" {
		name = "@"
	}
	return strings.TrimSpace(fmt.Sprintf("%s %s %s", name, r.RecordType, r.Value))
}
