package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
)

// A value change the planner carries out as create + remove reads as one
// replacement in every human rendering; unrelated creates and deletes do not.
func TestReplacementNotes(t *testing.T) {
	rec := func(name, typ, value string) *model.Record {
		return &model.Record{Name: name, Type: typ, Line: model.DefaultLine, Value: value, TTL: 600, Enabled: true, ID: "7"}
	}
	p := &plan.Plan{Version: plan.FormatVersion, Changes: []plan.Change{
		{ID: "a.com#1", Domain: "a.com", Kind: plan.RecordCreate, Provider: "dnspod", After: rec("www", "A", "192.0.2.2")},
		{ID: "a.com#2", Domain: "a.com", Kind: plan.RecordDelete, Provider: "dnspod", Before: rec("www", "A", "192.0.2.1")},
		{ID: "a.com#3", Domain: "a.com", Kind: plan.RecordCreate, Provider: "dnspod", After: rec("new", "A", "192.0.2.3")},
		{ID: "a.com#4", Domain: "a.com", Kind: plan.RecordDelete, Provider: "dnspod", Before: rec("old", "TXT", "x")},
	}}
	var txt, md bytes.Buffer
	if err := Text(&txt, p, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&md, p, Options{}); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": txt.String(), "markdown": md.String()} {
		if !strings.Contains(out, "replaces 192.0.2.1") || !strings.Contains(out, "replaced by 192.0.2.2") {
			t.Errorf("%s: replacement not shown:\n%s", name, out)
		}
		if strings.Count(out, "replace") != 2 {
			t.Errorf("%s: unrelated changes annotated:\n%s", name, out)
		}
	}
}

// Summaries count semantic changes: a create and a delete of the same
// name, type and line are one update in the per-domain counts of every
// rendering and in the plan file's summary; the execution section still
// shows the create and the remove.
func TestReplacementCounts(t *testing.T) {
	rec := func(name, typ, value string) *model.Record {
		return &model.Record{Name: name, Type: typ, Line: model.DefaultLine, Value: value, TTL: 600, Enabled: true, ID: "7"}
	}
	changes := []plan.Change{
		{ID: "a.com#1", Domain: "a.com", Kind: plan.RecordCreate, Provider: "dnspod", After: rec("www", "A", "192.0.2.2")},
		{ID: "a.com#2", Domain: "a.com", Kind: plan.RecordDelete, Provider: "dnspod", Before: rec("www", "A", "192.0.2.1")},
		{ID: "a.com#3", Domain: "a.com", Kind: plan.RecordCreate, Provider: "dnspod", After: rec("new", "A", "192.0.2.3")},
		{ID: "a.com#4", Domain: "a.com", Kind: plan.RecordDelete, Provider: "dnspod", Before: rec("old", "TXT", "x")},
		{ID: "a.com#5", Domain: "a.com", Kind: plan.RecordUpdate, Provider: "dnspod", Before: rec("api", "A", "192.0.2.4"),
			After: rec("api", "A", "192.0.2.5"), Fields: []string{"value"}},
		{ID: "b.com#1", Domain: "b.com", Kind: plan.RecordCreate, Provider: "dnspod", After: rec("www", "A", "192.0.2.2")},
	}
	p := &plan.Plan{Version: plan.FormatVersion, Changes: changes, Summary: plan.Summarize(changes),
		Stages: []plan.Stage{{Name: "records", Batches: []plan.Batch{
			{ID: "s1.b1", Provider: "dnspod", Op: "dnspod:Batch.Record.Create", Domains: []string{"a.com", "b.com"}, Items: 2,
				Detail: "create", Payload: []byte("{}"), Changes: []string{"a.com#1", "a.com#3", "b.com#1"}},
			{ID: "s1.b2", Provider: "dnspod", Op: "dnspod:Record.Remove", Domains: []string{"a.com"}, Items: 1,
				Detail: "remove www", Payload: []byte("{}"), Changes: []string{"a.com#2"}},
		}}}}
	want := &plan.Summary{
		Domains: []plan.DomainCounts{
			{Domain: "a.com", Counts: plan.Counts{Creates: 1, Updates: 2, Deletes: 1}},
			{Domain: "b.com", Counts: plan.Counts{Creates: 1}},
		},
		Total: plan.Counts{Creates: 2, Updates: 2, Deletes: 1},
	}
	if d := cmp.Diff(want, p.Summary); d != "" {
		t.Errorf("plan.Summarize (-want +got):\n%s", d)
	}
	if got := Summarize(p).String(); got != "2 domains: 2 to create, 2 to update, 1 to delete" {
		t.Errorf("summary line: %s", got)
	}

	var txt, md, js bytes.Buffer
	if err := Text(&txt, p, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&md, p, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := WritePlanFile(&js, p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "(1 to create, 2 to update, 1 to delete)") {
		t.Errorf("text: per-domain counts:\n%s", txt.String())
	}
	for _, row := range []string{"| a.com | 1 | 2 | 1 |", "| **total** | **2** | **2** | **1** |", "dnspod:Record.Remove"} {
		if !strings.Contains(md.String(), row) {
			t.Errorf("markdown: no %q:\n%s", row, md.String())
		}
	}
	back, err := ReadPlanFile(&js)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, back.Summary); d != "" {
		t.Errorf("plan file summary (-want +got):\n%s", d)
	}
}
