package emulator

import (
	"testing"
	"time"
)

func TestFaultsCheck(t *testing.T) {
	for _, tt := range []struct {
		f  Faults
		ok bool
	}{
		{Faults{}, true},
		{Faults{Throttle: 0.5, ServerError: 0.5, CommitLoss: 1, ItemFail: 1, Latency: time.Second}, true},
		{Faults{Drop: 1.5}, false},
		{Faults{ItemFail: -0.1}, false},
		{Faults{Throttle: 0.5, ServerError: 0.3, Drop: 0.3}, false}, // exclusive shares add up to 1.1
		{Faults{Latency: -time.Millisecond}, false},
	} {
		if err := tt.f.Check(); (err == nil) != tt.ok {
			t.Errorf("%+v: Check() = %v, want ok=%v", tt.f, err, tt.ok)
		}
	}
}

// TestDeriveStable: credentials derived from a name must not change, or
// every checked-in copy of a sandbox credential would stop working.
func TestDeriveStable(t *testing.T) {
	a, b := Derive("p", "name"), Derive("p", "name")
	if a != b || a == Derive("q", "name") || a == Derive("p", "other") {
		t.Fatal("Derive is not a function of purpose and provider alone")
	}
}
