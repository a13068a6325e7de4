package journal

import (
	"strings"
	"testing"
)

// FuzzParse: the journal reader never panics, and whatever it accepts is a
// prefix of whole lines (a torn tail is cut, never misread).
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"v":1,"kind":"intent","ref":"r1"}` + "\n"))
	f.Add([]byte(`{"v":1,"kind":"intent","ref":"r1"}` + "\n" + `{"v":1,"ki`))
	f.Add([]byte("garbage\n{\"v\":1,\"kind\":\"end\"}\n"))
	f.Add([]byte(`{"v":99,"kind":"intent"}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, n, err := parse("journal.jsonl", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "journal.jsonl:") {
				t.Fatalf("error without position: %v", err)
			}
			return
		}
		if n > len(data) || (n > 0 && data[n-1] != '\n') {
			t.Fatalf("valid prefix %d does not end a line", n)
		}
		if got := strings.Count(string(data[:n]), "\n"); got != len(entries) {
			t.Fatalf("%d entries from %d whole lines", len(entries), got)
		}
	})
}
