//go:build unix

package watch

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestNotRegularFilesAreReported: a FIFO or a directory named like a zone
// file is reported like a file (its hash says why it cannot be read), so
// that the loader reports what it is; a FIFO does not block the watcher.
func TestNotRegularFilesAreReported(t *testing.T) {
	z := filepath.Join(t.TempDir(), "zones")
	write(t, filepath.Join(z, "a.yaml"), "a1")
	w := start(t, Options{ZoneDirs: []string{z}})
	must(t, syscall.Mkfifo(filepath.Join(z, "fifo.yaml"), 0o644))
	must(t, os.Mkdir(filepath.Join(z, "dir.yaml"), 0o755))
	write(t, filepath.Join(z, "dir.yaml", "inner.yaml"), "not searched")
	expect(t, w, ChangeSet{Changed: []string{filepath.Join(z, "dir.yaml"), filepath.Join(z, "fifo.yaml")}})
}
