// Package testbin builds the dnssync command for tests that run it as a
// separate process, and kills such a process part way through an apply:
// the crash tests of the providers (kill -9, then apply again).
package testbin

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/journal"
)

// Build compiles cmd/dnssync into a temporary directory and returns the
// binary's path.
func Build(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "dnssync")
	build := exec.Command("go", "build", "-o", bin, "github.com/dnssync/dnssync/cmd/dnssync")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// KillAfterWrites starts cmd (an apply whose state directory is stateDir)
// and kills it with SIGKILL once its journal records at least writes
// writes the provider accepted or answered; it fails the test when the
// command ends first or nothing is accepted within limit. It returns what
// the command printed.
func KillAfterWrites(t testing.TB, cmd *exec.Cmd, stateDir string, writes int, limit time.Duration) string {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	journalPath := filepath.Join(stateDir, journal.FileName)
	deadline := time.Now().Add(limit)
	for {
		b, _ := os.ReadFile(journalPath)
		if bytes.Count(b, []byte(`"kind":"accepted"`))+bytes.Count(b, []byte(`"kind":"outcome"`)) >= writes {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("no %d writes accepted within %s:\n%s", writes, limit, out.String())
		}
		select {
		case err := <-done:
			t.Fatalf("apply ended before it was killed (%v):\n%s", err, out.String())
		case <-time.After(2 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	return out.String()
}
