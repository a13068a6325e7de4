// Package statedir owns dnssync's state directory (default ".dnssync/"): the
// place where apply and the watch daemon keep their journal of in-flight
// provider tasks (internal/journal) and the results of past runs. Only one
// writer may use a state directory at a time; Lock enforces that with an
// advisory file lock that dies with its process, so a crashed apply (kill -9
// included) never leaves a stale lock behind.
package statedir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/gofrs/flock"
)

// DefaultDir is the state directory used when none is configured.
const DefaultDir = ".dnssync"

// LockFile is the name of the lock file inside the state directory. It holds
// the pid of the process that holds the lock, for the error message shown to
// the next one.
const LockFile = "lock"

// ErrLocked is matched (errors.Is) by the error Lock returns when another
// process or another Lock call holds the directory.
var ErrLocked = errors.New("state directory is locked")

// LockedError says who holds the lock. PID is 0 when the holder's pid could
// not be read (it may be writing it at this very moment).
type LockedError struct {
	Dir string
	PID int
}

func (e *LockedError) Error() string {
	holder := "another dnssync process"
	if e.PID > 0 {
		holder = fmt.Sprintf("another dnssync process (pid %d)", e.PID)
	}
	return fmt.Sprintf("state directory %s is locked by %s: only one apply or watch may use it at a time", e.Dir, holder)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Ensure creates dir (and parents) if needed, private to the user, and syncs
// its parent so that the new directory entry survives a crash.
func Ensure(dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("state directory %s: not a directory", dir)
		}
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	return SyncDir(filepath.Dir(filepath.Clean(dir)))
}

// SyncDir fsyncs a directory so that entries created or renamed in it are
// durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// Lock takes the exclusive lock of dir (creating dir if needed) without
// waiting. It fails with a *LockedError naming the directory and the pid of
// the holder when the lock is taken — by another process or by an earlier
// Lock in this one. unlock releases the lock; it is safe to call more than
// once.
func Lock(dir string) (unlock func(), err error) {
	if err := Ensure(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, LockFile)
	// Open read-write so the same descriptor could also carry the pid; the
	// pid is written through a second descriptor below either way.
	fl := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o600))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock state directory %s: %w", dir, err)
	}
	if !ok {
		return nil, &LockedError{Dir: dir, PID: Holder(dir)}
	}
	if err := writePID(path); err != nil {
		_ = fl.Unlock()
		return nil, fmt.Errorf("lock state directory %s: %w", dir, err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			// Clear the pid before releasing: a reader never sees a pid of a
			// process that no longer holds the lock (beyond this instant).
			_ = os.Truncate(path, 0)
			_ = fl.Unlock()
		})
	}, nil
}

// Holder returns the pid recorded in dir's lock file, or 0 when none is
// recorded. It does not tell whether the lock is currently held; use Locked.
func Holder(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, LockFile))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// Locked reports whether some process holds dir's lock, and its pid when
// known. It never creates the directory or the lock file; `dnssync status`
// uses it to say whether an apply is running.
func Locked(dir string) (held bool, pid int, err error) {
	path := filepath.Join(dir, LockFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return false, 0, nil
	}
	fl := flock.New(path, flock.SetFlag(os.O_RDONLY))
	ok, err := fl.TryRLock()
	if err != nil {
		return false, 0, fmt.Errorf("probe lock of %s: %w", dir, err)
	}
	if ok {
		_ = fl.Unlock()
		return false, 0, nil
	}
	return true, Holder(dir), nil
}

func writePID(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(strconv.Itoa(os.Getpid()) + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
