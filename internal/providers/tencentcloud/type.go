package tencentcloud

import (
	"fmt"
	"log/slog"
	"slices"

	"github.com/dnssync/dnssync/internal/credentials"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

// Provider-specific option keys of dnssync.yaml.
const (
	OptMinTTL = "min_ttl" // smallest TTL the grade accepts, when the API does not say
	OptLines  = "lines"   // extra line names accepted besides DefaultLines
	// OptModifyV3 says the account offers ModifyRecordBatchV3 (per-record
	// changes in one task). Its availability is UNVERIFIED, so it is off
	// unless configured.
	OptModifyV3 = "modify_v3"
	// OptTasksPerHour is how many batch tasks one plan may start: the
	// service accepts 80 submissions an hour from one address.
	OptTasksPerHour = "tasks_per_hour"
	// OptTasksInFlight is how many batch tasks may run at once: the
	// service refuses a fifth while four run.
	OptTasksInFlight = "max_tasks_in_flight"
	// OptSyncMaxRecords is the largest batch that is sent as single-record
	// calls when a stage has more tasks than may run at once.
	OptSyncMaxRecords = "sync_max_records"
	// OptSyncConcurrency is how many single-record calls run at once,
	// beside the tasks: those calls are not tasks, and the service answers
	// 500 a second of each (spec §4).
	OptSyncConcurrency = "sync_concurrency"
)

// Defaults of the options above (spec §4).
const (
	DefaultTasksPerHour    = 80
	DefaultTasksInFlight   = 4
	DefaultSyncMaxRecords  = 8
	DefaultSyncConcurrency = 16
)

// DefaultLines are the line names validate accepts without configuration:
// the China site's lines of spec §3.6 as DescribeRecordLineList names
// them (境内/境外, not the legacy 国内/国外). Planning uses the lines the
// account reports for each zone's grade when ReadZone could read them.
func DefaultLines() []string {
	return []string{model.DefaultLine, "境内", "境外", "电信", "联通", "教育网", "移动",
		"百度", "谷歌", "有道", "必应", "搜搜", "搜狗", "奇虎", "搜索引擎"}
}

// Type is the tencentcloud provider type: DNSPod records through Tencent
// Cloud API 3.0.
type Type struct{}

var _ providers.Type = Type{}

// Name is "tencentcloud".
func (Type) Name() string { return "tencentcloud" }

// Roles: records.
func (Type) Roles() providers.Role { return providers.RoleDNS }

// Defaults sets the China-site endpoint and four concurrent calls, which
// is also the number of batch tasks the service lets run at once. The
// client paces each action at its documented rate (spec §4); rate_limit
// caps every action's rate, so its default is the highest documented rate
// (a lower one would slow reads and single-record calls below what the
// service allows).
func (Type) Defaults(c *providers.Config) {
	c.Endpoint, c.RateLimit, c.Concurrency = DefaultEndpoint, MaxActionRate(), DefaultTasksInFlight
	// A task takes up to 5000 records (spec §4); the common default of 100
	// would multiply the tasks, which are the scarce resource here.
	c.BatchSize = DefaultMaxBatchRecords
}

// Options declares the type's own keys.
func (Type) Options() []providers.OptionSpec {
	return []providers.OptionSpec{
		{Key: OptMinTTL, Kind: providers.OptionInt}, {Key: OptLines, Kind: providers.OptionStrings},
		{Key: OptModifyV3, Kind: providers.OptionBool}, {Key: OptTasksPerHour, Kind: providers.OptionInt},
		{Key: OptTasksInFlight, Kind: providers.OptionInt}, {Key: OptSyncMaxRecords, Kind: providers.OptionInt},
		{Key: OptSyncConcurrency, Kind: providers.OptionInt},
	}
}

// Check refuses option values the schema cannot express.
func (Type) Check(c providers.Config) []providers.OptionError {
	var out []providers.OptionError
	for _, k := range []string{OptTasksPerHour, OptTasksInFlight, OptSyncConcurrency} {
		if _, ok := c.Options[k]; ok && c.Int(k, 1) < 1 {
			out = append(out, providers.OptionError{Key: k, Message: k + " must be at least 1"})
		}
	}
	if _, ok := c.Options[OptSyncMaxRecords]; ok && c.Int(OptSyncMaxRecords, 0) < 0 {
		out = append(out, providers.OptionError{Key: OptSyncMaxRecords, Message: OptSyncMaxRecords + " must not be negative"})
	}
	return out
}

// boolOption returns option key as a bool, or def when it is not set.
func boolOption(c providers.Config, key string, def bool) bool {
	if o, ok := c.Options[key]; ok {
		if v, ok := o.Value.(bool); ok {
			return v
		}
	}
	return def
}

// Rules returns the DNSPod rule options of an account configured by c:
// the configured minimum TTL and lines. Validate judges files by them; the
// planner replaces both per zone with what ReadZone read from the API.
func Rules(c providers.Config) dnspodrules.Options {
	r := dnspodrules.APIv3Options()
	// Priority 0, documented since 2026-04, stays out: ModifyRecordBatch
	// needs MX with every change of an MX record, and a batch payload
	// cannot tell priority 0 from "no MX".
	r.MinMX = 1
	r.MinTTL = c.Int(OptMinTTL, DefaultMinTTL)
	r.Lines = append(DefaultLines(), c.Strings(OptLines)...)
	return r
}

// PlannerOptions are an account's packing limits and choices.
type PlannerOptions struct {
	// MaxTaskRecords caps records per task (records × domains for
	// CreateRecordBatch); MaxDeleteIDs ids per DeleteRecordBatch.
	MaxTaskRecords, MaxDeleteIDs int
	// ModifyV3 uses ModifyRecordBatchV3 for modifications.
	ModifyV3 bool
	// TasksPerHour bounds the batch tasks of one plan; TasksInFlight the
	// tasks of one stage that can run at once; a stage with more turns
	// batches of at most SyncMaxRecords records into single-record calls.
	TasksPerHour, TasksInFlight, SyncMaxRecords int
	// TasksSpent are the tasks of the hour already used (TaskLedger):
	// the plan may start TasksPerHour − TasksSpent.
	TasksSpent int
}

// PlannerOptionsOf returns the planner options of an account configured
// by c.
func PlannerOptionsOf(c providers.Config) PlannerOptions {
	o := PlannerOptions{MaxTaskRecords: DefaultMaxBatchRecords, MaxDeleteIDs: DefaultMaxDeleteIDs,
		ModifyV3:      boolOption(c, OptModifyV3, false),
		TasksPerHour:  c.Int(OptTasksPerHour, DefaultTasksPerHour),
		TasksInFlight: c.Int(OptTasksInFlight, DefaultTasksInFlight), SyncMaxRecords: c.Int(OptSyncMaxRecords, DefaultSyncMaxRecords)}
	if c.BatchSize > 0 {
		o.MaxTaskRecords = min(o.MaxTaskRecords, c.BatchSize)
		o.MaxDeleteIDs = min(o.MaxDeleteIDs, c.BatchSize)
	}
	return o
}

// Caps: DNSPod on API 3.0 (spec §4, §5): types A AAAA CNAME MX TXT NS SRV
// CAA; TTL up to 604800 with the configured grade minimum; MX 1–65535
// (spec §4, §3.10 document 0–65535; see Rules); the configured lines;
// paused records.
func (Type) Caps(c providers.Config) providers.Caps {
	r := Rules(c)
	minMX, maxMX := r.MXRange()
	return providers.Caps{Records: &providers.RecordCaps{
		Types:  dnspodrules.Types(),
		Lines:  r.Lines,
		MinTTL: r.MinTTL, MaxTTL: r.MaxTTL,
		MinMX: minMX, MaxMX: maxMX,
		Fields: []string{"line", "enabled"},
		// Several CNAMEs on one name and line are DNSPod's CNAME load
		// balancing, limited per grade (code 500026; DNSPod notes §3.9 and §5.4).
		MultiCNAME: true,
	}}
}

// Planner returns the packer of an account configured by c.
func (Type) Planner(c providers.Config) providers.Planner {
	return NewPlanner(c.Name, Rules(c), PlannerOptionsOf(c))
}

// Instance is a configured Tencent Cloud account.
type Instance struct {
	*Provider
	cfg     providers.Config
	planner *Planner
}

// New builds the client and adapter of an account configured by c.
func (t Type) New(c providers.Config, env providers.Env) (providers.Instance, error) {
	src := credentials.Source{Env: env.Getenv}
	if !c.Credentials.Env || c.Credentials.File != "" {
		src.File = c.Credentials.File
	}
	cr, err := LoadCredentials(c.Name, src)
	if err != nil {
		return nil, err
	}
	hc, pool, err := providers.HTTPClient(c, env)
	if err != nil {
		return nil, err
	}
	o := Options{Endpoint: c.Endpoint, Credentials: cr, Timeout: c.Timeout, DefaultMinTTL: c.Int(OptMinTTL, DefaultMinTTL)}
	if c.RateLimit > 0 {
		// rate_limit caps every action; the documented rates stay below it.
		o.Rates = map[string]float64{}
		for a, r := range ActionRates() {
			o.Rates[a] = min(r, c.RateLimit)
		}
	}
	po := PlannerOptionsOf(c)
	o.MaxBatchRecords, o.MaxDeleteIDs = po.MaxTaskRecords, po.MaxDeleteIDs
	if env.Logger != nil {
		o.Logger = env.Logger.With("provider", c.Name)
	} else {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if hc != nil {
		o.HTTPClient = hc
	} else {
		o.RootCAs = pool
	}
	cl, err := New(o)
	if err != nil {
		return nil, fmt.Errorf("provider %q: %w", c.Name, err)
	}
	return NewInstance(c, cl), nil
}

// NewInstance returns the instance of an account configured by c that
// talks through cl (tests build clients with their own back-offs).
func NewInstance(c providers.Config, cl *Client) *Instance {
	p := NewProvider(c.Name, cl, Rules(c))
	p.extraLines = c.Strings(OptLines)
	p.syncSlots = c.Int(OptSyncConcurrency, DefaultSyncConcurrency)
	return &Instance{Provider: p, cfg: c, planner: NewPlanner(c.Name, Rules(c), PlannerOptionsOf(c))}
}

// Ledger returns the account's count of batch tasks in the current hour.
func (i *Instance) Ledger() *TaskLedger { return i.ledger }

// Config returns the account's configuration.
func (i *Instance) Config() providers.Config { return i.cfg }

// Caps returns the account's capabilities.
func (i *Instance) Caps() providers.Caps { return Type{}.Caps(i.cfg) }

// Planner returns the account's packer for the next plan: within what is
// left of the hour's batch-task quota after the tasks this process
// submitted (TaskLedger).
func (i *Instance) Planner() providers.Planner {
	o := i.planner.Options()
	spent := i.ledger.Spent(o.TasksPerHour)
	if spent == 0 {
		return i.planner
	}
	o.TasksSpent = spent
	return NewPlanner(i.cfg.Name, i.planner.Rules(), o)
}

// zoneRules returns the rules a zone is planned under: the account's
// rules with the grade's minimum TTL and lines when ReadZone read them.
func zoneRules(rules dnspodrules.Options, live *model.LiveDNS) dnspodrules.Options {
	if live == nil {
		return rules
	}
	if live.MinTTL > 0 {
		rules.MinTTL = live.MinTTL
	}
	if len(live.Lines) > 0 {
		lines := slices.Clone(live.Lines)
		if !slices.Contains(lines, model.DefaultLine) {
			lines = append(lines, model.DefaultLine)
		}
		rules.Lines = lines
	}
	return rules
}
