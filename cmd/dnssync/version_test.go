package main

import (
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFromDebug(t *testing.T) {
	vcs := []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2030-01-02T03:04:05Z"},
		{Key: "vcs.modified", Value: "true"},
	}
	tests := []struct {
		name string
		in   buildInfo // what the linker set
		info debug.BuildInfo
		want buildInfo
	}{
		{
			name: "build in a clone",
			info: debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs},
			want: buildInfo{Commit: "0123456789abcdef0123456789abcdef01234567", Date: "2030-01-02T03:04:05Z", Modified: true, GoVersion: "go1.26.8"},
		},
		{
			name: "go install at a version",
			info: debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}},
			want: buildInfo{Version: "v1.4.0", GoVersion: "go1.26.8"},
		},
		{
			name: "release build: the linker's values win",
			in:   buildInfo{Version: "v2.0.0", Commit: "abc1234", Date: "2031-05-06T07:08:09Z"},
			info: debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20300102030405-0123456789ab"}, Settings: vcs},
			want: buildInfo{Version: "v2.0.0", Commit: "abc1234", Date: "2031-05-06T07:08:09Z", Modified: true, GoVersion: "go1.26.8"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, fromDebug(tt.in, &tt.info)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}
