package sandbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/credentials"
	"github.com/dnssync/dnssync/internal/providers/aliyun"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
)

const exampleSeed = "../../examples/sandbox/seed.yaml"

// start runs a sandbox in dir and closes it when the test ends.
func start(t *testing.T, opts Options) *Sandbox {
	t.Helper()
	if opts.StateDir == "" {
		opts.StateDir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sb, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := sb.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return sb
}

// clients builds the real provider clients the way dnssync does: the
// credentials file written by the sandbox and its CA file.
func clients(t *testing.T, sb *Sandbox) (*aliyun.Client, *dnspod.Client) {
	t.Helper()
	src := credentials.Source{File: sb.CredentialsFile()}
	ac, err := aliyun.LoadCredentials("aliyun", src)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := dnspod.LoadToken("dnspod", src)
	if err != nil {
		t.Fatal(err)
	}
	ao := aliyun.Options{Endpoint: sb.AliyunURL(), AccessKeyID: ac.AccessKeyID, AccessKeySecret: ac.AccessKeySecret.Reveal(),
		CAFile: sb.CAFile(), MaxRetries: -1, RateLimit: -1}
	a, err := aliyun.New(ao)
	if err != nil {
		t.Fatal(err)
	}
	var pool *x509.CertPool
	if sb.CAFile() != "" {
		pem, err := os.ReadFile(sb.CAFile())
		if err != nil {
			t.Fatal(err)
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			t.Fatal("CA file holds no certificate")
		}
	}
	d, err := dnspod.New(dnspod.Options{Endpoint: sb.DNSPodURL(), Token: dc.Reveal(), RootCAs: pool, MaxRetries: -1, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	return a, d
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func tlsConfig(sb *Sandbox) *tls.Config { return &tls.Config{RootCAs: sb.CAPool()} }
