package safefile

import "testing"

func TestParseSize(t *testing.T) {
	for s, want := range map[string]int64{
		"1": 1, "4096": 4096, "64MiB": 64 << 20, "1GiB": 1 << 30, "500KB": 500_000, "2MB": 2_000_000,
		"3GB": 3_000_000_000, "7KiB": 7 << 10, "10B": 10, "8589934591GiB": 8589934591 << 30,
	} {
		if got, err := ParseSize(s); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "0", "0MiB", "MiB", "64 MiB", "64mib", "64M", "-1", "1.5GiB", "8589934592GiB", "99999999999999999999", " 1"} {
		if n, err := ParseSize(s); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", s, n)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{64 << 20: "64MiB", 1 << 30: "1GiB", 1024: "1KiB", 1000: "1000B", 1<<20 + 1: "1048577B", 3 << 29: "1536MiB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// FuzzParseSize: ParseSize never panics, accepts only positive sizes, and
// what it accepts FormatSize writes back in a form it reads the same.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"64MiB", "1", "500KB", "0", "1GB", "9223372036854775807", "9223372036854775807B", "8GiB", "x", "12kB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if n <= 0 {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
		back, err := ParseSize(FormatSize(n))
		if err != nil || back != n {
			t.Fatalf("%q → %d → %q → %d, %v", s, n, FormatSize(n), back, err)
		}
	})
}
