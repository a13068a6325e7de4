package rfc2136

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/dnssync/dnssync/internal/credentials"
)

// Defaults for Config fields left zero.
const (
	DefaultPort        = 53
	DefaultDialTimeout = 5 * time.Second
	// DefaultReadTimeout bounds the wait for each response message. A
	// primary that journals to slow storage can take a while to answer a
	// large UPDATE, and giving up early turns a success into an unknown
	// outcome, so this is generous.
	DefaultReadTimeout = 30 * time.Second
	// DefaultMaxMessageSizeTCP is the largest DNS message TCP can frame.
	DefaultMaxMessageSizeTCP = dns.MaxMsgSize
	// DefaultMaxMessageSizeUDP is the classic DNS limit: an UPDATE is sent
	// without EDNS, so nothing larger is guaranteed to get through.
	DefaultMaxMessageSizeUDP = dns.MinMsgSize
)

// Transports for UPDATE messages. Zone transfers always use TCP.
const (
	TransportTCP = "tcp"
	TransportUDP = "udp"
)

// TSIG algorithms accepted. Older HMACs (MD5, SHA-1) are refused on purpose.
const (
	AlgHMACSHA256 = "hmac-sha256"
	AlgHMACSHA512 = "hmac-sha512"
)

// TSIGKey is a shared TSIG key (RFC 8945).
type TSIGKey struct {
	Name      string             // key name as configured on the server, e.g. "dnssync-key"
	Algorithm string             // AlgHMACSHA256 or AlgHMACSHA512
	Secret    credentials.Secret // base64, as printed by tsig-keygen / keymgr / pdnsutil
}

// Config says which server to talk to and how. Zero fields take the
// defaults above, except Server and Key, which are required.
type Config struct {
	Server string // host name or IP address of the primary
	Port   int    // DefaultPort when 0
	// Transport for UPDATE messages: TransportTCP (default) or TransportUDP.
	Transport string
	Key       TSIGKey
	// DialTimeout bounds connecting; ReadTimeout bounds the wait for each
	// response message (an UPDATE answer or one AXFR message).
	DialTimeout time.Duration
	ReadTimeout time.Duration
	// MaxMessageSize is the largest UPDATE message BuildUpdates may produce,
	// TSIG included. Default: 65535 over TCP, 512 over UDP.
	MaxMessageSize int
	Logger         *slog.Logger // nil: slog.Default()
}

// Address is host:port of the server.
func (c Config) Address() string {
	port := c.Port
	if port == 0 {
		port = DefaultPort
	}
	return net.JoinHostPort(c.Server, strconv.Itoa(port))
}

// String describes the configuration without the secret.
func (c Config) String() string {
	return fmt.Sprintf("rfc2136 server %s (%s), key %s (%s)", c.Address(), c.transport(), c.Key.Name, c.Key.Algorithm)
}

// GoString is String, so that %#v cannot print the secret either.
func (c Config) GoString() string { return c.String() }

// LogValue is the configuration for structured logs, without the secret.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("server", c.Address()), slog.String("transport", c.transport()),
		slog.String("key", c.Key.Name), slog.String("algorithm", c.Key.Algorithm))
}

func (c Config) transport() string {
	if c.Transport == "" {
		return TransportTCP
	}
	return c.Transport
}

// withDefaults validates c and fills in the defaults.
func (c Config) withDefaults() (Config, error) {
	c, err := c.settings()
	if err != nil {
		return c, err
	}
	if err := checkSecret(c.Key.Secret); err != nil {
		return c, fmt.Errorf("rfc2136: TSIG key %s: %w", c.Key.Name, err)
	}
	return c, nil
}

// UpdateLimit is the size BuildUpdates may give an UPDATE message sent with
// c: the maximum message size less the TSIG record Apply adds. It checks
// everything but the secret, so that a planner, which has none, packs
// messages exactly as the client will.
func (c Config) UpdateLimit() (int, error) {
	c, err := c.settings()
	if err != nil {
		return 0, err
	}
	return c.MaxMessageSize - tsigSize(c.Key), nil
}

// settings is withDefaults without the secret.
func (c Config) settings() (Config, error) {
	if c.Server == "" {
		return c, errors.New("rfc2136: server is required")
	}
	if c.Port == 0 {
		c.Port = DefaultPort
	}
	if c.Port < 0 || c.Port > 65535 {
		return c, fmt.Errorf("rfc2136: port %d is out of range", c.Port)
	}
	c.Transport = c.transport()
	if c.Transport != TransportTCP && c.Transport != TransportUDP {
		return c, fmt.Errorf("rfc2136: transport %q: must be %q or %q", c.Transport, TransportTCP, TransportUDP)
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	limit := DefaultMaxMessageSizeTCP
	if c.Transport == TransportUDP {
		limit = DefaultMaxMessageSizeUDP
	}
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = limit
	}
	if c.MaxMessageSize < 0 || c.MaxMessageSize > DefaultMaxMessageSizeTCP {
		return c, fmt.Errorf("rfc2136: max message size %d is out of range (at most %d)", c.MaxMessageSize, DefaultMaxMessageSizeTCP)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	k, err := c.Key.normalize()
	if err != nil {
		return c, err
	}
	c.Key = k
	if c.MaxMessageSize < headerSize+rootQuestionSize+tsigSize(k) {
		return c, fmt.Errorf("rfc2136: max message size %d cannot hold an UPDATE signed with key %s", c.MaxMessageSize, k.Name)
	}
	return c, nil
}

// Fixed sizes of message parts: the header, and the zone section of an
// UPDATE for the root zone (the smallest possible).
const (
	headerSize       = 12
	rootQuestionSize = 5
)

// normalize checks the key's name and algorithm and returns it with a
// canonical name (lower-case, absolute) and algorithm (the wire name). The
// secret is withDefaults' to check.
func (k TSIGKey) normalize() (TSIGKey, error) {
	if k.Name == "" {
		return k, errors.New("rfc2136: TSIG key name is required")
	}
	if _, ok := dns.IsDomainName(k.Name); !ok {
		return k, fmt.Errorf("rfc2136: TSIG key name %q is not a domain name", k.Name)
	}
	k.Name = dns.CanonicalName(k.Name)
	switch strings.ToLower(strings.TrimSuffix(k.Algorithm, ".")) {
	case AlgHMACSHA256:
		k.Algorithm = dns.HmacSHA256
	case AlgHMACSHA512:
		k.Algorithm = dns.HmacSHA512
	default:
		return k, fmt.Errorf("rfc2136: TSIG key %s: algorithm %q: must be %s or %s", k.Name, k.Algorithm, AlgHMACSHA256, AlgHMACSHA512)
	}
	return k, nil
}

// minSecretBytes refuses keys too short to be an HMAC key anyone meant.
const minSecretBytes = 16

func checkSecret(s credentials.Secret) error {
	if s.Reveal() == "" {
		return errors.New("secret is empty")
	}
	raw, err := base64.StdEncoding.DecodeString(s.Reveal())
	if err != nil {
		// The decoder's message names the offending byte's offset only, but
		// say it in our own words so the secret cannot leak through it.
		return errors.New("secret is not valid base64")
	}
	if len(raw) < minSecretBytes {
		return fmt.Errorf("secret is %d bytes; at least %d expected", len(raw), minSecretBytes)
	}
	return nil
}

// keyFileSecretRE finds `secret "…";` in a BIND/Knot key file (tsig-keygen,
// keymgr -t print this form).
var keyFileSecretRE = regexp.MustCompile(`(?m)^\s*secret\s+"?([A-Za-z0-9+/=]+)"?\s*;`)

// LoadTSIGSecret reads a TSIG secret from the environment variable envName
// or from file; exactly one must be given. The file holds either the base64
// secret alone or a BIND-style key clause as written by tsig-keygen
// (key "name" { algorithm …; secret "…"; };). Errors name the variable or
// file but never its content.
func LoadTSIGSecret(envName, file string) (credentials.Secret, error) {
	return loadTSIGSecret(os.Getenv, envName, file)
}

// loadTSIGSecret is LoadTSIGSecret reading the environment through getenv
// (nil: os.Getenv), so that a provider instance honours the environment
// it was given.
func loadTSIGSecret(getenv func(string) string, envName, file string) (credentials.Secret, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var s string
	var where string
	switch {
	case envName != "" && file != "":
		return "", errors.New("rfc2136: TSIG secret: give an environment variable or a file, not both")
	case envName != "":
		where = "environment variable " + envName
		v := getenv(envName)
		if strings.TrimSpace(v) == "" {
			return "", fmt.Errorf("rfc2136: TSIG secret: %s is not set: %w", where, credentials.ErrMissing)
		}
		s = strings.TrimSpace(v)
	case file != "":
		where = "file " + file
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("rfc2136: TSIG secret: %w", err)
		}
		text := string(b)
		if m := keyFileSecretRE.FindStringSubmatch(text); m != nil {
			s = m[1]
		} else {
			s = strings.TrimSpace(text)
		}
		if s == "" {
			return "", fmt.Errorf("rfc2136: TSIG secret: %s is empty: %w", where, credentials.ErrMissing)
		}
	default:
		return "", fmt.Errorf("rfc2136: TSIG secret: no environment variable or file given: %w", credentials.ErrMissing)
	}
	secret := credentials.Secret(s)
	if err := checkSecret(secret); err != nil {
		return "", fmt.Errorf("rfc2136: TSIG secret in %s: %w", where, err)
	}
	return secret, nil
}
