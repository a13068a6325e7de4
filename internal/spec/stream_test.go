package spec

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
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
