package aliyuntest

import (
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a Server. The zero value is usable: no delays, no
// faults, real time.
type Options struct {
	// Now is the clock (tests inject one); default time.Now.
	Now func() time.Time
	// WaitDelay is how long a task detail stays WAITING_EXECUTE, ExecDelay
	// how long it then stays EXECUTING before it is final. Zero means the
	// next request already sees the next state.
	WaitDelay time.Duration
	ExecDelay time.Duration
	// MaxSkew is the accepted Timestamp skew and the nonce memory
	// (default 15 minutes).
	MaxSkew time.Duration
	// Seed seeds the fault dice (math/rand/v2 PCG) for reproducible runs.
	Seed uint64
	// Faults are the initial fault settings (see SetFaults).
	Faults Faults
	// HostID is the HostId of error answers (default domain.aliyuncs.com).
	HostID string
	// DNSNameStyle is how QueryDnsHost reports DnsName: "label" (default)
	// or "fqdn". Both forms are accepted on input unless StrictDNSName.
	DNSNameStyle  string
	StrictDNSName bool
	// RegisteredNameservers, when non-nil, lists the external name-server
	// names the registry knows; a CHG_DNS to any other name outside the
	// emulated domains fails. Nil accepts any such name.
	RegisteredNameservers []string
	// AliyunNameservers are the servers set by AliyunDns=true (default
	// ns1.alidns.com, ns2.alidns.com); always accepted as name servers.
	AliyunNameservers []string
	// MaxTries is the TryCount of a failed detail (default 5).
	MaxTries int
}

// Faults are injected before any state change, except CommitLoss.
// Shares are probabilities in [0,1]; DropConn, Throttle and ServerError are
// exclusive and rolled once per authenticated request.
type Faults struct {
	Throttle    float64 // answer 400 Throttling.User
	ServerError float64 // answer 503 ServiceUnavailable or 500 InternalError (even split)
	DropConn    float64 // hijack the connection and close it without an answer
	// CommitLoss is the share of successful writes whose state change is
	// committed but whose answer is lost (500 InternalError or a dropped
	// connection, even split): the "outcome unknown" case.
	CommitLoss float64
	// Latency is added to a LatencyShare of requests (all when 0).
	Latency      time.Duration
	LatencyShare float64
	// FailItems is the share of new task details that fail when executed.
	FailItems float64
	// RetryAfter, when positive, is sent as x-acs-retry-after (ms) with
	// throttling answers.
	RetryAfter time.Duration
	// Actions limits faults to these actions (all when empty).
	Actions []string
}

func (f Faults) appliesTo(action string) bool {
	return len(f.Actions) == 0 || slices.Contains(f.Actions, action)
}

// Fault names used in the request log.
const (
	FaultThrottle       = "throttle"
	FaultServerError    = "5xx"
	FaultDrop           = "drop"
	FaultCommitLoss5xx  = "commit-loss-5xx"
	FaultCommitLossDrop = "commit-loss-drop"
	FaultLatency        = "latency"
)

// LogEntry is one request as the emulator saw it.
type LogEntry struct {
	Seq       int               `json:"seq"`
	Time      time.Time         `json:"time"`
	Method    string            `json:"method"`
	Action    string            `json:"action"`
	Params    map[string]string `json:"params"` // Signature removed, SecurityToken masked
	Fault     string            `json:"fault,omitempty"`
	Status    int               `json:"status"` // 0: connection dropped, no answer
	Code      string            `json:"code,omitempty"`
	Committed bool              `json:"committed,omitempty"` // a write changed state
	TaskNo    string            `json:"task_no,omitempty"`
	RequestID string            `json:"request_id"`
}

type key struct {
	secret, token string
}

// Server is the emulator; it implements http.Handler.
type Server struct {
	opts Options

	mu     sync.Mutex
	st     *state
	keys   map[string]key
	nonces map[string]time.Time // AccessKeyId + "\x00" + nonce → timestamp
	faults Faults
	rng    *rand.Rand
	log    []LogEntry
	reqSeq int64
}

// New returns an emulator with no domains and no keys.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxSkew <= 0 {
		opts.MaxSkew = 15 * time.Minute
	}
	if opts.HostID == "" {
		opts.HostID = "domain.aliyuncs.com"
	}
	if opts.DNSNameStyle == "" {
		opts.DNSNameStyle = "label"
	}
	if len(opts.AliyunNameservers) == 0 {
		opts.AliyunNameservers = []string{"ns1.alidns.com", "ns2.alidns.com"}
	}
	if opts.MaxTries <= 0 {
		opts.MaxTries = 5
	}
	return &Server{
		opts:   opts,
		st:     newState(),
		keys:   map[string]key{},
		nonces: map[string]time.Time{},
		faults: opts.Faults,
		rng:    rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
	}
}

// AddKey registers an access key.
func (s *Server) AddKey(id, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[id] = key{secret: secret}
}

// AddSTSKey registers a temporary key that must come with token.
func (s *Server) AddSTSKey(id, secret, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[id] = key{secret: secret, token: token}
}

// SetFaults replaces the fault settings.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// SetTaskDelays replaces WaitDelay and ExecDelay. Details not yet final
// follow the new delays, counted from their creation.
func (s *Server) SetTaskDelays(wait, exec time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.WaitDelay, s.opts.ExecDelay = wait, exec
}

// AddDomain adds (or replaces) a domain and returns its instance id. With
// aliyunDNS and no name servers, the Alibaba Cloud DNS servers are used.
func (s *Server) AddDomain(name string, nameservers []string, aliyunDNS bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	name = canonHost(name)
	ns := make([]string, 0, len(nameservers))
	for _, n := range nameservers {
		ns = append(ns, canonHost(n))
	}
	if aliyunDNS && len(ns) == 0 {
		ns = slices.Clone(s.opts.AliyunNameservers)
	}
	if old, ok := s.st.domains[name]; ok {
		delete(s.st.byInstance, old.instanceID)
	}
	d := &domain{
		name: name, instanceID: fmt.Sprintf("S2018%011d", s.st.id()), nameservers: ns, aliyunDNS: aliyunDNS,
		registered: s.opts.Now().UTC().Truncate(time.Second),
		registry:   map[string][]string{}, registrar: map[string][]string{},
	}
	s.st.domains[name] = d
	s.st.byInstance[d.instanceID] = d
	return d.instanceID
}

// SetRegistryHost sets (nil ips: removes) a DNS host in the registry's
// truth only; host may be a label or a full name under domain.
func (s *Server) SetRegistryHost(domain, host string, ips []string) error {
	return s.setHost(domain, host, ips, true)
}

// SetRegistrarHost sets (nil ips: removes) a DNS host in the registrar's
// view only, which QueryDnsHost reports.
func (s *Server) SetRegistrarHost(domain, host string, ips []string) error {
	return s.setHost(domain, host, ips, false)
}

func (s *Server) setHost(domainName, host string, ips []string, registry bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.st.domains[canonHost(domainName)]
	if !ok {
		return fmt.Errorf("aliyuntest: no domain %s", domainName)
	}
	fq := hostUnder(canonHost(host), d.name)
	m := d.registrar
	if registry {
		m = d.registry
	}
	if ips == nil {
		delete(m, fq)
		return nil
	}
	canon, ok := canonIPs(ips)
	if !ok {
		return fmt.Errorf("aliyuntest: bad address in %v", ips)
	}
	m[fq] = canon
	return nil
}

// hostUnder returns the full host name for a label or full name.
func hostUnder(h, domain string) string {
	if h == domain || strings.HasSuffix(h, "."+domain) {
		return h
	}
	return h + "." + domain
}

// Domain returns the current state of a domain (tasks advanced to now).
func (s *Server) Domain(name string) (DomainState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.opts.Now())
	d, ok := s.st.domains[canonHost(name)]
	if !ok {
		return DomainState{}, false
	}
	return d.export(), true
}

// Snapshot returns the whole state (tasks advanced to now).
func (s *Server) Snapshot() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.opts.Now())
	return s.st.export()
}

// Export returns the state as JSON.
func (s *Server) Export() ([]byte, error) {
	return marshalState(s.Snapshot())
}

// Import replaces the state with one produced by Export. Keys, faults, the
// log and the nonce cache are kept.
func (s *Server) Import(data []byte) error {
	var in State
	if err := json.Unmarshal(data, &in); err != nil {
		return fmt.Errorf("aliyuntest: import: %w", err)
	}
	st, err := importState(in)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = st
	return nil
}

// Log returns a copy of the request log.
func (s *Server) Log() []LogEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]LogEntry, len(s.log))
	for i, e := range s.log {
		e.Params = maps.Clone(e.Params)
		out[i] = e
	}
	return out
}

// ResetLog empties the request log.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

// advance moves every task detail to the state it has at now, applying the
// effects of details that finish in the order they finish.
func (s *Server) advance(now time.Time) {
	type due struct {
		t   *task
		d   *DetailState
		end time.Time
	}
	var finishing []due
	for _, no := range s.st.taskOrder {
		t := s.st.tasks[no]
		for _, d := range t.details {
			if d.Final() {
				continue
			}
			start := d.Created.Add(s.opts.WaitDelay)
			end := start.Add(s.opts.ExecDelay)
			switch {
			case !now.Before(end):
				finishing = append(finishing, due{t, d, end})
			case !now.Before(start) && d.Status == StatusWaiting:
				d.Status, d.Updated = StatusExecuting, start
			}
		}
	}
	sort.SliceStable(finishing, func(i, j int) bool {
		if !finishing[i].end.Equal(finishing[j].end) {
			return finishing[i].end.Before(finishing[j].end)
		}
		return finishing[i].d.Seq < finishing[j].d.Seq
	})
	for _, f := range finishing {
		msg := s.execute(f.t, f.d)
		f.d.Updated = f.end
		if msg != "" {
			f.d.Status, f.d.TryCount, f.d.ErrorMsg = StatusFailure, s.opts.MaxTries, msg
		} else {
			f.d.Status, f.d.ErrorMsg = StatusSuccess, ""
		}
	}
}

// execute applies one detail's effect; it returns a failure message or "".
func (s *Server) execute(t *task, det *DetailState) string {
	if det.FailInjected {
		return "the registry did not answer in time (injected fault)"
	}
	d, ok := s.st.domains[det.Domain]
	if !ok {
		return "domain no longer exists"
	}
	switch t.Type {
	case TaskChangeDNS:
		if t.AliyunDNS {
			d.nameservers, d.aliyunDNS = slices.Clone(s.opts.AliyunNameservers), true
			return ""
		}
		for _, ns := range t.Nameservers {
			if msg := s.checkNameserver(ns); msg != "" {
				return msg
			}
		}
		d.nameservers, d.aliyunDNS = slices.Clone(t.Nameservers), false
	case TaskCreateHost:
		if _, exists := d.registry[t.Host]; exists {
			return fmt.Sprintf("DNS host %s already exists", t.Host)
		}
		d.registry[t.Host], d.registrar[t.Host] = slices.Clone(t.IPs), slices.Clone(t.IPs)
	case TaskUpdateHost:
		if _, exists := d.registry[t.Host]; !exists {
			return fmt.Sprintf("DNS host %s does not exist", t.Host)
		}
		d.registry[t.Host], d.registrar[t.Host] = slices.Clone(t.IPs), slices.Clone(t.IPs)
	case TaskDeleteHost:
		if _, exists := d.registry[t.Host]; !exists {
			return fmt.Sprintf("DNS host %s does not exist", t.Host)
		}
		if users := s.st.usedBy(t.Host); len(users) > 0 {
			return fmt.Sprintf("DNS host %s is in use as a name server of %s", t.Host, strings.Join(users, ", "))
		}
		delete(d.registry, t.Host)
		delete(d.registrar, t.Host)
	case TaskSyncHost:
		d.registrar = map[string][]string{}
		for h, ips := range d.registry {
			d.registrar[h] = slices.Clone(ips)
		}
	}
	return ""
}

// checkNameserver returns why ns cannot be a name server, or "".
func (s *Server) checkNameserver(ns string) string {
	if slices.Contains(s.opts.AliyunNameservers, ns) {
		return ""
	}
	if p := s.st.parent(ns); p != nil {
		if _, ok := p.registry[ns]; !ok {
			return fmt.Sprintf("name server %s is not a registered DNS host of %s", ns, p.name)
		}
		return ""
	}
	if s.opts.RegisteredNameservers != nil && !slices.Contains(s.opts.RegisteredNameservers, ns) {
		return fmt.Sprintf("name server %s is not registered at the registry", ns)
	}
	return ""
}

// apiError is an error answer.
type apiError struct {
	status        int
	code, message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errMissing(name string) *apiError {
	return &apiError{400, "MissingParameter", fmt.Sprintf("The input parameter %q that is mandatory for processing this request is not supplied.", name)}
}

func errInvalid(name string) *apiError {
	return &apiError{400, "InvalidParameter", fmt.Sprintf("The specified value of parameter %q is not valid.", name)}
}

func errIllegal(why string) *apiError {
	return &apiError{400, "ParameterIllegal", "Parameter illegal. " + why}
}

// ServeHTTP implements the RPC endpoint at any path.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.reqSeq++
	reqID := fmt.Sprintf("%08X-%04X-4%03X-A%03X-%012X", uint32(s.opts.Seed), 0, 0, 0, s.reqSeq)
	s.mu.Unlock()
	now := s.opts.Now()
	entry := LogEntry{Time: now, Method: r.Method, RequestID: reqID}

	params, perr := readParams(r)
	entry.Action = params["Action"]
	entry.Params = logParams(params)
	if perr != nil {
		s.answerError(w, &entry, perr)
		return
	}
	if aerr := s.authenticate(r.Method, params, now); aerr != nil {
		s.answerError(w, &entry, aerr)
		return
	}
	h, ok := action(entry.Action)
	if !ok {
		s.answerError(w, &entry, &apiError{404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method."})
		return
	}

	if s.preFaults(w, r, &entry) {
		return
	}

	s.mu.Lock()
	s.advance(now)
	res, committed, herr := h(s, params, now)
	var lose string
	if committed {
		entry.Committed = true
		if tn, ok := res.(*taskAnswer); ok {
			entry.TaskNo = tn.TaskNo
		}
		if f := s.faults; f.appliesTo(entry.Action) && f.CommitLoss > 0 && s.rng.Float64() < f.CommitLoss {
			lose = FaultCommitLoss5xx
			if s.rng.IntN(2) == 0 {
				lose = FaultCommitLossDrop
			}
		}
	}
	s.mu.Unlock()

	switch {
	case herr != nil:
		s.answerError(w, &entry, herr)
	case lose == FaultCommitLossDrop:
		entry.Fault = lose
		s.record(entry)
		dropConn(w)
	case lose == FaultCommitLoss5xx:
		entry.Fault = lose
		s.answerError(w, &entry, &apiError{500, "InternalError", "The request processing has failed due to some unknown error, exception or failure."})
	default:
		res.setID(reqID)
		s.answerJSON(w, &entry, http.StatusOK, res)
	}
}

// preFaults rolls the per-request faults; it reports whether the request
// was answered (or dropped) by a fault.
func (s *Server) preFaults(w http.ResponseWriter, r *http.Request, entry *LogEntry) bool {
	s.mu.Lock()
	f := s.faults
	if !f.appliesTo(entry.Action) {
		s.mu.Unlock()
		return false
	}
	var delay time.Duration
	if f.Latency > 0 && (f.LatencyShare <= 0 || s.rng.Float64() < f.LatencyShare) {
		delay = f.Latency
	}
	u := s.rng.Float64()
	var fault string
	switch {
	case u < f.DropConn:
		fault = FaultDrop
	case u < f.DropConn+f.Throttle:
		fault = FaultThrottle
	case u < f.DropConn+f.Throttle+f.ServerError:
		fault = FaultServerError
		if s.rng.IntN(2) == 0 {
			fault += "-500"
		} else {
			fault += "-503"
		}
	}
	s.mu.Unlock()

	if delay > 0 {
		entry.Fault = FaultLatency
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	switch fault {
	case "":
		return false
	case FaultDrop:
		entry.Fault = FaultDrop
		s.record(*entry)
		dropConn(w)
	case FaultThrottle:
		entry.Fault = FaultThrottle
		if f.RetryAfter > 0 {
			w.Header().Set("x-acs-retry-after", strconv.FormatInt(f.RetryAfter.Milliseconds(), 10))
		}
		s.answerError(w, entry, &apiError{400, "Throttling.User", "Request was denied due to user flow control."})
	case FaultServerError + "-500":
		entry.Fault = FaultServerError
		s.answerError(w, entry, &apiError{500, "InternalError", "The request processing has failed due to some unknown error, exception or failure."})
	default:
		entry.Fault = FaultServerError
		s.answerError(w, entry, &apiError{503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server."})
	}
	return true
}

// dropConn closes the connection without an answer.
func dropConn(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// readParams merges query and form-body parameters (form decoding: "+" is a
// space). A parameter given twice is refused.
func readParams(r *http.Request) (map[string]string, *apiError) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return map[string]string{}, &apiError{405, "UnsupportedHTTPMethod", "Only GET and POST are supported."}
	}
	if err := r.ParseForm(); err != nil {
		return map[string]string{}, &apiError{400, "InvalidParameter", "The request parameters cannot be parsed."}
	}
	params := make(map[string]string, len(r.Form))
	var dup []string
	for k, vs := range r.Form {
		params[k] = vs[0]
		if len(vs) > 1 {
			dup = append(dup, k)
		}
	}
	if len(dup) > 0 {
		sort.Strings(dup)
		return params, errInvalid(dup[0])
	}
	return params, nil
}

func logParams(p map[string]string) map[string]string {
	out := make(map[string]string, len(p))
	for k, v := range p {
		switch k {
		case "Signature":
			continue
		case "SecurityToken":
			v = "***"
		}
		out[k] = v
	}
	return out
}

var requiredCommon = []string{"AccessKeyId", "Action", "Signature", "SignatureMethod", "SignatureNonce", "SignatureVersion", "Timestamp", "Version"}

// authenticate checks the common parameters, the key, the signature, the
// timestamp and the nonce, in that order; the nonce is remembered only for
// a correctly signed request.
func (s *Server) authenticate(method string, p map[string]string, now time.Time) *apiError {
	for _, name := range requiredCommon {
		if _, ok := p[name]; !ok {
			return errMissing(name)
		}
	}
	if f, ok := p["Format"]; ok && !strings.EqualFold(f, "JSON") {
		return &apiError{400, "InvalidParameter", "The specified value of parameter \"Format\" is not valid: the emulator answers JSON only."}
	}
	if p["SignatureMethod"] != "HMAC-SHA1" {
		return errInvalid("SignatureMethod")
	}
	if p["SignatureVersion"] != "1.0" {
		return errInvalid("SignatureVersion")
	}
	if p["Version"] != "2018-01-29" {
		return &apiError{400, "InvalidVersion", "Specified parameter Version is not valid."}
	}
	s.mu.Lock()
	k, ok := s.keys[p["AccessKeyId"]]
	s.mu.Unlock()
	if !ok {
		return &apiError{404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."}
	}
	sts := ServerStringToSign(method, p)
	want := ServerSignature(sts, k.secret)
	if !hmac.Equal([]byte(want), []byte(p["Signature"])) {
		return &apiError{403, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:" + sts}
	}
	if k.token != "" && p["SecurityToken"] != k.token {
		return &apiError{400, "InvalidSecurityToken.MismatchWithAccessKey", "Specified SecurityToken mismatch with the AccessKey."}
	}
	ts, err := time.Parse("2006-01-02T15:04:05Z", p["Timestamp"])
	if err != nil {
		return &apiError{400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."}
	}
	if d := now.Sub(ts); d > s.opts.MaxSkew || d < -s.opts.MaxSkew {
		return &apiError{400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for n, t := range s.nonces {
		if now.Sub(t) > 2*s.opts.MaxSkew {
			delete(s.nonces, n)
		}
	}
	nk := p["AccessKeyId"] + "\x00" + p["SignatureNonce"]
	if _, used := s.nonces[nk]; used {
		return &apiError{400, "SignatureNonceUsed", "Specified signature nonce was used already."}
	}
	s.nonces[nk] = now
	return nil
}

func (s *Server) record(e LogEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.Seq = len(s.log) + 1
	s.log = append(s.log, e)
}

func (s *Server) answerError(w http.ResponseWriter, entry *LogEntry, e *apiError) {
	entry.Code = e.code
	s.answerJSON(w, entry, e.status, map[string]string{
		"RequestId": entry.RequestID,
		"HostId":    s.opts.HostID,
		"Code":      e.code,
		"Message":   e.message,
		"Recommend": "https://api.aliyun.com/troubleshoot?q=" + e.code + "&product=Domain&requestId=" + entry.RequestID,
	})
}

func (s *Server) answerJSON(w http.ResponseWriter, entry *LogEntry, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		status = 500
		b = []byte(`{"Code":"InternalError","Message":"encoding failed"}`)
	}
	entry.Status = status
	s.record(*entry)
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Header().Set("x-acs-request-id", entry.RequestID)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
