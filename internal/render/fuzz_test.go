package render

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzReadPlanFile: reading never panics; anything read is a plan that
// writes back and reads again to the same bytes.
func FuzzReadPlanFile(f *testing.F) {
	f.Add([]byte(`{"version":1,"fingerprint":"sha256:00","changes":[],"stages":[],"cost":{"batches":0,"api_calls":0,"tasks":0,"lower_bound":0,"per_record_calls":0}}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadPlanFile(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrInvalidPlan) && !errors.Is(err, ErrUnsupportedVersion) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		var a, b bytes.Buffer
		if err := WritePlanFile(&a, p); err != nil {
			t.Fatalf("accepted plan does not write: %v", err)
		}
		p2, err := ReadPlanFile(bytes.NewReader(a.Bytes()))
		if err != nil {
			t.Fatalf("written plan does not read: %v", err)
		}
		if err := WritePlanFile(&b, p2); err != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("plan file not stable across a round trip (%v)", err)
		}
	})
}
