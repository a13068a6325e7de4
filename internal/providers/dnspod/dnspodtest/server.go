// Package dnspodtest is a protocol-faithful emulator of DNSPod's legacy
// token API, the way net/http/httptest sits beside net/http: a real
// http.Handler with its own state (domains, records, batch jobs), the
// service's common parameters and error codes, the JSON type quirks of each
// operation (spec §6), asynchronous batch jobs that move waiting → running
// → ok/error, and seedable fault injection. Record rules come from
// dnspodrules, the engine the planner's simulator uses too.
//
// Domains and records live in a dnspodaccount.Account: one of the
// emulator's own, or one shared with the Tencent Cloud API 3.0 emulator
// (Options.Account), as DNSPod serves one account through both APIs.
//
// Tests run the dnspod client (and third-party clients) against it over
// loopback HTTP or HTTPS; `dnssync sandbox` serves it with persistent state
// (Export / Import).
package dnspodtest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest/dnspodaccount"
	"github.com/dnssync/dnssync/internal/sandbox/emulator"
)

// Faults describe injected failures. Shares are probabilities in [0,1]
// drawn per request from a generator seeded with Options.Seed. Every fault
// except FailAfterCommit strikes before any state change.
type Faults struct {
	Throttle    float64 // answer code -2
	ServerError float64 // answer HTTP 502 with an HTML body
	Drop        float64 // close the connection without an answer
	// FailAfterCommit: a write is carried out, then the answer is lost
	// (half of the time HTTP 502, half a dropped connection).
	FailAfterCommit float64
	Latency         time.Duration // added to a LatencyShare of requests
	LatencyShare    float64
	FailItem        float64  // share of batch items that end in "error"
	Actions         []string // only these actions are affected; empty = all
}

// Options configure a Server. The zero value is a fault-free emulator with
// immediate batch processing.
type Options struct {
	// BatchStep is how long each batch item spends waiting and then running:
	// item k of a job runs from created+(2k+1)·step and is done at
	// created+(2k+2)·step, so items are applied in order.
	BatchStep time.Duration
	// HTMLUnauthorized answers a bad token with nginx's HTML 401 page (seen
	// in 2024) instead of code -1.
	HTMLUnauthorized bool
	// RateLimit (requests per second, with Burst) answers -2 beyond the
	// bucket; 0 disables it. BanFor keeps answering -2 for that long after
	// the first refusal ("ban" mode).
	RateLimit float64
	Burst     int
	BanFor    time.Duration
	Faults    Faults
	Seed      uint64

	// GradeMinTTL maps a grade to its minimum TTL (default: free grades
	// 600, DP_Plus/D_Plus 120, DP_Extra/D_Extra 60, DP_Expert/D_Expert 10,
	// DP_Ultra/D_Ultra 1 — paid values UNVERIFIED).
	GradeMinTTL map[string]int
	// GradeLines maps a grade to its lines (default: free grades lack 移动
	// and 国外, spec §3.6; others have all of dnspodrules.DefaultLines).
	GradeLines map[string][]string
	// Rules are the base rule options (CNAME/MX-at-apex tolerance,
	// round-robin limit); MinTTL and Lines are set per grade.
	Rules *dnspodrules.Options
	// BatchMXKeys are the accepted spellings of the MX priority key in
	// Batch.Record.Create records (default "MX" and "mx").
	BatchMXKeys []string
	// NoopModifyLimit locks a record after this many unchanged Record.Modify
	// calls within an hour (default 5; negative disables).
	NoopModifyLimit int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Account is the DNSPod account served, shared with other emulators
	// of it (the Tencent Cloud API 3.0 emulator). Its grades' rules then
	// apply, not GradeMinTTL, GradeLines and Rules. Default: an account of
	// the emulator's own, with domain ids from 10001 and record ids from
	// 100001.
	Account *dnspodaccount.Account
}

// LogEntry is one request as the emulator saw it.
type LogEntry struct {
	Time       time.Time     `json:"time"`
	Action     string        `json:"action"`
	Method     string        `json:"method"`
	Params     url.Values    `json:"params"` // form minus login_token
	UserAgent  string        `json:"user_agent"`
	UAOK       bool          `json:"ua_ok"`             // User-Agent has the documented shape
	Fault      string        `json:"fault,omitempty"`   // throttle, 5xx, drop, rate-limit, banned, after-commit-5xx, after-commit-drop
	Code       int           `json:"code"`              // status.code answered; 0 when no JSON answer
	HTTPStatus int           `json:"http_status"`       // 0 when the connection was dropped
	Committed  bool          `json:"committed"`         // the request changed state
	Latency    time.Duration `json:"latency,omitempty"` // injected delay
	JobID      string        `json:"job_id,omitempty"`
}

// Server is the emulator. It is an http.Handler; all state is guarded by
// the account's lock.
type Server struct {
	opts Options
	acct *dnspodaccount.Account

	mu         *sync.Mutex // the account's
	rng        *rand.Rand
	lim        *rate.Limiter
	bannedTill time.Time
	tokens     map[string]string // token id → token
	nextJob    int
	jobs       map[int]*job
	noops      map[string][]time.Time // record id → unchanged modifies
	log        *dnspodaccount.Requests[LogEntry]
}

// domain is a domain of the account.
type domain = dnspodaccount.Domain

// New returns an emulator with no domains and no tokens.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.GradeMinTTL == nil {
		opts.GradeMinTTL = map[string]int{
			"D_Free": 600, "DP_Free": 600, "D_Plus": 120, "DP_Plus": 120, "D_Extra": 60, "DP_Extra": 60,
			"D_Expert": 10, "DP_Expert": 10, "D_Ultra": 1, "DP_Ultra": 1,
		}
	}
	if opts.GradeLines == nil {
		var free []string
		for _, l := range dnspodrules.DefaultLines() {
			if l != "移动" && l != "国外" {
				free = append(free, l)
			}
		}
		opts.GradeLines = map[string][]string{"D_Free": free, "DP_Free": free}
	}
	if opts.Rules == nil {
		r := dnspodrules.DefaultOptions()
		opts.Rules = &r
	}
	if len(opts.BatchMXKeys) == 0 {
		opts.BatchMXKeys = []string{"MX", "mx"}
	}
	if opts.NoopModifyLimit == 0 {
		opts.NoopModifyLimit = 5
	}
	s := &Server{
		opts:    opts,
		rng:     rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		tokens:  map[string]string{},
		nextJob: 50000,
		jobs:    map[int]*job{},
		noops:   map[string][]time.Time{},
	}
	s.acct = opts.Account
	if s.acct == nil {
		s.acct = dnspodaccount.New(dnspodaccount.Options{Now: opts.Now, FirstDomainID: 10000, FirstRecordID: 100000, Rules: s.rulesFor})
	}
	s.mu = s.acct.Mutex()
	s.log = dnspodaccount.NewRequests(s.mu, func(e LogEntry) string { return e.Action })
	s.acct.OnAdvance(s.advanceJobs)
	if opts.RateLimit > 0 {
		b := opts.Burst
		if b <= 0 {
			b = 1
		}
		s.lim = rate.NewLimiter(rate.Limit(opts.RateLimit), b)
	}
	return s
}

// AddToken accepts login_token "id,token".
func (s *Server) AddToken(id, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[id] = token
}

// HasDomain reports whether the account holds the domain.
func (s *Server) HasDomain(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.acct.DomainByName(name)
	return ok
}

// Account is the DNSPod account the emulator serves.
func (s *Server) Account() *dnspodaccount.Account { return s.acct }

// advance applies every batch item due by now, the other APIs' included
// (mu held).
func (s *Server) advance(now time.Time) { s.acct.Advance(now) }

// knownGrades are the grades Record.Type and Record.Line accept.
var gradeRE = regexp.MustCompile(`^DP?_(Free|Plus|Extra|Expert|Ultra)$`)

// AddDomain adds a domain of grade (default DP_Free) with the system's two
// apex NS rows, and returns its id.
func (s *Server) AddDomain(name, grade string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addDomainLocked(name, grade, 0, nil)
}

func (s *Server) addDomainLocked(name, grade string, id uint64, recs []model.Record) (string, error) {
	if grade == "" {
		grade = "DP_Free"
	}
	if !gradeRE.MatchString(grade) {
		return "", fmt.Errorf("dnspodtest: unknown grade %q", grade)
	}
	d, err := s.acct.AddDomain(name, grade, id, recs)
	if err != nil {
		return "", fmt.Errorf("dnspodtest: %w", err)
	}
	return strconv.FormatUint(d.ID, 10), nil
}

// systemNS are the provider's own name servers for a grade.
func systemNS(grade string) []string { return dnspodaccount.SystemNS(grade) }

func (s *Server) rulesFor(grade string) dnspodrules.Options {
	o := *s.opts.Rules
	if m, ok := s.opts.GradeMinTTL[grade]; ok {
		o.MinTTL = m
	}
	if l, ok := s.opts.GradeLines[grade]; ok {
		o.Lines = l
	} else {
		o.Lines = dnspodrules.DefaultLines()
	}
	return o
}

func (s *Server) gradeMinTTL(grade string) int { return s.acct.MinTTL(grade) }

// AddRecord adds a record under the zone's rules and returns its id.
func (s *Server) AddRecord(domainName string, r model.Record) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.acct.DomainByName(domainName)
	if !ok {
		return "", fmt.Errorf("dnspodtest: no domain %s", domainName)
	}
	if r.Line == "" {
		r.Line = model.DefaultLine
	}
	if r.TTL == 0 {
		r.TTL = d.TTL
	}
	r.Value = storedValue(r.Type, r.Value)
	rid, e := d.Zone.Create(r)
	if e != nil {
		return "", e
	}
	s.acct.Meta(rid, s.opts.Now()).Updated = s.opts.Now()
	return rid, nil
}

// Records returns a domain's records (system rows included) in canonical
// order; batch jobs due by now are applied first.
func (s *Server) Records(domainName string) []model.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.opts.Now())
	d, ok := s.acct.DomainByName(domainName)
	if !ok {
		return nil
	}
	return d.Zone.Records()
}

// Log returns a copy of the request log.
func (s *Server) Log() []LogEntry { return s.log.Entries() }

// ResetLog empties the request log.
func (s *Server) ResetLog() { s.log.Reset() }

// Requests is the request log, for the sandbox.
func (s *Server) Requests() dnspodaccount.RequestLog { return s.log }

// SetFaults replaces the fault settings (tests switch faults on after
// seeding).
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Faults = f
}

// SetSandboxFaults maps the sandbox's faults onto DNSPod's: throttling
// is status.code -2, a server error HTTP 502 with an HTML body, an item
// failure a batch item ending in status "error"; latency applies to every
// request.
func (s *Server) SetSandboxFaults(f emulator.Faults) {
	s.SetFaults(Faults{Throttle: f.Throttle, ServerError: f.ServerError, Drop: f.Drop, FailAfterCommit: f.CommitLoss,
		Latency: f.Latency, LatencyShare: dnspodaccount.LatencyShare(f), FailItem: f.ItemFail})
}

// SetBatchStep replaces Options.BatchStep for jobs created from now on;
// a job keeps the step it was created with.
func (s *Server) SetBatchStep(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.BatchStep = d
}

// State is the emulator's persistent state: the account's domains,
// records and id counters, and the batch jobs. Tokens are secrets and are
// not part of it: the sandbox adds them again at start.
type State struct {
	NextDomain uint64        `json:"next_domain"`
	NextRecord uint64        `json:"next_record"`
	NextJob    int           `json:"next_job"`
	Domains    []DomainState `json:"domains"`
	Jobs       []*job        `json:"jobs,omitempty"`
}

// DomainState is one domain of State, grades spelled as this API does
// (as the account does).
type DomainState = dnspodaccount.DomainState

// Export returns the state (batch jobs due by now applied first).
func (s *Server) Export() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.opts.Now())
	as := s.acct.Export()
	st := State{NextDomain: as.NextDomain, NextRecord: as.NextRecord, NextJob: s.nextJob, Domains: as.Domains}
	ids := make([]int, 0, len(s.jobs))
	for id := range s.jobs {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		st.Jobs = append(st.Jobs, s.jobs[id].clone())
	}
	return st
}

// MarshalState is Export encoded as indented JSON.
func (s *Server) MarshalState() ([]byte, error) {
	return json.MarshalIndent(s.Export(), "", "  ")
}

// Import replaces the account's domains and records and the jobs with st
// (tokens and the log are kept).
func (s *Server) Import(st State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range st.Domains {
		if !gradeRE.MatchString(cmp.Or(d.Grade, "DP_Free")) {
			return fmt.Errorf("dnspodtest: domain %s: unknown grade %q", d.Name, d.Grade)
		}
	}
	as := dnspodaccount.State{NextDomain: st.NextDomain, NextRecord: st.NextRecord, Domains: st.Domains}
	if err := s.acct.Import(as, "dnspod"); err != nil {
		return fmt.Errorf("dnspodtest: %w", err)
	}
	s.jobs = map[int]*job{}
	s.nextJob = st.NextJob
	for _, j := range st.Jobs {
		s.jobs[j.ID] = j.clone()
		if j.ID > s.nextJob {
			s.nextJob = j.ID
		}
	}
	return nil
}

// UnmarshalState is Import of JSON produced by MarshalState.
func (s *Server) UnmarshalState(b []byte) error {
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("dnspodtest: state: %w", err)
	}
	return s.Import(st)
}

// storedValue is how the service stores a value: host-name targets get
// their trailing dot (UNVERIFIED normalisation, spec §5.3).
func storedValue(typ, v string) string {
	switch strings.ToUpper(typ) {
	case model.TypeCNAME, model.TypeMX, model.TypeNS:
		if v != "" {
			return model.Fqdn(v)
		}
	}
	return v
}
