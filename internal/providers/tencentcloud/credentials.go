package tencentcloud

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/credentials"
)

// Environment variables read by LoadCredentials (the names lego and the
// official SDKs use).
const (
	EnvSecretID     = "TENCENTCLOUD_SECRET_ID"
	EnvSecretKey    = "TENCENTCLOUD_SECRET_KEY"
	EnvSessionToken = "TENCENTCLOUD_SESSION_TOKEN"
)

// Credentials are a Tencent Cloud API key pair, optionally temporary (STS)
// with a session token. The key and the token redact themselves wherever
// they are printed or logged; the SecretId is an identifier that travels in
// every Authorization header and is not treated as secret.
type Credentials struct {
	SecretID     string
	SecretKey    credentials.Secret
	SessionToken credentials.Secret // sent as X-TC-Token when set
}

// credentialsEntry is one provider's entry of a credentials file.
type credentialsEntry struct {
	SecretID     string `yaml:"secret_id"`
	SecretKey    string `yaml:"secret_key"`
	SessionToken string `yaml:"session_token"`
}

// ParseCredentialsFile reads the entry called provider from a credentials
// file, YAML keyed by provider name like the project's shared file:
//
//	tencentcloud:
//	  secret_id: AKID...
//	  secret_key: ...
//	  session_token: ...   # optional, temporary credentials only
//
// Errors never quote the file's content.
func ParseCredentialsFile(data []byte, provider string) (Credentials, error) {
	var all map[string]credentialsEntry
	if err := yaml.Unmarshal(data, &all); err != nil {
		// yaml's errors may quote the offending line: a secret.
		return Credentials{}, errors.New("tencentcloud: credentials file is not a YAML map of provider entries with secret_id, secret_key, session_token")
	}
	e, ok := all[provider]
	if !ok {
		return Credentials{}, fmt.Errorf("tencentcloud: credentials file has no entry %q: %w", short(provider), credentials.ErrMissing)
	}
	c := Credentials{SecretID: e.SecretID, SecretKey: credentials.Secret(e.SecretKey), SessionToken: credentials.Secret(e.SessionToken)}
	if err := c.validate("secret_id and secret_key in the credentials file"); err != nil {
		return Credentials{}, err
	}
	return c, nil
}

// LoadCredentials reads the credentials of the provider called provider:
// from src.File when set, otherwise from TENCENTCLOUD_SECRET_ID,
// TENCENTCLOUD_SECRET_KEY and TENCENTCLOUD_SESSION_TOKEN.
func LoadCredentials(provider string, src credentials.Source) (Credentials, error) {
	if src.File != "" {
		b, err := os.ReadFile(src.File)
		if err != nil {
			return Credentials{}, fmt.Errorf("tencentcloud: credentials for provider %q: %w", short(provider), err)
		}
		c, err := ParseCredentialsFile(b, provider)
		if err != nil {
			return Credentials{}, fmt.Errorf("%s: %w", src.File, err)
		}
		return c, nil
	}
	getenv := src.Getenv // os.Getenv unless the source says otherwise
	c := Credentials{
		SecretID:     getenv(EnvSecretID),
		SecretKey:    credentials.Secret(getenv(EnvSecretKey)),
		SessionToken: credentials.Secret(getenv(EnvSessionToken)),
	}
	if err := c.validate("environment variables " + EnvSecretID + " and " + EnvSecretKey); err != nil {
		return Credentials{}, fmt.Errorf("provider %q: %w", short(provider), err)
	}
	return c, nil
}

// validate refuses what the service would refuse with a less helpful
// answer: missing parts, and surrounding spaces, which it reports as an
// unknown SecretId (spec §2.2).
func (c Credentials) validate(where string) error {
	if c.SecretID == "" || c.SecretKey == "" {
		return fmt.Errorf("tencentcloud: set %s: %w", where, credentials.ErrMissing)
	}
	if strings.TrimSpace(c.SecretID) != c.SecretID || strings.ContainsAny(c.SecretID, "/, \t\r\n") {
		return errors.New("tencentcloud: the SecretId has spaces or separators in it")
	}
	if k := c.SecretKey.Reveal(); strings.TrimSpace(k) != k {
		return errors.New("tencentcloud: the SecretKey has surrounding spaces")
	}
	if t := c.SessionToken.Reveal(); strings.TrimSpace(t) != t || strings.ContainsAny(t, "\r\n") {
		return errors.New("tencentcloud: the session token has surrounding spaces or line breaks")
	}
	return nil
}

// short returns at most a short prefix of s, for messages that mention a
// value without echoing it whole.
func short(s string) string {
	const n = 24
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
