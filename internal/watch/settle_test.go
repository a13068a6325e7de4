package watch

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fsnotify/fsnotify"
)

// fakeFS stands in for fsnotify: the tests send the events a write would
// cause, so that they run in a synctest bubble on its fake clock.
type fakeFS struct {
	events chan fsnotify.Event
	errors chan error
}

func newFakeFS() *fakeFS {
	return &fakeFS{events: make(chan fsnotify.Event), errors: make(chan error)}
}

func (f *fakeFS) Add(string) error                  { return nil }
func (f *fakeFS) Remove(string) error               { return nil }
func (f *fakeFS) Close() error                      { return nil }
func (f *fakeFS) Events() <-chan fsnotify.Event     { return f.events }
func (f *fakeFS) Errors() <-chan error              { return f.errors }
func (f *fakeFS) event(path string, op fsnotify.Op) { f.events <- fsnotify.Event{Name: path, Op: op} }

const settleDebounce = 200 * time.Millisecond

// settleRig is a watcher of one zone directory on a fake event source,
// run in the test's bubble.
type settleRig struct {
	t    *testing.T
	dir  string
	zone string
	fs   *fakeFS
	w    *Watcher
	logs *bytes.Buffer
}

func newSettleRig(t *testing.T, initial string) *settleRig {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	must(t, err)
	r := &settleRig{t: t, dir: dir, zone: filepath.Join(dir, "a.yaml"), fs: newFakeFS(), logs: &bytes.Buffer{}}
	write(t, r.zone, initial)
	r.w, err = newWatcher(Options{ZoneDirs: []string{dir}, Debounce: settleDebounce,
		Logger: slog.New(slog.NewTextHandler(r.logs, nil))}, r.fs)
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Run returned %v", err)
		}
	})
	return r
}

// save writes content to the zone file in place, as an editor that does
// not rename does, with the event that causes.
func (r *settleRig) save(content string) {
	write(r.t, r.zone, content)
	r.fs.event(r.zone, fsnotify.Write)
}

// replace swaps in new content atomically (a temporary file renamed over
// it). Writes in place truncate first, and a read at the same instant of
// the fake clock could see the file empty twice in a row.
func (r *settleRig) replace(content string) {
	tmp := filepath.Join(r.dir, ".a.yaml.tmp")
	write(r.t, tmp, content)
	must(r.t, os.Rename(tmp, r.zone))
}

// none asserts that nothing has been reported by now.
func (r *settleRig) none(when string) {
	r.t.Helper()
	synctest.Wait()
	select {
	case cs := <-r.w.Changes():
		r.t.Fatalf("%s: reported %+v", when, cs)
	default:
	}
}

// next waits for the next change set (the bubble's clock runs on).
func (r *settleRig) next() ChangeSet {
	r.t.Helper()
	select {
	case cs := <-r.w.Changes():
		return cs
	case <-time.After(time.Minute):
		r.t.Fatal("nothing reported within a minute")
	}
	return ChangeSet{}
}

// TestSettleHalfWrittenFile: a file written in two parts with a pause
// shorter than two debounce windows is reported once, with its whole
// content; the first part is never reported.
func TestSettleHalfWrittenFile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSettleRig(t, "domain: a.example\n")
		full := "domain: a.example\ndns:\n  provider: dnspod\n  records:\n    - {name: www, type: A, value: 192.0.2.1}\n"
		start := time.Now()
		r.save(full[:40]) // cut mid-line
		// The quiet time passes and the half file is read once (at
		// 200ms); before the second read (at 400ms) the rest arrives.
		time.Sleep(300 * time.Millisecond)
		r.none("after the first part")
		r.save(full)
		cs := r.next()
		if len(cs.Changed) != 1 || cs.Hashes[r.zone] != Hash([]byte(full)) {
			t.Fatalf("got %+v, want the whole file (hash %s)", cs, Hash([]byte(full)))
		}
		// Read at 500ms and again a debounce window later.
		if took := time.Since(start); took != 700*time.Millisecond {
			t.Errorf("reported after %v, want 700ms", took)
		}
		r.none("afterwards")
	})
}

// TestSettleTwoReads: a single save is reported after two reads a debounce
// window apart, not after one.
func TestSettleTwoReads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSettleRig(t, "a1")
		start := time.Now()
		r.save("a2")
		time.Sleep(settleDebounce + 10*time.Millisecond)
		r.none("after one read")
		cs := r.next()
		if took := time.Since(start); took != 2*settleDebounce {
			t.Errorf("reported after %v, want %v", took, 2*settleDebounce)
		}
		if len(cs.Changed) != 1 || cs.Hashes[r.zone] != Hash([]byte("a2")) {
			t.Fatalf("got %+v", cs)
		}
	})
}

// TestSettleKeepsChanging: a file that changes on every read is not
// reported while it changes (with a warning once the self-imposed rereads
// are used up), and is reported with its final content once it stops.
func TestSettleKeepsChanging(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSettleRig(t, "a0")
		// An appender that writes every 150ms for 5s, events included:
		// the debounce never runs out; MaxWait forces reads every 2s.
		for i := range 33 {
			r.replace("a0" + strings.Repeat("x", i+1))
			r.fs.event(r.zone, fsnotify.Create)
			time.Sleep(150 * time.Millisecond)
		}
		r.none("while it changes")
		// Changing without events (a file system that sends none): the
		// watcher reads it again on its own, settleChecks times at most.
		r.replace("b0")
		r.fs.event(r.zone, fsnotify.Create)
		for i := range 3 * settleChecks {
			time.Sleep(settleDebounce / 2)
			r.replace("b" + strings.Repeat("y", i+1))
		}
		r.none("while it changes without events")
		if n := strings.Count(r.logs.String(), "file keeps changing"); n != 1 {
			t.Errorf("%d warnings, want 1:\n%s", n, r.logs)
		}
		// It stops; its last write's event leads to the report.
		r.save("final")
		cs := r.next()
		if len(cs.Changed) != 1 || cs.Hashes[r.zone] != Hash([]byte("final")) {
			t.Fatalf("got %+v", cs)
		}
	})
}

// TestSettleRemovedAndTouched: a removal is confirmed by a second look
// too, and a rewrite with the same bytes reports nothing.
func TestSettleRemovedAndTouched(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSettleRig(t, "a1")
		r.save("a1")
		time.Sleep(5 * settleDebounce)
		r.none("same bytes")

		must(t, os.Remove(r.zone))
		r.fs.event(r.zone, fsnotify.Remove)
		time.Sleep(settleDebounce + 10*time.Millisecond)
		r.none("after one look")
		if cs := r.next(); len(cs.Removed) != 1 || cs.Removed[0] != r.zone {
			t.Fatalf("got %+v", cs)
		}

		// Gone and back with the same content within the window: the
		// watcher saw it gone once, then as reported: nothing to say.
		write(t, r.zone, "a1")
		r.fs.event(r.zone, fsnotify.Create)
		if cs := r.next(); len(cs.Changed) != 1 {
			t.Fatalf("got %+v", cs)
		}
		must(t, os.Remove(r.zone))
		r.fs.event(r.zone, fsnotify.Remove)
		time.Sleep(settleDebounce + 10*time.Millisecond)
		write(t, r.zone, "a1")
		r.fs.event(r.zone, fsnotify.Create)
		time.Sleep(5 * settleDebounce)
		r.none("a file briefly gone")
	})
}
