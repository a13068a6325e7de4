package main

import (
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestReleaseBuild builds dnssync the way the Dockerfile's build stage
// does — its environment, flags and -ldflags, with the build arguments
// filled in — and checks that the result is static and that `version`
// reports what the linker was given. (The image itself needs a Docker
// engine; the stages' other properties are checked by TestDockerfile.)
func TestReleaseBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	df, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)RUN [^\n]*\\\n\s*(CGO_ENABLED=0) go build (-trimpath) \\\n\s*-ldflags "([^"]+)" \\\n\s*-o \S+ (\./cmd/dnssync)`).FindSubmatch(df)
	if m == nil {
		t.Fatal("the Dockerfile's go build line was not found")
	}
	args := map[string]string{"${VERSION}": "v9.8.7", "${COMMIT}": "0123456789abcdef", "${DATE}": "2030-01-02T03:04:05Z"}
	ldflags := string(m[3])
	for k, v := range args {
		ldflags = strings.ReplaceAll(ldflags, k, v)
	}
	bin := filepath.Join(t.TempDir(), "dnssync")
	cmd := exec.Command("go", "build", string(m[2]), "-ldflags", ldflags, "-o", bin, "github.com/dnssync/dnssync/cmd/dnssync")
	cmd.Env = append(os.Environ(), string(m[1]))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version", "--format", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var bi buildInfo
	if err := json.Unmarshal(out, &bi); err != nil {
		t.Fatal(err)
	}
	if bi.Version != "v9.8.7" || bi.Commit != "0123456789abcdef" || bi.Date != "2030-01-02T03:04:05Z" {
		t.Errorf("version reports %+v, want the linker's values", bi)
	}
	if runtime.GOOS == "linux" {
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
				t.Errorf("the binary is not static: it has %v", p.Type)
			}
		}
	}

	// GoReleaser sets the same variables.
	gr, err := os.ReadFile("../../.goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"-X main.version=", "-X main.commit=", "-X main.date=", "CGO_ENABLED=0"} {
		if !strings.Contains(string(gr), v) {
			t.Errorf(".goreleaser.yaml does not set %s", v)
		}
	}
}

// TestDockerfile checks what the image promises without a Docker engine:
// several stages, a static build, a minimal base and a user that is not
// root in the image that ships.
func TestDockerfile(t *testing.T) {
	for _, file := range []string{"../../Dockerfile", "../../release.Dockerfile"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var froms []string
		user := ""
		for _, l := range strings.Split(string(data), "\n") {
			f := strings.Fields(l)
			if len(f) < 2 {
				continue
			}
			switch strings.ToUpper(f[0]) {
			case "FROM":
				froms = append(froms, f[1])
				user = "" // USER is per stage
			case "USER":
				user = f[1]
			}
		}
		final := froms[len(froms)-1]
		if !strings.HasPrefix(final, "gcr.io/distroless/static") && final != "scratch" {
			t.Errorf("%s: final base %s is not minimal (distroless/static or scratch)", file, final)
		}
		if uid, _, _ := strings.Cut(user, ":"); uid == "" || uid == "0" || uid == "root" {
			t.Errorf("%s: the final stage runs as %q, want a non-root user", file, user)
		}
		if file == "../../Dockerfile" && len(froms) < 2 {
			t.Errorf("%s: %d stage(s), want a build stage and a runtime stage", file, len(froms))
		}
	}
}
