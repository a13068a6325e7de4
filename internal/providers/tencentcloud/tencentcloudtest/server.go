// Package tencentcloudtest is a protocol-faithful emulator of DNSPod on
// Tencent Cloud API 3.0 (service dnspod, version 2021-03-23), beside the
// client the way net/http/httptest sits beside net/http: a real
// http.Handler that verifies TC3-HMAC-SHA256 signatures, answers with the
// JSON envelope Response{…, RequestId} / Response.Error{Code, Message}
// (always HTTP 200, as the service does), keeps domains and records with
// ids, enforces DNSPod's record rules through dnspodrules (the engine the
// legacy emulator and the planner share), runs batch tasks asynchronously,
// enforces the documented limits, injects faults on demand and keeps a
// request log.
//
// Domains and records live in a dnspodaccount.Account: one of the
// emulator's own, or one shared with the legacy DNSPod emulator
// (Options.Account), as DNSPod serves one account through both APIs. The
// account names lines as the legacy API does (国内, 国外); this API's names
// (境内, 境外) are the same line ids and are translated at its edge.
//
// Batch tasks advance with the clock, not with goroutines: item k of a task
// waits until created+(2k+1)·BatchStep, runs until created+(2k+2)·BatchStep
// and is then applied, and every request first applies what is due. With an
// injected clock (Options.Now) tests step through a task deterministically.
package tencentcloudtest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest/dnspodaccount"
	"github.com/dnssync/dnssync/internal/sandbox/emulator"
)

// Documented limits (spec §4), the defaults of Options.
const (
	DefaultMaxTaskRecords  = 5000
	DefaultMaxDeleteIDs    = 2000
	DefaultMaxRunningTasks = 4
	DefaultMaxTasksPerHour = 80
	DefaultMaxSkew         = 5 * time.Minute
)

// Faults are injected at random (seeded by Options.Seed): shares are
// probabilities in [0,1] drawn per request. Every fault except
// FailAfterCommit strikes before anything is done.
type Faults struct {
	RequestLimit  float64 // answer RequestLimitExceeded
	ServerError   float64 // answer HTTP 502 with an HTML page
	InternalError float64 // answer InternalError (nothing done)
	Drop          float64 // close the connection without an answer
	// FailAfterCommit: a write is carried out, then its answer is lost
	// (half of the time HTTP 502, half a dropped connection).
	FailAfterCommit float64
	Latency         time.Duration // added to a LatencyShare of requests
	LatencyShare    float64
	FailItem        float64  // share of batch task items that end in "error"
	Actions         []string // only these actions are affected; empty = all
}

// FaultKind is a fault injected on demand with Inject.
type FaultKind string

// Fault kinds.
const (
	FaultRequestLimit      FaultKind = "request-limit"      // RequestLimitExceeded
	FaultServerError       FaultKind = "5xx"                // HTTP 502, HTML, nothing done
	FaultInternalError     FaultKind = "internal-error"     // InternalError, nothing done
	FaultDrop              FaultKind = "drop"               // connection closed, nothing done
	FaultSlow              FaultKind = "slow"               // answer after Injection.Delay
	FaultAfterCommit5xx    FaultKind = "after-commit-5xx"   // done, then HTTP 502
	FaultAfterCommitDrop   FaultKind = "after-commit-drop"  // done, then connection closed
	FaultAfterCommitSlow   FaultKind = "after-commit-slow"  // done, answer after Delay
	FaultFailItems         FaultKind = "fail-items"         // every item of the next task fails
	faultRateLimitExceeded FaultKind = "rate-limit"         // logged when Options.Rates refuse
	faultBatchQuota        FaultKind = "batch-hourly-quota" // logged for RequestLimitExceeded.BatchTaskLimit
)

// Injection schedules Count occurrences of Kind on the next requests of
// Action ("" = any action).
type Injection struct {
	Action string
	Kind   FaultKind
	Count  int
	Delay  time.Duration // FaultSlow, FaultAfterCommitSlow
}

// Options configure a Server. The zero value is a fault-free emulator
// without rate limits whose batch tasks finish by the next request.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Seed seeds fault draws and request ids.
	Seed uint64
	// MaxSkew is the accepted |X-TC-Timestamp − now| (default 5 minutes).
	MaxSkew time.Duration
	// Language is the language of messages when X-TC-Language is absent:
	// "zh-CN" (default, as the SDK sends) or "en-US".
	Language string

	// BatchStep is how long each task item waits and then runs.
	BatchStep time.Duration
	// IndexDelay hides records from DescribeRecordList for this long after
	// they were created (the documented "retry after 30 s").
	IndexDelay time.Duration
	// Limits; 0 means the documented value, negative means no limit.
	MaxTaskRecords  int
	MaxDeleteIDs    int
	MaxRunningTasks int
	MaxTasksPerHour int // per client IP, over TaskWindow
	// TaskWindow is the period MaxTasksPerHour counts over (default an
	// hour, as the service does), so that tests see the quota free up in
	// seconds.
	TaskWindow time.Duration
	// EnforceRates answers RequestLimitExceeded beyond the per-action
	// rates (RatesPerSecond, overridden by Rates).
	EnforceRates bool
	Rates        map[string]float64
	// RejectInvalidAtSubmit checks each record of CreateRecordBatch on its
	// own (name, type, line, value, MX, TTL) at submission and refuses the
	// whole call; by default such failures surface per item in the task
	// (which one the service does is UNVERIFIED).
	RejectInvalidAtSubmit bool

	// Rules are the base rule options (round-robin limit, CNAME tolerance);
	// MinTTL and Lines are set per grade.
	Rules *dnspodrules.Options
	// GradeMinTTL and GradeLines override the per-grade defaults (keys
	// upper-case, e.g. DP_FREE).
	GradeMinTTL map[string]int
	GradeLines  map[string][]string

	Faults Faults

	// Account is the DNSPod account served, shared with other emulators
	// of it (the legacy DNSPod emulator). Its grades' rules then apply,
	// not Rules, GradeMinTTL and GradeLines. Default: an account of the
	// emulator's own.
	Account *dnspodaccount.Account
}

// RatesPerSecond are the documented per-action rates (spec §4).
func RatesPerSecond() map[string]float64 {
	return map[string]float64{
		"CreateRecord": 500, "ModifyRecord": 500, "DeleteRecord": 500, "DescribeRecord": 200,
		"DescribeRecordList": 100, "DescribeRecordLineList": 20, "DescribeDomainPurview": 20,
		"DescribeDomain": 20, "DescribeDomainList": 20, "CreateRecordBatch": 20, "ModifyRecordBatch": 20,
		"ModifyRecordBatchV3": 20, "DeleteRecordBatch": 20, "DescribeBatchTask": 20,
	}
}

// LogEntry is one request as the emulator saw it. Params is the JSON body
// as received: parameters travel there, credentials only in headers, which
// are not logged.
type LogEntry struct {
	Time       time.Time       `json:"time"`
	Action     string          `json:"action"`
	SecretID   string          `json:"secret_id,omitempty"`
	Params     json.RawMessage `json:"params,omitempty"`
	Fault      FaultKind       `json:"fault,omitempty"`
	Code       string          `json:"code,omitempty"` // Error.Code answered; "" on success or without answer
	HTTPStatus int             `json:"http_status"`    // 0: connection dropped
	Committed  bool            `json:"committed"`      // state was changed
	JobID      uint64          `json:"job_id,omitempty"`
	RequestID  string          `json:"request_id,omitempty"`
}

type key struct {
	secret string
	token  string // "" for long-term keys
}

// recMeta is what the account keeps about a record besides its data.
type recMeta = dnspodaccount.Meta

// domain is a domain of the account (grade in the account's spelling:
// apiGrade gives this API's).
type domain = dnspodaccount.Domain

// Server is the emulator, an http.Handler. All state is guarded by mu, the
// account's lock.
type Server struct {
	opts Options
	acct *dnspodaccount.Account

	mu         *sync.Mutex
	rng        *rand.Rand
	keys       map[string]key
	nextJob    uint64
	jobs       map[uint64]*job
	submits    map[string][]time.Time // client IP → accepted batch submissions
	limiters   map[string]*rate.Limiter
	injections []Injection
	log        *dnspodaccount.Requests[LogEntry]
}

// New returns an emulator with no keys and no domains.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxSkew <= 0 {
		opts.MaxSkew = DefaultMaxSkew
	}
	if opts.Language == "" {
		opts.Language = langZH
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&opts.MaxTaskRecords, DefaultMaxTaskRecords)
	def(&opts.MaxDeleteIDs, DefaultMaxDeleteIDs)
	def(&opts.MaxRunningTasks, DefaultMaxRunningTasks)
	def(&opts.MaxTasksPerHour, DefaultMaxTasksPerHour)
	if opts.TaskWindow <= 0 {
		opts.TaskWindow = time.Hour
	}
	if opts.Rules == nil {
		r := dnspodrules.APIv3Options()
		opts.Rules = &r
	}
	s := &Server{
		opts:     opts,
		rng:      rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		keys:     map[string]key{},
		nextJob:  5000000,
		jobs:     map[uint64]*job{},
		submits:  map[string][]time.Time{},
		limiters: map[string]*rate.Limiter{},
	}
	s.acct = opts.Account
	if s.acct == nil {
		// Ids above 2^31, as live ids are (spec §5.1): the account's default.
		s.acct = dnspodaccount.New(dnspodaccount.Options{Now: opts.Now, Rules: s.rulesFor})
	}
	s.mu = s.acct.Mutex()
	s.log = dnspodaccount.NewRequests(s.mu, func(e LogEntry) string { return e.Action })
	s.acct.OnAdvance(s.advanceJobs)
	if opts.EnforceRates {
		rates := RatesPerSecond()
		for a, r := range opts.Rates {
			rates[a] = r
		}
		for a, r := range rates {
			if r > 0 {
				s.limiters[a] = rate.NewLimiter(rate.Limit(r), max(1, int(r)))
			}
		}
	}
	return s
}

// AddKey accepts a long-term key pair.
func (s *Server) AddKey(secretID, secretKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[secretID] = key{secret: secretKey}
}

// AddTempKey accepts a temporary key pair that must come with X-TC-Token.
func (s *Server) AddTempKey(secretID, secretKey, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[secretID] = key{secret: secretKey, token: token}
}

// Grades the emulator knows (domain objects spell them upper-case).
var grades = []string{"DP_FREE", "DP_PLUS", "DP_EXTRA", "DP_EXPERT", "DP_ULTRA"}

// lineIDs are the China site's line names and ids (spec §3.6).
func lineIDs() map[string]string {
	return map[string]string{model.DefaultLine: "0", "境内": "7=0", "境外": "3=0", "电信": "10=0",
		"联通": "10=1", "教育网": "10=2", "移动": "10=3", "百度": "90=0", "谷歌": "90=1", "有道": "90=2",
		"必应": "90=3", "搜搜": "90=4", "搜狗": "90=5", "奇虎": "90=6", "搜索引擎": "80=0"}
}

// lineOrder is the order DescribeRecordLineList lists lines in.
var lineOrder = []string{model.DefaultLine, "境内", "境外", "电信", "联通", "教育网", "移动",
	"百度", "谷歌", "有道", "必应", "搜搜", "搜狗", "奇虎", "搜索引擎"}

func lineByID(id string) (string, bool) {
	for n, lid := range lineIDs() {
		if lid == id {
			return n, true
		}
	}
	return "", false
}

func (s *Server) gradeMinTTL(grade string) int {
	if v, ok := s.opts.GradeMinTTL[grade]; ok {
		return v
	}
	switch grade {
	case "DP_FREE":
		return 600
	case "DP_PLUS", "DP_EXTRA":
		return 60
	default:
		return 1
	}
}

func (s *Server) gradeLines(grade string) []string {
	if l, ok := s.opts.GradeLines[grade]; ok {
		return l
	}
	if grade == "DP_FREE" {
		var out []string
		for _, l := range lineOrder {
			if l != "移动" && l != "境外" {
				out = append(out, l)
			}
		}
		return out
	}
	return slices.Clone(lineOrder) // callers may keep it; the order stays shared
}

// rulesFor are the rules of an account grade when the emulator has an
// account of its own: Options.Rules with GradeMinTTL and GradeLines (lines
// in the account's names).
func (s *Server) rulesFor(grade string) dnspodrules.Options {
	g := apiGrade(grade)
	o := *s.opts.Rules
	o.MinTTL = s.gradeMinTTL(g)
	o.Lines = nil
	for _, l := range s.gradeLines(g) {
		o.Lines = append(o.Lines, toStore(l))
	}
	return o
}

// apiGrade spells an account grade as this API's domain objects do:
// DP_FREE (the D_ forms as their DP_ counterparts).
func apiGrade(g string) string {
	g = strings.ToUpper(strings.TrimSpace(g))
	if strings.HasPrefix(g, "D_") {
		g = "DP_" + g[2:]
	}
	return g
}

// lines maps this API's line names to the account's where they differ:
// the same line ids, spelled as the legacy API does.
var storeLines = map[string]string{"境内": "国内", "境外": "国外"}

// toStore is the account's name of a line this API names l.
func toStore(l string) string {
	if n, ok := storeLines[l]; ok {
		return n
	}
	return l
}

// fromStore is this API's name of the account's line l.
func fromStore(l string) string {
	for api, st := range storeLines {
		if st == l {
			return api
		}
	}
	return l
}

// apiRecords are rs with this API's line names.
func apiRecords(rs []model.Record) []model.Record {
	for i := range rs {
		rs[i].Line = fromStore(rs[i].Line)
	}
	return rs
}

// systemNS are the name servers of a grade (the DefaultNS rows' values).
func systemNS(grade string) []string { return dnspodaccount.SystemNS(grade) }

// AddDomain adds a domain of grade (default DP_FREE) with its two system
// NS rows at the apex, and returns its id.
func (s *Server) AddDomain(name, grade string) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := strings.ToUpper(grade)
	if g == "" {
		g = "DP_FREE"
	}
	if !contains(grades, g) {
		return 0, fmt.Errorf("tencentcloudtest: unknown grade %q", grade)
	}
	ag, _ := dnspodaccount.Grade(g)
	d, err := s.acct.AddDomain(name, ag, 0, nil)
	if err != nil {
		return 0, fmt.Errorf("tencentcloudtest: %w", err)
	}
	return d.ID, nil
}

// AddRecord adds a record under the zone's rules and returns its id.
// Seeded records are visible at once (no index delay).
func (s *Server) AddRecord(domainName string, r model.Record) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.acct.DomainByName(domainName)
	if !ok {
		return "", fmt.Errorf("tencentcloudtest: no domain %s", domainName)
	}
	if r.Line == "" {
		r.Line = model.DefaultLine
	}
	r.Line = toStore(r.Line)
	if r.TTL == 0 {
		r.TTL = d.TTL
	}
	r.Value = storedValue(r.Type, r.Value)
	id, e := d.Zone.Create(r)
	if e != nil {
		return "", e
	}
	old := s.opts.Now().Add(-24 * time.Hour)
	m := s.acct.Meta(id, old)
	m.Created, m.Updated = old, old
	return id, nil
}

// Records returns a domain's records (system rows included) in canonical
// order, after applying the task items due by now.
func (s *Server) Records(domainName string) []model.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.opts.Now())
	d, ok := s.acct.DomainByName(domainName)
	if !ok {
		return nil
	}
	return apiRecords(d.Zone.Records())
}

// Log returns a copy of the request log.
func (s *Server) Log() []LogEntry { return s.log.Entries() }

// ResetLog empties the request log.
func (s *Server) ResetLog() { s.log.Reset() }

// Requests is the request log, for the sandbox.
func (s *Server) Requests() dnspodaccount.RequestLog { return s.log }

// SetFaults replaces the random fault settings.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Faults = f
}

// SetSandboxFaults maps the sandbox's faults onto Tencent Cloud's:
// throttling is Error.Code RequestLimitExceeded, a server error HTTP 502
// with an HTML body, an item failure a batch task item ending in status
// "error"; latency applies to every request.
func (s *Server) SetSandboxFaults(f emulator.Faults) {
	s.SetFaults(Faults{RequestLimit: f.Throttle, ServerError: f.ServerError, Drop: f.Drop, FailAfterCommit: f.CommitLoss,
		Latency: f.Latency, LatencyShare: dnspodaccount.LatencyShare(f), FailItem: f.ItemFail})
}

// Inject schedules faults on the next matching requests.
func (s *Server) Inject(in Injection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.Count <= 0 {
		in.Count = 1
	}
	s.injections = append(s.injections, in)
}

// TasksInFlight is the number of batch tasks with items not yet done.
func (s *Server) TasksInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	s.advance(now)
	return s.running()
}

// State is the emulator's seedable state: the account's domains, records
// and id counters in this API's spelling, and the task counter. Keys are
// secrets and are not part of it; tasks are not either (a restored
// emulator starts idle).
type State struct {
	NextDomainID uint64        `json:"next_domain_id"`
	NextRecordID uint64        `json:"next_record_id"`
	NextJobID    uint64        `json:"next_job_id"`
	Domains      []DomainState `json:"domains"`
}

// DomainState is one domain of State, grades (DP_FREE) and lines (境外)
// spelled as this API does.
type DomainState = dnspodaccount.DomainState

// Export returns the state after applying what is due.
func (s *Server) Export() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.opts.Now())
	as := s.acct.Export()
	st := State{NextDomainID: as.NextDomain, NextRecordID: as.NextRecord, NextJobID: s.nextJob}
	for _, d := range as.Domains {
		st.Domains = append(st.Domains, DomainState{ID: d.ID, Name: d.Name, Grade: apiGrade(d.Grade), TTL: d.TTL, Records: apiRecords(d.Records)})
	}
	return st
}

// Import replaces the account's domains and records with st (keys, tasks
// and the log are kept). Records are taken as they are, ids included.
func (s *Server) Import(st State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	as := dnspodaccount.State{NextDomain: st.NextDomainID, NextRecord: st.NextRecordID}
	for _, d := range st.Domains {
		g := strings.ToUpper(cmp.Or(d.Grade, "DP_FREE"))
		if !contains(grades, g) {
			return fmt.Errorf("tencentcloudtest: domain %s: unknown grade %q", d.Name, d.Grade)
		}
		ag, _ := dnspodaccount.Grade(g)
		recs := slices.Clone(d.Records)
		for i := range recs {
			recs[i].Line = toStore(recs[i].Line)
		}
		as.Domains = append(as.Domains, dnspodaccount.DomainState{ID: d.ID, Name: d.Name, Grade: ag, TTL: d.TTL, Records: recs})
	}
	if err := s.acct.Import(as, "tencentcloud"); err != nil {
		return fmt.Errorf("tencentcloudtest: %w", err)
	}
	s.nextJob = max(st.NextJobID, s.nextJob)
	return nil
}

// advance applies every task item due by now, the other APIs' included
// (mu held).
func (s *Server) advance(now time.Time) { s.acct.Advance(now) }

// Account is the DNSPod account the emulator serves.
func (s *Server) Account() *dnspodaccount.Account { return s.acct }

// storedValue is how the service stores a value: host-name targets get a
// trailing dot (likely but UNVERIFIED, spec §5.3).
func storedValue(typ, v string) string {
	switch strings.ToUpper(typ) {
	case model.TypeCNAME, model.TypeMX, model.TypeNS:
		if v != "" {
			return model.Fqdn(v)
		}
	case model.TypeSRV:
		f := strings.Fields(v)
		if len(f) == 4 && f[3] != "." {
			f[3] = model.Fqdn(f[3])
			return strings.Join(f, " ")
		}
	}
	return v
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// HasDomain reports whether the account holds domain name.
func (s *Server) HasDomain(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.acct.DomainByName(name)
	return ok
}

// SetBatchStep replaces Options.BatchStep for tasks created from now on;
// a task keeps the step it was created with.
func (s *Server) SetBatchStep(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.BatchStep = d
}

// MarshalState is Export encoded as indented JSON.
func (s *Server) MarshalState() ([]byte, error) {
	return json.MarshalIndent(s.Export(), "", "  ")
}

// UnmarshalState is Import of JSON produced by MarshalState.
func (s *Server) UnmarshalState(b []byte) error {
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("tencentcloudtest: state: %w", err)
	}
	return s.Import(st)
}
