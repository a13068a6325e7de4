package safefile

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// units are the suffixes ParseSize accepts; the binary ones come first so
// that FormatSize prefers them.
var units = [...]struct {
	name string
	n    int64
}{
	{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3},
	{"B", 1},
}

// ParseSize reads a size such as 64MiB, 500KB, 2GiB or 1048576 (bytes):
// decimal digits and an optional unit — B, KB, MB, GB (powers of 1000) or
// KiB, MiB, GiB (powers of 1024) — with no space between. The size must be
// positive and fit in 63 bits.
func ParseSize(s string) (int64, error) {
	digits, unit := s, ""
	if i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		digits, unit = s[:i], s[i:]
	}
	if digits == "" {
		return 0, fmt.Errorf("size %q: want a number of bytes, or a number and a unit such as 64MiB", s)
	}
	mult := int64(0)
	if unit == "" {
		mult = 1
	}
	for _, u := range units {
		if u.name == unit {
			mult = u.n
		}
	}
	if mult == 0 {
		return 0, fmt.Errorf("size %q: unknown unit %q; use B, KB, MB, GB, KiB, MiB or GiB", s, unit)
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	if n == 0 {
		return 0, fmt.Errorf("size %q: must be more than 0", s)
	}
	return n * mult, nil
}

// FormatSize writes n bytes the way ParseSize reads them, in the largest
// binary unit that divides n exactly (64MiB), else in bytes (1000001B).
func FormatSize(n int64) string {
	for _, u := range units[:3] {
		if n >= u.n && n%u.n == 0 {
			return strconv.FormatInt(n/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

// humanSize is n for a reader: FormatSize when exact, else rounded to a
// tenth of the largest binary unit it reaches (70.3MiB).
func humanSize(n int64) string {
	for _, u := range units[:3] {
		if n >= u.n {
			if n%u.n == 0 {
				return FormatSize(n)
			}
			return strconv.FormatFloat(float64(n)/float64(u.n), 'f', 1, 64) + u.name
		}
	}
	return FormatSize(n)
}
