// Package credentials loads provider secrets from the environment or from a
// credentials file, for the provider clients built from dnssync.yaml. It is
// the only place secrets are read; the types it returns redact themselves
// when printed, formatted or logged, so a secret cannot leak into output,
// plans or journals by accident.
//
// A credentials file is YAML keyed by provider name:
//
//	aliyun:
//	  access_key_id: LTAI...
//	  access_key_secret: ...
//	  security_token: ...   # optional (STS)
//	dnspod:
//	  token: "12345,0123456789abcdef..."
package credentials

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/dnssync/dnssync/internal/safefile"
	"gopkg.in/yaml.v3"
)

// Environment variable names (DESIGN.md, "Interfaces people expect").
const (
	EnvAliyunKeyID  = "ALIBABA_CLOUD_ACCESS_KEY_ID"
	EnvAliyunSecret = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
	EnvAliyunToken  = "ALIBABA_CLOUD_SECURITY_TOKEN"
	EnvDNSPodToken  = "DNSPOD_TOKEN"
)

// ErrMissing reports credentials that are not configured.
var ErrMissing = errors.New("credentials missing")

// Secret is a string that never prints itself.
type Secret string

// String redacts.
func (Secret) String() string { return "[redacted]" }

// GoString redacts.
func (Secret) GoString() string { return "[redacted]" }

// LogValue redacts in log/slog output.
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// MarshalJSON redacts, so a Secret in a struct cannot be journaled.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

// Reveal returns the secret for the one place that needs it: signing.
func (s Secret) Reveal() string { return string(s) }

// Aliyun holds Alibaba Cloud AccessKey credentials.
type Aliyun struct {
	AccessKeyID     string // not secret: appears in signed requests
	AccessKeySecret Secret
	SecurityToken   Secret // STS token, optional
}

// DNSPod holds a DNSPod API token "ID,Token".
type DNSPod struct {
	Token Secret
}

// Source says where to read credentials: a file (when File is set) or the
// environment.
type Source struct {
	File   string              // credentials file path; "" = environment
	Getenv func(string) string // nil = os.Getenv
}

func (s Source) getenv(k string) string {
	if s.Getenv != nil {
		return s.Getenv(k)
	}
	return os.Getenv(k)
}

type fileEntry struct {
	AccessKeyID     string `yaml:"access_key_id"`
	AccessKeySecret string `yaml:"access_key_secret"`
	SecurityToken   string `yaml:"security_token"`
	Token           string `yaml:"token"`
}

// maxFileSize bounds a credentials file: a few keys per provider.
const maxFileSize = 1 << 20

func readFile(path, provider string) (fileEntry, error) {
	// Only a regular file, of a sane size: a FIFO or a device here would
	// hang or flood every command that builds providers.
	b, err := safefile.ReadFile(context.Background(), path, safefile.Options{MaxSize: maxFileSize})
	if err != nil {
		return fileEntry{}, fmt.Errorf("credentials for provider %q: %w", provider, err)
	}
	var all map[string]fileEntry
	if err := yaml.Unmarshal(b, &all); err != nil {
		// yaml errors may quote file content; do not echo it.
		return fileEntry{}, fmt.Errorf("credentials file %s: not a YAML map of provider entries", path)
	}
	e, ok := all[provider]
	if !ok {
		return fileEntry{}, fmt.Errorf("credentials file %s has no entry %q: %w", path, provider, ErrMissing)
	}
	return e, nil
}

// LoadAliyun reads Alibaba credentials for the provider named provider.
func LoadAliyun(provider string, src Source) (Aliyun, error) {
	var c Aliyun
	if src.File != "" {
		e, err := readFile(src.File, provider)
		if err != nil {
			return c, err
		}
		c = Aliyun{AccessKeyID: e.AccessKeyID, AccessKeySecret: Secret(e.AccessKeySecret), SecurityToken: Secret(e.SecurityToken)}
	} else {
		c = Aliyun{
			AccessKeyID:     src.getenv(EnvAliyunKeyID),
			AccessKeySecret: Secret(src.getenv(EnvAliyunSecret)),
			SecurityToken:   Secret(src.getenv(EnvAliyunToken)),
		}
	}
	if c.AccessKeyID == "" || c.AccessKeySecret == "" {
		where := "environment variables " + EnvAliyunKeyID + " and " + EnvAliyunSecret
		if src.File != "" {
			where = "access_key_id and access_key_secret in " + src.File
		}
		return c, fmt.Errorf("provider %q: set %s: %w", provider, where, ErrMissing)
	}
	return c, nil
}

// LoadDNSPod reads the DNSPod token for the provider named provider.
func LoadDNSPod(provider string, src Source) (DNSPod, error) {
	var tok string
	where := "environment variable " + EnvDNSPodToken
	if src.File != "" {
		e, err := readFile(src.File, provider)
		if err != nil {
			return DNSPod{}, err
		}
		tok = e.Token
		where = "token in " + src.File
	} else {
		tok = src.getenv(EnvDNSPodToken)
	}
	if tok == "" {
		return DNSPod{}, fmt.Errorf("provider %q: set %s: %w", provider, where, ErrMissing)
	}
	id, rest, ok := strings.Cut(tok, ",")
	if !ok || id == "" || rest == "" {
		return DNSPod{}, fmt.Errorf("provider %q: %s must have the form ID,Token", provider, where)
	}
	return DNSPod{Token: Secret(tok)}, nil
}
