package dnspod

import (
	"fmt"
	"strings"

	"github.com/dnssync/dnssync/internal/credentials"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodrules"
)

// Provider-specific option keys of dnssync.yaml.
const (
	OptMinTTL          = "min_ttl"          // smallest TTL the domain grade accepts
	OptLines           = "lines"            // extra line names the grade offers
	OptThrottleBackoff = "throttle_backoff" // wait after code -2
)

// EnvToken is the environment variable holding "ID,Token".
const EnvToken = "DNSPOD_TOKEN"

// Type is the dnspod provider type: records on DNSPod's legacy API.
type Type struct{}

var _ providers.Type = Type{}

// Name is "dnspod".
func (Type) Name() string { return "dnspod" }

// Roles: records.
func (Type) Roles() providers.Role { return providers.RoleDNS }

// Defaults sets the endpoint, rate and concurrency. Rates are
// conservative: DNSPod reportedly allows about 3600 requests an hour per
// account.
func (Type) Defaults(c *providers.Config) {
	c.Endpoint, c.RateLimit, c.Concurrency = "https://dnsapi.cn", 1, 2
}

// Options declares min_ttl, lines and throttle_backoff.
func (Type) Options() []providers.OptionSpec {
	return []providers.OptionSpec{{Key: OptMinTTL, Kind: providers.OptionInt}, {Key: OptLines, Kind: providers.OptionStrings},
		{Key: OptThrottleBackoff, Kind: providers.OptionDuration}}
}

// Check has nothing to add to the schema's checks.
func (Type) Check(providers.Config) []providers.OptionError { return nil }

// Rules returns the DNSPod rule options of an account configured by c: the
// grade's minimum TTL and the lines it offers. The same options judge files
// in validate, plans in the planner and batches in the simulator.
func Rules(c providers.Config) dnspodrules.Options {
	r := dnspodrules.DefaultOptions()
	r.MinTTL = c.Int(OptMinTTL, DefaultMinTTL)
	r.Lines = append(dnspodrules.DefaultLines(), c.Strings(OptLines)...)
	return r
}

// Caps: DNSPod (spec §4): TTL 1–604800 with a grade minimum, MX 1–20,
// types A CNAME MX TXT NS AAAA SRV and CAA (CAA on the legacy API is
// UNVERIFIED and accepted), the grade's lines, paused records.
func (Type) Caps(c providers.Config) providers.Caps {
	r := Rules(c)
	return providers.Caps{Records: &providers.RecordCaps{
		Types:  []string{model.TypeA, model.TypeAAAA, model.TypeCNAME, model.TypeMX, model.TypeTXT, model.TypeNS, model.TypeSRV, model.TypeCAA},
		Lines:  r.Lines,
		MinTTL: r.MinTTL, MaxTTL: r.MaxTTL,
		MinMX: 1, MaxMX: 20,
		Fields: []string{"line", "enabled"},
		// Several CNAMEs on one name and line are DNSPod's CNAME load
		// balancing, limited per grade (code 500026; DNSPod notes §3.9 and §5.4).
		MultiCNAME: true,
	}}
}

// Planner returns the packer of an account configured by c.
func (Type) Planner(c providers.Config) providers.Planner {
	return NewPlanner(c.Name, Rules(c), c.BatchSize)
}

// LoadToken reads the token "ID,Token" of the provider named provider from
// the environment (DNSPOD_TOKEN) or the credentials file (key token).
func LoadToken(provider string, src credentials.Source) (credentials.Secret, error) {
	var tok string
	where := "environment variable " + EnvToken
	if src.File != "" {
		e, err := credentials.ReadEntry(src.File, provider)
		if err != nil {
			return "", err
		}
		tok = e["token"].Reveal()
		where = "token in " + src.File
	} else {
		tok = src.Getenv(EnvToken)
	}
	if tok == "" {
		return "", fmt.Errorf("provider %q: set %s: %w", provider, where, credentials.ErrMissing)
	}
	id, rest, ok := strings.Cut(tok, ",")
	if !ok || id == "" || rest == "" {
		return "", fmt.Errorf("provider %q: %s must have the form ID,Token", provider, where)
	}
	return credentials.Secret(tok), nil
}

// Instance is a configured dnspod account.
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
	tok, err := LoadToken(c.Name, src)
	if err != nil {
		return nil, err
	}
	hc, pool, err := providers.HTTPClient(c, env)
	if err != nil {
		return nil, err
	}
	o := Options{Endpoint: c.Endpoint, Token: tok.Reveal(), Version: env.Version,
		RateLimit: c.RateLimit, Burst: c.Burst, Timeout: c.Timeout, BatchSize: c.BatchSize,
		DefaultMinTTL: c.Int(OptMinTTL, DefaultMinTTL), ThrottleBackoff: c.Duration(OptThrottleBackoff, 0)}
	if env.Logger != nil {
		o.Logger = env.Logger.With("provider", c.Name)
	}
	if hc != nil {
		o.HTTPClient = hc
	} else {
		o.RootCAs = pool
	}
	cl, err := New(o)
	if err != nil {
		return nil, err
	}
	return &Instance{Provider: NewProvider(c.Name, cl), cfg: c, planner: NewPlanner(c.Name, Rules(c), c.BatchSize)}, nil
}

// Config returns the account's configuration.
func (i *Instance) Config() providers.Config { return i.cfg }

// Caps returns the account's capabilities.
func (i *Instance) Caps() providers.Caps { return Type{}.Caps(i.cfg) }

// Planner returns the account's packer.
func (i *Instance) Planner() providers.Planner { return i.planner }
