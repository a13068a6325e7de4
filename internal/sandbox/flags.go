package sandbox

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The flag values below let one command-line flag set an option of every
// emulator or of some: "V" sets all, "aliyun=V,dnspod=V" those named (an
// emulator not named keeps its value). Each maps emulator names to the
// options it sets; they implement pflag.Value.

// RateFlag sets a fault share in [0,1].
type RateFlag map[string]*float64

// DurationFlag sets a duration (Go syntax: 500ms, 2s).
type DurationFlag map[string]*time.Duration

// AddrFlag sets a listen address (host:port; Start checks that it is
// loopback).
type AddrFlag map[string]*string

// Set parses the flag.
func (f RateFlag) Set(s string) error {
	return setPer(f, s, func(v string) (float64, error) {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || x < 0 || x > 1 {
			return 0, fmt.Errorf("%q is not a share between 0 and 1", v)
		}
		return x, nil
	})
}

func (f RateFlag) String() string {
	return perString(f, "0", func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) })
}

// Type names the value in help output.
func (RateFlag) Type() string { return "share" }

// Set parses the flag.
func (f DurationFlag) Set(s string) error {
	return setPer(f, s, func(v string) (time.Duration, error) {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%q is not a duration such as 500ms or 2s", v)
		}
		return d, nil
	})
}

func (f DurationFlag) String() string {
	return perString(f, "0s", time.Duration.String)
}

// Type names the value in help output.
func (DurationFlag) Type() string { return "duration" }

// Set parses the flag.
func (f AddrFlag) Set(s string) error {
	return setPer(f, s, func(v string) (string, error) {
		if v == "" {
			return "", fmt.Errorf("empty address (use host:port)")
		}
		return v, nil
	})
}

func (f AddrFlag) String() string {
	return perString(f, "", func(s string) string { return s })
}

// Type names the value in help output.
func (AddrFlag) Type() string { return "addresses" }

// perString shows one value when every emulator has the same, else
// "a=V,b=W" in name order; zero when there are no emulators.
func perString[T comparable](targets map[string]*T, zero string, format func(T) string) string {
	names := slices.Sorted(maps.Keys(targets))
	if len(names) == 0 {
		return zero
	}
	same := true
	for _, n := range names[1:] {
		same = same && *targets[n] == *targets[names[0]]
	}
	if same {
		return format(*targets[names[0]])
	}
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=" + format(*targets[n])
	}
	return strings.Join(parts, ",")
}

// setPer parses "V" or "a=V,b=W" into targets. Nothing is set unless the
// whole value parses.
func setPer[T any](targets map[string]*T, s string, parse func(string) (T, error)) error {
	s = strings.TrimSpace(s)
	set := map[string]T{}
	if !strings.Contains(s, "=") {
		v, err := parse(s)
		if err != nil {
			return err
		}
		for name := range targets {
			set[name] = v
		}
	} else {
		for part := range strings.SplitSeq(s, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			k = strings.TrimSpace(k)
			x, err := parse(strings.TrimSpace(v))
			if err != nil {
				return err
			}
			if targets[k] == nil {
				return fmt.Errorf("unknown emulator %q (use %s)", k, joinOr(slices.Sorted(maps.Keys(targets))))
			}
			set[k] = x
		}
	}
	for name, v := range set {
		*targets[name] = v
	}
	return nil
}

// joinOr joins "a", "a or b", "a, b or c".
func joinOr(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
