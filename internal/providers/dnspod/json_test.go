package dnspod

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestStr(t *testing.T) {
	tests := []struct {
		in   string
		want Str
		n    int
		bad  bool
	}{
		{in: `"12345"`, want: "12345", n: 12345},
		{in: `12345`, want: "12345", n: 12345},
		{in: `-2`, want: "-2", n: -2},
		{in: `"-2"`, want: "-2", n: -2},
		{in: `null`, want: "", n: 0},
		{in: `false`, want: "", n: 0}, // Domain.Info's empty remark
		{in: `""`, want: "", n: 0},
		{in: `600.0`, want: "600.0", n: 600},
		{in: `"默认"`, want: "默认", bad: true},
		{in: `[1]`, bad: true},
	}
	for _, tt := range tests {
		var s Str
		err := json.Unmarshal([]byte(tt.in), &s)
		if tt.bad && tt.want == "" {
			if err == nil {
				t.Errorf("%s: no error", tt.in)
			}
			continue
		}
		if err != nil || s != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.in, s, err, tt.want)
			continue
		}
		n, err := s.Int()
		if tt.bad != (err != nil) || (!tt.bad && n != tt.n) {
			t.Errorf("%s: Int() = %d, %v; want %d (bad=%v)", tt.in, n, err, tt.n, tt.bad)
		}
	}
}

func TestBool(t *testing.T) {
	tests := []struct {
		in   string
		want bool
		bad  bool
	}{
		{in: `"1"`, want: true}, {in: `"0"`}, {in: `1`, want: true}, {in: `0`},
		{in: `true`, want: true}, {in: `false`}, {in: `null`},
		{in: `"yes"`, want: true}, {in: `"no"`}, {in: `"enable"`, want: true}, {in: `"disable"`},
		{in: `"maybe"`, bad: true},
	}
	for _, tt := range tests {
		var b Bool
		err := json.Unmarshal([]byte(tt.in), &b)
		if (err != nil) != tt.bad || bool(b) != tt.want {
			t.Errorf("%s: got %v, %v; want %v (bad=%v)", tt.in, b, err, tt.want, tt.bad)
		}
	}
}

// TestDecodeMixedTypes decodes one Record.List row as the docs show it and
// the same row with every scalar as the other JSON type.
func TestDecodeMixedTypes(t *testing.T) {
	rows := []string{
		`{"id":"1001","name":"www","line":"默认","line_id":"0","type":"A","ttl":"600","value":"192.0.2.1","weight":null,"mx":"0","enabled":"1"}`,
		`{"id":1001,"name":"www","line":"默认","line_id":0,"type":"A","ttl":600,"value":"192.0.2.1","weight":5,"mx":0,"enabled":true}`,
	}
	for _, row := range rows {
		var r Record
		if err := json.Unmarshal([]byte(row), &r); err != nil {
			t.Fatalf("%s: %v", row, err)
		}
		if r.ID != "1001" || r.TTL.IntOr(0) != 600 || r.MX.IntOr(-1) != 0 || !bool(r.Enabled) || r.LineID != "0" {
			t.Fatalf("%s: %+v", row, r)
		}
	}
}

// TestStrShortcuts: the direct reading of plain strings and numbers agrees
// with encoding/json, also when UnmarshalJSON is called on bytes that are
// not valid JSON.
func TestStrShortcuts(t *testing.T) {
	inputs := []string{
		`"www"`, `""`, `"默认"`, `"a\"b"`, `"\u00e9"`, `"tab\there"`, "\"raw\ttab\"", "\"\xff\"", `"unterminated`, `"a"b"`,
		`0`, `-0`, `12`, `-2`, `600.0`, `1e3`, `-1.5E-2`, `01`, `1.`, `.5`, `-`, `1e`, `1x`, `+1`, ` 7 `,
	}
	for _, in := range inputs {
		var want string
		var wantErr error
		switch {
		case strings.HasPrefix(strings.TrimSpace(in), `"`):
			wantErr = json.Unmarshal([]byte(in), &want)
		default:
			var n json.Number
			wantErr = json.Unmarshal([]byte(in), &n)
			want = n.String()
		}
		var s Str
		err := s.UnmarshalJSON([]byte(in))
		if (err != nil) != (wantErr != nil) || (err == nil && string(s) != want) {
			t.Errorf("%q: got %q, %v; encoding/json reads %q, %v", in, s, err, want, wantErr)
		}
	}
}
