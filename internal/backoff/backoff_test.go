package backoff

import (
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	tests := []struct {
		base, limit time.Duration
		n           int
		want        time.Duration
	}{
		{time.Second, time.Minute, 0, time.Second},
		{time.Second, time.Minute, 3, 8 * time.Second},
		{time.Second, time.Minute, 10, time.Minute},
		{time.Second, time.Minute, 1000, time.Minute},
		{time.Second, 0, 5, time.Second},
		{0, time.Minute, 5, 0},
	}
	for _, tt := range tests {
		if got := Delay(tt.base, tt.limit, tt.n); got != tt.want {
			t.Errorf("Delay(%v, %v, %d) = %v, want %v", tt.base, tt.limit, tt.n, got, tt.want)
		}
	}
}

func TestJitterStaysInUpperHalf(t *testing.T) {
	d := 10 * time.Second
	lo := Jitter(d, func(int64) int64 { return 0 })
	hi := Jitter(d, func(n int64) int64 { return n })
	if lo != 5*time.Second || hi != d {
		t.Fatalf("range [%v, %v], want [5s, 10s]", lo, hi)
	}
	for range 1000 {
		if j := Jitter(d, nil); j < d/2 || j > d {
			t.Fatalf("Jitter = %v outside [%v, %v]", j, d/2, d)
		}
	}
	if Jitter(1, nil) != 1 || Jitter(0, nil) != 0 {
		t.Fatal("tiny durations are kept")
	}
}
