package render

import (
	"bytes"
	"strings"
	"testing"

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
