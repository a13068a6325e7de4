// Package progress turns the apply engine's events (apply.Event) into what a
// person or a log collector sees while tasks are awaited: live bars per task
// on a terminal (github.com/vbauerster/mpb/v8), structured log lines
// (log/slog) otherwise, or nothing in quiet mode. The engine knows only the
// apply.Reporter interface, so the daemon can add its metrics beside these.
package progress

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/dnssync/dnssync/internal/apply"
	"github.com/dnssync/dnssync/internal/journal"
)

// Config chooses a reporter.
type Config struct {
	// Out is where bars are drawn (usually os.Stderr).
	Out io.Writer
	// Terminal selects bars; see IsTerminal.
	Terminal bool
	// Logger receives log lines when not on a terminal. The caller picks
	// the text or JSON handler.
	Logger *slog.Logger
	// Every is the minimum time between two progress lines of one task in
	// log mode (default 10s). Submits, results and skips are always logged.
	Every time.Duration
	// Quiet reports nothing; the caller still prints the summary.
	Quiet bool
}

// New returns the reporter Config asks for and a function that flushes it
// (stops the bars); call it before printing the summary.
func New(c Config) (apply.Reporter, func()) {
	switch {
	case c.Quiet:
		return apply.Nop{}, func() {}
	case c.Terminal && c.Out != nil:
		b := NewBars(c.Out)
		return b, b.Close
	default:
		l := c.Logger
		if l == nil {
			l = slog.New(slog.NewTextHandler(os.Stderr, nil))
		}
		return NewLog(l, c.Every), func() {}
	}
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func batchLabel(e apply.Event) string {
	return fmt.Sprintf("%s %s %s", e.BatchID, e.Op, domainsText(e.Domains))
}

// domainsText shortens long domain lists for one line.
func domainsText(ds []string) string {
	const show = 3
	if len(ds) <= show {
		return strings.Join(ds, ",")
	}
	return fmt.Sprintf("%s,…(+%d)", strings.Join(ds[:show], ","), len(ds)-show)
}

// Log writes events as structured log lines. Progress of one task is
// logged at most once per interval; everything else as it happens.
type Log struct {
	l     *slog.Logger
	every time.Duration

	mu   sync.Mutex
	last map[string]time.Time // task → time of its last progress line
}

// NewLog returns a log reporter; every ≤ 0 means 10s.
func NewLog(l *slog.Logger, every time.Duration) *Log {
	if every <= 0 {
		every = 10 * time.Second
	}
	return &Log{l: l, every: every, last: map[string]time.Time{}}
}

// Report logs e.
func (g *Log) Report(e apply.Event) {
	batch := []any{"stage", e.Stage, "batch", e.BatchID, "provider", e.Provider, "op", string(e.Op), "domains", domainsText(e.Domains)}
	switch e.Kind {
	case apply.RunStarted:
		g.l.Info("apply started")
	case apply.StageStarted:
		g.l.Info("stage started", "stage", e.Stage, "batches", e.Total)
	case apply.SubmitRetry:
		g.l.Warn("submit refused, retrying", append(batch, "attempt", e.Attempt, "wait", e.Wait, "reason", e.Reason)...)
	case apply.BatchSubmitted:
		g.l.Info("batch submitted", append(batch, "task", e.TaskID, "attempt", e.Attempt)...)
	case apply.TaskAwaiting:
		if e.Resumed {
			g.l.Info("awaiting task started by an earlier run", append(batch, "task", e.TaskID)...)
		}
	case apply.TaskProgress:
		g.mu.Lock()
		last, seen := g.last[e.TaskID]
		due := !seen || e.Time.Sub(last) >= g.every
		if due {
			g.last[e.TaskID] = e.Time
		}
		g.mu.Unlock()
		if due {
			g.l.Info("task progress", "batch", e.BatchID, "task", e.TaskID, "done", e.Done, "failed", e.Failed,
				"total", e.Total, "elapsed", e.Elapsed.Round(time.Second))
		}
	case apply.ItemDone:
		if e.Item == nil {
			return
		}
		attrs := []any{"batch", e.BatchID, "task", e.TaskID, "domain", e.Item.Domain, "state", string(e.Item.State)}
		if e.Item.RecordID != "" {
			attrs = append(attrs, "record", e.Item.RecordID)
		}
		if e.Item.What != "" {
			attrs = append(attrs, "what", e.Item.What)
		}
		if e.Item.Message != "" {
			attrs = append(attrs, "message", e.Item.Message)
		}
		if e.Item.State == "failed" {
			g.l.Warn("item failed", attrs...)
		} else {
			g.l.Debug("item done", attrs...)
		}
	case apply.TaskAbandoned:
		g.l.Warn("task left in flight", append(batch, "task", e.TaskID, "reason", e.Reason)...)
	case apply.BatchDone:
		g.mu.Lock()
		delete(g.last, e.TaskID)
		g.mu.Unlock()
		attrs := append(batch, "task", e.TaskID, "status", string(e.Status), "elapsed", e.Elapsed.Round(time.Second))
		if e.Resumed {
			attrs = append(attrs, "resumed", true)
		}
		if e.Reason != "" {
			attrs = append(attrs, "reason", e.Reason)
		}
		if e.Status == journal.StatusOK {
			g.l.Info("batch done", attrs...)
		} else {
			g.l.Error("batch not done", attrs...)
		}
	case apply.BatchSkipped:
		g.l.Warn("batch skipped", append(batch, "reason", e.Reason)...)
	case apply.StageDone:
		g.l.Info("stage done", "stage", e.Stage, "result", e.Reason)
	case apply.RetryRound:
		g.l.Warn("retrying", "after_stage", e.Stage, "round", e.Attempt, "domains", strings.Join(e.Domains, ","),
			"wait", e.Wait, "reason", e.Reason)
	case apply.Replanned:
		g.l.Info("re-planned", "after_stage", e.Stage, "stages", e.Total)
	case apply.RunDone:
		if s := e.Summary; s != nil {
			attrs := []any{"run", s.Run, "batches_ok", s.Batches.OK, "batches_failed", s.Batches.Failed,
				"batches_skipped", s.Batches.Skipped, "batches_unknown", s.Batches.Unknown, "batches_retried", s.Batches.Retried,
				"items_ok", s.Items.OK, "items_failed", s.Items.Failed, "elapsed", e.Elapsed.Round(time.Second)}
			if s.Error != "" {
				attrs = append(attrs, "error", s.Error)
			}
			if s.OK() {
				g.l.Info("apply finished", attrs...)
			} else {
				g.l.Error("apply incomplete", attrs...)
			}
		}
	}
}
