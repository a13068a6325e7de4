package tencentcloud_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud/tencentcloudtest"
	"github.com/dnssync/dnssync/internal/testbin"
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

	bin := testbin.Build(t)
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

	testbin.KillAfterWrites(t, command("apply", "--yes", "--force"), filepath.Join(dir, ".dnssync"), 4, 60*time.Second)
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
