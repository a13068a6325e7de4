package aliyuntest

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// answer is a success body; every one carries RequestId at the top level.
type answer interface{ setID(string) }

type base struct {
	RequestId string
}

func (b *base) setID(id string) { b.RequestId = id }

type taskAnswer struct {
	base
	TaskNo string
}

type page struct {
	TotalItemNum   int
	CurrentPageNum int
	PageSize       int
	TotalPageNum   int
	PrePage        bool
	NextPage       bool
}

type dnsList struct {
	Dns []string
	// DnsList repeats Dns for clients built from SDK2's QueryDomainList
	// model (spec §3.8): each SDK ignores the key it does not know.
	DnsList []string `json:",omitempty"`
}

type domainItem struct {
	DomainName           string
	InstanceId           string
	DomainStatus         string
	DomainType           string
	RegistrationDate     string
	RegistrationDateLong int64
	ExpirationDate       string
	ExpirationDateLong   int64
	ExpirationDateStatus string
	Premium              bool
	DnsList              dnsList
}

type domainListAnswer struct {
	base
	page
	Data struct{ Domain []domainItem }
}

type domainAnswer struct {
	base
	domainItem
	UserId                   string
	ExpirationCurrDateDiff   int
	RegistrantType           string
	RealNameStatus           string
	RegistrantUpdatingStatus string
	TransferOutStatus        string
	TransferProhibitionLock  string
	UpdateProhibitionLock    string
	DomainNameProxyService   bool
	EmailVerificationStatus  int
}

type dnsHostItem struct {
	DnsName string
	IpList  []string
}

type dnsHostAnswer struct {
	base
	DnsHostList []dnsHostItem
}

type taskDetailItem struct {
	TaskNo              string
	TaskDetailNo        string
	TaskType            string
	TaskTypeDescription string
	InstanceId          string
	DomainName          string
	TaskStatus          string
	TaskStatusCode      int
	TryCount            int
	ErrorMsg            string
	FailReason          string
	TaskResult          string
	CreateTime          string
	UpdateTime          string
}

type taskDetailAnswer struct {
	base
	page
	Data struct{ TaskDetail []taskDetailItem }
}

type handler func(s *Server, p map[string]string, now time.Time) (res answer, committed bool, err *apiError)

// action returns the handler of a supported operation. Handlers run with
// s.mu held and tasks advanced to now.
func action(name string) (handler, bool) {
	switch name {
	case "QueryDomainList":
		return (*Server).queryDomainList, true
	case "QueryDomainByDomainName":
		return (*Server).queryDomainByDomainName, true
	case "QueryDnsHost":
		return (*Server).queryDnsHost, true
	case "QueryTaskDetailList":
		return (*Server).queryTaskDetailList, true
	case "SaveBatchTaskForModifyingDomainDns":
		return (*Server).saveModifyingDomainDns, true
	case "SaveSingleTaskForCreatingDnsHost":
		return (*Server).saveCreatingDnsHost, true
	case "SaveSingleTaskForModifyingDnsHost":
		return (*Server).saveModifyingDnsHost, true
	case "SaveSingleTaskForDeletingDnsHost":
		return (*Server).saveDeletingDnsHost, true
	case "SaveSingleTaskForSynchronizingDnsHost":
		return (*Server).saveSynchronizingDnsHost, true
	}
	return nil, false
}

// cst is the zone of the API's "yyyy-MM-dd HH:mm:ss" times (UTC+8;
// UNVERIFIED, spec §3.0).
var cst = time.FixedZone("CST", 8*3600)

func apiTime(t time.Time) string { return t.In(cst).Format("2006-01-02 15:04:05") }

func required(p map[string]string, name string) (string, *apiError) {
	v, ok := p[name]
	if !ok || v == "" {
		return "", errMissing(name)
	}
	return v, nil
}

// paging reads PageNum and PageSize (both required).
func paging(p map[string]string, maxSize int) (num, size int, err *apiError) {
	ns, err := required(p, "PageNum")
	if err != nil {
		return 0, 0, err
	}
	ss, err := required(p, "PageSize")
	if err != nil {
		return 0, 0, err
	}
	num, e1 := strconv.Atoi(ns)
	if e1 != nil || num < 1 {
		return 0, 0, errInvalid("PageNum")
	}
	size, e2 := strconv.Atoi(ss)
	if e2 != nil || size < 1 || size > maxSize {
		return 0, 0, &apiError{400, "InvalidPageSize", "Specified parameter PageSize is not valid."}
	}
	return num, size, nil
}

func makePage(total, num, size int) (page, int, int) {
	pages := (total + size - 1) / size
	lo := min((num-1)*size, total)
	hi := min(lo+size, total)
	return page{TotalItemNum: total, CurrentPageNum: num, PageSize: size, TotalPageNum: pages,
		PrePage: num > 1, NextPage: num < pages}, lo, hi
}

// list reads a repeat list Name.1 … Name.n ordered by the numeric suffix.
func list(p map[string]string, name string) ([]string, *apiError) {
	type item struct {
		n int
		v string
	}
	var items []item
	for k, v := range p {
		rest, ok := strings.CutPrefix(k, name+".")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 {
			return nil, errInvalid(k)
		}
		items = append(items, item{n, v})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].n < items[j].n })
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.v
	}
	return out, nil
}

func (s *Server) item(d *domain) domainItem {
	exp := d.registered.AddDate(10, 0, 0)
	ns := slices.Clone(d.nameservers)
	if ns == nil {
		ns = []string{}
	}
	return domainItem{
		DomainName: d.name, InstanceId: d.instanceID, DomainStatus: "3", DomainType: "gTLD",
		RegistrationDate: apiTime(d.registered), RegistrationDateLong: d.registered.UnixMilli(),
		ExpirationDate: apiTime(exp), ExpirationDateLong: exp.UnixMilli(), ExpirationDateStatus: "1",
		DnsList: dnsList{Dns: ns},
	}
}

func (s *Server) queryDomainList(p map[string]string, _ time.Time) (answer, bool, *apiError) {
	num, size, err := paging(p, 1000)
	if err != nil {
		return nil, false, err
	}
	filter := strings.ToLower(p["DomainName"])
	var names []string
	for name := range s.st.domains {
		if filter == "" || strings.Contains(name, filter) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	res := &domainListAnswer{Data: struct{ Domain []domainItem }{Domain: []domainItem{}}}
	var lo, hi int
	res.page, lo, hi = makePage(len(names), num, size)
	for _, name := range names[lo:hi] {
		it := s.item(s.st.domains[name])
		it.DnsList.DnsList = it.DnsList.Dns
		res.Data.Domain = append(res.Data.Domain, it)
	}
	return res, false, nil
}

func (s *Server) queryDomainByDomainName(p map[string]string, now time.Time) (answer, bool, *apiError) {
	name, err := required(p, "DomainName")
	if err != nil {
		return nil, false, err
	}
	d, ok := s.st.domains[canonHost(name)]
	if !ok {
		return nil, false, &apiError{400, "DomainNotExist", "The domain name does not exist."}
	}
	it := s.item(d)
	return &domainAnswer{
		domainItem: it, UserId: "1210000000000000",
		ExpirationCurrDateDiff:   int(time.UnixMilli(it.ExpirationDateLong).Sub(now).Hours() / 24),
		RegistrantType:           "1",
		RealNameStatus:           "SUCCEED",
		RegistrantUpdatingStatus: "NORMAL",
		TransferOutStatus:        "NORMAL",
		TransferProhibitionLock:  "CLOSE",
		UpdateProhibitionLock:    "CLOSE",
		EmailVerificationStatus:  1,
	}, false, nil
}

func (s *Server) instance(p map[string]string) (*domain, *apiError) {
	id, err := required(p, "InstanceId")
	if err != nil {
		return nil, err
	}
	d, ok := s.st.byInstance[id]
	if !ok {
		return nil, errIllegal("The instance " + id + " does not exist.")
	}
	return d, nil
}

func (s *Server) queryDnsHost(p map[string]string, _ time.Time) (answer, bool, *apiError) {
	d, err := s.instance(p)
	if err != nil {
		return nil, false, err
	}
	res := &dnsHostAnswer{DnsHostList: []dnsHostItem{}}
	for _, h := range hostsOut(d.registrar) {
		name := h.Name
		if s.opts.DNSNameStyle != "fqdn" {
			name = strings.TrimSuffix(name, "."+d.name)
		}
		res.DnsHostList = append(res.DnsHostList, dnsHostItem{DnsName: name, IpList: h.IPs})
	}
	return res, false, nil
}

func (s *Server) queryTaskDetailList(p map[string]string, _ time.Time) (answer, bool, *apiError) {
	no, err := required(p, "TaskNo")
	if err != nil {
		return nil, false, err
	}
	num, size, err := paging(p, 1000)
	if err != nil {
		return nil, false, err
	}
	status := -1
	if v, ok := p["TaskStatus"]; ok && v != "" {
		n, e := strconv.Atoi(v)
		if e != nil || n < 0 || n > 3 {
			return nil, false, errInvalid("TaskStatus")
		}
		status = n
	}
	var items []taskDetailItem
	if t, ok := s.st.tasks[no]; ok {
		for _, d := range t.details {
			if status >= 0 && d.Status != status ||
				p["InstanceId"] != "" && d.InstanceID != p["InstanceId"] ||
				p["DomainName"] != "" && d.Domain != canonHost(p["DomainName"]) {
				continue
			}
			items = append(items, taskDetailItem{
				TaskNo: t.TaskNo, TaskDetailNo: d.DetailNo, TaskType: t.Type,
				TaskTypeDescription: taskDescriptions[t.Type], InstanceId: d.InstanceID, DomainName: d.Domain,
				TaskStatus: d.StatusName(), TaskStatusCode: d.Status, TryCount: d.TryCount,
				ErrorMsg: d.ErrorMsg, CreateTime: apiTime(d.Created), UpdateTime: apiTime(d.Updated),
			})
		}
	}
	res := &taskDetailAnswer{}
	var lo, hi int
	res.page, lo, hi = makePage(len(items), num, size)
	res.Data.TaskDetail = append([]taskDetailItem{}, items[lo:hi]...)
	return res, false, nil
}

// newTask registers a task with one WAITING_EXECUTE detail per domain.
func (s *Server) newTask(action, typ string, now time.Time, domains []*domain, fill func(*task)) *taskAnswer {
	t := &task{TaskState: TaskState{
		TaskNo:  fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", uint32(s.opts.Seed>>32), 0, 0, 0, s.st.id()),
		Type:    typ,
		Created: now,
	}}
	fill(t)
	for _, d := range domains {
		seq := s.st.id()
		det := &DetailState{
			DetailNo: fmt.Sprintf("%s-%04d", t.TaskNo[:8], seq), Seq: seq, Domain: d.name, InstanceID: d.instanceID,
			Status: StatusWaiting, Created: now, Updated: now,
		}
		if f := s.faults; f.FailItems > 0 && f.appliesTo(action) && s.rng.Float64() < f.FailItems {
			det.FailInjected = true
		}
		t.details = append(t.details, det)
	}
	s.st.tasks[t.TaskNo] = t
	s.st.taskOrder = append(s.st.taskOrder, t.TaskNo)
	return &taskAnswer{TaskNo: t.TaskNo}
}

func busyError() *apiError {
	return &apiError{400, "TaskIsBeingProcessed", "An operation is being processed. Please try again later."}
}

func (s *Server) saveModifyingDomainDns(p map[string]string, now time.Time) (answer, bool, *apiError) {
	names, err := list(p, "DomainName")
	if err != nil {
		return nil, false, err
	}
	if len(names) == 0 {
		return nil, false, errMissing("DomainName.1")
	}
	av, err := required(p, "AliyunDns")
	if err != nil {
		return nil, false, err
	}
	aliyunDNS, perr := strconv.ParseBool(av)
	if perr != nil {
		return nil, false, errInvalid("AliyunDns")
	}
	var ns []string
	if !aliyunDNS {
		raw, err := list(p, "DomainNameServer")
		if err != nil {
			return nil, false, err
		}
		if len(raw) == 0 {
			return nil, false, errMissing("DomainNameServer.1")
		}
		if len(raw) > 13 {
			return nil, false, errIllegal("At most 13 name servers are allowed.")
		}
		for _, n := range raw {
			h := canonHost(n)
			if !validHostName(h) {
				return nil, false, errIllegal("Invalid name server " + n + ".")
			}
			if slices.Contains(ns, h) {
				return nil, false, errIllegal("Name server " + n + " is given twice.")
			}
			ns = append(ns, h)
		}
	}
	var doms []*domain
	for _, n := range names {
		d, ok := s.st.domains[canonHost(n)]
		if !ok {
			return nil, false, &apiError{400, "DomainNotExist", "The domain name does not exist."}
		}
		if slices.Contains(doms, d) {
			return nil, false, errIllegal("Domain " + n + " is given twice.")
		}
		doms = append(doms, d)
	}
	for _, d := range doms {
		if s.st.busy(d.name) {
			return nil, false, busyError()
		}
	}
	res := s.newTask("SaveBatchTaskForModifyingDomainDns", TaskChangeDNS, now, doms, func(t *task) {
		t.Nameservers, t.AliyunDNS = ns, aliyunDNS
	})
	return res, true, nil
}

// dnsName turns the DnsName parameter into the full host name under d.
func (s *Server) dnsName(p map[string]string, d *domain) (string, *apiError) {
	raw, err := required(p, "DnsName")
	if err != nil {
		return "", err
	}
	h := canonHost(raw)
	under := strings.HasSuffix(h, "."+d.name)
	if s.opts.StrictDNSName && under != (s.opts.DNSNameStyle == "fqdn") {
		return "", errIllegal("Invalid DNS host name " + raw + ".")
	}
	fq := hostUnder(h, d.name)
	if fq == d.name || !validHostName(fq) {
		return "", errIllegal("Invalid DNS host name " + raw + ".")
	}
	return fq, nil
}

func (s *Server) hostParams(p map[string]string, withIPs bool) (*domain, string, []string, *apiError) {
	d, err := s.instance(p)
	if err != nil {
		return nil, "", nil, err
	}
	host, err := s.dnsName(p, d)
	if err != nil {
		return nil, "", nil, err
	}
	var ips []string
	if withIPs {
		raw, err := list(p, "Ip")
		if err != nil {
			return nil, "", nil, err
		}
		if len(raw) == 0 {
			return nil, "", nil, errMissing("Ip.1")
		}
		if len(raw) > 13 {
			return nil, "", nil, errIllegal("At most 13 IP addresses are allowed.")
		}
		var ok bool
		if ips, ok = canonIPs(raw); !ok {
			return nil, "", nil, errIllegal("Invalid IP address.")
		}
	}
	if s.st.busy(d.name) {
		return nil, "", nil, busyError()
	}
	return d, host, ips, nil
}

func (s *Server) hostTask(action, typ string, withIPs bool) handler {
	return func(_ *Server, p map[string]string, now time.Time) (answer, bool, *apiError) {
		d, host, ips, err := s.hostParams(p, withIPs)
		if err != nil {
			return nil, false, err
		}
		res := s.newTask(action, typ, now, []*domain{d}, func(t *task) { t.Host, t.IPs = host, ips })
		return res, true, nil
	}
}

func (s *Server) saveCreatingDnsHost(p map[string]string, now time.Time) (answer, bool, *apiError) {
	if d, err := s.instance(p); err == nil && len(d.registry) >= 13 {
		return nil, false, errIllegal("A domain has at most 13 DNS hosts.")
	}
	return s.hostTask("SaveSingleTaskForCreatingDnsHost", TaskCreateHost, true)(s, p, now)
}

func (s *Server) saveModifyingDnsHost(p map[string]string, now time.Time) (answer, bool, *apiError) {
	return s.hostTask("SaveSingleTaskForModifyingDnsHost", TaskUpdateHost, true)(s, p, now)
}

func (s *Server) saveDeletingDnsHost(p map[string]string, now time.Time) (answer, bool, *apiError) {
	return s.hostTask("SaveSingleTaskForDeletingDnsHost", TaskDeleteHost, false)(s, p, now)
}

func (s *Server) saveSynchronizingDnsHost(p map[string]string, now time.Time) (answer, bool, *apiError) {
	d, err := s.instance(p)
	if err != nil {
		return nil, false, err
	}
	if s.st.busy(d.name) {
		return nil, false, busyError()
	}
	return s.newTask("SaveSingleTaskForSynchronizingDnsHost", TaskSyncHost, now, []*domain{d}, func(*task) {}), true, nil
}
