package apply

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/journal"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
)

// crashHelperEnv makes the test binary an apply process that submits two
// batches, reports when both tasks are awaited, and then waits to be killed.
const crashHelperEnv = "DNSSYNC_APPLY_CRASH_HELPER"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashHelperEnv); dir != "" {
		os.Exit(crashHelper(dir))
	}
	os.Exit(m.Run())
}

func crashHelper(dir string) int {
	j, err := journal.Open(dir)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	dp := newFake("dnspod", map[string]*script{"A": {never: true}, "B": {never: true}})
	awaiting := make(chan struct{}, 2)
	e := &Runner{Executors: map[string]providers.Executor{"dnspod": dp}, Journal: j, Options: Options{
		PollMin: 5 * time.Millisecond, PollMax: 20 * time.Millisecond,
		Reporter: ReporterFunc(func(ev Event) {
			if ev.Kind == TaskAwaiting {
				awaiting <- struct{}{}
			}
		}),
	}}
	go func() {
		<-awaiting
		<-awaiting
		fmt.Println("awaiting")
	}()
	_, _ = e.Apply(context.Background(), mkplan(stg("1", bt("A", "dnspod", "a.com"), bt("B", "dnspod", "b.com"))))
	return 2 // not reached: the parent kills us first
}

// TestKillDuringAwait kills a real apply process with SIGKILL while its tasks
// run, then checks that the next run awaits them and submits nothing.
func TestKillDuringAwait(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashHelperEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "awaiting" {
		t.Fatalf("helper said %q, %v", line, err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	dp := newFake("dnspod", nil)
	ev := newEnv(t, dir, Options{PollMin: time.Millisecond, PollMax: 5 * time.Millisecond}, dp)
	sum, err := ev.e.Run(t.Context(), func(context.Context) (*plan.Plan, error) { return mkplan(), nil })
	if err != nil {
		t.Fatalf("resume run: %v", err)
	}
	got := statuses(sum)
	if got["A"] != "ok" || got["B"] != "ok" || len(got) != 2 {
		t.Errorf("resumed results %v", got)
	}
	if n := dp.totalSubmits(); n != 0 {
		t.Errorf("resume submitted %d writes", n)
	}
	if p := dp.polled(); p["t-A"] == 0 || p["t-B"] == 0 {
		t.Errorf("tasks not polled: %v", p)
	}
}
