package rfc2136

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"

	"github.com/miekg/dns"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
)

// Provider-specific option keys of dnssync.yaml. The TSIG secret itself is
// never in the configuration: only where to read it from.
const (
	OptServer         = "server"           // host name or address of the primary
	OptPort           = "port"             // DefaultPort
	OptTSIGKey        = "tsig_key"         // key name as the server knows it
	OptTSIGAlgorithm  = "tsig_algorithm"   // AlgHMACSHA256 (default) or AlgHMACSHA512
	OptTSIGSecretEnv  = "tsig_secret_env"  // environment variable holding the secret
	OptTSIGSecretFile = "tsig_secret_file" // file holding the secret (bare or tsig-keygen's key clause)
	OptTransport      = "transport"        // for UPDATEs: TransportTCP (default) or TransportUDP
	OptDialTimeout    = "dial_timeout"     // DefaultDialTimeout
	OptMaxMessageSize = "max_message_size" // largest UPDATE, TSIG included
)

// Type is the rfc2136 provider type: zones on one's own primary server,
// read by zone transfer and written by DNS UPDATE, both TSIG-signed.
type Type struct{}

var _ providers.Type = Type{}

// Name is "rfc2136".
func (Type) Name() string { return "rfc2136" }

// Roles: records.
func (Type) Roles() providers.Role { return providers.RoleDNS }

// Defaults: no endpoint (server and port say where), a few zones at a time.
// The common timeout is the wait for each answer, DefaultReadTimeout.
func (Type) Defaults(c *providers.Config) {
	c.Endpoint, c.Concurrency, c.Timeout = "", 4, DefaultReadTimeout
}

// Options declares the server, key and transport settings.
func (Type) Options() []providers.OptionSpec {
	return []providers.OptionSpec{
		{Key: OptServer, Kind: providers.OptionString},
		{Key: OptPort, Kind: providers.OptionInt},
		{Key: OptTSIGKey, Kind: providers.OptionString},
		{Key: OptTSIGAlgorithm, Kind: providers.OptionString},
		{Key: OptTSIGSecretEnv, Kind: providers.OptionString},
		{Key: OptTSIGSecretFile, Kind: providers.OptionPath},
		{Key: OptTransport, Kind: providers.OptionString},
		{Key: OptDialTimeout, Kind: providers.OptionDuration},
		{Key: OptMaxMessageSize, Kind: providers.OptionInt},
	}
}

// clientConfig is the client configuration c describes, without the secret.
func clientConfig(c providers.Config) Config {
	return Config{
		Server:         c.Str(OptServer, ""),
		Port:           c.Int(OptPort, DefaultPort),
		Transport:      c.Str(OptTransport, TransportTCP),
		Key:            TSIGKey{Name: c.Str(OptTSIGKey, ""), Algorithm: c.Str(OptTSIGAlgorithm, AlgHMACSHA256)},
		DialTimeout:    c.Duration(OptDialTimeout, DefaultDialTimeout),
		ReadTimeout:    c.Timeout,
		MaxMessageSize: c.Int(OptMaxMessageSize, 0),
	}
}

// Check validates what the schema cannot: required settings, one source
// for the secret, a server name without a port, a message size that holds
// a signed UPDATE, and no settings of HTTP providers that would be
// silently ignored.
func (Type) Check(c providers.Config) []providers.OptionError {
	var out []providers.OptionError
	bad := func(key, format string, a ...any) {
		out = append(out, providers.OptionError{Key: key, Message: fmt.Sprintf(format, a...)})
	}
	server := c.Str(OptServer, "")
	switch {
	case server == "":
		bad(OptServer, "rfc2136 provider %q needs server: the host name or address of the primary server", c.Name)
	case net.ParseIP(server) == nil && !isHostName(server):
		bad(OptServer, "server %q is neither an IP address nor a host name (give the port in port)", server)
	}
	if c.Str(OptTSIGKey, "") == "" {
		bad(OptTSIGKey, "rfc2136 provider %q needs tsig_key: the name of the TSIG key the server accepts for updates and transfers", c.Name)
	}
	env, file := c.Str(OptTSIGSecretEnv, ""), c.Str(OptTSIGSecretFile, "")
	switch {
	case env == "" && file == "":
		bad(OptTSIGSecretEnv, "rfc2136 provider %q needs tsig_secret_env (an environment variable) or tsig_secret_file (a file) to read the TSIG secret from", c.Name)
	case env != "" && file != "":
		bad(OptTSIGSecretFile, "set either tsig_secret_env or tsig_secret_file, not both")
	}
	if c.Endpoint != "" {
		bad("endpoint", "rfc2136 providers have no endpoint; set server (and port)")
	}
	if c.CAFile != "" {
		bad("ca_file", "rfc2136 providers use TSIG, not TLS: ca_file does not apply")
	}
	if c.Credentials.File != "" {
		bad("credentials", "rfc2136 providers read the TSIG secret from tsig_secret_env or tsig_secret_file, not from credentials")
	}
	if len(out) > 0 {
		return out
	}
	// The rest is the client's own validation, minus the secret.
	if _, err := clientConfig(c).UpdateLimit(); err != nil {
		key := OptMaxMessageSize
		if _, ok := c.Options[key]; !ok {
			key = OptTSIGKey
		}
		bad(key, "%v", err)
	}
	return out
}

// isHostName reports whether s is a plausible host name (no port, no
// scheme).
func isHostName(s string) bool {
	_, ok := dns.IsDomainName(s)
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return ok
}

// Caps: what a standard primary stores and UPDATE can write. Servers have
// neither lines (views are per client address, not per record) nor paused
// records. TTLs: RFC 2181 §8 allows up to 2³¹−1; the configuration's floor
// is 1. NS below the apex are delegations; apex NS are managed only when
// the zone file declares them (see Planner).
func (Type) Caps(providers.Config) providers.Caps {
	return providers.Caps{Records: &providers.RecordCaps{
		Types: []string{model.TypeA, model.TypeAAAA, model.TypeCNAME, model.TypeMX, model.TypeTXT,
			model.TypeNS, model.TypeSRV, model.TypeCAA, model.TypePTR},
		Lines:  []string{model.DefaultLine},
		MinTTL: 1, MaxTTL: math.MaxInt32,
		MinMX: 0, MaxMX: math.MaxUint16,
	}}
}

// Planner returns the packer of a provider configured by c.
func (t Type) Planner(c providers.Config) providers.Planner {
	return NewPlanner(c.Name, t.Caps(c), clientConfig(c))
}

// New builds the client of a provider configured by c: it reads the TSIG
// secret from the environment variable or file the configuration names.
func (t Type) New(c providers.Config, env providers.Env) (providers.Instance, error) {
	if errs := t.Check(c); len(errs) > 0 {
		return nil, fmt.Errorf("%s: %s", errs[0].Key, errs[0].Message)
	}
	cc := clientConfig(c)
	secret, err := loadTSIGSecret(env.Getenv, c.Str(OptTSIGSecretEnv, ""), c.Str(OptTSIGSecretFile, ""))
	if err != nil {
		return nil, err
	}
	cc.Key.Secret = secret
	if env.Logger != nil {
		cc.Logger = env.Logger.With("provider", c.Name)
	}
	cl, err := New(cc)
	if err != nil {
		return nil, err
	}
	return &Instance{cfg: c, client: cl, planner: NewPlanner(c.Name, t.Caps(c), cc), count: env.Count}, nil
}

// Instance is a configured server and key.
type Instance struct {
	cfg     providers.Config
	client  *Client
	planner *Planner
	count   func(provider, operation, result string)
}

// counted records one DNS call for metrics: "ok", the answer's rcode
// name, or the error class when no answer came.
func (i *Instance) counted(op string, err error) {
	if i.count == nil {
		return
	}
	result := "ok"
	var e *Error
	switch {
	case err == nil:
	case errors.As(err, &e) && e.Rcode > 0:
		result = dns.RcodeToString[e.Rcode]
	case errors.Is(err, providers.ErrOutcomeUnknown):
		result = "unknown"
	default:
		result = "error"
	}
	i.count(i.cfg.Name, op, result)
}

var (
	_ providers.Instance   = (*Instance)(nil)
	_ providers.ZoneReader = (*Instance)(nil)
)

// Config returns the provider's configuration (which holds no secret).
func (i *Instance) Config() providers.Config { return i.cfg }

// Caps returns the provider's capabilities.
func (i *Instance) Caps() providers.Caps { return Type{}.Caps(i.cfg) }

// Planner returns the provider's packer.
func (i *Instance) Planner() providers.Planner { return i.planner }

// Client returns the underlying client.
func (i *Instance) Client() *Client { return i.client }

// String describes the instance without the secret.
func (i *Instance) String() string { return i.cfg.Name + ": " + i.client.String() }

// ReadZone transfers domain's zone. The apex NS rows come back as ordinary
// records: on one's own server they belong to the zone's owner, who may
// manage them in the zone file (the planner leaves them alone when the file
// declares none).
func (i *Instance) ReadZone(ctx context.Context, domain string) (*model.LiveDNS, error) {
	snap, err := i.client.Transfer(providers.WithOperation(ctx, "AXFR"), domain)
	i.counted("AXFR", err)
	if err != nil {
		return nil, err
	}
	ownApexNS(snap.Live.Records)
	return snap.Live, nil
}

// ownApexNS clears System on the apex NS rows of recs (SOA stays System).
func ownApexNS(recs []model.Record) {
	for j := range recs {
		if recs[j].Name == "@" && recs[j].Type == model.TypeNS {
			recs[j].System = false
		}
	}
}
