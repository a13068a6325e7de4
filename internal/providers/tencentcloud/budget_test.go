package tencentcloud_test

import (
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/providers/tencentcloud"
)

// TestTaskLedgerWindow: submissions count for an hour each; a refusal
// for the quota spends all of it for an hour.
func TestTaskLedgerWindow(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := tencentcloud.NewTaskLedger(func() time.Time { return now })
	l.Submitted()
	now = now.Add(30 * time.Minute)
	l.Submitted()
	l.Submitted()
	if got := l.Spent(80); got != 3 {
		t.Fatalf("spent %d, want 3", got)
	}
	if got := l.Spent(2); got != 2 {
		t.Errorf("spent %d of a quota of 2, want 2", got)
	}
	now = now.Add(31 * time.Minute) // the first has aged out
	if got := l.Spent(80); got != 2 {
		t.Errorf("spent %d an hour after the first, want 2", got)
	}
	l.Refused()
	if !l.Exhausted() || l.Spent(80) != 80 {
		t.Errorf("after a refusal: exhausted %t, spent %d; want true, 80", l.Exhausted(), l.Spent(80))
	}
	now = now.Add(time.Hour)
	if l.Exhausted() || l.Spent(80) != 0 {
		t.Errorf("an hour after the refusal: exhausted %t, spent %d; want false, 0", l.Exhausted(), l.Spent(80))
	}
}
