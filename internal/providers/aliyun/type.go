package aliyun

import (
	"fmt"

	"github.com/dnssync/dnssync/internal/credentials"
	"github.com/dnssync/dnssync/internal/providers"
)

// Environment variables of Alibaba Cloud AccessKey credentials.
const (
	EnvKeyID  = "ALIBABA_CLOUD_ACCESS_KEY_ID"
	EnvSecret = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
	EnvToken  = "ALIBABA_CLOUD_SECURITY_TOKEN"
)

// Credentials are Alibaba Cloud AccessKey credentials.
type Credentials struct {
	AccessKeyID     string // not secret: appears in signed requests
	AccessKeySecret credentials.Secret
	SecurityToken   credentials.Secret // STS token, optional
}

// LoadCredentials reads the credentials of the provider named provider from
// the environment or the credentials file (keys access_key_id,
// access_key_secret, security_token).
func LoadCredentials(provider string, src credentials.Source) (Credentials, error) {
	var c Credentials
	if src.File != "" {
		e, err := credentials.ReadEntry(src.File, provider)
		if err != nil {
			return c, err
		}
		c = Credentials{AccessKeyID: e["access_key_id"].Reveal(), AccessKeySecret: e["access_key_secret"], SecurityToken: e["security_token"]}
	} else {
		c = Credentials{
			AccessKeyID:     src.Getenv(EnvKeyID),
			AccessKeySecret: credentials.Secret(src.Getenv(EnvSecret)),
			SecurityToken:   credentials.Secret(src.Getenv(EnvToken)),
		}
	}
	if c.AccessKeyID == "" || c.AccessKeySecret == "" {
		where := "environment variables " + EnvKeyID + " and " + EnvSecret
		if src.File != "" {
			where = "access_key_id and access_key_secret in " + src.File
		}
		return c, fmt.Errorf("provider %q: set %s: %w", provider, where, credentials.ErrMissing)
	}
	return c, nil
}

// Type is the aliyun provider type: delegations at Alibaba Cloud Domain.
type Type struct{}

var _ providers.Type = Type{}

// Name is "aliyun".
func (Type) Name() string { return "aliyun" }

// Roles: the registrar side.
func (Type) Roles() providers.Role { return providers.RoleRegistrar }

// Defaults sets the endpoint, rate and concurrency; Alibaba publishes no
// quota for the Domain API.
func (Type) Defaults(c *providers.Config) {
	c.Endpoint, c.RateLimit, c.Concurrency = DefaultEndpoint, 5, 4
}

// Options: none beyond the common settings.
func (Type) Options() []providers.OptionSpec { return nil }

// Check has nothing to check.
func (Type) Check(providers.Config) []providers.OptionError { return nil }

// Caps are the registry limits (spec §5): 2 to 13 nameservers, 1 to 13
// addresses per DNS host, delegation to Alibaba Cloud DNS.
func (Type) Caps(providers.Config) providers.Caps {
	return providers.Caps{Registrar: &providers.RegistrarCaps{MinNameservers: 2, MaxNameservers: 13, MaxHostIPs: 13, RegistrarDNS: true}}
}

// Planner returns the packer of an account configured by c.
func (Type) Planner(c providers.Config) providers.Planner { return NewPlanner(c.Name, c.BatchSize) }

// Instance is a configured Alibaba account.
type Instance struct {
	*Provider
	cfg     providers.Config
	planner *Planner
}

// New builds the client and adapter of an account configured by c.
func (Type) New(c providers.Config, env providers.Env) (providers.Instance, error) {
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
	o := Options{Endpoint: c.Endpoint, AccessKeyID: cr.AccessKeyID,
		AccessKeySecret: cr.AccessKeySecret.Reveal(), SecurityToken: cr.SecurityToken.Reveal(),
		RateLimit: c.RateLimit, Burst: c.Burst, Timeout: c.Timeout, BatchSize: c.BatchSize}
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
	return &Instance{Provider: NewProvider(c.Name, cl), cfg: c, planner: NewPlanner(c.Name, c.BatchSize)}, nil
}

// Config returns the account's configuration.
func (i *Instance) Config() providers.Config { return i.cfg }

// Caps returns the account's capabilities.
func (i *Instance) Caps() providers.Caps { return Type{}.Caps(i.cfg) }

// Planner returns the account's packer.
func (i *Instance) Planner() providers.Planner { return i.planner }
