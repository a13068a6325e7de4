package sandbox

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/spec"
)

// Provider types the sandbox emulates.
const (
	TypeAliyun = "aliyun"
	TypeDNSPod = "dnspod"
)

// Provider is a provider name from dnssync.yaml and its type; the sandbox
// writes test credentials for each one. All providers of one type share
// that type's emulator.
type Provider struct {
	Name string
	Type string // TypeAliyun or TypeDNSPod
}

// DefaultProviders are used when no configuration names any.
func DefaultProviders() []Provider {
	return []Provider{{Name: "aliyun", Type: TypeAliyun}, {Name: "dnspod", Type: TypeDNSPod}}
}

// Credential is the sandbox test credential of one provider. These are not
// secrets: they are derived from the provider name, are accepted only by
// the sandbox's emulators, and are printed on purpose so that people can
// use them with other clients.
type Credential struct {
	Provider        string `yaml:"-"`
	Type            string `yaml:"-"`
	AccessKeyID     string `yaml:"access_key_id,omitempty"`
	AccessKeySecret string `yaml:"access_key_secret,omitempty"`
	Token           string `yaml:"token,omitempty"` // DNSPod "ID,Token"
}

// testCredentials derives stable credentials for each provider, so the
// file and the printed values stay the same across restarts and machines.
func testCredentials(ps []Provider) []Credential {
	out := make([]Credential, 0, len(ps))
	usedIDs := map[uint32]bool{}
	for _, p := range ps {
		h := func(purpose string) [32]byte {
			return sha256.Sum256([]byte("dnssync-sandbox\x00" + purpose + "\x00" + p.Name))
		}
		c := Credential{Provider: p.Name, Type: p.Type}
		switch p.Type {
		case TypeAliyun:
			id, sec := h("aliyun-key-id"), h("aliyun-key-secret")
			c.AccessKeyID = "LTAISandbox" + hex.EncodeToString(id[:6])
			c.AccessKeySecret = "sandbox" + hex.EncodeToString(sec[:12])
		case TypeDNSPod:
			idh, tok := h("dnspod-token-id"), h("dnspod-token")
			id := 100000 + binary.BigEndian.Uint32(idh[:4])%900000
			for usedIDs[id] {
				id++
			}
			usedIDs[id] = true
			c.Token = strconv.FormatUint(uint64(id), 10) + "," + hex.EncodeToString(tok[:16])
		default:
			continue
		}
		out = append(out, c)
	}
	return out
}

// credentialsFile renders the credentials file (internal/credentials
// format: YAML keyed by provider name).
func credentialsFile(cs []Credential) ([]byte, error) {
	m := map[string]Credential{}
	for _, c := range cs {
		m[c.Provider] = c
	}
	body, err := yaml.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("sandbox: credentials file: %w", err)
	}
	head := "# dnssync sandbox test credentials. They are accepted only by the local\n" +
		"# sandbox emulators (`dnssync sandbox`) and are not secrets. Rewritten at start.\n"
	return []byte(head + string(body)), nil
}

// describeCredential is the printed form of one credential.
func describeCredential(c Credential) string {
	var parts []string
	if c.AccessKeyID != "" {
		parts = append(parts, "access_key_id="+c.AccessKeyID, "access_key_secret="+c.AccessKeySecret)
	}
	if c.Token != "" {
		parts = append(parts, "token="+c.Token)
	}
	return strings.Join(parts, " ")
}

// ProvidersFromConfig lists the providers of dnssync.yaml that the sandbox
// emulates (types aliyun and dnspod), sorted by name; DefaultProviders when
// there are none.
func ProvidersFromConfig(cfg *spec.Config) []Provider {
	var out []Provider
	for _, name := range cfg.ProviderNames() {
		p, _ := cfg.Provider(name)
		switch p.Type {
		case string(TypeAliyun):
			out = append(out, Provider{Name: name, Type: TypeAliyun})
		case string(TypeDNSPod):
			out = append(out, Provider{Name: name, Type: TypeDNSPod})
		}
	}
	if len(out) == 0 {
		return DefaultProviders()
	}
	return out
}

// DefaultSeedFile is the seed used when none is named: sandbox/seed.yaml
// beside the configuration file (configDir may be ""), else
// examples/sandbox/seed.yaml in the working directory; "" when neither
// exists.
func DefaultSeedFile(configDir string) string {
	var candidates []string
	if configDir != "" {
		candidates = append(candidates, filepath.Join(configDir, "sandbox", "seed.yaml"))
	}
	candidates = append(candidates, filepath.Join("examples", "sandbox", "seed.yaml"))
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && fi.Mode().IsRegular() {
			return c
		}
	}
	return ""
}
