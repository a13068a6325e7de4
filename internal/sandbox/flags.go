package sandbox

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The flag values below let one command-line flag set an option of either
// emulator or of both: "V" sets both, "aliyun=V,dnspod=V" each (a side not
// named keeps its value). They implement pflag.Value.

// RateFlag sets a fault share in [0,1].
type RateFlag struct{ Aliyun, DNSPod *float64 }

// DurationFlag sets a duration (Go syntax: 500ms, 2s).
type DurationFlag struct{ Aliyun, DNSPod *time.Duration }

// Set parses the flag.
func (f RateFlag) Set(s string) error {
	return setPer(s, func(v string) (func(bool), error) {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || x < 0 || x > 1 {
			return nil, fmt.Errorf("%q is not a share between 0 and 1", v)
		}
		return func(aliyun bool) {
			if aliyun {
				*f.Aliyun = x
			} else {
				*f.DNSPod = x
			}
		}, nil
	})
}

func (f RateFlag) String() string {
	if f.Aliyun == nil || f.DNSPod == nil {
		return "0"
	}
	return perString(strconv.FormatFloat(*f.Aliyun, 'g', -1, 64), strconv.FormatFloat(*f.DNSPod, 'g', -1, 64))
}

// Type names the value in help output.
func (RateFlag) Type() string { return "share" }

// Set parses the flag.
func (f DurationFlag) Set(s string) error {
	return setPer(s, func(v string) (func(bool), error) {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("%q is not a duration such as 500ms or 2s", v)
		}
		return func(aliyun bool) {
			if aliyun {
				*f.Aliyun = d
			} else {
				*f.DNSPod = d
			}
		}, nil
	})
}

func (f DurationFlag) String() string {
	if f.Aliyun == nil || f.DNSPod == nil {
		return "0s"
	}
	return perString(f.Aliyun.String(), f.DNSPod.String())
}

// Type names the value in help output.
func (DurationFlag) Type() string { return "duration" }

func perString(a, d string) string {
	if a == d {
		return a
	}
	return TypeAliyun + "=" + a + "," + TypeDNSPod + "=" + d
}

// setPer parses "V" or "aliyun=V,dnspod=V"; parse returns the setter for
// one side. Nothing is set unless the whole value parses.
func setPer(s string, parse func(string) (func(aliyun bool), error)) error {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "=") {
		set, err := parse(s)
		if err != nil {
			return err
		}
		set(true)
		set(false)
		return nil
	}
	var todo []func()
	for _, part := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		set, err := parse(strings.TrimSpace(v))
		if err != nil {
			return err
		}
		switch strings.TrimSpace(k) {
		case TypeAliyun:
			todo = append(todo, func() { set(true) })
		case TypeDNSPod:
			todo = append(todo, func() { set(false) })
		default:
			return fmt.Errorf("unknown emulator %q (use aliyun or dnspod)", k)
		}
	}
	for _, f := range todo {
		f()
	}
	return nil
}
