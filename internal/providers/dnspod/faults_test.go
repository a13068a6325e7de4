package dnspod_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest"
)

// TestFaultyServiceNoDuplicateWrites makes 200 client calls (reads and
// writes) while about 30% of requests fail transiently: throttling, 5xx,
// dropped connections, and writes whose answer is lost after they were
// carried out. Every call must end correctly, and no write may be carried
// out twice: an unknown outcome is resolved by re-reading live state, never
// by blindly sending the write again.
func TestFaultyServiceNoDuplicateWrites(t *testing.T) {
	h := start(t, dnspodtest.Options{Seed: 42}, false, func(o *dnspod.Options) { o.MaxRetries = 12 })
	dom := h.domain(t, "example.com", "DP_Free")
	h.emu.SetFaults(dnspodtest.Faults{Throttle: 0.08, ServerError: 0.08, Drop: 0.07, FailAfterCommit: 0.07})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))

	type want struct {
		id  string
		ttl int
	}
	expect := map[string]*want{} // name → record (all A 192.0.2.1)
	unknown := 0

	// do submits a write until it is known to have happened. After an
	// unknown outcome, applied re-reads; only a write known not to have
	// happened is sent again.
	do := func(what string, submit func() error, applied func() bool) {
		t.Helper()
		for range 20 {
			err := submit()
			switch {
			case err == nil:
				return
			case errors.Is(err, providers.ErrOutcomeUnknown):
				unknown++
				if applied() {
					return
				}
			case errors.Is(err, providers.ErrTransient):
				// Definitely not carried out (throttled, or never sent).
			default:
				t.Fatalf("%s: %v", what, err)
			}
		}
		t.Fatalf("%s: gave up", what)
	}
	list := func() map[string]dnspod.Record {
		z, err := h.c.RecordList(ctx, dom)
		if err != nil {
			t.Fatalf("Record.List: %v", err)
		}
		m := map[string]dnspod.Record{}
		for _, r := range z.Records {
			if r.Type == "A" {
				m[r.Name] = r
			}
		}
		return m
	}
	names := func() []string {
		var out []string
		for n := range expect {
			out = append(out, n)
		}
		sort.Strings(out)
		return out
	}
	next := 0
	newName := func() string { next++; return fmt.Sprintf("r%03d", next) }

	for call := range 200 {
		x := rng.Float64()
		existing := names()
		switch {
		case x < 0.35 || len(existing) == 0 && x < 0.5:
			if call%2 == 0 {
				if _, err := h.c.DomainList(ctx); err != nil {
					t.Fatalf("Domain.List: %v", err)
				}
				continue
			}
			got := list()
			if len(got) != len(expect) {
				t.Fatalf("call %d: %d records listed, want %d", call, len(got), len(expect))
			}
			for n, w := range expect {
				if r, ok := got[n]; !ok || r.ID.String() != w.id || r.TTL.IntOr(0) != w.ttl {
					t.Fatalf("call %d: %s = %+v, want %+v", call, n, r, *w)
				}
			}
		case x < 0.6 || len(existing) == 0:
			n := newName()
			var id string
			do("create "+n, func() (err error) {
				id, err = h.c.RecordCreate(ctx, dom, dnspod.RecordParams{SubDomain: n, Type: "A", Value: "192.0.2.1", TTL: 600})
				return err
			}, func() bool {
				r, ok := list()[n]
				id = r.ID.String()
				return ok
			})
			expect[n] = &want{id: id, ttl: 600}
		case x < 0.75:
			n := existing[rng.IntN(len(existing))]
			w := expect[n]
			ttl := w.ttl + 60
			do("modify "+n, func() error {
				return h.c.RecordModify(ctx, dom, w.id, dnspod.RecordParams{SubDomain: n, Type: "A", Value: "192.0.2.1", TTL: ttl})
			}, func() bool {
				r, err := h.c.RecordInfo(ctx, dom, w.id)
				if err != nil {
					t.Fatalf("Record.Info: %v", err)
				}
				return r.TTL.IntOr(0) == ttl
			})
			w.ttl = ttl
		case x < 0.88:
			n := existing[rng.IntN(len(existing))]
			w := expect[n]
			do("remove "+n, func() error { return h.c.RecordRemove(ctx, dom, w.id) }, func() bool {
				_, ok := list()[n]
				return !ok
			})
			delete(expect, n)
		default:
			a, b := newName(), newName()
			recs := []dnspod.BatchRecord{{SubDomain: a, Type: "A", Value: "192.0.2.1", TTL: 600}, {SubDomain: b, Type: "A", Value: "192.0.2.1", TTL: 600}}
			do("batch "+a+","+b, func() error {
				_, err := h.c.BatchRecordCreate(ctx, []string{dom}, recs)
				return err
			}, func() bool {
				// The job runs before the next request is answered, so a
				// re-read shows whether it was accepted.
				m := list()
				_, okA := m[a]
				_, okB := m[b]
				if okA != okB {
					t.Fatalf("batch half applied: %v %v", okA, okB)
				}
				return okA
			})
			m := list()
			expect[a] = &want{id: m[a].ID.String(), ttl: 600}
			expect[b] = &want{id: m[b].ID.String(), ttl: 600}
		}
	}

	// Final state equals the model.
	got := map[string]want{}
	for _, r := range h.emu.Records("example.com") {
		if !r.System {
			got[r.Name] = want{id: r.ID, ttl: r.TTL}
		}
	}
	wantState := map[string]want{}
	for n, w := range expect {
		wantState[n] = *w
	}
	if d := cmp.Diff(wantState, got, cmp.AllowUnexported(want{})); d != "" {
		t.Fatalf("final state (-want +got):\n%s", d)
	}

	// The request log: each record created exactly once, no write refused
	// as a duplicate or as already gone, and the faults really happened.
	created := map[string]int{}
	faults := map[string]int{}
	total := 0
	for _, e := range h.emu.Log() {
		total++
		faults[e.Fault]++
		if e.Code == 104 || (e.Action == "Record.Remove" && e.Code == 8) {
			t.Errorf("a write was repeated: %+v", e)
		}
		if !e.Committed {
			continue
		}
		switch e.Action {
		case "Record.Create":
			created[e.Params.Get("sub_domain")]++
		case "Batch.Record.Create":
			var recs []map[string]any
			if err := json.Unmarshal([]byte(e.Params.Get("records")), &recs); err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				created[r["sub_domain"].(string)]++
			}
		}
	}
	for n, c := range created {
		if c != 1 {
			t.Errorf("%s created %d times", n, c)
		}
	}
	if len(created) != next {
		t.Errorf("%d names created, %d intended", len(created), next)
	}
	injected := total - faults[""]
	t.Logf("%d requests, %d faulty (%v), %d unknown outcomes resolved by re-reading", total, injected, faults, unknown)
	for _, f := range []string{"throttle", "5xx", "drop"} {
		if faults[f] == 0 {
			t.Errorf("no %s fault injected", f)
		}
	}
	if faults["after-commit-5xx"]+faults["after-commit-drop"] == 0 || unknown == 0 {
		t.Error("no write with a lost answer: the test proves nothing")
	}
	if float64(injected)/float64(total) < 0.2 {
		t.Errorf("only %d of %d requests faulty", injected, total)
	}
}

// TestWritesNeverResentAfterUnknownOutcome: for every write operation, an
// answer that does not prove nothing happened (HTTP 502, a dropped
// connection, a committed write whose answer is lost) ends the call with
// ErrOutcomeUnknown after exactly one request, as the request log shows.
func TestWritesNeverResentAfterUnknownOutcome(t *testing.T) {
	writes := []struct {
		action string
		call   func(c *dnspod.Client, dom, rid string) error
	}{
		{"Record.Create", func(c *dnspod.Client, dom, _ string) error {
			_, err := c.RecordCreate(context.Background(), dom, dnspod.RecordParams{SubDomain: "new", Type: "A", Value: "192.0.2.9", TTL: 600})
			return err
		}},
		{"Record.Modify", func(c *dnspod.Client, dom, rid string) error {
			return c.RecordModify(context.Background(), dom, rid, dnspod.RecordParams{SubDomain: "www", Type: "A", Value: "192.0.2.8", TTL: 600})
		}},
		{"Record.Remove", func(c *dnspod.Client, dom, rid string) error {
			return c.RecordRemove(context.Background(), dom, rid)
		}},
		{"Batch.Record.Create", func(c *dnspod.Client, dom, _ string) error {
			_, err := c.BatchRecordCreate(context.Background(), []string{dom}, []dnspod.BatchRecord{{SubDomain: "new", Type: "A", Line: "默认", Value: "192.0.2.9", TTL: 600}})
			return err
		}},
		{"Batch.Record.Modify", func(c *dnspod.Client, _, rid string) error {
			_, err := c.BatchRecordModify(context.Background(), dnspod.BatchModify{RecordIDs: []string{rid}, Change: "ttl", ChangeTo: "1200"})
			return err
		}},
	}
	for _, w := range writes {
		for _, f := range []dnspodtest.Faults{{ServerError: 1}, {Drop: 1}, {FailAfterCommit: 1}} {
			f.Actions = []string{w.action}
			t.Run(fmt.Sprintf("%s/%+v", w.action, f), func(t *testing.T) {
				h := start(t, dnspodtest.Options{Seed: 7}, false, func(o *dnspod.Options) { o.MaxRetries = 6 })
				dom := h.domain(t, "example.com", "DP_Free")
				rid, err := h.c.RecordCreate(context.Background(), dom, dnspod.RecordParams{SubDomain: "www", Type: "A", Value: "192.0.2.1", TTL: 600})
				if err != nil {
					t.Fatal(err)
				}
				h.emu.ResetLog()
				h.emu.SetFaults(f)
				if err := w.call(h.c, dom, rid); !errors.Is(err, providers.ErrOutcomeUnknown) {
					t.Fatalf("err = %v, want an unknown outcome", err)
				}
				n := 0
				for _, e := range h.emu.Log() {
					if e.Action == w.action {
						n++
					}
				}
				if n != 1 {
					t.Fatalf("%s sent %d times", w.action, n)
				}
			})
		}
	}
}
