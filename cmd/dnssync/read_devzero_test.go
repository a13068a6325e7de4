//go:build unix

package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReadSymlinkToDevZero: a zone file that is a symlink to /dev/zero
// used to be read until memory ran out, deaf to SIGTERM. It is refused at
// once, naming the file and where the symlink leads.
func TestReadSymlinkToDevZero(t *testing.T) {
	dir := readCase(t, "")
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zones", "z.yaml")); err != nil {
		t.Fatal(err)
	}
	want := "zones/z.yaml:1: error[read-file]: zone file is a character device (via symlink to /dev/zero), not a regular file"
	r := runBinary(t, dir, "validate")
	quickError(t, r, r.stdout, want)
	r = runBinary(t, dir, "plan")
	quickError(t, r, r.stderr, want)
}
