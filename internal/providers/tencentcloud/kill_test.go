package tencentcloud_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/journal"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud/tencentcloudtest"
)

// TestProductApplyKilled: `dnssync apply` works through 12 zones on the
// API 3.0 emulator (30 ms per request, task items that take time, an
// hourly quota of 6 tasks so that tasks and single-record calls mix) and
// is killed with SIGKILL once the journal shows accepted writes. The next
// apply converges: every zone then holds exactly its desired records — no
// record created twice — and a new plan is empty.
func TestProductApplyKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	emu := tencentcloudtest.New(tencentcloudtest.Options{MaxTasksPerHour: 6, BatchStep: 20 * time.Millisecond,
		Faults: tencentcloudtest.Faults{Latency: 30 * time.Millisecond, LatencyShare: 1}})
	emu.AddKey(testID, testKey)
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)

	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("dnssync.yaml", fmt.Sprintf(`providers:
  tc:
    type: tencentcloud
    endpoint: %s
    poll_interval: 50ms
    tasks_per_hour: 6
zones: zones
state_dir: .dnssync
`, ts.URL))
	want := map[string][]string{}
	const zones, live, creates = 12, 20, 15
	for i := range zones {
		name := fmt.Sprintf("k%02d.test", i)
		if _, err := emu.AddDomain(name, "DP_EXTRA"); err != nil {
			t.Fatal(err)
		}
		var desired []model.Record
		var yaml strings.Builder
		fmt.Fprintf(&yaml, "domain: %s\ndns:\n  provider: tc\n  ttl: 600\n  records:\n", name)
		for k := range live {
			lr := r(fmt.Sprintf("h%02d", k), model.TypeA, fmt.Sprintf("10.%d.0.%d", i, k+1), 600)
			if _, err := emu.AddRecord(name, lr); err != nil {
				t.Fatal(err)
			}
			switch {
			case k < 5: // deleted
				continue
			case k < 10: // value changed
				lr.Value = fmt.Sprintf("10.%d.1.%d", i, k+1)
			case k < 13: // TTL changed
				lr.TTL = 1200
			}
			desired = append(desired, lr)
		}
		for k := range creates {
			desired = append(desired, r(fmt.Sprintf("n%02d", k), model.TypeTXT, fmt.Sprintf("zone %d item %d", i, k), 600))
		}
		for _, d := range desired {
			fmt.Fprintf(&yaml, "    - {name: %s, type: %s, value: %q, ttl: %d}\n", d.Name, d.Type, d.Value, d.TTL)
		}
		write("zones/"+name+".yaml", yaml.String())
		want[name] = userState(desired)
	}

	bin := filepath.Join(t.TempDir(), "dnssync")
	build := exec.Command("go", "build", "-o", bin, "github.com/dnssync/dnssync/cmd/dnssync")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	command := func(args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, bin, append([]string{"-c", "dnssync.yaml"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "TENCENTCLOUD_SECRET_ID="+testID, "TENCENTCLOUD_SECRET_KEY="+testKey)
		return cmd
	}
	differing := func() int {
		n := 0
		for name, w := range want {
			if !slices.Equal(userState(emu.Records(name)), w) {
				n++
			}
		}
		return n
	}

	first := command("apply", "--yes", "--force")
	var out1 bytes.Buffer
	first.Stdout, first.Stderr = &out1, &out1
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- first.Wait() }()
	journalPath := filepath.Join(dir, ".dnssync", journal.FileName)
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, _ := os.ReadFile(journalPath)
		if bytes.Count(b, []byte(`"kind":"accepted"`))+bytes.Count(b, []byte(`"kind":"outcome"`)) >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no write accepted within 60 s:\n%s", out1.String())
		}
		select {
		case err := <-done:
			t.Fatalf("apply ended before it was killed (%v):\n%s", err, out1.String())
		case <-time.After(2 * time.Millisecond):
		}
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	committed := 0
	for _, e := range emu.Log() {
		if e.Committed {
			committed++
		}
	}
	if n := differing(); n == 0 || committed == 0 {
		t.Fatalf("the kill left %d zones differing after %d committed writes; want a run cut part way", n, committed)
	} else {
		t.Logf("killed after %d committed writes with %d of %d zones differing", committed, n, zones)
	}

	if out, err := command("apply", "--yes", "--force").CombinedOutput(); err != nil {
		t.Fatalf("apply after the kill: %v\n%s", err, out)
	}
	if out, err := command("plan", "--detailed-exitcode").CombinedOutput(); err != nil {
		t.Fatalf("plan after the second apply: %v\n%s", err, out)
	}
	for name, w := range want {
		if got := userState(emu.Records(name)); !slices.Equal(got, w) {
			t.Errorf("%s after recovery:\n got %q\nwant %q", name, got, w)
		}
	}
}
