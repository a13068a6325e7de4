package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set at build time by release builds (.goreleaser.yaml, the Dockerfile):
//
//	-ldflags "-X main.version=v1.2.3 -X main.commit=abc1234 -X main.date=2030-01-02T03:04:05Z"
//
// Builds without them (go install, go build in a clone) take the same facts
// from the build information the Go toolchain records.
var (
	version = ""
	commit  = ""
	date    = ""
)

// buildInfo is what `dnssync version` prints and dnssync_build_info exports.
type buildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	Modified  bool   `json:"modified,omitempty"` // built from a work tree with uncommitted changes
	GoVersion string `json:"go"`
	Platform  string `json:"platform"`
}

// readBuildInfo combines the linker-set values with the toolchain's build
// information: the module version recorded by `go install …@version`, and
// the VCS revision, commit time and modified flag recorded by a build in a
// git clone. What neither knows is "unknown" ("dev" for the version).
func readBuildInfo() buildInfo {
	bi := buildInfo{Version: version, Commit: commit, Date: date,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info, ok := debug.ReadBuildInfo(); ok {
		bi = fromDebug(bi, info)
	}
	if bi.Version == "" {
		bi.Version = "dev"
	}
	if bi.Commit == "" {
		bi.Commit = "unknown"
	}
	if bi.Date == "" {
		bi.Date = "unknown"
	}
	return bi
}

// fromDebug fills what bi lacks from the toolchain's build information.
func fromDebug(bi buildInfo, info *debug.BuildInfo) buildInfo {
	if bi.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		bi.Version = info.Main.Version
	}
	vcsCommit, vcsDate := "", ""
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			vcsCommit = s.Value
		case "vcs.time":
			vcsDate = s.Value
		case "vcs.modified":
			bi.Modified = s.Value == "true"
		}
	}
	if bi.Commit == "" {
		bi.Commit = vcsCommit
	}
	if bi.Date == "" {
		bi.Date = vcsDate
	}
	if info.GoVersion != "" {
		bi.GoVersion = info.GoVersion
	}
	return bi
}

// buildVersion is the version alone, for plans, journals and logs.
func buildVersion() string { return readBuildInfo().Version }

func newVersionCmd(g *globalOptions) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Long: "version prints the version of dnssync, the commit it was built from, when that commit was made\n" +
			"(or the release built), the Go version and the platform. Release builds carry these from\n" +
			"the linker; other builds from the build information the Go toolchain records (module version\n" +
			"for `go install …@version`, VCS revision and time for a build in a git clone).",
		Example: "  dnssync version\n  dnssync version --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bi := readBuildInfo()
			switch format {
			case "json":
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(bi)
			case "text":
			default:
				return fmt.Errorf("--format must be text or json, not %q", format)
			}
			commit := bi.Commit
			if bi.Modified {
				commit += " (modified)"
			}
			_, err := fmt.Fprintf(g.stdout, "dnssync %s\n  commit: %s\n  built:  %s\n  go:     %s %s\n",
				bi.Version, commit, bi.Date, bi.GoVersion, bi.Platform)
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output: text or json")
	register(cmd, map[string]cobra.CompletionFunc{"format": completeValues("text", "json")})
	return cmd
}
