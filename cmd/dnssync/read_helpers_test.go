package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readCase is a config repository for the tests of how dnssync reads its
// files (read_*_test.go): dnssync.yaml with one DNSPod provider and a
// zones directory holding one good zone.
func readCase(t *testing.T, config string) string {
	t.Helper()
	dir := t.TempDir()
	if config == "" {
		config = "providers:\n  dnspod: {type: dnspod}\nzones: zones\n"
	}
	writeTestFile(t, filepath.Join(dir, "dnssync.yaml"), config)
	writeTestFile(t, filepath.Join(dir, "zones", "good.yaml"),
		"domain: good.example\ndns:\n  provider: dnspod\n  records:\n    - {name: www, type: A, value: 192.0.2.1}\n")
	return dir
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runResult is how a run of the real binary ended.
type runResult struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

// runBinary runs the built dnssync in dir. A run that hangs (what these
// tests guard against) is killed after 20 s and fails the test.
func runBinary(t *testing.T, dir string, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, dnssyncBinary(t), args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := runResult{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("dnssync %v did not finish in 20s (killed)\nstdout:\n%s\nstderr:\n%s", args, r.stdout, r.stderr)
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return r
}

// quickError asserts that the run failed with exit 1 within 2 s (the
// refusals come before any parsing) and that the output holds want.
func quickError(t *testing.T, r runResult, output, want string) {
	t.Helper()
	if r.code != 1 {
		t.Errorf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if r.took > 2*time.Second {
		t.Errorf("took %v, want well under 2s", r.took)
	}
	if !strings.Contains(output, want) {
		t.Errorf("output does not contain %q:\n%s", want, output)
	}
}
