package interrupt

import (
	"context"
	"syscall"
	"testing"
	"time"
)

func TestTwoSignals(t *testing.T) {
	ctx, stop := Notify(context.Background(), syscall.SIGUSR1)
	defer stop()
	detached := Detached(ctx)
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("first signal did not cancel the context")
	}
	if detached.Err() != nil {
		t.Fatal("first signal cancelled the detached context")
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	select {
	case <-detached.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("second signal did not cancel the detached context")
	}
}

func TestDetachedWithoutNotify(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	d := Detached(ctx)
	cancel()
	if d.Err() != nil {
		t.Fatal("Detached outside Notify follows the parent's cancellation")
	}
}
