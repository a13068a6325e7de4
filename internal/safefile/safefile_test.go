package safefile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFileRegular(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "z.yaml")
	want := strings.Repeat("domain: example.com\n", 100_000) // several chunks
	if err := os.WriteFile(p, []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(context.Background(), p, Options{})
	if err != nil || string(got) != want {
		t.Fatalf("ReadFile: %d bytes, %v", len(got), err)
	}
	// Through a symlink, and an empty file.
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(p, link); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadFile(context.Background(), link, Options{}); err != nil || len(got) != len(want) {
		t.Fatalf("via symlink: %d bytes, %v", len(got), err)
	}
	empty := filepath.Join(dir, "empty.yaml")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadFile(context.Background(), empty, Options{}); err != nil || len(got) != 0 {
		t.Fatalf("empty: %q, %v", got, err)
	}
}

func TestReadFileLimit(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "z.yaml")
	if err := os.WriteFile(p, make([]byte, 4096), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(context.Background(), p, Options{MaxSize: 4096}); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	_, err := ReadFile(context.Background(), p, Options{MaxSize: 4095, LimitName: "limits.max_file_size"})
	var tl *TooLargeError
	if !errors.As(err, &tl) || !errors.Is(err, ErrTooLarge) || tl.Size != 4096 || tl.Limit != 4095 {
		t.Fatalf("over the limit: %#v", err)
	}
	want := p + ": file is 4KiB, larger than limits.max_file_size (4095B); it was not read"
	if err.Error() != want {
		t.Errorf("message\n got %s\nwant %s", err, want)
	}
	big := &TooLargeError{Path: "z.yaml", Size: 70<<20 + 300<<10, Limit: DefaultMaxSize}
	if got := big.Error(); got != "z.yaml: file is 70.3MiB, larger than the size limit (64MiB); it was not read" {
		t.Errorf("message %q", got)
	}
}

func TestReadCancelled(t *testing.T) {
	p := filepath.Join(t.TempDir(), "z.yaml")
	if err := os.WriteFile(p, []byte("a: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadFile(ctx, p, Options{}); !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), p) {
		t.Fatalf("err = %v, want the path and context.Canceled", err)
	}
}

// TestReadFromOffset: Read reads the whole file whatever the file's own
// offset, and leaves it open (the journal appends after reading).
func TestReadFromOffset(t *testing.T) {
	p := filepath.Join(t.TempDir(), "j.jsonl")
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_APPEND|openFlags, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("one\n"); err != nil {
		t.Fatal(err)
	}
	got, err := Read(context.Background(), f, p, Options{})
	if err != nil || string(got) != "one\n" {
		t.Fatalf("Read: %q, %v", got, err)
	}
	if _, err := f.WriteString("two\n"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "one\ntwo\n" {
		t.Fatalf("after append: %q", b)
	}
}
