// Package interrupt turns SIGINT and SIGTERM into two levels of
// cancellation for the CLI: the first signal asks work to stop (no new
// provider writes; what is in flight stays journaled), the second means
// stop now, also for the short clean-up steps that run after the first
// (verifying what an interrupted apply left, closing the journal).
package interrupt

import (
	"context"
	"os"
	"os/signal"
)

type hardKey struct{}

// Notify returns a context cancelled by the first of sigs and a stop
// function that releases the signals. The second signal cancels the
// context Detached returns for it.
func Notify(parent context.Context, sigs ...os.Signal) (context.Context, func()) {
	hard, cancelHard := context.WithCancel(parent)
	soft, cancelSoft := context.WithCancel(context.WithValue(hard, hardKey{}, hard))
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, sigs...)
	done := make(chan struct{})
	go func() {
		defer close(done)
		n := 0
		for {
			select {
			case <-ch:
				n++
				if n == 1 {
					cancelSoft()
				} else {
					cancelHard()
					return
				}
			case <-hard.Done():
				return
			}
		}
	}()
	return soft, func() {
		signal.Stop(ch)
		cancelHard()
		cancelSoft()
		<-done
	}
}

// Detached returns a context that the first signal does not cancel but the
// second does (and the parent's own deadline or cancellation before the
// signal handling, if any). Outside Notify it is context.WithoutCancel(ctx).
func Detached(ctx context.Context) context.Context {
	hard, ok := ctx.Value(hardKey{}).(context.Context)
	if !ok {
		return context.WithoutCancel(ctx)
	}
	return hard
}
