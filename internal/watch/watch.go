// Package watch tells the daemon which input files changed.
//
// In the data flow of `dnssync watch` it is the first step: it watches the
// config file and the zone directories with fsnotify and emits a stream of
// debounced change sets ("zones/a.yaml changed, zones/b.yaml removed, the
// config changed"); internal/daemon loads those files with internal/spec and
// reconciles only the domains they declare.
//
// It is built for the ways files really get replaced on disk:
//
//   - editors that save atomically (write a temp file, rename it over the
//     original) and vim's backup dance (rename the original away, write a new
//     file, delete the backup) — so directories are watched, never files,
//     since a watch on a file follows the old inode away;
//   - Kubernetes ConfigMap volumes, where every file is a symlink through
//     "..data", itself a symlink to a timestamped directory that is swapped
//     atomically;
//   - git-sync, which replaces a symlink to the checked-out worktree.
//
// Every symlink on the way to a watched path is followed component by
// component and the directory holding it is watched too; after each burst of
// events the paths are resolved again and the watch set follows the new
// targets. Files are compared by content hash (SHA-256), so a touch, a chmod,
// a rewrite with identical bytes or a symlink swap that leaves a file as it
// was reports nothing, and a swap that changes one file reports only that
// file.
//
// A file is reported only once its content has settled: a new content hash
// is read once after the burst's quiet time and again a debounce window
// later, and only the same hash twice is a change. A file written in place
// (an editor that does not rename, a sync tool) can be read half written;
// the second read sees the rest arrive and waits again. Files are read with
// internal/safefile: regular files only, under a size limit.
package watch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/dnssync/dnssync/internal/safefile"
)

// DefaultDebounce is how long the watcher waits after the last event of a
// burst before it rescans: long enough to cover an editor's save sequence or
// a ConfigMap/git-sync swap, short enough to feel immediate.
const DefaultDebounce = 200 * time.Millisecond

// defaultPatterns is never modified; DefaultPatterns hands out copies.
var defaultPatterns = []string{"*.yaml", "*.yml"}

// DefaultPatterns returns the base-name globs that select zone files when
// Options.Patterns is empty.
func DefaultPatterns() []string { return slices.Clone(defaultPatterns) }

// retryDelay is when a rescan is tried again after a watch could not be
// added (the directory vanished between resolving and adding it).
const retryDelay = time.Second

// settleChecks bounds how many times the watcher reads a file again on its
// own, a debounce window apart, waiting for its content to hold still.
// Beyond that it waits for the file's next event: a file that never stops
// changing is never reported.
const settleChecks = 10

// configKey stands for the config file among the files being settled.
const configKey = "\x00config"

// Options configure a Watcher.
type Options struct {
	// Config is the config file to watch; empty for none.
	Config string
	// ZoneDirs are the directories holding zone files; their
	// subdirectories are walked too.
	ZoneDirs []string
	// Patterns are path.Match globs on a file's base name selecting zone
	// files; empty means DefaultPatterns. Names starting with "." are never
	// zone files, nor are directories so named: they are editor temp files,
	// vim swap files and the ConfigMap machinery ("..data",
	// "..2024_01_01_00_00_00.123").
	Patterns []string
	// Exclude are base names that are never zone files (the config file,
	// when it lives among the zones: "dnssync.yaml").
	Exclude []string
	// Debounce is the quiet time after the last event of a burst before the
	// files are rescanned; 0 means DefaultDebounce.
	Debounce time.Duration
	// MaxWait bounds how long a continuous stream of events can postpone a
	// rescan; 0 means 10 × Debounce.
	MaxWait time.Duration
	// MaxFileSize is the size limit of zone files (safefile); 0 means
	// safefile.DefaultMaxSize. The config file is always read under the
	// default, as the loader reads it.
	MaxFileSize int64
	// Logger receives debug lines about events and warnings about
	// unreadable paths; nil discards them.
	Logger *slog.Logger
}

// ChangeSet is what changed in one or more debounced bursts.
type ChangeSet struct {
	// Config reports that the config file's content changed (or it
	// appeared or disappeared).
	Config bool `json:"config,omitempty"`
	// Changed are zone files that appeared or whose content changed, as
	// Join(zone dir as configured, base name), sorted.
	Changed []string `json:"changed,omitempty"`
	// Removed are zone files that are gone, sorted.
	Removed []string `json:"removed,omitempty"`
	// Hashes are the settled content hashes (Hash) of the Changed files:
	// a loader that reads a file again can check that it still holds
	// what settled, and leave it to the next change set if not.
	Hashes map[string]string `json:"hashes,omitempty"`
}

// Hash is the content hash the watcher compares files by.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Empty reports whether c reports nothing.
func (c ChangeSet) Empty() bool { return !c.Config && len(c.Changed) == 0 && len(c.Removed) == 0 }

// Merge returns c followed by later: a file's last state wins (changed then
// removed is removed; removed then changed is changed).
func (c ChangeSet) Merge(later ChangeSet) ChangeSet {
	state := map[string]bool{} // true: changed, false: removed
	for _, f := range c.Changed {
		state[f] = true
	}
	for _, f := range c.Removed {
		state[f] = false
	}
	for _, f := range later.Changed {
		state[f] = true
	}
	for _, f := range later.Removed {
		state[f] = false
	}
	out := ChangeSet{Config: c.Config || later.Config}
	for f, changed := range state {
		if !changed {
			out.Removed = append(out.Removed, f)
			continue
		}
		out.Changed = append(out.Changed, f)
		h, ok := later.Hashes[f]
		if !ok {
			h, ok = c.Hashes[f]
		}
		if ok {
			if out.Hashes == nil {
				out.Hashes = map[string]string{}
			}
			out.Hashes[f] = h
		}
	}
	sort.Strings(out.Changed)
	sort.Strings(out.Removed)
	return out
}

// Watcher watches the config file and zone directories. Create it with New,
// then call Run once and read Changes.
type Watcher struct {
	opts    Options
	log     *slog.Logger
	fsw     fsWatcher
	targets []*target
	watched map[string]bool  // physical directories with an fsnotify watch
	byDir   map[string][]int // physical directory -> targets that depend on it
	out     chan ChangeSet
	// unsettled: files (configKey for the config) read with a content
	// other than the one reported, not yet read with it twice. Only Run
	// touches it.
	unsettled map[string]*unsettled

	mu     sync.Mutex
	config string            // hash of the config file; "" = absent
	zones  map[string]string // zone file -> content hash
}

// unsettled is a file's latest content hash and when it was read.
type unsettled struct {
	hash    string
	at      time.Time
	target  int  // the target the file belongs to
	rereads int  // reads since the file's last event, for settleChecks
	reads   int  // reads since it first differed
	warned  bool // the "keeps changing" warning was logged
}

// fsWatcher is what the watcher needs of fsnotify; tests of the settling
// logic drive it by hand.
type fsWatcher interface {
	Add(name string) error
	Remove(name string) error
	Close() error
	Events() <-chan fsnotify.Event
	Errors() <-chan error
}

type fsnotifyWatcher struct{ w *fsnotify.Watcher }

func (f fsnotifyWatcher) Add(name string) error         { return f.w.Add(name) }
func (f fsnotifyWatcher) Remove(name string) error      { return f.w.Remove(name) }
func (f fsnotifyWatcher) Close() error                  { return f.w.Close() }
func (f fsnotifyWatcher) Events() <-chan fsnotify.Event { return f.w.Events }
func (f fsnotifyWatcher) Errors() <-chan error          { return f.w.Errors }

type target struct {
	config bool
	path   string   // as configured, cleaned
	dirs   []string // physical directories watched for it
	files  []string // zone files found by the last scan (zone dirs only)
}

// New sets up the watches and hashes the current files, which become the
// baseline: Files reports them and only later differences are changes.
func New(opts Options) (*Watcher, error) {
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	w, err := newWatcher(opts, fsnotifyWatcher{fsw})
	if err != nil {
		fsw.Close()
		return nil, err
	}
	return w, nil
}

// newWatcher is New on the given event source.
func newWatcher(opts Options, fsw fsWatcher) (*Watcher, error) {
	if opts.Debounce <= 0 {
		opts.Debounce = DefaultDebounce
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 10 * opts.Debounce
	}
	if len(opts.Patterns) == 0 {
		opts.Patterns = DefaultPatterns()
	}
	for _, p := range opts.Patterns {
		if _, err := filepath.Match(p, ""); err != nil {
			return nil, fmt.Errorf("watch: pattern %q: %w", p, err)
		}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Watcher{
		opts:      opts,
		log:       log,
		fsw:       fsw,
		watched:   map[string]bool{},
		byDir:     map[string][]int{},
		out:       make(chan ChangeSet),
		zones:     map[string]string{},
		unsettled: map[string]*unsettled{},
	}
	if opts.Config != "" {
		w.targets = append(w.targets, &target{config: true, path: filepath.Clean(opts.Config)})
	}
	seen := map[string]bool{}
	for _, d := range opts.ZoneDirs {
		d = filepath.Clean(d)
		if !seen[d] {
			seen[d] = true
			w.targets = append(w.targets, &target{path: d})
		}
	}
	all := make([]bool, len(w.targets))
	for i := range all {
		all[i] = true
	}
	// The baseline is taken after the watches are in place (rescan adds
	// them before reading), so no change can slip between the two. It is
	// not a change, so it is not settled first.
	obs, _ := w.rescan(context.Background(), all)
	w.mu.Lock()
	for key, o := range obs {
		w.commitLocked(key, o)
	}
	w.mu.Unlock()
	return w, nil
}

// Files returns the zone files of the last scan, sorted.
func (w *Watcher) Files() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.zones))
	for f := range w.zones {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Changes is the stream of change sets. Sets produced while the reader is
// busy are merged, so a slow reader gets one set describing everything that
// happened meanwhile, never a backlog. The channel is closed when Run
// returns.
func (w *Watcher) Changes() <-chan ChangeSet { return w.out }

// Run processes events until ctx is done, then releases the watches and
// closes Changes. It returns ctx's error, or an error if fsnotify stops.
func (w *Watcher) Run(ctx context.Context) error {
	defer close(w.out)
	defer w.fsw.Close()

	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var (
		dirty      = make([]bool, len(w.targets))
		burstStart time.Time // zero: no burst in progress
		pending    ChangeSet
	)
	arm := func(d time.Duration) {
		now := time.Now()
		if burstStart.IsZero() {
			burstStart = now
		}
		if limit := burstStart.Add(w.opts.MaxWait); now.Add(d).After(limit) {
			d = limit.Sub(now)
		}
		timer.Reset(max(d, 0))
	}
	for {
		var out chan<- ChangeSet
		if !pending.Empty() {
			out = w.out
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-w.fsw.Events():
			if !ok {
				return errors.New("watch: fsnotify event stream closed")
			}
			if w.watched[ev.Name] && ev.Has(fsnotify.Remove|fsnotify.Rename) {
				// A watched directory went away (or moved, and an inotify
				// watch would follow it to its new name): forget it so the
				// rescan watches whatever now sits at the path.
				_ = w.fsw.Remove(ev.Name)
				delete(w.watched, ev.Name)
			}
			if w.mark(ev.Name, dirty) {
				w.log.Debug("watch event", "path", ev.Name, "op", ev.Op.String())
				w.sawEvents(dirty)
				arm(w.opts.Debounce)
			}
		case err, ok := <-w.fsw.Errors():
			if !ok {
				return errors.New("watch: fsnotify error stream closed")
			}
			// An overflow means events were lost: everything may have changed.
			w.log.Warn("watch error; rescanning everything", "err", err)
			for i := range dirty {
				dirty[i] = true
			}
			arm(w.opts.Debounce)
		case <-timer.C:
			burstStart = time.Time{}
			obs, retry := w.rescan(ctx, dirty)
			clear(dirty)
			cs, again := w.settle(obs, time.Now())
			if retry {
				for i := range dirty {
					dirty[i] = true
				}
				arm(retryDelay)
			}
			if len(again) > 0 {
				// Read what is still settling once more, a debounce
				// window from now.
				for _, i := range again {
					dirty[i] = true
				}
				arm(w.opts.Debounce)
			}
			if !cs.Empty() {
				w.log.Debug("watch change set", "config", cs.Config, "changed", cs.Changed, "removed", cs.Removed)
				pending = pending.Merge(cs)
			}
		case out <- pending:
			pending = ChangeSet{}
		}
	}
}

// mark flags the targets that depend on the directory of path, or on path
// itself (a watched directory that was removed or renamed).
func (w *Watcher) mark(path string, dirty []bool) bool {
	hit := false
	for _, d := range []string{filepath.Dir(path), path} {
		for _, i := range w.byDir[d] {
			dirty[i] = true
			hit = true
		}
	}
	return hit
}

// rescan resolves and reads the flagged targets and moves the watches to
// the directories they now depend on. It returns what it read: the content
// hash of every file of those targets, "" for a file that is gone (the
// config file as configKey). retry reports that a watch could not be
// added, so a later rescan must try again.
func (w *Watcher) rescan(ctx context.Context, which []bool) (obs map[string]observed, retry bool) {
	type scanned struct {
		hashes map[string]string
		config string
		ok     bool
	}
	results := make([]scanned, len(w.targets))
	// Scan, then watch what the scan found. A directory watched only now
	// may have gained files between the two, so scan again until the watch
	// set holds still (bounded: a tree that keeps growing is caught by the
	// events of the watches already added).
	for range 3 {
		for i, t := range w.targets {
			if !which[i] {
				continue
			}
			if t.config {
				h, dirs := w.scanConfig(ctx, t.path)
				t.dirs = dirs
				results[i] = scanned{config: h, ok: true}
				continue
			}
			hashes, dirs, ok := w.scanZoneDir(ctx, t.path)
			if ok {
				t.dirs = dirs
			}
			results[i] = scanned{hashes: hashes, ok: ok}
		}
		var added bool
		added, retry = w.updateWatches()
		if !added {
			break
		}
	}

	obs = map[string]observed{}
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, t := range w.targets {
		r := results[i]
		if !which[i] || !r.ok {
			continue
		}
		if t.config {
			obs[configKey] = observed{r.config, i}
			continue
		}
		for f, h := range r.hashes {
			obs[f] = observed{h, i}
		}
		for _, f := range t.files {
			if _, ok := r.hashes[f]; !ok {
				obs[f] = observed{"", i}
			}
		}
	}
	return obs, retry
}

// observed is a file's content hash as rescan read it ("" gone) and the
// target it belongs to.
type observed struct {
	hash   string
	target int
}

// settle compares what rescan read (at now) with what was reported. A
// file whose content differs is reported only when it was read with the
// same hash a debounce window or more before: the content has held still.
// Otherwise its new hash is noted, and again lists the targets to read
// once more.
func (w *Watcher) settle(obs map[string]observed, now time.Time) (cs ChangeSet, again []int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for key, o := range obs {
		h, u := o.hash, w.unsettled[key]
		if h == w.committedLocked(key) {
			delete(w.unsettled, key) // back as reported: nothing happened
			continue
		}
		if u != nil && u.hash == h && now.Sub(u.at) >= w.opts.Debounce {
			delete(w.unsettled, key)
			w.commitLocked(key, o)
			switch {
			case key == configKey:
				cs.Config = true
			case h == "":
				cs.Removed = append(cs.Removed, key)
			default:
				cs.Changed = append(cs.Changed, key)
				if cs.Hashes == nil {
					cs.Hashes = map[string]string{}
				}
				cs.Hashes[key] = h
			}
			continue
		}
		if u == nil {
			u = &unsettled{hash: h, at: now, target: o.target}
			w.unsettled[key] = u
		} else if u.hash != h {
			u.hash, u.at = h, now
		}
		u.rereads++
		u.reads++
		if u.rereads <= settleChecks && !slices.Contains(again, u.target) {
			again = append(again, u.target)
		}
		if u.reads > settleChecks && !u.warned {
			u.warned = true
			name := key
			if key == configKey {
				name = w.opts.Config
			}
			w.log.Warn("watch: file keeps changing; it is not reported until its content holds still for the debounce time",
				"path", name, "reads", u.reads, "debounce", w.opts.Debounce.String())
		}
	}
	sort.Strings(cs.Changed)
	sort.Strings(cs.Removed)
	return cs, again
}

// sawEvents notes that the flagged targets had events: their files still
// settling may be read again on the watcher's own, settleChecks more times.
func (w *Watcher) sawEvents(targets []bool) {
	for _, u := range w.unsettled {
		if targets[u.target] {
			u.rereads = 0
		}
	}
}

// committedLocked is the reported hash of key; "" for none.
func (w *Watcher) committedLocked(key string) string {
	if key == configKey {
		return w.config
	}
	return w.zones[key]
}

// commitLocked makes o's hash the reported hash of key ("" removes it).
func (w *Watcher) commitLocked(key string, o observed) {
	if key == configKey {
		w.config = o.hash
		return
	}
	t := w.targets[o.target]
	if o.hash == "" {
		delete(w.zones, key)
		t.files = slices.DeleteFunc(t.files, func(f string) bool { return f == key })
		return
	}
	if !slices.Contains(t.files, key) {
		t.files = append(t.files, key)
	}
	w.zones[key] = o.hash
}

// updateWatches makes the fsnotify watch set equal to the union of the
// targets' directories. added reports new watches; retry that some could
// not be added.
func (w *Watcher) updateWatches() (added, retry bool) {
	want := map[string][]int{}
	for i, t := range w.targets {
		for _, d := range t.dirs {
			if !slices.Contains(want[d], i) {
				want[d] = append(want[d], i)
			}
		}
	}
	for d := range w.watched {
		if _, ok := want[d]; !ok {
			// The directory may already be gone, which removed the watch.
			_ = w.fsw.Remove(d)
			delete(w.watched, d)
		}
	}
	dirs := make([]string, 0, len(want))
	for d := range want {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		if w.watched[d] {
			continue
		}
		if err := w.fsw.Add(d); err != nil {
			w.log.Debug("watch: cannot watch directory yet", "dir", d, "err", err)
			retry = true
			continue
		}
		w.watched[d] = true
		added = true
	}
	w.byDir = want
	return added, retry
}

// scanConfig hashes the config file and lists the directories it depends
// on. A missing file hashes to "".
func (w *Watcher) scanConfig(ctx context.Context, path string) (hash string, dirs []string) {
	real, links, err := resolve(path)
	dirs = links
	if err != nil {
		// real is the deepest existing directory: its events show the
		// file (or a missing directory on the way) appearing.
		if !errors.Is(err, fs.ErrNotExist) {
			w.log.Warn("watch: cannot resolve config file", "path", path, "err", err)
		}
		return "", append(dirs, real)
	}
	return w.hashFile(ctx, real, safefile.Options{}), append(dirs, filepath.Dir(real))
}

// scanZoneDir hashes the zone files under dir (walking subdirectories, as
// the loader does) and lists the directories they depend on. ok is false
// when the directory could not be read for a reason other than not
// existing; then the previous state is kept.
func (w *Watcher) scanZoneDir(ctx context.Context, dir string) (hashes map[string]string, dirs []string, ok bool) {
	hashes = map[string]string{}
	real, links, err := resolve(dir)
	dirs = append(links, real)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			w.log.Warn("watch: cannot resolve zone directory", "dir", dir, "err", err)
		}
		// A missing directory has no files; a looping one keeps its state.
		return hashes, dirs, errors.Is(err, fs.ErrNotExist)
	}
	more, err := w.walk(ctx, real, dir, hashes, true)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return hashes, dirs, true
		}
		w.log.Warn("watch: cannot read zone directory", "dir", dir, "err", err)
		return nil, dirs, false
	}
	return hashes, dedupe(append(dirs, more...)), true
}

// walk hashes the zone files in the physical directory phys (reported under
// the configured path lex) and below, and returns the directories to watch
// besides phys. Hidden entries are skipped, directories included, which
// also keeps ConfigMap's timestamped copies out. Symlinked directories are
// not followed (as filepath.WalkDir does not); symlinked files are. As in
// the loader (spec.ZoneFiles), anything named like a zone file is one — a
// FIFO, a device, a directory — so that the loader reports what it is.
//
// Without hashing (List) the files are listed, not read.
func (w *Watcher) walk(ctx context.Context, phys, lex string, hashes map[string]string, hashing bool) (dirs []string, err error) {
	entries, err := os.ReadDir(phys)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		p := filepath.Join(phys, name)
		if e.IsDir() && !matches(w.opts.Patterns, w.opts.Exclude, name) {
			dirs = append(dirs, p)
			sub, err := w.walk(ctx, p, filepath.Join(lex, name), hashes, hashing)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				w.log.Warn("watch: cannot read directory", "dir", p, "err", err)
			}
			dirs = append(dirs, sub...)
			continue
		}
		if !matches(w.opts.Patterns, w.opts.Exclude, name) {
			continue
		}
		if e.Type()&fs.ModeSymlink != 0 {
			// A symlinked zone file (ConfigMap, or a link out of the
			// directory) also depends on where its links live.
			r, l, err := resolve(p)
			dirs = append(dirs, l...)
			if err != nil {
				dirs = append(dirs, r)
				continue // dangling: not a file (yet)
			}
			dirs = append(dirs, filepath.Dir(r))
		}
		if _, err := os.Stat(p); err != nil {
			continue
		}
		h := ""
		if hashing {
			h = w.hashFile(ctx, p, safefile.Options{MaxSize: w.opts.MaxFileSize})
		}
		hashes[filepath.Join(lex, name)] = h
	}
	return dirs, nil
}

// hashFile returns the content hash of path. A file that cannot be read
// (not a regular file, over the size limit, unreadable) gets a hash derived
// from the error, so that it is reported as changed — and the loader then
// says why it cannot be read — and again when it recovers.
func (w *Watcher) hashFile(ctx context.Context, path string, o safefile.Options) string {
	b, err := safefile.ReadFile(ctx, path, o)
	if errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	if err != nil {
		w.log.Warn("watch: cannot read file", "path", path, "err", err)
		return "error:" + err.Error()
	}
	return Hash(b)
}

func matches(patterns, exclude []string, name string) bool {
	if strings.HasPrefix(name, ".") || slices.Contains(exclude, name) {
		return false
	}
	for _, p := range patterns {
		if ok, _ := filepath.Match(p, name); ok {
			return true
		}
	}
	return false
}

func dedupe(s []string) []string {
	sort.Strings(s)
	return slices.Compact(s)
}

// List returns the zone files currently under dirs (the same selection a
// Watcher makes: subdirectories walked, hidden entries skipped, symlinked
// files followed), sorted. It is for one-shot runs that do not watch. A
// directory that does not exist is an error.
func List(dirs, patterns, exclude []string) ([]string, error) {
	if len(patterns) == 0 {
		patterns = DefaultPatterns()
	}
	w := &Watcher{opts: Options{Patterns: patterns, Exclude: exclude}, log: slog.New(slog.DiscardHandler)}
	var out []string
	for _, dir := range dirs {
		hashes := map[string]string{}
		real, _, err := resolve(dir)
		if err == nil {
			_, err = w.walk(context.Background(), real, filepath.Clean(dir), hashes, false)
		}
		if err != nil {
			return nil, fmt.Errorf("zone directory %s: %w", dir, err)
		}
		for f := range hashes {
			out = append(out, f)
		}
	}
	return dedupe(out), nil
}
