package spec

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/zonegen"
)

// TestStreamMutations: thousands of damaged copies of the example and
// fixture zones (characters YAML cares about inserted or dropped, lines
// re-indented) load to the same domain and the same diagnostics with the
// record stream, in runs of every size, as parsed whole. Most of them are
// broken YAML: this is where a cut between entries could go wrong.
func TestStreamMutations(t *testing.T) {
	cfg := testCfg(t)
	var srcs []string
	for _, g := range []string{"../../examples/zones/*.yaml", "testdata/bad/*.yaml"} {
		m, _ := filepath.Glob(g)
		for _, f := range m {
			srcs = append(srcs, string(mustRead(t, f)))
		}
	}
	srcs = append(srcs, trickyZones...)
	n := 3000
	if testing.Short() {
		n = 300
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		src := mutate(rng, srcs[rng.IntN(len(srcs))])
		sameWithoutFastPath(t, cfg, fmt.Sprintf("mutation %d %q", i, src), []byte(src))
	}
}

// mutate damages s in one to three places.
func mutate(rng *rand.Rand, s string) string {
	pieces := []string{":", "-", `"`, "'", "[", "]", "{", "}", "\t", "#", "&", "*", "!", "|", ">", "%", "@", "`", " ", "\n", ",", "?", "  ", "x", ": ", "- ", `\`, "\n    - {name: n, type: A, value: 192.0.2.9}", "\n  - x", "\r\n"}
	for range 1 + rng.IntN(3) {
		if s == "" {
			break
		}
		p := rng.IntN(len(s))
		switch op := rng.IntN(10); {
		case op < 4:
			s = s[:p] + pieces[rng.IntN(len(pieces))] + s[p:]
		case op < 7:
			s = s[:p] + s[p+1:]
		default:
			lines := strings.Split(s, "\n")
			j := rng.IntN(len(lines))
			if op == 7 {
				lines[j] = strings.Repeat(" ", 1+rng.IntN(3)) + lines[j]
			} else if lines[j] != "" {
				lines[j] = lines[j][1:]
			}
			s = strings.Join(lines, "\n")
		}
	}
	return s
}

// TestLoadCancels: loading a large zone stops soon after its context is
// cancelled, streamed or parsed whole (yaml.v3 reads through ctxReader),
// and says it was not loaded.
func TestLoadCancels(t *testing.T) {
	var buf bytes.Buffer
	if err := zonegen.WriteZone(&buf, zonegen.Options{Domain: "big.example", Records: 300_000}); err != nil {
		t.Fatal(err)
	}
	cfg := testCfg(t)
	s, err := cfg.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	for _, stream := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		timer := time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		dom, ds := parseZoneMode(ctx, cfg, s, parseMode{fast: true, stream: stream}, "big.yaml", buf.Bytes())
		took := time.Since(start)
		timer.Stop()
		cancel()
		if dom != nil || len(ds) != 1 || ds[0].Rule != RuleReadFile || !strings.Contains(ds[0].Message, "not loaded: context canceled") {
			t.Errorf("stream=%v: got %v, %v; want a not-loaded diagnostic", stream, dom, ds)
		}
		if took > time.Second {
			t.Errorf("stream=%v: returned %v after the start, cancelled at 100ms", stream, took)
		}
	}
}
