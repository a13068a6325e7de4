// Package credentials loads provider secrets from the environment or from a
// credentials file, for the provider clients built from dnssync.yaml. It is
// the only place secrets are read; the types it returns redact themselves
// when printed, formatted or logged, so a secret cannot leak into output,
// plans or journals by accident.
//
// A credentials file is YAML keyed by provider name; each entry holds the
// keys its provider type documents:
//
//	myregistrar:
//	  access_key_id: LTAI...
//	  access_key_secret: ...
//
// Each provider package reads its own keys and environment variables
// through Source and ReadEntry.
package credentials

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/dnssync/dnssync/internal/safefile"
	"gopkg.in/yaml.v3"
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

// Source says where to read credentials: a file (when File is set) or the
// environment.
type Source struct {
	File string              // credentials file path; "" = environment
	Env  func(string) string // nil = os.Getenv
}

func (s Source) getenv(k string) string {
	if s.Env != nil {
		return s.Env(k)
	}
	return os.Getenv(k)
}

// Getenv reads the environment variable k from the source.
func (s Source) Getenv(k string) string { return s.getenv(k) }

// maxFileSize bounds a credentials file: a few keys per provider.
const maxFileSize = 1 << 20

// ReadEntry returns the credentials file's entry for provider: its keys
// and values, each value a Secret. Errors never echo the file's content.
func ReadEntry(path, provider string) (map[string]Secret, error) {
	// Only a regular file, of a sane size: a FIFO or a device here would
	// hang or flood every command that builds providers.
	b, err := safefile.ReadFile(context.Background(), path, safefile.Options{MaxSize: maxFileSize})
	if err != nil {
		return nil, fmt.Errorf("credentials for provider %q: %w", provider, err)
	}
	var all map[string]map[string]string
	if err := yaml.Unmarshal(b, &all); err != nil {
		// yaml errors may quote file content; do not echo it.
		return nil, fmt.Errorf("credentials file %s: not a YAML map of provider entries", path)
	}
	e, ok := all[provider]
	if !ok {
		return nil, fmt.Errorf("credentials file %s has no entry %q: %w", path, provider, ErrMissing)
	}
	out := make(map[string]Secret, len(e))
	for k, v := range e {
		out[k] = Secret(v)
	}
	return out, nil
}
