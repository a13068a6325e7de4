package progress

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vbauerster/mpb/v8"

	"github.com/dnssync/dnssync/internal/apply"
	"github.com/dnssync/dnssync/internal/journal"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func ev(kind apply.EventKind, at time.Duration) apply.Event {
	return apply.Event{Kind: kind, Time: t0.Add(at), Stage: "records", BatchID: "s2.b0", Provider: "dnspod",
		Op: plan.Op("dnspod:Batch.Record.Modify"), Domains: []string{"a.com", "b.com", "c.com", "d.com"}, TaskID: "job-7"}
}

func script() []apply.Event {
	progress := func(at time.Duration, done, failed int) apply.Event {
		e := ev(apply.TaskProgress, at)
		e.Done, e.Failed, e.Total, e.Elapsed = done, failed, 4, at
		return e
	}
	item := ev(apply.ItemDone, 31*time.Second)
	item.Item = &providers.ItemResult{Domain: "b.com", RecordID: "42", State: providers.ItemFailed, Message: "记录已经存在"}
	done := ev(apply.BatchDone, 31*time.Second)
	done.Status, done.Reason = journal.StatusFailed, "1 of 4 items failed: b.com: 记录已经存在"
	skip := ev(apply.BatchSkipped, 32*time.Second)
	skip.BatchID, skip.Stage, skip.Reason = "s3.b0", "nameservers", "depends on an unfinished earlier batch (b.com: s2.b0 failed)"
	sum := &journal.Summary{Run: "r1", Batches: journal.BatchCounts{Failed: 1, Skipped: 1}, Items: journal.ItemCounts{OK: 3, Failed: 1}}
	return []apply.Event{
		ev(apply.BatchSubmitted, 0),
		ev(apply.TaskAwaiting, 0),
		progress(1*time.Second, 0, 0),
		progress(5*time.Second, 2, 0),  // within 10s of the last line: not logged
		progress(12*time.Second, 3, 1), // logged
		progress(31*time.Second, 4, 1),
		item,
		done,
		skip,
		{Kind: apply.RunDone, Time: t0.Add(33 * time.Second), Summary: sum, Elapsed: 33 * time.Second},
	}
}

func TestLogReporter(t *testing.T) {
	var buf bytes.Buffer
	r := NewLog(slog.New(slog.NewJSONHandler(&buf, nil)), 10*time.Second)
	for _, e := range script() {
		r.Report(e)
	}
	type line struct {
		Msg     string `json:"msg"`
		Level   string `json:"level"`
		Done    *int   `json:"done"`
		Message string `json:"message"`
		Reason  string `json:"reason"`
		Domains string `json:"domains"`
	}
	var got []line
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var x line
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		got = append(got, x)
	}
	ip := func(n int) *int { return &n }
	want := []line{
		{Msg: "batch submitted", Level: "INFO", Domains: "a.com,b.com,c.com,…(+1)"},
		{Msg: "task progress", Level: "INFO", Done: ip(0)},
		{Msg: "task progress", Level: "INFO", Done: ip(3)},
		{Msg: "task progress", Level: "INFO", Done: ip(4)},
		{Msg: "item failed", Level: "WARN", Message: "记录已经存在"},
		{Msg: "batch not done", Level: "ERROR", Reason: "1 of 4 items failed: b.com: 记录已经存在", Domains: "a.com,b.com,c.com,…(+1)"},
		{Msg: "batch skipped", Level: "WARN", Reason: "depends on an unfinished earlier batch (b.com: s2.b0 failed)", Domains: "a.com,b.com,c.com,…(+1)"},
		{Msg: "apply incomplete", Level: "ERROR"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("log lines (-want +got):\n%s\nraw:\n%s", d, buf.String())
	}
}

func TestBarsReporter(t *testing.T) {
	var buf bytes.Buffer
	b := NewBars(&buf, mpb.WithAutoRefresh())
	for _, e := range script() {
		b.Report(e)
	}
	b.Close()
	b.Report(ev(apply.TaskAwaiting, 0)) // after Close: ignored, no panic
	out := buf.String()
	for _, want := range []string{
		"s2.b0 dnspod:Batch.Record.Modify a.com,b.com,c.com,…(+1)",
		"4/4 items, 1 failed",
		"failed s2.b0",
		"skipped s3.b0",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("bars output lacks %q:\n%s", want, out)
		}
	}
}

func TestNewChooses(t *testing.T) {
	if r, _ := New(Config{Quiet: true, Terminal: true, Out: &bytes.Buffer{}}); r != (apply.Nop{}) {
		t.Errorf("quiet: %T", r)
	}
	r, done := New(Config{Terminal: true, Out: &bytes.Buffer{}})
	if _, ok := r.(*Bars); !ok {
		t.Errorf("terminal: %T", r)
	}
	done()
	if r, _ := New(Config{Logger: slog.New(slog.DiscardHandler)}); func() bool { _, ok := r.(*Log); return !ok }() {
		t.Errorf("not terminal: %T", r)
	}
	if IsTerminal(&bytes.Buffer{}) {
		t.Errorf("a buffer is not a terminal")
	}
}

// TestBarsSyncBatch: a synchronous batch (a single remove answers with its
// result) shows its items like a polled task.
func TestBarsSyncBatch(t *testing.T) {
	var buf bytes.Buffer
	b := NewBars(&buf, mpb.WithAutoRefresh())
	p := ev(apply.TaskProgress, 0)
	p.Op, p.Done, p.Total = plan.Op("dnspod:Record.Remove"), 2, 2
	aw := ev(apply.TaskAwaiting, 0)
	aw.Op = p.Op
	done := ev(apply.BatchDone, 0)
	done.Op, done.Status = p.Op, journal.StatusOK
	for _, e := range []apply.Event{aw, p, done} {
		b.Report(e)
	}
	b.Close()
	if out := buf.String(); !strings.Contains(out, "2/2 items, 0 failed") {
		t.Errorf("bar of a synchronous remove lacks its items:\n%s", out)
	}
}
