//go:build unix

package safefile

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadFileRefuses: whatever is not a regular file is refused at once,
// with the path first and what it is.
func TestReadFileRefuses(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.yaml")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "dir.yaml")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	// A short directory name keeps the socket path under the OS limit.
	sdir, err := os.MkdirTemp("", "sf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sdir) })
	sock := filepath.Join(sdir, "s.yaml")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })

	for _, tt := range []struct{ path, kind, via string }{
		{fifo, "is a named pipe (FIFO), not a regular file", ""},
		{zero, "is a character device", "(via symlink to /dev/zero)"},
		{sub, "is a directory, not a regular file", ""},
		{sock, "is a socket, not a regular file", ""},
	} {
		start := time.Now()
		_, err := ReadFile(context.Background(), tt.path, Options{})
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("%s: err = %v, want ErrNotRegular", tt.path, err)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, tt.path+": ") || !strings.Contains(msg, tt.kind) || !strings.Contains(msg, tt.via) {
			t.Errorf("message %q: want the path first, %q and %q", msg, tt.kind, tt.via)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: refused after %v", tt.path, d)
		}
	}
}
