package spec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/safefile"
)

// Provider is one configured provider account (see providers.Config).
type Provider = providers.Config

// Credentials records where a provider's secrets come from.
type Credentials = providers.Credentials

// Defaults apply to every zone that does not say otherwise.
type Defaults struct {
	TTL    int          `json:"ttl"`
	Line   string       `json:"line"`
	Policy model.Policy `json:"policy"`
}

// Safety holds the checks that stop a plan from being applied.
type Safety struct {
	Thresholds             model.Thresholds `json:"thresholds"`
	AllowDelegationChanges bool             `json:"allow_delegation_changes"`
}

// Limits bound what dnssync reads.
type Limits struct {
	// MaxFileSize is the largest zone file, saved plan or journal read,
	// in bytes. dnssync.yaml itself is read under the default, since the
	// limit is only known once it is read.
	MaxFileSize int64 `json:"max_file_size"`
}

// Config is dnssync.yaml, parsed, validated and with defaults applied. Paths
// are resolved against the directory of the config file.
type Config struct {
	Path      string              `json:"path"`
	Dir       string              `json:"dir"`
	Providers map[string]Provider `json:"providers"`
	ZonesDir  string              `json:"zones"`
	StateDir  string              `json:"state_dir"`
	Defaults  Defaults            `json:"defaults"`
	Safety    Safety              `json:"safety"`
	Limits    Limits              `json:"limits"`
	ZonesPos  model.Pos           `json:"zones_pos,omitempty"`

	// Registry knows the provider types; the config's providers and the
	// zone files are checked against their options and capabilities.
	Registry *providers.Registry `json:"-"`

	schemas *Schemas
}

// Defaults of dnssync.yaml.
const (
	DefaultZonesDir = "zones"
	DefaultStateDir = ".dnssync"
	DefaultTTL      = 600
)

// DefaultConfig is the configuration of an empty dnssync.yaml in dir, for
// the provider types of reg (its state directory from DNSSYNC_STATE_DIR
// when that is set).
func DefaultConfig(dir string, reg *providers.Registry) *Config {
	cfg := &Config{
		Registry:  reg,
		Dir:       dir,
		Providers: map[string]Provider{},
		ZonesDir:  filepath.Join(dir, DefaultZonesDir),
		StateDir:  filepath.Join(dir, DefaultStateDir),
		Defaults:  Defaults{TTL: DefaultTTL, Line: model.DefaultLine, Policy: model.PolicySync},
		Safety:    Safety{Thresholds: model.DefaultThresholds()},
		Limits:    Limits{MaxFileSize: safefile.DefaultMaxSize},
	}
	cfg.stateDirFromEnv()
	return cfg
}

// ReadOptions are the safefile options for the files this configuration
// governs: zone files, saved plans, the journal.
func (c *Config) ReadOptions() safefile.Options {
	return safefile.Options{MaxSize: c.Limits.MaxFileSize, LimitName: "limits.max_file_size"}
}

// DefaultProvider returns a provider of type t with every default set:
// the common ones, then the type's.
func DefaultProvider(name string, t providers.Type) Provider {
	p := Provider{Name: name, Type: t.Name(), Credentials: Credentials{Env: true},
		Burst: 5, BatchSize: 100, PollInterval: 2 * time.Second, TaskTimeout: 10 * time.Minute, Timeout: 30 * time.Second}
	t.Defaults(&p)
	return p
}

// Provider returns the provider called name.
func (c *Config) Provider(name string) (Provider, bool) {
	p, ok := c.Providers[name]
	return p, ok
}

// ProviderNames returns the provider names, sorted.
func (c *Config) ProviderNames() []string {
	names := make([]string, 0, len(c.Providers))
	for n := range c.Providers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Schemas returns the compiled schemas, compiling them on first use for a
// Config built by hand.
func (c *Config) Schemas() (*Schemas, error) {
	if c.schemas == nil {
		s, err := CompileSchemas()
		if err != nil {
			return nil, err
		}
		c.schemas = s
	}
	return c.schemas, nil
}

// LoadConfig reads and validates dnssync.yaml. It returns an error (a
// Diagnostics when the file was read) if there is any error-level problem.
//
// It reads without a context: for tests and for callers that hold none.
func LoadConfig(path string, reg *providers.Registry) (*Config, error) {
	cfg, ds := LoadConfigDiagnostics(context.Background(), path, reg)
	if err := ds.Err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// LoadConfigDiagnostics reads dnssync.yaml and returns the best Config it
// could build together with every problem found, so that validate can go on
// to check zone files against a partly broken config. The Config is nil only
// when the file could not be read or parsed at all.
//
// The file is read as safefile reads it, under the default size limit (the
// limit it may set applies to the files it governs).
func LoadConfigDiagnostics(ctx context.Context, path string, reg *providers.Registry) (*Config, Diagnostics) {
	data, d := readFile(ctx, path, "config", safefile.Options{})
	if d != nil {
		return nil, Diagnostics{*d}
	}
	cfg, ds := ParseConfig(path, data, reg)
	if ctx.Err() != nil {
		return nil, notLoaded(ctx, path)
	}
	return cfg, ds
}

// ParseConfig is LoadConfigDiagnostics on data already read from path.
func ParseConfig(path string, data []byte, reg *providers.Registry) (*Config, Diagnostics) {
	cfg := DefaultConfig(filepath.Dir(path), reg)
	cfg.Path = path
	s, err := cfg.Schemas()
	if err != nil {
		return nil, Diagnostics{{Pos: model.Pos{File: path, Line: 1}, Rule: RuleSchema, Severity: SeverityError, Message: err.Error()}}
	}
	d := parseYAML(path, data, false)
	if !d.ok {
		// An empty dnssync.yaml is a valid "all defaults" config.
		if len(d.diags) == 1 && d.diags[0].Rule == RuleEmptyFile {
			return cfg, nil
		}
		return nil, d.diags
	}
	d.validate(s.config, nil, s.printer)
	cfg.decode(d.cursor())
	cfg.stateDirFromEnv()
	return cfg, d.diags
}

func (cfg *Config) stateDirFromEnv() {
	if dir := os.Getenv(StateDirEnv); dir != "" {
		if abs, err := filepath.Abs(dir); err == nil {
			cfg.StateDir = abs
		}
	}
}

// StateDirEnv names the environment variable that overrides state_dir:
// where the configuration comes from a read-only checkout (git-sync, a
// ConfigMap) the journal and lock live on a volume of their own. A relative
// value is taken from the working directory.
const StateDirEnv = "DNSSYNC_STATE_DIR"

func (cfg *Config) resolve(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(cfg.Dir, p)
}

func (cfg *Config) decode(c cursor) {
	if z, zc, ok := c.strField("zones"); ok {
		cfg.ZonesDir, cfg.ZonesPos = cfg.resolve(z), zc.pos()
	} else {
		cfg.ZonesPos = model.Pos{File: cfg.Path, Line: 1, Col: 1}
	}
	if s, _, ok := c.strField("state_dir"); ok {
		cfg.StateDir = cfg.resolve(s)
	}
	if dc, ok := c.get("defaults"); ok {
		if n, _, ok := dc.intField("ttl"); ok {
			cfg.Defaults.TTL = n
		}
		if l, _, ok := dc.strField("line"); ok {
			cfg.Defaults.Line = l
		}
		if p, _, ok := dc.strField("policy"); ok {
			cfg.Defaults.Policy = model.Policy(p)
		}
	}
	if sc, ok := c.get("safety"); ok {
		if tc, ok := sc.get("thresholds"); ok {
			cfg.Safety.Thresholds = decodeThresholds(tc, cfg.Safety.Thresholds)
		}
		if b, _, ok := sc.boolField("allow_delegation_changes"); ok {
			cfg.Safety.AllowDelegationChanges = b
		}
	}
	if lc, ok := c.get("limits"); ok {
		cfg.decodeLimits(lc)
	}
	if pc, ok := c.get("providers"); ok {
		for _, name := range pc.keys() {
			if one, ok := pc.get(name); ok {
				if p, ok := cfg.decodeProvider(name, one); ok {
					cfg.Providers[name] = p
				}
			}
		}
	}
	if dc, ok := c.get("defaults"); ok {
		if l, lc, ok := dc.strField("line"); ok {
			cfg.checkDefaultLine(l, lc)
		}
	}
}

// decodeLimits reads the limits section. The schema has checked the
// shape of max_file_size; what it cannot see is a size too large for 63
// bits.
func (cfg *Config) decodeLimits(c cursor) {
	f, ok := c.get("max_file_size")
	if !ok {
		return
	}
	var (
		n   int64
		err error
	)
	switch v := f.scalar().(type) {
	case json.Number:
		n, err = v.Int64()
		if err == nil && n < 1 {
			err = fmt.Errorf("size %s: must be more than 0", v)
		}
	case string:
		n, err = safefile.ParseSize(v)
	default:
		return
	}
	if err != nil {
		f.errorf(RuleSize, fmt.Sprintf("limits.max_file_size: %v", err))
		return
	}
	cfg.Limits.MaxFileSize = n
}

// checkDefaultLine accepts the default line when every configured DNS
// provider offers it (records that do not name a line get it).
func (cfg *Config) checkDefaultLine(line string, lc cursor) {
	if line == model.DefaultLine {
		return
	}
	for _, name := range cfg.ProviderNames() {
		caps, _ := cfg.Caps(name)
		if caps.Records != nil && !caps.Records.HasLine(line) {
			lc.errorf(RuleLine, fmt.Sprintf("default line %q is not offered by provider %q; add it to the provider's lines if the account offers it", line, name))
			return
		}
	}
}

func decodeThresholds(c cursor, t model.Thresholds) model.Thresholds {
	if f, ok := c.get("update_percent"); ok {
		if v, ok := f.number(); ok {
			t.UpdatePercent = v
		}
	}
	if f, ok := c.get("delete_percent"); ok {
		if v, ok := f.number(); ok {
			t.DeletePercent = v
		}
	}
	if n, _, ok := c.intField("min_existing"); ok {
		t.MinExisting = n
	}
	return t
}

func (cfg *Config) decodeProvider(name string, c cursor) (Provider, bool) {
	if !validProviderName(name) {
		c.d.add(c.keyPos(), RuleProvName, fmt.Sprintf("provider name %q: use lower-case letters, digits, - and _, starting with a letter", name))
		return Provider{}, false
	}
	tn, tc, ok := c.strField("type")
	if !ok {
		return Provider{}, false
	}
	typ, ok := cfg.Registry.Lookup(tn)
	if !ok {
		tc.errorf(RuleProvOption, fmt.Sprintf("provider type %q is not known (known: %s)", tn, strings.Join(cfg.Registry.Names(), ", ")))
		return Provider{}, false
	}
	p := DefaultProvider(name, typ)
	p.Pos = c.keyPos()
	if e, ec, ok := c.strField("endpoint"); ok {
		u, err := url.Parse(e)
		switch {
		case err != nil:
			ec.errorf(RuleEndpoint, fmt.Sprintf("endpoint %q is not a URL: %v", e, err))
		case u.Scheme != "https" && u.Scheme != "http" || u.Host == "":
			ec.errorf(RuleEndpoint, fmt.Sprintf("endpoint %q must be an absolute http or https URL", e))
		case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			ec.errorf(RuleEndpoint, fmt.Sprintf("endpoint %q may not carry a query, fragment or user info", e))
		default:
			p.Endpoint = strings.TrimSuffix(e, "/")
		}
	}
	if cc, ok := c.get("credentials"); ok {
		p.Credentials.Pos = cc.pos()
		env, _, envSet := cc.boolField("env")
		file, _, fileSet := cc.strField("file")
		switch {
		case envSet && env && fileSet:
			cc.errorf(RuleCredentials, "credentials: set either env: true or file, not both")
		case fileSet:
			p.Credentials = Credentials{File: cfg.resolve(file), Pos: cc.pos()}
		case envSet && !env:
			cc.errorf(RuleCredentials, "credentials: env is false and no file is given, so there is no credential source")
		}
	}
	if s, _, ok := c.strField("ca_file"); ok {
		p.CAFile = cfg.resolve(s)
	}
	if f, ok := c.get("rate_limit"); ok {
		if v, ok := f.number(); ok {
			p.RateLimit = v
		}
	}
	if n, _, ok := c.intField("burst"); ok {
		p.Burst = n
	}
	if n, _, ok := c.intField("batch_size"); ok {
		p.BatchSize = n
	}
	if n, _, ok := c.intField("concurrency"); ok {
		p.Concurrency = n
	}
	for _, f := range []struct {
		key string
		dst *time.Duration
	}{{"poll_interval", &p.PollInterval}, {"task_timeout", &p.TaskTimeout}, {"timeout", &p.Timeout}} {
		s, sc, ok := c.strField(f.key)
		if !ok {
			continue
		}
		v, err := time.ParseDuration(s)
		if err != nil || v <= 0 {
			sc.errorf(RuleDuration, fmt.Sprintf("%s %q is not a positive duration such as 2s or 10m", f.key, s))
			continue
		}
		*f.dst = v
	}
	cfg.decodeOptions(&p, typ, c)
	return p, true
}

// commonKeys are the settings every provider has; other keys belong to the
// provider type.
var commonKeys = []string{"type", "endpoint", "credentials", "ca_file", "rate_limit", "burst", "batch_size",
	"concurrency", "poll_interval", "task_timeout", "timeout"}

// decodeOptions reads the keys the provider type declares, refuses keys no
// type of this kind takes, and lets the type check the values.
func (cfg *Config) decodeOptions(p *Provider, typ providers.Type, c cursor) {
	specs := map[string]providers.OptionKind{}
	for _, o := range typ.Options() {
		specs[o.Key] = o.Kind
	}
	for _, key := range c.keys() {
		if slices.Contains(commonKeys, key) {
			continue
		}
		oc, _ := c.get(key)
		kind, ok := specs[key]
		if !ok {
			oc.errorf(RuleProvOption, fmt.Sprintf("%s is not an option of %s providers", key, typ.Name()))
			continue
		}
		var v any
		switch kind {
		case providers.OptionInt:
			n, _, ok := c.intField(key)
			if !ok {
				continue
			}
			v = n
		case providers.OptionStrings:
			v = oc.strings()
		case providers.OptionDuration:
			s, _, ok := c.strField(key)
			if !ok {
				continue
			}
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 {
				oc.errorf(RuleDuration, fmt.Sprintf("%s %q is not a positive duration such as 2s or 10m", key, s))
				continue
			}
			v = d
		case providers.OptionString:
			s, _, ok := c.strField(key)
			if !ok {
				continue
			}
			v = s
		case providers.OptionPath:
			s, _, ok := c.strField(key)
			if !ok {
				continue
			}
			v = cfg.resolve(s)
		case providers.OptionBool:
			b, _, ok := c.boolField(key)
			if !ok {
				continue
			}
			v = b
		}
		if p.Options == nil {
			p.Options = map[string]providers.Option{}
		}
		p.Options[key] = providers.Option{Value: v, Pos: oc.pos()}
	}
	for _, e := range typ.Check(*p) {
		if oc, ok := c.get(e.Key); ok {
			oc.errorf(RuleProvOption, e.Message)
		} else {
			c.errorf(RuleProvOption, e.Message)
		}
	}
}

// unwrapPathError drops the repeated path from *fs.PathError messages.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func validProviderName(n string) bool {
	if n == "" || n[0] < 'a' || n[0] > 'z' {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
