package servertest

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that records Skip and Fatal instead of ending
// the test.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()           {}
func (r *recorder) Skip(args ...any)  { r.skipped = fmt.Sprint(args...) }
func (r *recorder) Fatal(args ...any) { r.failed = fmt.Sprint(args...) }

func TestMissingProgram(t *testing.T) {
	tests := []struct {
		require, ci string
		wantSkip    bool
	}{
		{"", "", true},
		{"0", "", true},
		{"1", "", false},
		{"", "false", true},
		{"", "0", true},
		{"", "yes", true},
		{"", "true", false},
		{"", "TRUE", false},
		{"", "1", false},
		{"0", "true", false},
		{"1", "false", false},
	}
	for _, tt := range tests {
		t.Run("require="+tt.require+",ci="+tt.ci, func(t *testing.T) {
			t.Setenv(EnvRequire, tt.require)
			t.Setenv(EnvCI, tt.ci)
			if got := Required(); got == tt.wantSkip {
				t.Errorf("Required() = %v", got)
			}
			r := &recorder{TB: t}
			missing(r, Knot, "knotd")
			got := r.skipped
			if !tt.wantSkip {
				got = r.failed
			}
			if got == "" || r.skipped != "" && r.failed != "" {
				t.Fatalf("skip %q, fail %q; want only a %s", r.skipped, r.failed, map[bool]string{true: "skip", false: "failure"}[tt.wantSkip])
			}
			for _, want := range []string{"knotd", "ci-install-dns-servers.sh"} {
				if !strings.Contains(got, want) {
					t.Errorf("message %q does not mention %s", got, want)
				}
			}
		})
	}
}
