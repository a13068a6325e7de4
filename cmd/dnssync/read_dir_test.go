package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadDirectoryNamedLikeZoneFile: a directory called z.yaml in the
// zones directory (binding a missing file into a container makes one) is
// reported as what it is, not searched for zone files.
func TestReadDirectoryNamedLikeZoneFile(t *testing.T) {
	dir := readCase(t, "")
	writeTestFile(t, filepath.Join(dir, "zones", "z.yaml", "inner.yaml"), "domain: inner.example\n")
	r := runBinary(t, dir, "validate")
	quickError(t, r, r.stdout, "zones/z.yaml:1: error[read-file]: zone file is a directory, not a regular file")
	if want := "inner.example"; strings.Contains(r.stdout, want) {
		t.Errorf("the directory was searched: output mentions %s\n%s", want, r.stdout)
	}
	// Named explicitly, it is a directory of zone files as always.
	r = runBinary(t, dir, "validate", filepath.Join("zones", "z.yaml"))
	if r.code != 0 {
		t.Errorf("validate zones/z.yaml: exit %d\n%s", r.code, r.stdout)
	}
	if err := os.Remove(filepath.Join(dir, "zones", "z.yaml", "inner.yaml")); err != nil {
		t.Fatal(err)
	}
}
