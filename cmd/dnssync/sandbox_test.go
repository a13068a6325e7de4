package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/credentials"
	"github.com/dnssync/dnssync/internal/providers/aliyun"
	"github.com/dnssync/dnssync/internal/sandbox"
)

// TestSandboxFlagsReachEmulators runs `dnssync sandbox` in-process and
// checks over the wire that the fault and delay flags took effect.
func TestSandboxFlagsReachEmulators(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sandbox", "--state-dir", filepath.Join(dir, "st"),
			"--aliyun-addr", "127.0.0.1:0", "--dnspod-addr", "127.0.0.1:0", "--tencentcloud-addr", "127.0.0.1:0", "--seed", "", "--ready-file", ready,
			"--fault-throttle", "dnspod=1", "--latency", "aliyun=200ms,dnspod=0s"}, &stdout, &stderr)
	}()
	var r sandbox.Ready
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(ready)
		if err == nil && json.Unmarshal(b, &r) == nil {
			break
		}
		select {
		case code := <-done:
			t.Fatalf("sandbox exited with %d: %s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("no ready file after 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	pem, err := os.ReadFile(r.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}

	// DNSPod answers everything with code -2 (throttled), before even
	// checking the token.
	resp, err := hc.PostForm(r.URLs["dnspod"]+"/Domain.List", url.Values{"login_token": {"1,x"}, "format": {"json"}})
	if err != nil {
		t.Fatal(err)
	}
	var ans struct {
		Status struct{ Code string }
	}
	json.NewDecoder(resp.Body).Decode(&ans)
	resp.Body.Close()
	if ans.Status.Code != "-2" {
		t.Errorf("dnspod with --fault-throttle dnspod=1: status code %q, want -2", ans.Status.Code)
	}
	// The Alibaba emulator delays every request, as the real client sees.
	creds, err := aliyun.LoadCredentials("aliyun", credentials.Source{File: r.CredentialsFile})
	if err != nil {
		t.Fatal(err)
	}
	ac, err := aliyun.New(aliyun.Options{Endpoint: r.URLs["aliyun"], CAFile: r.CAFile, AccessKeyID: creds.AccessKeyID,
		AccessKeySecret: creds.AccessKeySecret.Reveal(), MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if _, err := ac.QueryDomainList(ctx); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(t0); el < 200*time.Millisecond {
		t.Errorf("aliyun request took %v with --latency aliyun=200ms", el)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d after cancel: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sandbox did not stop")
	}
	// Read only now: the command writes stdout from its goroutine.
	if !strings.Contains(stdout.String(), r.URLs["dnspod"]) {
		t.Errorf("summary does not name %s:\n%s", r.URLs["dnspod"], stdout.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "st", sandbox.StateFileName)); err != nil {
		t.Errorf("state not saved: %v", err)
	}
}
