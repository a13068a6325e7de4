package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTerraformFlags(t *testing.T) {
	tests := []struct{ in, want []string }{
		{[]string{"plan", "-out", "p.json"}, []string{"plan", "--out", "p.json"}},
		{[]string{"plan", "-out=p.json"}, []string{"plan", "--out=p.json"}},
		{[]string{"plan", "-o", "p.json"}, []string{"plan", "-o", "p.json"}},
		{[]string{"plan", "--out", "p.json"}, []string{"plan", "--out", "p.json"}},
		{[]string{"plan", "--", "-out"}, []string{"plan", "--", "-out"}},
	}
	for _, tt := range tests {
		if d := cmp.Diff(tt.want, terraformFlags(tt.in)); d != "" {
			t.Errorf("terraformFlags(%q) (-want +got):\n%s", tt.in, d)
		}
	}
}
