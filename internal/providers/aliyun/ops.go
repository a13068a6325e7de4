package aliyun

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// Domain is one domain of the account as the registrar reports it.
type Domain struct {
	DomainName       string
	InstanceID       string
	DomainStatus     string
	DomainType       string
	RegistrationDate string
	ExpirationDate   string
	// Nameservers as returned (not normalised); from QueryDomainList they
	// are informational only (the list shape is UNVERIFIED, spec §3.8).
	Nameservers []string
}

// DNSHost is one DNS host (glue) as QueryDnsHost returns it.
type DNSHost struct {
	DnsName string // label or FQDN, as the server sends it
	IPs     []string
}

// TaskDetail is the per-domain state of a task (QueryTaskDetailList).
type TaskDetail struct {
	TaskNo              string
	TaskDetailNo        string
	TaskType            string
	TaskTypeDescription string
	InstanceID          string
	DomainName          string
	TaskStatus          string // WAITING_EXECUTE, EXECUTING, EXECUTE_SUCCESS, EXECUTE_FAILURE
	TaskStatusCode      int    // 0..3, same order
	TryCount            int
	ErrorMsg            string
	FailReason          string
	TaskResult          string
	CreateTime          string
	UpdateTime          string
}

// maxPages stops a pagination loop on a server that never says "last page".
const maxPages = 10000

// QueryDomainList returns every domain of the account (all pages).
func (c *Client) QueryDomainList(ctx context.Context) ([]Domain, error) {
	var out []Domain
	for page := 1; page <= maxPages; page++ {
		var resp wireDomainList
		err := c.call(ctx, "QueryDomainList", map[string]string{
			"PageNum":  strconv.Itoa(page),
			"PageSize": strconv.Itoa(c.opts.PageSize),
		}, false, &resp)
		if err != nil {
			return nil, err
		}
		for _, d := range resp.Data.Domain {
			out = append(out, Domain{
				DomainName: d.DomainName, InstanceID: d.InstanceId, DomainStatus: string(d.DomainStatus),
				DomainType: d.DomainType, RegistrationDate: d.RegistrationDate, ExpirationDate: d.ExpirationDate,
				Nameservers: []string(d.DnsList),
			})
		}
		if !resp.more(page, len(resp.Data.Domain)) {
			return out, nil
		}
	}
	return nil, fmt.Errorf("aliyun: QueryDomainList: more than %d pages", maxPages)
}

// QueryDomainByDomainName reads one domain, including its registrar name
// servers (DnsList.Dns) and the InstanceId the DNS host calls need.
func (c *Client) QueryDomainByDomainName(ctx context.Context, name string) (*Domain, error) {
	var resp struct {
		RequestId string
		wireDomain
	}
	if err := c.call(ctx, "QueryDomainByDomainName", map[string]string{"DomainName": name}, false, &resp); err != nil {
		return nil, err
	}
	if resp.InstanceId == "" {
		return nil, fmt.Errorf("aliyun: QueryDomainByDomainName %s: answer without InstanceId", name)
	}
	d := resp.wireDomain
	return &Domain{
		DomainName: d.DomainName, InstanceID: d.InstanceId, DomainStatus: string(d.DomainStatus),
		DomainType: d.DomainType, RegistrationDate: d.RegistrationDate, ExpirationDate: d.ExpirationDate,
		Nameservers: []string(d.DnsList),
	}, nil
}

// QueryDnsHost lists the DNS hosts (glue) of the domain instance.
func (c *Client) QueryDnsHost(ctx context.Context, instanceID string) ([]DNSHost, error) {
	var resp wireDNSHostList
	if err := c.call(ctx, "QueryDnsHost", map[string]string{"InstanceId": instanceID}, false, &resp); err != nil {
		return nil, err
	}
	out := make([]DNSHost, 0, len(resp.DnsHostList))
	for _, h := range resp.DnsHostList {
		out = append(out, DNSHost{DnsName: h.DnsName, IPs: []string(h.IpList)})
	}
	return out, nil
}

// SaveBatchTaskForModifyingDomainDns sets the name servers of domains (or
// switches them to Alibaba Cloud DNS when aliyunDNS is true) and returns
// the task number. A write: see the package doc for retries.
func (c *Client) SaveBatchTaskForModifyingDomainDns(ctx context.Context, domains, nameservers []string, aliyunDNS bool) (string, error) {
	if len(domains) == 0 {
		return "", errors.New("aliyun: SaveBatchTaskForModifyingDomainDns: no domains")
	}
	if len(domains) > c.opts.BatchSize {
		return "", fmt.Errorf("aliyun: SaveBatchTaskForModifyingDomainDns: %d domains exceed the batch size %d", len(domains), c.opts.BatchSize)
	}
	if !aliyunDNS && len(nameservers) == 0 {
		return "", errors.New("aliyun: SaveBatchTaskForModifyingDomainDns: no name servers")
	}
	p := map[string]string{"AliyunDns": strconv.FormatBool(aliyunDNS)}
	addList(p, "DomainName", domains)
	if !aliyunDNS {
		addList(p, "DomainNameServer", nameservers)
	}
	return c.saveTask(ctx, "SaveBatchTaskForModifyingDomainDns", p)
}

// SaveSingleTaskForCreatingDnsHost creates a DNS host with 1..13 addresses.
func (c *Client) SaveSingleTaskForCreatingDnsHost(ctx context.Context, instanceID, dnsName string, ips []string) (string, error) {
	return c.hostTask(ctx, "SaveSingleTaskForCreatingDnsHost", instanceID, dnsName, ips)
}

// SaveSingleTaskForModifyingDnsHost replaces the addresses of a DNS host.
func (c *Client) SaveSingleTaskForModifyingDnsHost(ctx context.Context, instanceID, dnsName string, ips []string) (string, error) {
	return c.hostTask(ctx, "SaveSingleTaskForModifyingDnsHost", instanceID, dnsName, ips)
}

// SaveSingleTaskForDeletingDnsHost deletes a DNS host.
func (c *Client) SaveSingleTaskForDeletingDnsHost(ctx context.Context, instanceID, dnsName string) (string, error) {
	if instanceID == "" || dnsName == "" {
		return "", errors.New("aliyun: SaveSingleTaskForDeletingDnsHost: instance id and DNS name are required")
	}
	return c.saveTask(ctx, "SaveSingleTaskForDeletingDnsHost", map[string]string{"InstanceId": instanceID, "DnsName": dnsName})
}

// SaveSingleTaskForSynchronizingDnsHost asks the registrar to repair its
// DNS host data of the instance from the registry.
func (c *Client) SaveSingleTaskForSynchronizingDnsHost(ctx context.Context, instanceID string) (string, error) {
	if instanceID == "" {
		return "", errors.New("aliyun: SaveSingleTaskForSynchronizingDnsHost: instance id is required")
	}
	return c.saveTask(ctx, "SaveSingleTaskForSynchronizingDnsHost", map[string]string{"InstanceId": instanceID})
}

func (c *Client) hostTask(ctx context.Context, action, instanceID, dnsName string, ips []string) (string, error) {
	if instanceID == "" || dnsName == "" {
		return "", fmt.Errorf("aliyun: %s: instance id and DNS name are required", action)
	}
	if len(ips) == 0 || len(ips) > 13 {
		return "", fmt.Errorf("aliyun: %s: a DNS host needs 1 to 13 addresses, got %d", action, len(ips))
	}
	p := map[string]string{"InstanceId": instanceID, "DnsName": dnsName}
	addList(p, "Ip", ips)
	return c.saveTask(ctx, action, p)
}

func (c *Client) saveTask(ctx context.Context, action string, p map[string]string) (string, error) {
	var resp wireTask
	if err := c.call(ctx, action, p, true, &resp); err != nil {
		return "", err
	}
	if resp.TaskNo == "" {
		return "", fmt.Errorf("aliyun: %s: answer without TaskNo (request %s)", action, resp.RequestId)
	}
	return resp.TaskNo, nil
}

// QueryTaskDetailList returns every per-domain detail of a task (all pages).
func (c *Client) QueryTaskDetailList(ctx context.Context, taskNo string) ([]TaskDetail, error) {
	if taskNo == "" {
		return nil, errors.New("aliyun: QueryTaskDetailList: task number is required")
	}
	size := min(c.opts.PageSize, MaxTaskDetailPageSize)
	var out []TaskDetail
	for page := 1; page <= maxPages; page++ {
		var resp wireTaskDetailList
		err := c.call(ctx, "QueryTaskDetailList", map[string]string{
			"TaskNo":   taskNo,
			"PageNum":  strconv.Itoa(page),
			"PageSize": strconv.Itoa(size),
		}, false, &resp)
		if err != nil {
			return nil, err
		}
		for _, d := range resp.Data.TaskDetail {
			out = append(out, TaskDetail{
				TaskNo: d.TaskNo, TaskDetailNo: d.TaskDetailNo, TaskType: d.TaskType,
				TaskTypeDescription: d.TaskTypeDescription, InstanceID: d.InstanceId, DomainName: d.DomainName,
				TaskStatus: d.TaskStatus, TaskStatusCode: int(d.TaskStatusCode), TryCount: int(d.TryCount),
				ErrorMsg: d.ErrorMsg, FailReason: d.FailReason, TaskResult: string(d.TaskResult),
				CreateTime: d.CreateTime, UpdateTime: d.UpdateTime,
			})
		}
		if !resp.more(page, len(resp.Data.TaskDetail)) {
			return out, nil
		}
	}
	return nil, fmt.Errorf("aliyun: QueryTaskDetailList: more than %d pages", maxPages)
}

// addList flattens a repeat list as Name.1 … Name.n.
func addList(p map[string]string, name string, vals []string) {
	for i, v := range vals {
		p[name+"."+strconv.Itoa(i+1)] = v
	}
}
