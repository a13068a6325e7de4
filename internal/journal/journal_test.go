package journal

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/statedir"
)

func fixedClock() func() time.Time {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	n := 0
	return func() time.Time { n++; return t0.Add(time.Duration(n) * time.Millisecond) }
}

func batch(id string, domains ...string) plan.Batch {
	return plan.Batch{ID: id, Provider: "dnspod", Op: "dnspod:Batch.Record.Modify", Domains: domains, Items: 2,
		Detail: "ttl=600 on 2 records", Payload: []byte(`{"record_ids":["1","2"],"field":"ttl","to":"600"}`), Changes: []string{domains[0] + "#1"}}
}

func task(b plan.Batch, id string) providers.Task {
	return providers.Task{Provider: b.Provider, Op: b.Op, ID: id, BatchID: b.ID}
}

func mustOpen(t *testing.T, dir string, opts ...Option) *Journal {
	t.Helper()
	j, err := Open(dir, append([]Option{WithClock(fixedClock())}, opts...)...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ids(p []PendingTask, u []UnknownBatch) (tasks, unknown []string) {
	tasks, unknown = []string{}, []string{}
	for _, x := range p {
		tasks = append(tasks, x.Batch+"="+x.Task.ID)
	}
	for _, x := range u {
		unknown = append(unknown, x.Batch)
	}
	return tasks, unknown
}

// crashScript writes one line per step and returns the journal bytes. The
// expected classification after each complete line is tabled in
// TestCrashAtEveryByte.
func crashScript(t *testing.T, dir string) []byte {
	j := mustOpen(t, dir)
	step := func(err error) { t.Helper(); must(t, err) }
	intent := func(b plan.Batch) string {
		ref, err := j.Intent("s1", b)
		step(err)
		return ref
	}
	a, bb, c, d, e, f := batch("A", "a.com"), batch("B", "b.com"), batch("C", "c.com"), batch("D", "d.com"), batch("E", "e.com"), batch("F", "f.com")
	ra := intent(a) // lines 1 (start) and 2
	step(j.Accepted(ra, task(a, "tA")))
	rb := intent(bb)
	step(j.Unknown(rb, "reset after send"))
	rc := intent(c)
	step(j.Rejected(rc, "ParameterIllegal"))
	rd := intent(d)
	step(j.Accepted(rd, task(d, "tD")))
	step(j.Outcome(rd, StatusOK, []providers.ItemResult{{Domain: "d.com", State: providers.ItemOK}}, ""))
	re := intent(e)
	step(j.Accepted(re, task(e, "tE")))
	step(j.TimedOut(re, "task timeout"))
	intent(f)
	data, err := os.ReadFile(filepath.Join(dir, FileName))
	must(t, err)
	return data
}

func TestCrashAtEveryPoint(t *testing.T) {
	data := crashScript(t, t.TempDir())
	// Expected (pending tasks, unknown batches) after n complete lines.
	want := []struct{ tasks, unknown []string }{
		0:  {nil, nil},
		1:  {nil, nil},                        // start
		2:  {nil, []string{"A"}},              // intent A, crash during submit
		3:  {[]string{"A=tA"}, nil},           // accepted A
		4:  {[]string{"A=tA"}, []string{"B"}}, // intent B
		5:  {[]string{"A=tA"}, []string{"B"}}, // unknown B
		6:  {[]string{"A=tA"}, []string{"B", "C"}},
		7:  {[]string{"A=tA"}, []string{"B"}}, // rejected C: nothing started
		8:  {[]string{"A=tA"}, []string{"B", "D"}},
		9:  {[]string{"A=tA", "D=tD"}, []string{"B"}},
		10: {[]string{"A=tA"}, []string{"B"}}, // outcome D
		11: {[]string{"A=tA"}, []string{"B", "E"}},
		12: {[]string{"A=tA", "E=tE"}, []string{"B"}},
		13: {[]string{"A=tA", "E=tE"}, []string{"B"}}, // timeout keeps E pending
		14: {[]string{"A=tA", "E=tE"}, []string{"B", "F"}},
	}
	if n := bytes.Count(data, []byte("\n")); n != len(want)-1 {
		t.Fatalf("script wrote %d lines, table has %d", n, len(want)-1)
	}
	// Cut points: every line boundary and, inside each line, its first
	// byte, its middle and its last byte before the newline. Every other
	// offset inside a line is the same case (a torn line) as these.
	cuts := map[int]bool{len(data): true}
	start := 0
	for i, c := range data {
		if c != '\n' {
			continue
		}
		for _, k := range []int{start, start + 1, (start + i) / 2, i - 1, i} {
			cuts[k] = true
		}
		start = i + 1
	}
	var offsets []int
	for k := range cuts {
		offsets = append(offsets, k)
	}
	sort.Ints(offsets)
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	for _, k := range offsets {
		must(t, os.WriteFile(path, data[:k], 0o600))
		j, err := Open(dir)
		if err != nil {
			t.Fatalf("cut at %d: Open: %v", k, err)
		}
		p, u, err := j.Pending()
		must(t, err)
		n := bytes.Count(data[:k], []byte("\n"))
		gotT, gotU := ids(p, u)
		wantT, wantU := want[n].tasks, want[n].unknown
		if wantT == nil {
			wantT = []string{}
		}
		if wantU == nil {
			wantU = []string{}
		}
		if d := cmp.Diff(wantT, gotT); d != "" {
			t.Errorf("cut at byte %d (%d lines): pending tasks (-want +got):\n%s", k, n, d)
		}
		if d := cmp.Diff(wantU, gotU); d != "" {
			t.Errorf("cut at byte %d (%d lines): unknown (-want +got):\n%s", k, n, d)
		}
		whole := bytes.LastIndexByte(data[:k], '\n') + 1
		if j.Repaired() != k-whole {
			t.Errorf("cut at %d: Repaired = %d, want %d", k, j.Repaired(), k-whole)
		}
		// The torn tail is gone: a new entry lands on a line of its own.
		ref, err := j.Intent("s9", batch("Z", "z.com"))
		must(t, err)
		must(t, j.Close())
		after, err := os.ReadFile(path)
		must(t, err)
		if _, valid, err := parse(path, after); err != nil || valid != len(after) {
			t.Fatalf("cut at %d: journal after append not clean: valid %d of %d, %v", k, valid, len(after), err)
		}
		if !strings.Contains(string(after), `"ref":"`+ref+`"`) {
			t.Fatalf("cut at %d: appended intent missing", k)
		}
		if t.Failed() {
			return
		}
	}
}

func TestTornAndCorruptLines(t *testing.T) {
	const acceptedNoNL = `{"v":1,"kind":"accepted","run":"r1","ref":"r1/1","task":{"provider":"dnspod","op":"x","id":"t","batch_id":"A"}}`
	good := `{"v":1,"kind":"start","time":"2025-03-01T12:00:00Z","run":"r1"}` + "\n" +
		`{"v":1,"kind":"intent","time":"2025-03-01T12:00:00Z","run":"r1","ref":"r1/1","stage":"s1","batch":"A","op":"dnspod:Batch.Record.Modify","provider":"dnspod","domains":["a.com"],"digest":"x"}` + "\n"
	tests := []struct {
		name     string
		data     string
		wantErr  string
		repaired int
		unknown  []string
	}{
		{name: "clean", data: good, unknown: []string{"A"}},
		{name: "torn without newline", data: good + `{"v":1,"kind":"acc`, repaired: 18, unknown: []string{"A"}},
		{name: "garbage last line with newline", data: good + "\x00\x00\x00\n", repaired: 4, unknown: []string{"A"}},
		{name: "valid json lacking newline is torn", data: good + acceptedNoNL, repaired: len(acceptedNoNL), unknown: []string{"A"}},
		{name: "corrupt middle line", data: "{nope\n" + good, wantErr: FileName + ":1: corrupt journal line"},
		{name: "newer schema", data: `{"v":99,"kind":"start","run":"r"}` + "\n", wantErr: "schema version 99 is newer"},
		{name: "missing kind in middle", data: `{"v":1}` + "\n" + good, wantErr: ":1: corrupt journal line"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			must(t, os.WriteFile(filepath.Join(dir, FileName), []byte(tc.data), 0o600))
			j, err := Open(dir)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Open err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer j.Close()
			if j.Repaired() != tc.repaired {
				t.Errorf("Repaired = %d, want %d", j.Repaired(), tc.repaired)
			}
			p, u, _ := j.Pending()
			_, gotU := ids(p, u)
			if d := cmp.Diff(tc.unknown, gotU); d != "" {
				t.Errorf("unknown (-want +got):\n%s", d)
			}
		})
	}
}

func TestEndRotatesAndCarriesInFlight(t *testing.T) {
	dir := t.TempDir()
	crashScript(t, dir) // run 1 crashed with A, E in flight, B and F unknown
	j := mustOpen(t, dir)
	p, u, _ := j.Pending()
	gotT, gotU := ids(p, u)
	if d := cmp.Diff([]string{"A=tA", "E=tE"}, gotT); d != "" {
		t.Fatalf("tasks: %s", d)
	}
	if d := cmp.Diff([]string{"B", "F"}, gotU); d != "" {
		t.Fatalf("unknown: %s", d)
	}
	// Run 2 resumes A to its end; E is still running when it gives up.
	var refA string
	for _, x := range p {
		if x.Batch == "A" {
			refA = x.Ref
		}
	}
	must(t, j.Outcome(refA, StatusFailed, []providers.ItemResult{{Domain: "a.com", State: providers.ItemFailed, Message: "记录已存在"}}, ""))
	run2 := j.Run()
	sum := Summary{Run: run2}
	sum.Add(BatchResult{Batch: "A", Status: StatusFailed, Items: []providers.ItemResult{{State: providers.ItemFailed}}})
	sum.Add(BatchResult{Batch: "B", Status: StatusUnknown})
	must(t, j.End(sum))
	if j.Run() == run2 {
		t.Errorf("run id not renewed after End")
	}

	// The live journal now holds only E's entries.
	live, err := os.ReadFile(filepath.Join(dir, FileName))
	must(t, err)
	entries, _, err := parse(FileName, live)
	must(t, err)
	var kinds []string
	for _, e := range entries {
		kinds = append(kinds, e.Batch+string(e.Kind))
	}
	if d := cmp.Diff([]string{"Eintent", "accepted", "timeout"}, kinds); d != "" {
		t.Errorf("live journal after End (-want +got):\n%s", d)
	}
	// Reopened: E still pending, unknowns were reported by run 2.
	must(t, j.Close())
	j3 := mustOpen(t, dir)
	p, u, _ = j3.Pending()
	gotT, gotU = ids(p, u)
	if d := cmp.Diff([]string{"E=tE"}, gotT); d != "" {
		t.Errorf("tasks after End: %s", d)
	}
	if len(gotU) != 0 {
		t.Errorf("unknown after End = %v, want none", gotU)
	}

	// The rotated file has every line of run 1 and run 2, ending with end.
	runFile := filepath.Join(dir, RunsDir, run2+".jsonl")
	rot, err := os.ReadFile(runFile)
	must(t, err)
	rotEntries, valid, err := parse(runFile, rot)
	must(t, err)
	if valid != len(rot) || rotEntries[len(rotEntries)-1].Kind != KindEnd {
		t.Errorf("rotated file does not end with an end entry")
	}
	if got := len(rotEntries); got != 14+1+1+1 { // run 1, outcome A, start, end
		t.Errorf("rotated file has %d entries, want 17", got)
	}

	st, err := ReadStatus(dir)
	must(t, err)
	if st.Last == nil || st.Last.Run != run2 || st.Last.Batches.Failed != 1 || st.Last.Batches.Unknown != 1 || st.Last.Items.Failed != 1 {
		t.Errorf("status Last = %+v", st.Last)
	}
	if len(st.InFlight) != 1 || st.InFlight[0].Task.ID != "tE" || len(st.Unknown) != 0 {
		t.Errorf("status in flight %v unknown %v", st.InFlight, st.Unknown)
	}
	if st.Current != nil {
		t.Errorf("status Current = %+v, want none (carried entries are not a run)", st.Current)
	}
}

func TestStatusOfRunningAndInterruptedRuns(t *testing.T) {
	dir := t.TempDir()
	st, err := ReadStatus(filepath.Join(dir, "missing"))
	must(t, err)
	if st.Locked || st.Current != nil || st.Last != nil || len(st.InFlight) != 0 {
		t.Errorf("status of missing dir = %+v", st)
	}

	unlock, err := statedir.Lock(dir)
	must(t, err)
	j := mustOpen(t, dir)
	ref, err := j.Intent("s1", batch("A", "a.com"))
	must(t, err)
	must(t, j.Accepted(ref, task(batch("A", "a.com"), "tA")))
	st, err = ReadStatus(dir)
	must(t, err)
	if !st.Locked || st.PID != os.Getpid() || st.Current == nil || st.Current.State != "running" || st.Current.Run != j.Run() {
		t.Errorf("status while running = %+v current %+v", st, st.Current)
	}
	if len(st.InFlight) != 1 {
		t.Errorf("in flight = %v", st.InFlight)
	}
	unlock()
	st, err = ReadStatus(dir)
	must(t, err)
	if st.Locked || st.Current == nil || st.Current.State != "interrupted" {
		t.Errorf("status after holder left = %+v current %+v", st, st.Current)
	}
}

func TestKeepRuns(t *testing.T) {
	dir := t.TempDir()
	j := mustOpen(t, dir, WithKeepRuns(2))
	var runs []string
	for range 3 {
		runs = append(runs, j.Run())
		must(t, j.End(Summary{}))
	}
	got := runFiles(filepath.Join(dir, RunsDir))
	want := []string{runs[1] + ".jsonl", runs[2] + ".jsonl"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("run files (-want +got):\n%s", d)
	}
}

func TestDigest(t *testing.T) {
	a := batch("A", "a.com")
	b := batch("A", "a.com")
	if Digest(a) != Digest(b) {
		t.Errorf("equal batches, different digests")
	}
	b.Payload = []byte(`{"record_ids":["1","2"],"field":"ttl","to":"300"}`)
	if Digest(a) == Digest(b) {
		t.Errorf("different batches, same digest")
	}
	if !strings.HasPrefix(Digest(a), "sha256:") || len(Digest(a)) != len("sha256:")+64 {
		t.Errorf("digest form %q", Digest(a))
	}
}

func TestSummaryCounts(t *testing.T) {
	var s Summary
	s.Add(BatchResult{Status: StatusOK, Items: []providers.ItemResult{{State: providers.ItemOK}, {State: providers.ItemOK}}})
	s.Add(BatchResult{Status: StatusFailed, Items: []providers.ItemResult{{State: providers.ItemOK}, {State: providers.ItemFailed}}})
	s.Add(BatchResult{Status: StatusSkipped})
	s.Add(BatchResult{Status: StatusUnknown})
	want := Summary{Batches: BatchCounts{OK: 1, Failed: 1, Skipped: 1, Unknown: 1}, Items: ItemCounts{OK: 3, Failed: 1}}
	if d := cmp.Diff(want, s, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Results" }, cmp.Ignore())); d != "" {
		t.Errorf("counts (-want +got):\n%s", d)
	}
	if s.OK() {
		t.Errorf("OK() = true with failures")
	}
	if !(&Summary{Batches: BatchCounts{OK: 3}}).OK() {
		t.Errorf("OK() = false for an all-ok run")
	}
}
