//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/zonegen"
)

// TestSignalStopsValidate: SIGINT or SIGTERM during the validation of a
// large zone (300,000 records, about 25 MB: seconds of parsing) ends the
// command within a second, exit 1, saying it was interrupted rather than
// listing the file as a problem. The zone is read both ways: streamed,
// and as one document (an anchor on records: turns the stream off).
func TestSignalStopsValidate(t *testing.T) {
	var zone bytes.Buffer
	if err := zonegen.WriteZone(&zone, zonegen.Options{Records: 300_000}); err != nil {
		t.Fatal(err)
	}
	layouts := map[string][]byte{
		"streamed": zone.Bytes(),
		"whole":    bytes.Replace(zone.Bytes(), []byte("  records:\n"), []byte("  records: &all\n"), 1),
	}
	for layout, data := range layouts {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			t.Run(layout+"/"+sig.String(), func(t *testing.T) {
				dir := readCase(t, "")
				if err := os.WriteFile(filepath.Join(dir, "zones", "big.yaml"), data, 0o644); err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command(dnssyncBinary(t), "validate")
				cmd.Dir = dir
				var out, errb bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &errb
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				select {
				case err := <-done:
					t.Fatalf("validate ended (%v) before the signal: the zone is too small to test with\n%s", err, out.String())
				case <-time.After(500 * time.Millisecond):
				}
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				sent := time.Now()
				var err error
				select {
				case err = <-done:
				case <-time.After(10 * time.Second):
					_ = cmd.Process.Kill()
					<-done
					t.Fatalf("still running 10s after %v", sig)
				}
				if took := time.Since(sent); took > time.Second {
					t.Errorf("exited %v after %v, want within 1s", took, sig)
				}
				if code := cmd.ProcessState.ExitCode(); code != 1 {
					t.Errorf("exit %d (%v), want 1", code, err)
				}
				if !strings.Contains(errb.String(), "dnssync: interrupted: ") || strings.Contains(out.String(), "big.yaml") {
					t.Errorf("want only an interruption message\nstdout:\n%s\nstderr:\n%s", out.String(), errb.String())
				}
			})
		}
	}
}
