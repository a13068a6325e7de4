package aliyun

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
)

// Provider adapts a Client to providers.RegistrarReader and
// providers.Executor for the Alibaba plan operations.
type Provider struct {
	name     string
	c        *Client
	style    DNSNameStyle
	suffixes []string

	mu        sync.Mutex
	instances map[string]string // domain → InstanceId (never changes for a domain)
}

// ProviderOption adjusts a Provider.
type ProviderOption func(*Provider)

// WithDNSNameStyle overrides the client's DNSNameStyle for this provider.
func WithDNSNameStyle(s DNSNameStyle) ProviderOption {
	return func(p *Provider) { p.style = s }
}

// WithAliyunDNSSuffixes overrides the name-server suffixes that mean
// "Alibaba Cloud DNS" when reading a domain.
func WithAliyunDNSSuffixes(suffixes ...string) ProviderOption {
	return func(p *Provider) { p.suffixes = suffixes }
}

// NewProvider returns the provider called name (as configured) on c.
func NewProvider(name string, c *Client, opts ...ProviderOption) *Provider {
	p := &Provider{
		name: name, c: c, style: c.opts.DNSNameStyle, suffixes: c.opts.AliyunDNSSuffixes,
		instances: map[string]string{},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Name is the configured provider name.
func (p *Provider) Name() string { return p.name }

// Client returns the underlying API client.
func (p *Provider) Client() *Client { return p.c }

var (
	_ providers.RegistrarReader = (*Provider)(nil)
	_ providers.Executor        = (*Provider)(nil)
)

// ReadRegistrar reads the delegation of domain: name servers and InstanceId
// from QueryDomainByDomainName, DNS hosts from QueryDnsHost, all in the
// canonical form of internal/model. AliyunDNS is inferred: true when every
// name server lies under one of the Alibaba Cloud DNS suffixes (the API
// reports no such flag). A domain not in the account gives an error
// matching ErrDomainNotFound.
func (p *Provider) ReadRegistrar(ctx context.Context, domain string) (*model.LiveRegistrar, error) {
	domain = model.Host(domain)
	d, err := p.c.QueryDomainByDomainName(ctx, domain)
	if err != nil {
		return nil, err
	}
	p.remember(domain, d.InstanceID)
	hosts, err := p.c.QueryDnsHost(ctx, d.InstanceID)
	if err != nil {
		return nil, err
	}
	live := &model.LiveRegistrar{
		InstanceID:  d.InstanceID,
		Nameservers: canonicalHosts(d.Nameservers),
		DNSHosts:    []model.DNSHost{},
	}
	live.AliyunDNS = p.isAliyunDNS(live.Nameservers)
	for _, h := range hosts {
		live.DNSHosts = append(live.DNSHosts, model.DNSHost{Host: hostFQDN(h.DnsName, domain), IPs: canonicalIPs(h.IPs)})
	}
	sort.Slice(live.DNSHosts, func(i, j int) bool { return live.DNSHosts[i].Host < live.DNSHosts[j].Host })
	return live, nil
}

func (p *Provider) isAliyunDNS(ns []string) bool {
	if len(ns) == 0 {
		return false
	}
	for _, n := range ns {
		if !underAny(n, p.suffixes) {
			return false
		}
	}
	return true
}

func underAny(host string, suffixes []string) bool {
	for _, s := range suffixes {
		s = model.Host(s)
		if host == s || strings.HasSuffix(host, "."+s) {
			return true
		}
	}
	return false
}

// canonicalHosts lower-cases, strips trailing dots, sorts and de-duplicates.
func canonicalHosts(in []string) []string {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, h := range in {
		h = model.Host(strings.TrimSpace(h))
		if h == "" || seen[h] {
			continue
		}
		seen[h] = true
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// canonicalIPs writes addresses in netip's canonical text and sorts them.
func canonicalIPs(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		s = strings.TrimSpace(s)
		if a, err := netip.ParseAddr(s); err == nil {
			s = a.Unmap().String()
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// hostFQDN turns a DnsName of either style into the full host name.
func hostFQDN(dnsName, domain string) string {
	h := model.Host(dnsName)
	if h == domain || strings.HasSuffix(h, "."+domain) {
		return h
	}
	return h + "." + domain
}

// dnsName turns a full host name into the DnsName to send.
func (p *Provider) dnsName(host, domain string) (string, error) {
	h := model.Host(host)
	if !strings.HasSuffix(h, "."+domain) {
		return "", fmt.Errorf("aliyun: DNS host %s is not inside domain %s", host, domain)
	}
	if p.style == DNSNameFQDN {
		return h, nil
	}
	return strings.TrimSuffix(h, "."+domain), nil
}

func (p *Provider) remember(domain, instanceID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.instances[domain] = instanceID
}

// instanceID returns the InstanceId of domain, reading it once.
func (p *Provider) instanceID(ctx context.Context, domain string) (string, error) {
	p.mu.Lock()
	id, ok := p.instances[domain]
	p.mu.Unlock()
	if ok {
		return id, nil
	}
	d, err := p.c.QueryDomainByDomainName(ctx, domain)
	if err != nil {
		return "", err
	}
	p.remember(domain, d.InstanceID)
	return d.InstanceID, nil
}

// Submit makes the batch's single write call. A TaskIsBeingProcessed answer
// comes back as an *Error matching ErrTaskInProgress and
// providers.ErrTransient: the write was refused, so the caller waits for
// the running task and submits again. An unknown outcome matches
// providers.ErrOutcomeUnknown: the caller re-reads before submitting again.
func (p *Provider) Submit(ctx context.Context, b plan.Batch) (providers.Task, error) {
	t := providers.Task{Provider: p.name, Op: b.Op, BatchID: b.ID}
	if len(b.Domains) == 0 {
		return t, fmt.Errorf("aliyun: batch %s: no domains", b.ID)
	}
	pl, err := decode(b)
	if err != nil {
		return t, err
	}
	var taskNo string
	switch b.Op {
	case OpModifyDomainDNS:
		domains := make([]string, len(b.Domains))
		for i, d := range b.Domains {
			domains[i] = model.Host(d)
		}
		taskNo, err = p.c.SaveBatchTaskForModifyingDomainDns(ctx, domains, pl.Nameservers, pl.AliyunDNS)
	case OpSyncDNSHost, OpCreateDNSHost, OpModifyDNSHost, OpDeleteDNSHost:
		taskNo, err = p.submitHost(ctx, b, pl)
	default:
		return t, fmt.Errorf("aliyun: batch %s: operation %s is not an Alibaba Domain operation", b.ID, b.Op)
	}
	if err != nil {
		return t, fmt.Errorf("batch %s: %w", b.ID, err)
	}
	t.ID = taskNo
	return t, nil
}

func (p *Provider) submitHost(ctx context.Context, b plan.Batch, pl Payload) (string, error) {
	if len(b.Domains) != 1 {
		return "", fmt.Errorf("aliyun: %s needs exactly one domain, got %d", b.Op, len(b.Domains))
	}
	domain := model.Host(b.Domains[0])
	inst, err := p.instanceID(ctx, domain)
	if err != nil {
		return "", err
	}
	if b.Op == OpSyncDNSHost {
		return p.c.SaveSingleTaskForSynchronizingDnsHost(ctx, inst)
	}
	name, err := p.dnsName(pl.Host, domain)
	if err != nil {
		return "", err
	}
	switch b.Op {
	case OpCreateDNSHost:
		return p.c.SaveSingleTaskForCreatingDnsHost(ctx, inst, name, pl.IPs)
	case OpModifyDNSHost:
		return p.c.SaveSingleTaskForModifyingDnsHost(ctx, inst, name, pl.IPs)
	default:
		return p.c.SaveSingleTaskForDeletingDnsHost(ctx, inst, name)
	}
}

// Poll reads every detail of the task (all pages) as one ItemResult per
// domain detail. The task is done when it has details and all are final.
func (p *Provider) Poll(ctx context.Context, t providers.Task) (providers.TaskStatus, error) {
	if t.ID == "" {
		return providers.TaskStatus{}, errors.New("aliyun: poll: task without id")
	}
	details, err := p.c.QueryTaskDetailList(ctx, t.ID)
	if err != nil {
		return providers.TaskStatus{}, err
	}
	sort.SliceStable(details, func(i, j int) bool {
		if details[i].DomainName != details[j].DomainName {
			return details[i].DomainName < details[j].DomainName
		}
		return details[i].TaskDetailNo < details[j].TaskDetailNo
	})
	st := providers.TaskStatus{Done: len(details) > 0, Items: make([]providers.ItemResult, 0, len(details))}
	for _, d := range details {
		it := providers.ItemResult{
			Domain:  model.Host(d.DomainName),
			What:    d.TaskType,
			State:   ItemState(d),
			Message: d.ErrorMsg,
			Tries:   d.TryCount,
		}
		if it.Message == "" {
			it.Message = d.FailReason
		}
		st.Done = st.Done && it.State.Final()
		st.Items = append(st.Items, it)
	}
	return st, nil
}

// ItemState maps a task detail's status to providers.ItemState. The string
// wins when present; the numeric code (0..3) is the fallback.
func ItemState(d TaskDetail) providers.ItemState {
	switch strings.ToUpper(d.TaskStatus) {
	case "WAITING_EXECUTE":
		return providers.ItemWaiting
	case "EXECUTING":
		return providers.ItemRunning
	case "EXECUTE_SUCCESS":
		return providers.ItemOK
	case "EXECUTE_FAILURE":
		return providers.ItemFailed
	}
	switch d.TaskStatusCode {
	case 1:
		return providers.ItemRunning
	case 2:
		return providers.ItemOK
	case 3:
		return providers.ItemFailed
	}
	return providers.ItemWaiting
}
