package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
)

// TestPlanFastPathOn: the fast path is in use for the shipped schema.
func TestPlanFastPathOn(t *testing.T) {
	if got := fastPathDigest([]byte(planSchema)); got != planFastPathDigest {
		t.Fatalf("plan.schema.json changed in the parts that fastChange and fastBatch implement, so written plans are "+
			"validated the slow way. Review both checks against the schema, then set planFastPathDigest to %q", got)
	}
	s, err := compiledParts()
	if err != nil || !s.fast {
		t.Fatalf("fast path off: %v", err)
	}
}

// TestPlanFastPathDigest: a change to any part the fast path relies on,
// or a keyword that could constrain changes or batches from outside,
// changes or voids the digest.
func TestPlanFastPathDigest(t *testing.T) {
	edits := map[string][2]string{
		"count minimum": {`"minimum": 0`, `"minimum": 1`},
		"record field":  {`"system": {`, `"weight": {"type": "integer"}, "system": {`},
		"batch op":      {`"^[a-z0-9_-]+:[A-Za-z0-9_.]+$"`, `"^[a-z0-9_-]+:[A-Za-z0-9_]+$"`},
		"root allOf":    {`"additionalProperties": false,`, `"additionalProperties": false, "allOf": [],`},
	}
	for name, e := range edits {
		if !strings.Contains(planSchema, e[0]) {
			t.Fatalf("%s: %q not in the schema", name, e[0])
		}
		edited := strings.Replace(planSchema, e[0], e[1], 1)
		if fastPathDigest([]byte(edited)) == planFastPathDigest {
			t.Errorf("%s: digest unchanged", name)
		}
	}
}

// corrupt breaks one random thing in p (or nothing), the way a bug in the
// planner might.
func corrupt(r *rand.Rand, p *plan.Plan) {
	var batches []*plan.Batch
	for i := range p.Stages {
		for j := range p.Stages[i].Batches {
			batches = append(batches, &p.Stages[i].Batches[j])
		}
	}
	switch r.IntN(18) {
	case 0:
		if len(p.Changes) > 0 {
			p.Changes[r.IntN(len(p.Changes))].ID = ""
		}
	case 1:
		if len(p.Changes) > 0 {
			p.Changes[r.IntN(len(p.Changes))].Kind = "record-rename"
		}
	case 2:
		if len(p.Changes) > 0 {
			c := &p.Changes[r.IntN(len(p.Changes))]
			c.Before, c.After = nil, nil
		}
	case 3:
		for i := range p.Changes {
			if c := &p.Changes[i]; c.After != nil {
				c.After.TTL = -1
				break
			}
		}
	case 4:
		if len(p.Changes) > 0 {
			p.Changes[r.IntN(len(p.Changes))].Fields = []string{"weight"}
		}
	case 5:
		if len(p.Changes) > 0 {
			p.Changes[r.IntN(len(p.Changes))].Pos.Line = -3
		}
	case 6:
		if len(batches) > 0 {
			batches[r.IntN(len(batches))].Op = "dnspod:Record.Frobnicate"
		}
	case 7:
		if len(batches) > 0 {
			batches[r.IntN(len(batches))].Domains = nil
		}
	case 8:
		if len(batches) > 0 {
			b := batches[r.IntN(len(batches))]
			b.Changes = append(b.Changes, "")
		}
	case 9:
		if len(batches) > 0 {
			batches[r.IntN(len(batches))].Op = "frobnicate"
		}
	case 10:
		if len(batches) > 0 {
			batches[r.IntN(len(batches))].Items = -1
		}
	case 11:
		if len(batches) > 0 {
			batches[r.IntN(len(batches))].Payload = []byte("[1]")
		}
	case 12:
		if len(batches) > 0 {
			batches[r.IntN(len(batches))].Payload = nil
		}
	case 13:
		if len(batches) > 0 {
			batches[r.IntN(len(batches))].Changes = append(batches[r.IntN(len(batches))].Changes, "nope#1")
		}
	case 14:
		if len(p.Changes) > 1 {
			p.Changes[1].ID = p.Changes[0].ID
		}
	case 15:
		if len(p.Changes) > 1 {
			// Two ids that differ only in invalid UTF-8 read back as one.
			p.Changes[0].ID, p.Changes[1].ID = "c#\xff", "c#\xfe"
		}
	case 16:
		p.Fingerprint = "md5:x"
	case 17:
		if len(p.Changes) > 0 {
			c := &p.Changes[r.IntN(len(p.Changes))]
			c.HostAfter = &model.DNSHost{IPs: []string{"192.0.2.1"}}
		}
	}
}

// writeTheSlowWay is WritePlanFile as it checked before the fast path:
// the whole document read back by decode.
func writeTheSlowWay(p *plan.Plan) error {
	q := normalize(p)
	if q.Version == 0 {
		q.Version = plan.FormatVersion
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&q); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	if _, err := decode(buf.Bytes()); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}

// TestWriteVerdictUnchanged: for many random plans, sound or broken,
// WritePlanFile accepts and refuses exactly as reading the whole document
// back did, with the same error message.
func TestWriteVerdictUnchanged(t *testing.T) {
	refused := 0
	for seed := range uint64(600) {
		r := rand.New(rand.NewPCG(seed, 0x66617374))
		p := randomPlan(r)
		if seed%3 != 0 {
			corrupt(r, p)
		}
		want := writeTheSlowWay(p)
		var buf bytes.Buffer
		got := WritePlanFile(&buf, p)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("seed %d: WritePlanFile says %v; reading the document back says %v", seed, got, want)
		}
		if got != nil {
			refused++
		}
	}
	if refused < 100 {
		t.Fatalf("only %d of 600 plans refused: the corruptions do not bite", refused)
	}
}

// TestFastChecksSound: whatever fastChange or fastBatch accepts, the
// schema's definition accepts too.
func TestFastChecksSound(t *testing.T) {
	s, err := compiledParts()
	if err != nil {
		t.Fatal(err)
	}
	check := func(seed uint64, sch *jsonschema.Schema, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Fatalf("seed %d: accepted on the fast path, refused by the schema: %s\n%v", seed, b, err)
		}
	}
	var changes, batches int
	for seed := range uint64(1500) {
		r := rand.New(rand.NewPCG(seed, 0x736f756e))
		p := randomPlan(r)
		corrupt(r, p)
		q := normalize(p)
		for i := range q.Changes {
			if fastChange(&q.Changes[i]) {
				changes++
				check(seed, s.change, q.Changes[i])
			}
		}
		for _, st := range q.Stages {
			for i := range st.Batches {
				if fastBatch(&st.Batches[i]) {
					batches++
					check(seed, s.batch, st.Batches[i])
				}
			}
		}
	}
	if changes < 500 || batches < 200 {
		t.Fatalf("fast path taken for only %d changes and %d batches", changes, batches)
	}
}

// TestJSONText: ids compare as they read back from JSON.
func TestJSONText(t *testing.T) {
	for _, s := range []string{"c#1", "默认", "c#\xff", "a\xff\xfeb", "\xe4\xb8", "ok\x00"} {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(back, jsonText(s)); d != "" {
			t.Errorf("%q (-json +jsonText):\n%s", s, d)
		}
	}
}

// TestStreamPlanBytes: streamPlan writes the bytes json.Encoder writes,
// and knows every field of plan.Plan in order.
func TestStreamPlanBytes(t *testing.T) {
	var fields []string
	pt := reflect.TypeFor[plan.Plan]()
	for i := range pt.NumField() {
		fields = append(fields, pt.Field(i).Tag.Get("json"))
	}
	want := []string{"version", "fingerprint", "desired_fingerprint", "changes", "stages", "cost", "refusals,omitempty", "summary,omitempty"}
	if d := cmp.Diff(want, fields); d != "" {
		t.Fatalf("plan.Plan's fields changed; teach streamPlan (-streamPlan +plan.Plan):\n%s", d)
	}
	plans := []*plan.Plan{fullPlan(), emptyPlan(), bigPlan(50)}
	for seed := range uint64(300) {
		plans = append(plans, randomPlan(rand.New(rand.NewPCG(seed, 0x73747265))))
	}
	for i, p := range plans {
		q := normalize(p)
		var want, got bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(&q); err != nil {
			t.Fatal(err)
		}
		if err := streamPlan(&got, &q); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want.String(), got.String()); d != "" {
			t.Fatalf("plan %d (-encoder +streamPlan):\n%s", i, d)
		}
	}
}
