package progress

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/dnssync/dnssync/internal/apply"
	"github.com/dnssync/dnssync/internal/journal"
)

// Bars draws one live bar per awaited task: items done of total, failed
// items, elapsed time. Other events (skips, failures, stage ends) print as
// lines above the bars. Close stops drawing.
type Bars struct {
	p *mpb.Progress

	mu     sync.Mutex
	bars   map[string]*taskBar // by batch id (plus run for resumed tasks)
	closed bool
}

type taskBar struct {
	bar    *mpb.Bar
	failed atomic.Int64
	total  atomic.Int64
}

// NewBars draws on w; extra mpb options (for instance mpb.ForceTTY() in
// tests) are passed on.
func NewBars(w io.Writer, opts ...mpb.ContainerOption) *Bars {
	opts = append([]mpb.ContainerOption{mpb.WithOutput(w), mpb.WithRefreshRate(150 * time.Millisecond)}, opts...)
	return &Bars{p: mpb.New(opts...), bars: map[string]*taskBar{}}
}

func barKey(e apply.Event) string {
	if e.Resumed {
		return "resumed/" + e.TaskID
	}
	return e.Stage + "/" + e.BatchID
}

// Report updates the bars for e.
func (b *Bars) Report(e apply.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	switch e.Kind {
	case apply.StageStarted:
		b.printf("stage %s: %d batches\n", e.Stage, e.Total)
	case apply.TaskAwaiting:
		start := e.Time.Add(-e.Elapsed)
		tb := &taskBar{}
		label := batchLabel(e)
		if e.Resumed {
			label = "(resumed) " + label
		}
		tb.bar = b.p.AddBar(0, mpb.BarWidth(24),
			mpb.PrependDecorators(decor.Name(label, decor.WCSyncSpaceR)),
			mpb.AppendDecorators(
				decor.Any(func(st decor.Statistics) string {
					return fmt.Sprintf("%d/%d items, %d failed", st.Current, tb.total.Load(), tb.failed.Load())
				}, decor.WCSyncSpace),
				decor.NewElapsed(decor.ET_STYLE_MMSS, start, decor.WCSyncSpace),
			),
		)
		b.bars[barKey(e)] = tb
	case apply.TaskProgress:
		if tb := b.bars[barKey(e)]; tb != nil {
			tb.total.Store(int64(e.Total))
			tb.failed.Store(int64(e.Failed))
			tb.bar.SetTotal(int64(e.Total), false)
			tb.bar.SetCurrent(int64(e.Done))
		}
	case apply.BatchDone:
		tb := b.bars[barKey(e)]
		delete(b.bars, barKey(e))
		if tb != nil {
			if e.Status == journal.StatusOK {
				tb.bar.SetTotal(-1, true) // complete at the current count
			} else {
				tb.bar.Abort(false) // keep the line visible
			}
		}
		if e.Status != journal.StatusOK {
			b.printf("%s %s: %s\n", e.Status, batchLabel(e), e.Reason)
		}
	case apply.BatchSkipped:
		b.printf("skipped %s: %s\n", batchLabel(e), e.Reason)
	case apply.RetryRound:
		b.printf("retry round %d after stage %s: %s; planning again from live state in %s\n", e.Attempt, e.Stage, e.Reason, e.Wait.Round(time.Millisecond))
	case apply.Replanned:
		b.printf("re-planned after stage %s: %d stages follow\n", e.Stage, e.Total)
	case apply.StageDone:
		b.printf("stage %s done: %s\n", e.Stage, e.Reason)
	}
}

func (b *Bars) printf(format string, args ...any) {
	_, _ = fmt.Fprintf(b.p, format, args...)
}

// Close ends the bars still drawn and waits until the last frame is out.
func (b *Bars) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	for k, tb := range b.bars {
		tb.bar.Abort(false)
		delete(b.bars, k)
	}
	b.mu.Unlock()
	// Lines written above the bars are flushed only by a render; a last,
	// invisible bar that completes at once guarantees one after them.
	flush := b.p.AddBar(1, mpb.BarRemoveOnComplete())
	flush.SetCurrent(1)
	b.p.Wait()
}
