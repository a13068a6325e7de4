//go:build unix

package journal

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/safefile"
)

// TestOpenRefusesWhatIsNotAFile: a FIFO or a directory where the journal
// belongs is refused at once, and so is a journal over the size limit;
// status reads under the same rules.
func TestOpenRefusesWhatIsNotAFile(t *testing.T) {
	for name, create := range map[string]func(string) error{
		"fifo": func(p string) error { return syscall.Mkfifo(p, 0o600) },
		"dir":  func(p string) error { return os.Mkdir(p, 0o700) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := create(filepath.Join(dir, FileName)); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err := Open(dir)
			if !errors.Is(err, safefile.ErrNotRegular) || !strings.Contains(err.Error(), FileName) {
				t.Fatalf("Open: %v, want a not-a-regular-file error naming the journal", err)
			}
			if _, err := ReadStatus(dir); !errors.Is(err, safefile.ErrNotRegular) {
				t.Errorf("ReadStatus: %v", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v", d)
			}
		})
	}

	dir := t.TempDir()
	line := `{"v":1,"kind":"start","run":"r1","time":"2030-01-01T00:00:00Z"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(strings.Repeat(line, 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	limit := WithReadOptions(safefile.Options{MaxSize: 1024, LimitName: "limits.max_file_size"})
	if _, err := Open(dir, limit); !errors.Is(err, safefile.ErrTooLarge) || !strings.Contains(err.Error(), "limits.max_file_size") {
		t.Fatalf("Open over the limit: %v", err)
	}
	if _, err := ReadStatus(dir, limit); !errors.Is(err, safefile.ErrTooLarge) {
		t.Errorf("ReadStatus over the limit: %v", err)
	}
	j, err := Open(dir)
	if err != nil {
		t.Fatalf("Open under the default limit: %v", err)
	}
	j.Close()
}
