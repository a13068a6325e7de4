//go:build unix

package main

import (
	"path/filepath"
	"syscall"
	"testing"
)

// TestReadFIFO: a zone file, config file or saved plan that is a named
// pipe used to block validate and apply forever. Each is refused at once.
func TestReadFIFO(t *testing.T) {
	dir := readCase(t, "")
	if err := syscall.Mkfifo(filepath.Join(dir, "zones", "f.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := "zones/f.yaml:1: error[read-file]: zone file is a named pipe (FIFO), not a regular file"
	r := runBinary(t, dir, "validate")
	quickError(t, r, r.stdout, want)
	r = runBinary(t, dir, "apply", "--yes")
	quickError(t, r, r.stderr, want)

	// A saved plan that is a FIFO, with valid zones.
	dir = readCase(t, "")
	if err := syscall.Mkfifo(filepath.Join(dir, "plan.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runBinary(t, dir, "apply", "plan.json")
	quickError(t, r, r.stderr, "plan.json: is a named pipe (FIFO), not a regular file")

	// The configuration itself.
	dir = t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "dnssync.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runBinary(t, dir, "validate")
	quickError(t, r, r.stdout, "dnssync.yaml:1: error[read-file]: config is a named pipe (FIFO), not a regular file")
}
