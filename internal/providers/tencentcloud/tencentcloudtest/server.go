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
// Batch tasks advance with the clock, not with goroutines: item k of a task
// waits until created+(2k+1)·BatchStep, runs until created+(2k+2)·BatchStep
// and is then applied, and every request first applies what is due. With an
// injected clock (Options.Now) tests step through a task deterministically.
package tencentcloudtest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
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
	MaxTasksPerHour int // per client IP
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

// recMeta is what the rule engine's model.Record does not hold.
type recMeta struct {
	created, updated time.Time
	weight           *int
	remark           string
}

type domain struct {
	ID      uint64
	Name    string
	Grade   string
	TTL     int
	Created time.Time
	zone    *dnspodrules.Zone
}

// Server is the emulator, an http.Handler. All state is guarded by mu.
type Server struct {
	opts Options

	mu         sync.Mutex
	rng        *rand.Rand
	keys       map[string]key
	domains    map[uint64]*domain
	byName     map[string]uint64
	meta       map[string]*recMeta // by record id
	nextDomain uint64
	nextRecord uint64
	nextJob    uint64
	jobs       map[uint64]*job
	submits    map[string][]time.Time // client IP → accepted batch submissions
	limiters   map[string]*rate.Limiter
	injections []Injection
	log        []LogEntry
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
	if opts.Rules == nil {
		r := dnspodrules.DefaultOptions()
		opts.Rules = &r
	}
	s := &Server{
		opts:       opts,
		rng:        rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		keys:       map[string]key{},
		domains:    map[uint64]*domain{},
		byName:     map[string]uint64{},
		meta:       map[string]*recMeta{},
		nextDomain: 86000000,
		nextRecord: 2183921000, // above 2^31, as live ids are (spec §5.1)
		nextJob:    5000000,
		jobs:       map[uint64]*job{},
		submits:    map[string][]time.Time{},
		limiters:   map[string]*rate.Limiter{},
	}
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

func (s *Server) rulesFor(grade string) dnspodrules.Options {
	o := *s.opts.Rules
	o.MinTTL = s.gradeMinTTL(grade)
	o.Lines = s.gradeLines(grade)
	return o
}

// systemNS are the name servers of a grade (the DefaultNS rows' values).
func systemNS(grade string) []string {
	if grade == "DP_FREE" {
		return []string{"f1g1ns1.dnspod.net", "f1g1ns2.dnspod.net"}
	}
	return []string{"ns3.dnsv5.com", "ns4.dnsv5.com"}
}

// allocID numbers records across domains (mu held).
func (s *Server) allocID() string {
	s.nextRecord++
	return strconv.FormatUint(s.nextRecord, 10)
}

// AddDomain adds a domain of grade (default DP_FREE) with its two system
// NS rows at the apex, and returns its id.
func (s *Server) AddDomain(name, grade string) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addDomainLocked(name, grade, 0, nil)
}

func (s *Server) addDomainLocked(name, grade string, id uint64, recs []model.Record) (uint64, error) {
	name = model.Host(name)
	if name == "" || strings.ContainsAny(name, " /,") {
		return 0, fmt.Errorf("tencentcloudtest: bad domain name %q", name)
	}
	grade = strings.ToUpper(grade)
	if grade == "" {
		grade = "DP_FREE"
	}
	if !contains(grades, grade) {
		return 0, fmt.Errorf("tencentcloudtest: unknown grade %q", grade)
	}
	if _, ok := s.byName[name]; ok {
		return 0, fmt.Errorf("tencentcloudtest: domain %s exists", name)
	}
	if id == 0 {
		s.nextDomain++
		id = s.nextDomain
	} else if id > s.nextDomain {
		s.nextDomain = id
	}
	now := s.opts.Now()
	d := &domain{ID: id, Name: name, Grade: grade, TTL: 600, Created: now}
	if recs == nil {
		for _, ns := range systemNS(grade) {
			recs = append(recs, model.Record{Name: "@", Type: model.TypeNS, Line: model.DefaultLine, Value: ns + ".",
				TTL: 86400, Enabled: true, System: true})
		}
	}
	d.zone = dnspodrules.NewZone(s.rulesFor(grade), s.allocID, recs...)
	for _, r := range d.zone.Records() {
		// Seeded records are old: never hidden by the index delay.
		s.meta[r.ID] = &recMeta{created: now.Add(-24 * time.Hour), updated: now.Add(-24 * time.Hour)}
	}
	s.domains[id] = d
	s.byName[name] = id
	return id, nil
}

// AddRecord adds a record under the zone's rules and returns its id.
// Seeded records are visible at once (no index delay).
func (s *Server) AddRecord(domainName string, r model.Record) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.domains[s.byName[model.Host(domainName)]]
	if !ok {
		return "", fmt.Errorf("tencentcloudtest: no domain %s", domainName)
	}
	if r.Line == "" {
		r.Line = model.DefaultLine
	}
	if r.TTL == 0 {
		r.TTL = d.TTL
	}
	r.Value = storedValue(r.Type, r.Value)
	id, e := d.zone.Create(r)
	if e != nil {
		return "", e
	}
	old := s.opts.Now().Add(-24 * time.Hour)
	s.meta[id] = &recMeta{created: old, updated: old}
	return id, nil
}

// Records returns a domain's records (system rows included) in canonical
// order, after applying the task items due by now.
func (s *Server) Records(domainName string) []model.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.opts.Now())
	d, ok := s.domains[s.byName[model.Host(domainName)]]
	if !ok {
		return nil
	}
	return d.zone.Records()
}

// Log returns a copy of the request log.
func (s *Server) Log() []LogEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]LogEntry(nil), s.log...)
}

// ResetLog empties the request log.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

// SetFaults replaces the random fault settings.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Faults = f
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

// State is the emulator's seedable state. Keys are secrets and are not
// part of it; tasks are not either (a restored emulator starts idle).
type State struct {
	NextDomainID uint64        `json:"next_domain_id"`
	NextRecordID uint64        `json:"next_record_id"`
	NextJobID    uint64        `json:"next_job_id"`
	Domains      []DomainState `json:"domains"`
}

// DomainState is one domain of State.
type DomainState struct {
	ID      uint64         `json:"id"`
	Name    string         `json:"name"`
	Grade   string         `json:"grade"`
	TTL     int            `json:"ttl"`
	Records []model.Record `json:"records"`
}

// Export returns the state after applying what is due.
func (s *Server) Export() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.opts.Now())
	st := State{NextDomainID: s.nextDomain, NextRecordID: s.nextRecord, NextJobID: s.nextJob}
	for _, d := range s.sortedDomains() {
		st.Domains = append(st.Domains, DomainState{ID: d.ID, Name: d.Name, Grade: d.Grade, TTL: d.TTL, Records: d.zone.Records()})
	}
	return st
}

// Import replaces domains and records with st (keys, tasks and the log are
// kept). Records are taken as they are, ids included.
func (s *Server) Import(st State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.domains, s.byName, s.meta = map[uint64]*domain{}, map[string]uint64{}, map[string]*recMeta{}
	s.nextDomain, s.nextRecord, s.nextJob = max(st.NextDomainID, s.nextDomain), max(st.NextRecordID, s.nextRecord), max(st.NextJobID, s.nextJob)
	for _, d := range st.Domains {
		recs := d.Records
		if recs == nil {
			recs = []model.Record{}
		}
		for _, r := range recs {
			if n, err := strconv.ParseUint(r.ID, 10, 64); err == nil && n > s.nextRecord {
				s.nextRecord = n
			}
		}
		if _, err := s.addDomainLocked(d.Name, d.Grade, d.ID, recs); err != nil {
			return err
		}
		if d.TTL > 0 {
			s.domains[d.ID].TTL = d.TTL
		}
	}
	return nil
}

func (s *Server) sortedDomains() []*domain {
	out := make([]*domain, 0, len(s.domains))
	for _, d := range s.domains {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// domainOfRecord finds the domain holding record id.
func (s *Server) domainOfRecord(id string) *domain {
	for _, d := range s.domains {
		if _, ok := d.zone.Get(id); ok {
			return d
		}
	}
	return nil
}

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
	_, ok := s.byName[model.Host(name)]
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
