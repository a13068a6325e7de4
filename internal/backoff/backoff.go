// Package backoff is the one capped exponential backoff with jitter that
// every waiting loop of dnssync uses: provider clients between retries,
// apply between task polls, the daemon between a domain's retries.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Delay returns base·2ⁿ (n from 0), capped at limit; base when limit is
// below it.
func Delay(base, limit time.Duration, n int) time.Duration {
	if base <= 0 {
		return 0
	}
	d := base
	for i := 0; i < n && d < limit; i++ {
		d *= 2
	}
	return max(base, min(d, limit))
}

// Jitter keeps at least half of d, so that waits still grow, and draws the
// rest uniformly, so that concurrent waiters drift apart. draw returns a
// uniform integer in [0, n]; nil uses math/rand/v2.
func Jitter(d time.Duration, draw func(n int64) int64) time.Duration {
	if d <= 1 {
		return d
	}
	if draw == nil {
		draw = func(n int64) int64 { return rand.Int64N(n + 1) }
	}
	half := d / 2
	return half + time.Duration(draw(int64(d-half)))
}
