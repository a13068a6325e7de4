// Package dnspodaccount is the DNSPod account behind the emulators of its
// two APIs: the legacy token API (dnspodtest) and Tencent Cloud API 3.0
// (tencentcloudtest). DNSPod serves both over one product backend (spec
// dnspod-v3 §5.8): the same account's domains, records, line ids, grades
// and rules, whichever API wrote them. An Account holds that shared part —
// domains with their ids, grades and default TTLs, records with ids under
// dnspodrules, the id counters and what a record carries besides its data
// (created and updated times, weight, remark) — while each emulator keeps
// what belongs to its API: credentials, batch jobs or tasks, limits,
// faults and its request log.
//
// Two emulators serve one account when they are given the same Account;
// each emulator alone gets one of its own. The account's lock guards its
// state and the state of every emulator serving it, so a request to either
// API sees the other's writes at once, and batch items due by then (of
// either API) are applied first.
//
// The package also holds what the two emulators' sandbox plug-ins share:
// the seed section reader (one format for both sections) and the adapter
// plumbing (Plugin).
package dnspodaccount

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

// BackendName is the name under which emulators find a shared account in
// the sandbox (emulator.Backends).
const BackendName = "dnspod-account"

// Options configure an Account.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// FirstDomainID and FirstRecordID are the counters' start: the first
	// domain gets FirstDomainID+1 (defaults: 86000000 and 2183921000, ids
	// above 2^31 as live record ids are, spec dnspod-v3 §5.1).
	FirstDomainID, FirstRecordID uint64
	// Rules returns the rule options of a grade (account spelling: DP_Free,
	// D_Plus, …; lines by their legacy names, 国内/国外). Default:
	// DefaultRules.
	Rules func(grade string) dnspodrules.Options
}

// Account is one DNSPod account: its domains and records. Its methods
// other than Lock, Unlock and Mutex expect the caller to hold the lock.
type Account struct {
	mu         sync.Mutex
	opts       Options
	domains    map[uint64]*Domain
	byName     map[string]uint64
	meta       map[string]*Meta // by record id
	nextDomain uint64
	nextRecord uint64
	advancers  []func(time.Time)
	seeded     map[string]seedMark // domain → the seed section that made it
	// loading is set while the sandbox loads a saved state (BeginLoad);
	// loaded names the emulator whose part loaded the account.
	loading bool
	loaded  string
}

// Domain is one domain of the account.
type Domain struct {
	ID      uint64
	Name    string // punycode, no trailing dot
	Grade   string // account spelling: DP_Free, D_Plus, …
	TTL     int    // default TTL of new records
	Created time.Time
	Zone    *dnspodrules.Zone
}

// Meta is what the account keeps about a record besides its data.
type Meta struct {
	Created, Updated time.Time
	Weight           *int // nil: no weight
	Remark           string
}

// New returns an empty account.
func New(opts Options) *Account {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FirstDomainID == 0 {
		opts.FirstDomainID = 86000000
	}
	if opts.FirstRecordID == 0 {
		opts.FirstRecordID = 2183921000
	}
	if opts.Rules == nil {
		opts.Rules = DefaultRules
	}
	return &Account{
		opts:       opts,
		domains:    map[uint64]*Domain{},
		byName:     map[string]uint64{},
		meta:       map[string]*Meta{},
		nextDomain: opts.FirstDomainID,
		nextRecord: opts.FirstRecordID,
		seeded:     map[string]seedMark{},
	}
}

// Lock takes the account's lock, which also guards the state of every
// emulator serving the account.
func (a *Account) Lock() { a.mu.Lock() }

// Unlock releases it.
func (a *Account) Unlock() { a.mu.Unlock() }

// Mutex is the account's lock, for emulators that guard their own state
// with it.
func (a *Account) Mutex() *sync.Mutex { return &a.mu }

// Now is the account's clock.
func (a *Account) Now() time.Time { return a.opts.Now() }

// OnAdvance registers an emulator's batch processing: Advance calls f with
// the time to catch up to, the lock held. Every emulator serving the
// account registers once, at construction.
func (a *Account) OnAdvance(f func(now time.Time)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.advancers = append(a.advancers, f)
}

// Advance applies every batch item due by now, of every API's jobs, so
// that a read through either API sees what the backend has done by then.
func (a *Account) Advance(now time.Time) {
	for _, f := range a.advancers {
		f(now)
	}
}

// Grade levels, lowest first.
var levels = []string{"Free", "Plus", "Extra", "Expert", "Ultra"}

// Grade returns g in the account's spelling: DP_ or D_ and a level in
// title case (DP_FREE and dp_free are DP_Free); ok is false for anything
// that is not a DNSPod grade.
func Grade(g string) (string, bool) {
	g = strings.TrimSpace(g)
	prefix, level, found := strings.Cut(g, "_")
	if !found {
		return "", false
	}
	prefix = strings.ToUpper(prefix)
	if prefix != "DP" && prefix != "D" {
		return "", false
	}
	for _, l := range levels {
		if strings.EqualFold(level, l) {
			return prefix + "_" + l, true
		}
	}
	return "", false
}

// Level is the grade's level, 1 (Free) to 5 (Ultra); 0 for no grade.
func Level(g string) int {
	g, ok := Grade(g)
	if !ok {
		return 0
	}
	_, l, _ := strings.Cut(g, "_")
	return slices.Index(levels, l) + 1
}

// IsFree reports whether g is a free grade.
func IsFree(g string) bool { return Level(g) == 1 }

// SystemNS are the name servers of a grade, the values of the system's
// apex NS rows.
func SystemNS(grade string) []string {
	if IsFree(grade) {
		return []string{"f1g1ns1.dnspod.net", "f1g1ns2.dnspod.net"}
	}
	return []string{"ns3.dnsv5.com", "ns4.dnsv5.com"}
}

// DefaultMinTTL is the minimum TTL per grade level the account uses unless
// told otherwise: free 600, Plus 120, Extra 60, Expert 10, Ultra 1 (paid
// values UNVERIFIED; a Domain.Purview example shows 120).
func DefaultMinTTL(grade string) int {
	return [...]int{600, 600, 120, 60, 10, 1}[Level(grade)]
}

// DefaultLines are the lines of a grade: every line of
// dnspodrules.DefaultLines, except 移动 and 国外 on free grades (spec
// §3.6).
func DefaultLines(grade string) []string {
	all := dnspodrules.DefaultLines()
	if !IsFree(grade) {
		return all
	}
	return slices.DeleteFunc(all, func(l string) bool { return l == "移动" || l == "国外" })
}

// DefaultRules are dnspodrules' defaults with API 3.0's MX range and the
// grade's DefaultMinTTL and DefaultLines.
func DefaultRules(grade string) dnspodrules.Options {
	// The backend's MX range is API 3.0's documented one; the legacy
	// emulator refuses what its API documents as out of range itself.
	o := dnspodrules.APIv3Options()
	o.MinTTL, o.Lines = DefaultMinTTL(grade), DefaultLines(grade)
	return o
}

// Rules are the rule options of grade.
func (a *Account) Rules(grade string) dnspodrules.Options { return a.opts.Rules(grade) }

// MinTTL is the minimum TTL of grade (600 when its rules say nothing).
func (a *Account) MinTTL(grade string) int {
	if m := a.opts.Rules(grade).MinTTL; m > 0 {
		return m
	}
	return 600
}

func (a *Account) allocID() string {
	a.nextRecord++
	return strconv.FormatUint(a.nextRecord, 10)
}

// AddDomain adds a domain of grade (account spelling; default DP_Free)
// with the system's two apex NS rows, or with recs (taken as they are,
// ids included) when recs is not nil. id 0 allocates the next id.
func (a *Account) AddDomain(name, grade string, id uint64, recs []model.Record) (*Domain, error) {
	name = model.Host(name)
	if name == "" || strings.ContainsAny(name, " /,") {
		return nil, fmt.Errorf("bad domain name %q", name)
	}
	if grade == "" {
		grade = "DP_Free"
	}
	g, ok := Grade(grade)
	if !ok {
		return nil, fmt.Errorf("unknown grade %q", grade)
	}
	if _, ok := a.byName[name]; ok {
		return nil, fmt.Errorf("domain %s exists", name)
	}
	if _, ok := a.domains[id]; ok && id != 0 {
		return nil, fmt.Errorf("domain id %d is taken", id)
	}
	if id == 0 {
		a.nextDomain++
		id = a.nextDomain
	} else if id > a.nextDomain {
		a.nextDomain = id
	}
	now := a.opts.Now()
	d := &Domain{ID: id, Name: name, Grade: g, TTL: 600, Created: now}
	if recs == nil {
		for _, ns := range SystemNS(g) {
			recs = append(recs, model.Record{Name: "@", Type: model.TypeNS, Line: model.DefaultLine, Value: ns + ".",
				TTL: 86400, Enabled: true, System: true})
		}
	}
	for _, r := range recs {
		if n, err := strconv.ParseUint(r.ID, 10, 64); err == nil && n > a.nextRecord {
			a.nextRecord = n
		}
	}
	d.Zone = dnspodrules.NewZone(a.opts.Rules(g), a.allocID, recs...)
	for _, r := range d.Zone.Records() {
		// Existing records are old: never hidden by an index delay.
		a.meta[r.ID] = &Meta{Created: now.Add(-24 * time.Hour), Updated: now.Add(-24 * time.Hour)}
	}
	a.domains[id] = d
	a.byName[name] = id
	return d, nil
}

// CreateDomain is AddDomain of a new domain with the system's apex NS
// rows, taking the lock.
func (a *Account) CreateDomain(name, grade string) (*Domain, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.AddDomain(name, grade, 0, nil)
}

// Domain returns the domain with id.
func (a *Account) Domain(id uint64) (*Domain, bool) {
	d, ok := a.domains[id]
	return d, ok
}

// DomainByName returns the domain called name (any case, Unicode or
// punycode, with or without the trailing dot).
func (a *Account) DomainByName(name string) (*Domain, bool) {
	id, ok := a.byName[model.Host(name)]
	if !ok {
		return nil, false
	}
	return a.domains[id], true
}

// Domains are the domains ordered by id.
func (a *Account) Domains() []*Domain {
	out := slices.Collect(maps.Values(a.domains))
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// DomainOfRecord finds the domain holding record id.
func (a *Account) DomainOfRecord(id string) *Domain {
	for _, d := range a.domains {
		if _, ok := d.Zone.Get(id); ok {
			return d
		}
	}
	return nil
}

// Meta returns what the account keeps about record id; a record without
// any (one created before the account kept it) gets created and updated
// times of now.
func (a *Account) Meta(id string, now time.Time) *Meta {
	m := a.meta[id]
	if m == nil {
		m = &Meta{Created: now, Updated: now}
		a.meta[id] = m
	}
	return m
}

// Peek returns what the account keeps about record id, nil when nothing.
func (a *Account) Peek(id string) *Meta { return a.meta[id] }

// Touched reports whether the account keeps anything about record id,
// and the record's last change.
func (a *Account) Touched(id string) (time.Time, bool) {
	if m := a.meta[id]; m != nil {
		return m.Updated, true
	}
	return time.Time{}, false
}

// Forget drops what the account keeps about a removed record.
func (a *Account) Forget(id string) { delete(a.meta, id) }

// Counters are the last domain and record ids handed out.
func (a *Account) Counters() (domain, record uint64) { return a.nextDomain, a.nextRecord }

// DomainState is one domain of the account's content, and of the
// emulators' state exports (each in its API's spelling of grades and
// lines).
type DomainState struct {
	ID      uint64         `json:"id"`
	Name    string         `json:"name"`
	Grade   string         `json:"grade"`
	TTL     int            `json:"ttl"`
	Records []model.Record `json:"records"`
}

// State is the account's content: its domains and id counters.
type State struct {
	NextDomain, NextRecord uint64
	Domains                []DomainState
}

// Export returns the account's content (the caller applies due batch
// items first).
func (a *Account) Export() State {
	st := State{NextDomain: a.nextDomain, NextRecord: a.nextRecord}
	for _, d := range a.Domains() {
		st.Domains = append(st.Domains, DomainState{ID: d.ID, Name: d.Name, Grade: d.Grade, TTL: d.TTL, Records: d.Zone.Records()})
	}
	return st
}

// Import replaces the account's content with st. Counters of 0 keep the
// account's start; counters below an id present are raised to it. from
// names the emulator importing (its state part); see BeginLoad.
func (a *Account) Import(st State, from string) error {
	prevDomain, prevRecord := a.nextDomain, a.nextRecord
	if a.loading && a.loaded != "" && a.loaded != from {
		// A second part of one saved state. A part without domains says
		// nothing about them (a state saved before its emulator existed,
		// or while the emulators kept their own); otherwise it must
		// describe the same account, or one of the two would be lost at
		// the next save.
		if len(st.Domains) == 0 || len(a.domains) > 0 {
			if diff := sameContent(a.Export(), st); diff != "" && len(st.Domains) > 0 {
				return fmt.Errorf("its account differs from the one the %s part describes (%s); the two APIs serve one DNSPod account", a.loaded, diff)
			}
			a.nextDomain, a.nextRecord = max(a.nextDomain, st.NextDomain), max(a.nextRecord, st.NextRecord)
			return nil
		}
	}
	a.domains, a.byName, a.meta = map[uint64]*Domain{}, map[string]uint64{}, map[string]*Meta{}
	a.seeded = map[string]seedMark{}
	a.nextDomain, a.nextRecord = cmpOr(st.NextDomain, a.opts.FirstDomainID), cmpOr(st.NextRecord, a.opts.FirstRecordID)
	if a.loading {
		if a.loaded != "" {
			// The part loaded first held no domains: keep its counters.
			a.nextDomain, a.nextRecord = max(a.nextDomain, prevDomain), max(a.nextRecord, prevRecord)
		}
		a.loaded = from
	}
	for _, d := range st.Domains {
		recs := d.Records
		if recs == nil {
			recs = []model.Record{}
		}
		nd, err := a.AddDomain(d.Name, d.Grade, d.ID, recs)
		if err != nil {
			return err
		}
		if d.TTL > 0 {
			nd.TTL = d.TTL
		}
	}
	return nil
}

func cmpOr(v, def uint64) uint64 {
	if v == 0 {
		return def
	}
	return v
}

// BeginLoad starts the load of a saved state (emulator.Backends): until
// EndLoad, the first emulator to Import the account loads it and every
// other one must describe the same account.
func (a *Account) BeginLoad() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.loading, a.loaded = true, ""
}

// EndLoad ends it: Import replaces the account again (drift injection).
func (a *Account) EndLoad() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.loading, a.loaded = false, ""
}

// sameContent says how two exports of an account differ ("" when they
// describe the same domains and records; counters may differ).
func sameContent(a, b State) string {
	b.Domains = slices.Clone(b.Domains)
	sort.Slice(b.Domains, func(i, j int) bool { return b.Domains[i].ID < b.Domains[j].ID })
	if len(a.Domains) != len(b.Domains) {
		return fmt.Sprintf("%d domains, not %d", len(b.Domains), len(a.Domains))
	}
	for i := range a.Domains {
		x, y := a.Domains[i], b.Domains[i]
		xs, ys := slices.Clone(x.Records), slices.Clone(y.Records)
		model.SortRecords(xs)
		model.SortRecords(ys)
		if len(xs) == 0 {
			xs = nil
		}
		if len(ys) == 0 {
			ys = nil
		}
		yg, _ := Grade(y.Grade)
		switch {
		case x.ID != y.ID || x.Name != model.Host(y.Name):
			return fmt.Sprintf("domain %s (id %d), not %s (id %d)", y.Name, y.ID, x.Name, x.ID)
		case x.Grade != yg || (y.TTL > 0 && x.TTL != y.TTL):
			return fmt.Sprintf("domain %s: grade or default TTL", x.Name)
		case !reflect.DeepEqual(xs, ys):
			return fmt.Sprintf("domain %s: records or record ids", x.Name)
		}
	}
	return ""
}
