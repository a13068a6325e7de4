package rfc2136_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/providers/rfc2136/servertest"
	"github.com/dnssync/dnssync/internal/testbin"
)

// TestProductApplyKilled: `dnssync apply` sends a 2,000-difference change
// to a 20,000-record zone on BIND in many small UPDATEs and is killed with
// SIGKILL once the server has accepted some of them. The next apply
// converges: the zone then holds exactly the desired records, one per
// name, and a new plan is empty.
func TestProductApplyKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and starts a 20,000-record zone")
	}
	serverZone, desiredZone, want := benchZones()
	s := servertest.Start(t, servertest.BIND, servertest.Options{ZoneFile: serverZone})
	rp := newRepo(t, s, 0)
	rp.write("zones/example.test.yaml", desiredZone)
	// Small messages, so that the apply sends many and the kill falls
	// between two of them or during one.
	cfg, err := os.ReadFile(filepath.Join(rp.dir, "dnssync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rp.write("dnssync.yaml", string(cfg)+"    max_message_size: 1024\n")

	bin := testbin.Build(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	command := func(args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, bin, append([]string{"-c", "dnssync.yaml"}, args...)...)
		cmd.Dir = rp.dir
		return cmd
	}

	// Kill once the journal shows a few UPDATEs the server accepted.
	testbin.KillAfterWrites(t, command("apply", "--yes", "--force"), filepath.Join(rp.dir, ".dnssync"), 3, 60*time.Second)

	// The kill left the zone part way: some differences applied, not all.
	if n := differences(rp, want); n == 0 || n >= benchCreates+benchChanges+benchDeletes {
		t.Fatalf("%d names differ from the desired state after the kill, want some of the %d", n, benchCreates+benchChanges+benchDeletes)
	} else {
		t.Logf("killed with %d of %d differences left", n, benchCreates+benchChanges+benchDeletes)
	}

	again := command("apply", "--yes", "--force")
	if out, err := again.CombinedOutput(); err != nil {
		t.Fatalf("apply after the kill: %v\n%s", err, out)
	}
	if out, err := command("plan", "--detailed-exitcode").CombinedOutput(); err != nil {
		t.Fatalf("plan after the second apply: %v\n%s", err, out)
	}

	if n := differences(rp, want); n > 0 {
		t.Fatalf("%d names differ from the desired state", n)
	}
}

// differences counts the names whose records in the zone (apex NS left
// out) are not exactly the one desired record, and the desired names
// missing from it.
func differences(rp *repo, want map[string]string) int {
	rp.t.Helper()
	got := map[string][]string{}
	for _, rec := range rp.zone() {
		if rec.Name == "@" && rec.Type == "NS" {
			continue
		}
		got[rec.Name] = append(got[rec.Name], rec.Type+" "+rec.Value)
	}
	bad := 0
	for name, recs := range got {
		if len(recs) != 1 || recs[0] != want[name] {
			bad++
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			bad++
		}
	}
	return bad
}
