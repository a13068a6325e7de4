// Package safefile reads the files dnssync is pointed at — dnssync.yaml,
// zone files, saved plans, the apply journal — without trusting what sits
// at the path. A path can name a FIFO (whose open and read block until a
// writer comes), a device such as /dev/zero (endless), a socket or a
// directory, directly or through symlinks; and a regular file can be far
// larger than any real configuration. So every read here:
//
//   - opens with O_NONBLOCK, so that opening a FIFO returns at once;
//   - checks the open file (fstat, symlinks already resolved) and refuses
//     anything but a regular file, naming what it found;
//   - refuses a file over the caller's size limit before reading it, and
//     stops reading should it grow past the limit meanwhile;
//   - reads in chunks and stops when its context is cancelled.
package safefile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// DefaultMaxSize is the size limit when a caller sets none: far above any
// hand-written configuration, and enough for a zone of about 750,000
// records (docs/CONFIGURATION.md, limits.max_file_size).
const DefaultMaxSize int64 = 64 << 20

// chunk is how much is read between two looks at the context.
const chunk = 1 << 20

// ErrNotRegular and ErrTooLarge classify refusals; the errors returned are
// *NotRegularError and *TooLargeError, which match them with errors.Is.
var (
	ErrNotRegular = errors.New("not a regular file")
	ErrTooLarge   = errors.New("file too large")
)

// Options tune a read.
type Options struct {
	// MaxSize is the largest file accepted, in bytes; 0 or less means
	// DefaultMaxSize.
	MaxSize int64
	// LimitName says where the limit is set (e.g. "limits.max_file_size
	// in dnssync.yaml"), for the message of a refusal.
	LimitName string
}

func (o Options) max() int64 {
	if o.MaxSize <= 0 {
		return DefaultMaxSize
	}
	return o.MaxSize
}

// NotRegularError is a path that names something other than a regular file.
type NotRegularError struct {
	Path     string
	Resolved string // the path with symlinks resolved, when it differs
	Kind     string // "a directory", "a named pipe (FIFO)", …
}

func (e *NotRegularError) Error() string {
	via := ""
	if e.Resolved != "" {
		via = " (via symlink to " + e.Resolved + ")"
	}
	return fmt.Sprintf("%s: is %s%s, not a regular file", e.Path, e.Kind, via)
}

// Is makes errors.Is(err, ErrNotRegular) true.
func (e *NotRegularError) Is(target error) bool { return target == ErrNotRegular }

// TooLargeError is a file over the size limit.
type TooLargeError struct {
	Path      string
	Size      int64 // the file's size; 0 when it grew past Limit while being read
	Limit     int64
	LimitName string
}

func (e *TooLargeError) Error() string {
	name := "the size limit"
	if e.LimitName != "" {
		name = e.LimitName
	}
	size := "grew larger than " + name
	if e.Size > 0 {
		size = "is " + humanSize(e.Size) + ", larger than " + name
	}
	return fmt.Sprintf("%s: file %s (%s); it was not read", e.Path, size, FormatSize(e.Limit))
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// ReadFile reads the regular file at path (symlinks followed) under o's
// size limit. Errors name the path; a cancelled ctx returns its error
// wrapped.
func ReadFile(ctx context.Context, path string, o Options) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		// Opening a socket fails (ENXIO): say what it is rather than
		// "no such device or address".
		if st, serr := os.Stat(path); serr == nil {
			if cerr := Check(path, st, o); cerr != nil {
				return nil, cerr
			}
		}
		return nil, err // *fs.PathError names the path
	}
	defer f.Close()
	return Read(ctx, f, path, o)
}

// Read checks the open file f (named path in errors) as ReadFile does and
// reads it whole from offset 0, whatever f's own offset; f stays open. It
// is for callers that must hold the file open themselves, such as the
// journal, which appends to the file it has just read.
func Read(ctx context.Context, f *os.File, path string, o Options) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := Check(path, st, o); err != nil {
		return nil, err
	}
	limit := o.max()
	// Trust the size only as a hint: the file may grow or shrink while
	// it is read, and some regular files (in /proc) report 0.
	buf := make([]byte, 0, min(st.Size(), limit)+1)
	var off int64
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		want := min(cap(buf)-len(buf), chunk)
		n, err := f.ReadAt(buf[len(buf):len(buf)+want], off)
		buf = buf[:len(buf)+n]
		off += int64(n)
		if int64(len(buf)) > limit {
			return nil, &TooLargeError{Path: path, Limit: limit, LimitName: o.LimitName}
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Check refuses what Read would refuse on st, the result of a Stat that
// followed symlinks (os.Stat, or File.Stat of an open file): anything but a
// regular file, and a file over the size limit. path names the file in
// the error.
func Check(path string, st fs.FileInfo, o Options) error {
	if !st.Mode().IsRegular() {
		e := &NotRegularError{Path: path, Kind: Kind(st.Mode())}
		if r, err := filepath.EvalSymlinks(path); err == nil && r != filepath.Clean(path) {
			e.Resolved = r
		}
		return e
	}
	if limit := o.max(); st.Size() > limit {
		return &TooLargeError{Path: path, Size: st.Size(), Limit: limit, LimitName: o.LimitName}
	}
	return nil
}

// Kind names a file type for messages, with its article.
func Kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "not a regular file"
}
