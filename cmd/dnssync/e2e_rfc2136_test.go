package main

// End-to-end test of the real binary against real DNS servers (the rfc2136
// provider): validate, import, plan, apply from a saved plan, plan again.
// Servers that are not installed are skipped (see servertest).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/providers/rfc2136/servertest"
)

// secretEnv is where the child processes find the TSIG secret.
const secretEnv = "DNSSYNC_E2E_TSIG_SECRET"

func TestE2ERFC2136(t *testing.T) {
	bin := dnssyncBinary(t)
	for _, kind := range servertest.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			s := servertest.Start(t, kind, servertest.Options{})
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "zones"), 0o755); err != nil {
				t.Fatal(err)
			}
			config := fmt.Sprintf(`providers:
  own:
    type: rfc2136
    server: %s
    port: %d
    tsig_key: %s
    tsig_secret_env: %s
`, s.Host, s.Port, s.Key.Name, secretEnv)
			if err := os.WriteFile(filepath.Join(dir, "dnssync.yaml"), []byte(config), 0o644); err != nil {
				t.Fatal(err)
			}
			var outputs []string
			run := func(args ...string) (int, string) {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				cmd := exec.CommandContext(ctx, bin, append([]string{"-c", "dnssync.yaml"}, args...)...)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), secretEnv+"="+s.Key.Secret)
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				err := cmd.Run()
				code := 0
				var ee *exec.ExitError
				switch {
				case errors.As(err, &ee):
					code = ee.ExitCode()
				case err != nil:
					t.Fatalf("dnssync %s: %v\n%s", strings.Join(args, " "), err, out.String())
				}
				outputs = append(outputs, out.String())
				return code, out.String()
			}
			expect := func(want int, args ...string) string {
				t.Helper()
				code, out := run(args...)
				if code != want {
					t.Fatalf("dnssync %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, out)
				}
				return out
			}

			expect(0, "validate")
			expect(0, "import", "--out", "zones", "example.test")
			zoneFile := filepath.Join(dir, "zones", "example.test.yaml")
			expect(0, "validate")
			if out := expect(0, "plan", "--detailed-exitcode"); !strings.Contains(out, "No changes") {
				t.Errorf("plan after import:\n%s", out)
			}

			// Edit the imported file: drop sip's AAAA, add two records.
			data, err := os.ReadFile(zoneFile)
			if err != nil {
				t.Fatal(err)
			}
			var kept []string
			for _, l := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
				if !strings.Contains(l, "name: sip,") {
					kept = append(kept, l)
				}
			}
			kept = append(kept, "    - {name: cli, type: A, value: 192.0.2.200}", "    - {name: cli, type: TXT, value: from the command line}")
			if err := os.WriteFile(zoneFile, []byte(strings.Join(kept, "\n")+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			out := expect(exitChanges, "plan", "--detailed-exitcode", "-out", "plan.json")
			for _, want := range []string{"+ cli A", "- sip AAAA", "rfc2136:UPDATE", "example.test: 3 RRsets (-sip AAAA, +cli A, +cli TXT)"} {
				if !strings.Contains(out, want) {
					t.Errorf("plan does not show %q:\n%s", want, out)
				}
			}
			out = expect(0, "apply", "--yes", "plan.json")
			if !strings.Contains(out, "Converged") {
				t.Errorf("apply:\n%s", out)
			}
			expect(0, "plan", "--detailed-exitcode")
			expect(0, "status")

			// The secret is in no output and nowhere in the state directory.
			for i, o := range outputs {
				if strings.Contains(o, s.Key.Secret) {
					t.Errorf("output %d shows the TSIG secret:\n%s", i, o)
				}
			}
			err = filepath.WalkDir(filepath.Join(dir, ".dnssync"), func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(p)
				if err == nil && bytes.Contains(b, []byte(s.Key.Secret)) {
					t.Errorf("%s holds the TSIG secret", p)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
