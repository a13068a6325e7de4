package journal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dnssync/dnssync/internal/safefile"
	"github.com/dnssync/dnssync/internal/statedir"
)

// Status is what `dnssync status` shows: whether an apply (or the daemon)
// holds the state directory, the tasks journaled as in flight, unknown
// outcomes not yet reported by a finished run, and the last finished run.
type Status struct {
	Dir string `json:"dir"`
	// Locked: some process holds the state directory; PID when known.
	Locked bool `json:"locked"`
	PID    int  `json:"pid,omitempty"`
	// Current is the run in the live journal that has not ended: running
	// when Locked, otherwise interrupted (crashed or killed).
	Current *RunInfo `json:"current,omitempty"`
	// InFlight tasks: accepted by a provider, final outcome not journaled.
	InFlight []PendingTask `json:"in_flight"`
	// Unknown batches: may or may not have reached the provider.
	Unknown []UnknownBatch `json:"unknown"`
	// Last is the summary of the newest finished run, from runs/.
	Last     *Summary `json:"last,omitempty"`
	LastFile string   `json:"last_file,omitempty"`
	// Warnings about the files read (a torn last line, for instance).
	Warnings []string `json:"warnings,omitempty"`
}

// RunInfo describes a run that has started and not ended.
type RunInfo struct {
	Run     string    `json:"run"`
	Started time.Time `json:"started"`
	PID     int       `json:"pid,omitempty"`
	State   string    `json:"state"` // "running" or "interrupted"
}

// ReadStatus reads dir without modifying anything and without taking the
// lock, so it works while an apply runs. A missing directory is an empty
// status. Of the options only WithReadOptions applies.
func ReadStatus(dir string, opts ...Option) (*Status, error) {
	var j Journal
	for _, o := range opts {
		o(&j)
	}
	st := &Status{Dir: dir, InFlight: []PendingTask{}, Unknown: []UnknownBatch{}}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	held, pid, err := statedir.Locked(dir)
	if err != nil {
		return nil, err
	}
	st.Locked, st.PID = held, pid

	path := filepath.Join(dir, FileName)
	data, err := safefile.ReadFile(context.Background(), path, j.read)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	entries, valid, err := parse(path, data)
	if err != nil {
		return nil, err
	}
	if valid < len(data) {
		msg := "journal ends with a partial line (being written, or torn by a crash)"
		if !held {
			msg = "journal ends with a torn line; the next apply drops it"
		}
		st.Warnings = append(st.Warnings, msg)
	}
	tasks, unknown := pending(entries, "")
	st.InFlight = append(st.InFlight, tasks...)
	st.Unknown = append(st.Unknown, unknown...)
	// The last start without a later end is the current run.
	for _, e := range entries {
		switch e.Kind {
		case KindStart:
			st.Current = &RunInfo{Run: e.Run, Started: e.Time, PID: e.PID}
		case KindEnd:
			st.Current = nil
		}
	}
	if st.Current != nil {
		st.Current.State = "interrupted"
		if held {
			st.Current.State = "running"
		}
	}

	runs := filepath.Join(dir, RunsDir)
	names := runFiles(runs)
	for i := len(names) - 1; i >= 0 && st.Last == nil; i-- {
		file := filepath.Join(runs, names[i])
		data, err := safefile.ReadFile(context.Background(), file, j.read)
		if err != nil {
			st.Warnings = append(st.Warnings, err.Error())
			continue
		}
		entries, _, err := parse(file, data)
		if err != nil {
			st.Warnings = append(st.Warnings, err.Error())
			continue
		}
		for k := len(entries) - 1; k >= 0; k-- {
			if entries[k].Kind == KindEnd && entries[k].Summary != nil {
				st.Last, st.LastFile = entries[k].Summary, file
				break
			}
		}
	}
	return st, nil
}
