// Package journal is the write-ahead log of apply. Provider writes are not
// idempotent and their tasks outlive the process that started them, so every
// batch is journaled before it is submitted, its task id when the provider
// accepts it, and its final outcome when polling ends. After a crash (kill -9
// included) the next apply reads the journal first: tasks with an id and no
// outcome are awaited again, never resubmitted; batches whose submit may or
// may not have reached the provider are reported as unknown, and the caller
// plans afresh from live state. When a run ends, its entries are rotated into
// runs/<run>.jsonl (which `dnssync status` reads) and the live journal keeps
// only tasks still in flight.
//
// The file is JSON Lines, one Entry per line, appended with write + fsync. A
// torn last line (a crash mid-write) is dropped on Open; a corrupt line in the
// middle is an error, because guessing could resubmit a write.
//
// The journal holds batch ids, operations, provider names, domains, a digest
// of each batch, task ids and the providers' item messages — never
// credentials. Callers must hold the state directory's lock (internal/statedir)
// while a Journal is open for writing.
package journal

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/safefile"
	"github.com/dnssync/dnssync/internal/statedir"
)

// File names inside the state directory.
const (
	FileName = "journal.jsonl" // the live journal
	RunsDir  = "runs"          // rotated journals of finished runs
)

// SchemaVersion is the version of the line schema (Entry.V). Readers refuse
// lines of a newer version rather than misread them.
const SchemaVersion = 1

// Kind is the kind of a journal line.
type Kind string

// Entry kinds, in the order a batch goes through them.
const (
	KindStart    Kind = "start"    // a run begins
	KindIntent   Kind = "intent"   // a batch is about to be submitted
	KindAccepted Kind = "accepted" // the provider accepted it: task id known
	KindRejected Kind = "rejected" // the provider refused it: nothing started
	KindUnknown  Kind = "unknown"  // the submit's outcome is unknown
	KindTimeout  Kind = "timeout"  // gave up awaiting; the task is still in flight
	KindOutcome  Kind = "outcome"  // the task's final item outcomes
	KindEnd      Kind = "end"      // the run ended; carries its Summary
)

// Entry is one journal line.
type Entry struct {
	V    int       `json:"v"`
	Kind Kind      `json:"kind"`
	Time time.Time `json:"time"`
	Run  string    `json:"run"`
	// Ref names one submission of one batch; every entry about that
	// submission carries it. Unique within a state directory.
	Ref string `json:"ref,omitempty"`

	// start
	PID int `json:"pid,omitempty"`

	// intent
	Stage    string   `json:"stage,omitempty"`
	Batch    string   `json:"batch,omitempty"`
	Op       plan.Op  `json:"op,omitempty"`
	Provider string   `json:"provider,omitempty"`
	Domains  []string `json:"domains,omitempty"`
	Digest   string   `json:"digest,omitempty"`

	// accepted
	Task *providers.Task `json:"task,omitempty"`

	// outcome
	Status BatchStatus            `json:"status,omitempty"`
	Items  []providers.ItemResult `json:"items,omitempty"`

	// rejected, unknown, timeout, outcome: the error or the provider's words.
	Message string `json:"message,omitempty"`

	// end
	Summary *Summary `json:"summary,omitempty"`
}

// BatchInfo identifies a journaled batch.
type BatchInfo struct {
	Ref      string    `json:"ref"`
	Run      string    `json:"run"`
	Stage    string    `json:"stage"`
	Batch    string    `json:"batch"`
	Op       plan.Op   `json:"op"`
	Provider string    `json:"provider"`
	Domains  []string  `json:"domains"`
	Digest   string    `json:"digest"`
	Since    time.Time `json:"since"` // when the intent was journaled
}

// PendingTask is a task the provider accepted whose final outcome is not
// journaled: it must be awaited (polled), never resubmitted.
type PendingTask struct {
	BatchInfo
	Task     providers.Task `json:"task"`
	Accepted time.Time      `json:"accepted"` // when the provider accepted it
}

// UnknownBatch is a batch that may or may not have reached the provider:
// intent journaled, then either nothing (crash during the call) or an
// explicit unknown outcome. It must never be resubmitted as is; the caller
// re-reads live state and plans afresh.
type UnknownBatch struct {
	BatchInfo
	Reason string `json:"reason"`
}

// Digest returns a stable digest of a batch: SHA-256 of its JSON form.
func Digest(b plan.Batch) string {
	data, err := json.Marshal(b)
	if err != nil {
		// plan.Batch holds only strings, ints, bools and slices of them.
		panic("journal: batch not encodable: " + err.Error())
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Option configures Open.
type Option func(*Journal)

// WithClock sets the clock used for entry times and run ids (tests).
func WithClock(now func() time.Time) Option { return func(j *Journal) { j.now = now } }

// WithKeepRuns sets how many rotated run files to keep in runs/ (default 50;
// 0 or less keeps all).
func WithKeepRuns(n int) Option { return func(j *Journal) { j.keepRuns = n } }

// WithReadOptions sets how journal files are read: their size limit
// (limits.max_file_size; default safefile.DefaultMaxSize). Open and
// ReadStatus take it.
func WithReadOptions(o safefile.Options) Option { return func(j *Journal) { j.read = o } }

// Journal is an open journal. Its methods are safe for concurrent use. They
// take no context on purpose: a journal write is a short local append that
// must happen even when the run's context is already cancelled (an outcome
// read just before a timeout, the end of a run that timed out).
type Journal struct {
	mu       sync.Mutex
	dir      string
	path     string
	f        *os.File
	now      func() time.Time
	keepRuns int
	read     safefile.Options

	run      string // current run id
	started  bool   // start entry written for run
	seq      int
	entries  []Entry // every entry of the live file, in order
	repaired int     // bytes of torn tail dropped on Open
}

// Open opens (creating if needed) the journal in the state directory dir.
// A torn or unreadable last line is cut off; a corrupt line elsewhere is an
// error naming the file and line.
func Open(dir string, opts ...Option) (*Journal, error) {
	j := &Journal{dir: dir, path: filepath.Join(dir, FileName), now: time.Now, keepRuns: 50}
	for _, o := range opts {
		o(j)
	}
	if err := statedir.Ensure(dir); err != nil {
		return nil, err
	}
	st, statErr := os.Stat(j.path)
	if statErr == nil {
		// Refuse a FIFO, device or directory before opening it.
		if err := safefile.Check(j.path, st, j.read); err != nil {
			return nil, fmt.Errorf("open journal: %w", err)
		}
	}
	// O_NONBLOCK: a FIFO put in its place meanwhile cannot block the open;
	// Read below refuses it.
	f, err := os.OpenFile(j.path, os.O_RDWR|os.O_CREATE|os.O_APPEND|syscall.O_NONBLOCK, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		// Make the new file's directory entry durable before relying on it.
		if err := statedir.SyncDir(dir); err != nil {
			f.Close()
			return nil, err
		}
	}
	// The journal takes no context (see Journal); it is local and bounded.
	data, err := safefile.Read(context.Background(), f, j.path, j.read)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read journal: %w", err)
	}
	entries, valid, err := parse(j.path, data)
	if err != nil {
		f.Close()
		return nil, err
	}
	if valid < len(data) {
		// Drop the torn tail so that the next append starts a clean line.
		if err := f.Truncate(int64(valid)); err != nil {
			f.Close()
			return nil, fmt.Errorf("repair journal: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("repair journal: %w", err)
		}
		j.repaired = len(data) - valid
	}
	j.f = f
	j.entries = entries
	j.run = j.newRunID()
	return j, nil
}

// parse decodes journal lines. It returns the entries and the length of the
// prefix of data made of whole, valid lines. An invalid last line (torn by a
// crash: no newline, or garbage) is excluded from that prefix; an invalid
// line followed by valid ones is an error.
func parse(path string, data []byte) ([]Entry, int, error) {
	var entries []Entry
	off := 0
	for lineNo := 1; off < len(data); lineNo++ {
		nl := bytes.IndexByte(data[off:], '\n')
		last := nl < 0
		var line []byte
		if last {
			line = data[off:]
		} else {
			line = data[off : off+nl]
			last = off+nl+1 == len(data)
		}
		var e Entry
		err := json.Unmarshal(line, &e)
		if err == nil && e.V > SchemaVersion {
			return nil, 0, fmt.Errorf("%s:%d: journal schema version %d is newer than this dnssync (%d)", path, lineNo, e.V, SchemaVersion)
		}
		if err == nil && e.Kind == "" {
			err = errors.New("no kind")
		}
		if err != nil || nl < 0 {
			if last {
				return entries, off, nil
			}
			return nil, 0, fmt.Errorf("%s:%d: corrupt journal line (%v); move the file aside after checking the providers' task lists", path, lineNo, err)
		}
		entries = append(entries, e)
		off += nl + 1
	}
	return entries, off, nil
}

// Repaired returns how many bytes of torn tail Open cut off.
func (j *Journal) Repaired() int { return j.repaired }

// Dir returns the state directory.
func (j *Journal) Dir() string { return j.dir }

// Run returns the id of the current run.
func (j *Journal) Run() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.run
}

// Close closes the file. Entries already written are durable.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

func (j *Journal) newRunID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return j.now().UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(b[:])
}

// appendLocked writes e durably (write, fsync). A start entry precedes the
// first entry of each run.
func (j *Journal) appendLocked(e Entry) error {
	if j.f == nil {
		return errors.New("journal closed")
	}
	if !j.started && e.Kind != KindStart {
		if err := j.appendLocked(Entry{Kind: KindStart, PID: os.Getpid()}); err != nil {
			return err
		}
	}
	e.V = SchemaVersion
	e.Run = j.run
	if e.Time.IsZero() {
		e.Time = j.now().UTC()
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("journal: encode %s: %w", e.Kind, err)
	}
	line = append(line, '\n')
	if _, err := j.f.Write(line); err != nil {
		return fmt.Errorf("journal: write: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal: sync: %w", err)
	}
	if e.Kind == KindStart {
		j.started = true
	}
	j.entries = append(j.entries, e)
	return nil
}

func (j *Journal) append(e Entry) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.appendLocked(e)
}

// Intent journals that batch b of stage is about to be submitted and returns
// the reference that the entries about this submission carry. Submit only
// after it returns nil.
func (j *Journal) Intent(stage string, b plan.Batch) (string, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	ref := j.run + "/" + strconv.Itoa(j.seq)
	err := j.appendLocked(Entry{
		Kind: KindIntent, Ref: ref, Stage: stage, Batch: b.ID, Op: b.Op, Provider: b.Provider,
		Domains: append([]string(nil), b.Domains...), Digest: Digest(b),
	})
	if err != nil {
		return "", err
	}
	return ref, nil
}

// Accepted journals the task the provider started for ref.
func (j *Journal) Accepted(ref string, t providers.Task) error {
	return j.append(Entry{Kind: KindAccepted, Ref: ref, Task: &t})
}

// Rejected journals that the provider refused ref's call: nothing started.
func (j *Journal) Rejected(ref, message string) error {
	return j.append(Entry{Kind: KindRejected, Ref: ref, Message: message})
}

// Unknown journals that ref's submit has an unknown outcome.
func (j *Journal) Unknown(ref, message string) error {
	return j.append(Entry{Kind: KindUnknown, Ref: ref, Message: message})
}

// TimedOut journals that awaiting ref's task stopped (timeout, cancel) while
// the task may still run; it stays pending for the next run.
func (j *Journal) TimedOut(ref, message string) error {
	return j.append(Entry{Kind: KindTimeout, Ref: ref, Message: message})
}

// Outcome journals the final outcome of ref's task: StatusOK or
// StatusFailed with the items, or StatusUnknown when the task can no longer
// be read (it is then no longer pending, and the next run plans from live
// state).
func (j *Journal) Outcome(ref string, status BatchStatus, items []providers.ItemResult, message string) error {
	return j.append(Entry{Kind: KindOutcome, Ref: ref, Status: status, Items: items, Message: message})
}

// refState follows one submission through the journal.
type refState struct {
	info     BatchInfo
	kind     Kind // last decisive kind: intent, accepted, rejected, unknown, outcome
	task     *providers.Task
	accepted time.Time
	message  string
	acked    bool // an end entry followed: the run that saw it reported it
	order    int
	timeouts int
}

// classify replays entries. Refs of the run named current (this process's
// own run) are left out: they are not history yet.
func classify(entries []Entry, current string) []*refState {
	refs := map[string]*refState{}
	var order []*refState
	get := func(e Entry) *refState {
		s := refs[e.Ref]
		if s == nil {
			s = &refState{order: len(order)}
			s.info.Ref, s.info.Run = e.Ref, e.Run
			refs[e.Ref] = s
			order = append(order, s)
		}
		return s
	}
	for _, e := range entries {
		if e.Kind == KindEnd {
			for _, s := range order {
				s.acked = true
			}
			continue
		}
		if e.Ref == "" {
			continue
		}
		s := get(e)
		switch e.Kind {
		case KindIntent:
			s.info = BatchInfo{Ref: e.Ref, Run: e.Run, Stage: e.Stage, Batch: e.Batch, Op: e.Op,
				Provider: e.Provider, Domains: e.Domains, Digest: e.Digest, Since: e.Time}
			s.kind = KindIntent
		case KindAccepted:
			s.task, s.accepted = e.Task, e.Time
			if s.kind != KindOutcome {
				s.kind = KindAccepted
			}
		case KindTimeout:
			s.timeouts++
			s.message = e.Message
		case KindRejected, KindUnknown, KindOutcome:
			s.kind = e.Kind
			s.message = e.Message
		}
	}
	out := order[:0]
	for _, s := range order {
		if s.info.Run != current {
			out = append(out, s)
		}
	}
	return out
}

// Pending classifies the journal: tasks to await (accepted, no outcome)
// and batches whose outcome is unknown (intent with neither task id nor
// refusal, or an explicit unknown) that no finished run has reported yet.
func (j *Journal) Pending() ([]PendingTask, []UnknownBatch, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	p, u := pending(j.entries, j.run)
	return p, u, nil
}

func pending(entries []Entry, current string) ([]PendingTask, []UnknownBatch) {
	var tasks []PendingTask
	var unknown []UnknownBatch
	for _, s := range classify(entries, current) {
		switch s.kind {
		case KindAccepted:
			if s.task != nil {
				tasks = append(tasks, PendingTask{BatchInfo: s.info, Task: *s.task, Accepted: s.accepted})
			}
		case KindIntent:
			if !s.acked {
				unknown = append(unknown, UnknownBatch{BatchInfo: s.info,
					Reason: "submit was interrupted: the provider may or may not have started it"})
			}
		case KindUnknown:
			if !s.acked {
				unknown = append(unknown, UnknownBatch{BatchInfo: s.info, Reason: s.message})
			}
		}
	}
	return tasks, unknown
}

// End journals the end of the current run with its summary, rotates the
// live journal into runs/<run>.jsonl and starts a fresh live journal that
// keeps only tasks still in flight (so the next run awaits them). After End
// the Journal continues with a new run id (the daemon's next reconcile).
func (j *Journal) End(s Summary) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if s.Run == "" {
		s.Run = j.run
	}
	if err := j.appendLocked(Entry{Kind: KindEnd, Summary: &s}); err != nil {
		return err
	}
	if err := j.rotateLocked(); err != nil {
		return fmt.Errorf("journal: rotate: %w", err)
	}
	j.run = j.newRunID()
	j.started = false
	j.seq = 0
	return nil
}

func (j *Journal) rotateLocked() error {
	runs := filepath.Join(j.dir, RunsDir)
	if err := statedir.Ensure(runs); err != nil {
		return err
	}
	var all bytes.Buffer
	for _, e := range j.entries {
		if err := encodeLine(&all, e); err != nil {
			return err
		}
	}
	if err := writeFileDurable(filepath.Join(runs, j.run+".jsonl"), all.Bytes()); err != nil {
		return err
	}
	// Keep what is still in flight, with the entries that describe it.
	tasks, _ := pending(j.entries, "")
	keep := map[string]bool{}
	for _, t := range tasks {
		keep[t.Ref] = true
	}
	var carried []Entry
	var live bytes.Buffer
	for _, e := range j.entries {
		if keep[e.Ref] && e.Kind != KindStart && e.Kind != KindEnd {
			carried = append(carried, e)
			if err := encodeLine(&live, e); err != nil {
				return err
			}
		}
	}
	if err := j.f.Close(); err != nil {
		return err
	}
	j.f = nil
	if err := writeFileDurable(j.path, live.Bytes()); err != nil {
		return err
	}
	f, err := os.OpenFile(j.path, os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	j.f = f
	j.entries = carried
	j.pruneRuns(runs)
	return nil
}

// pruneRuns removes the oldest run files beyond keepRuns. Run ids start
// with a UTC timestamp, so name order is time order.
func (j *Journal) pruneRuns(runs string) {
	if j.keepRuns <= 0 {
		return
	}
	names := runFiles(runs)
	for len(names) > j.keepRuns {
		_ = os.Remove(filepath.Join(runs, names[0]))
		names = names[1:]
	}
}

func runFiles(runs string) []string {
	des, err := os.ReadDir(runs)
	if err != nil {
		return nil
	}
	var names []string
	for _, de := range des {
		if !de.IsDir() && strings.HasSuffix(de.Name(), ".jsonl") {
			names = append(names, de.Name())
		}
	}
	sort.Strings(names)
	return names
}

func encodeLine(buf *bytes.Buffer, e Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	buf.Write(b)
	buf.WriteByte('\n')
	return nil
}

// writeFileDurable replaces path atomically: temp file, fsync, rename,
// fsync of the directory.
func writeFileDurable(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return statedir.SyncDir(filepath.Dir(path))
}
