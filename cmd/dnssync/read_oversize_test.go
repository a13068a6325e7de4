package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadOversizedFile: a zone file over limits.max_file_size is refused
// before it is parsed, with the limit named; so is one over the default
// limit (a sparse file of 65 MiB: nothing is written or read).
func TestReadOversizedFile(t *testing.T) {
	dir := readCase(t, "providers:\n  dnspod: {type: dnspod}\nzones: zones\nlimits: {max_file_size: 1KiB}\n")
	writeTestFile(t, filepath.Join(dir, "zones", "big.yaml"),
		"domain: big.example\ndns:\n  provider: dnspod\n  records:\n"+strings.Repeat("    - {name: www, type: A, value: 192.0.2.1}\n", 30))
	r := runBinary(t, dir, "validate")
	quickError(t, r, r.stdout, "zones/big.yaml:1: error[read-file]: zone file is 1405 bytes, over limits.max_file_size (1KiB): it was not read")

	dir = readCase(t, "")
	f, err := os.Create(filepath.Join(dir, "zones", "huge.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(65 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r = runBinary(t, dir, "validate")
	quickError(t, r, r.stdout, "zones/huge.yaml:1: error[read-file]: zone file is 68157440 bytes, over limits.max_file_size (64MiB)")
}
