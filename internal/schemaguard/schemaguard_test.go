package schemaguard

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStripAnnotations(t *testing.T) {
	var in, want any
	if err := json.Unmarshal([]byte(`{"type":"object","description":"d","title":"t","properties":{"a":{"type":"string","examples":["x"],"$comment":"c"}},"allOf":[{"description":"d","minimum":1}]}`), &in); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(`{"type":"object","properties":{"a":{"type":"string"}},"allOf":[{"minimum":1}]}`), &want); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, StripAnnotations(in)); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}
