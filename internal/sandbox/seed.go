package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/sandbox/emulator"
)

// SeedProblem is one thing wrong with a seed file, at the node that is
// wrong.
type SeedProblem = emulator.SeedProblem

// SeedError lists every problem of a seed file, in file order.
type SeedError = emulator.SeedError

// CheckSeed checks seed data read from file (used in positions) the way
// Start would load it, on scratch emulators of kinds: the structure and
// each emulator's own rules. Every problem is reported, as a *SeedError.
func CheckSeed(kinds []emulator.Kind, file string, data []byte) error {
	emus, _, err := newEmulators(Options{Kinds: kinds})
	if err != nil {
		return err
	}
	return seed(file, data, emus)
}

// seed loads a seed file (docs/SANDBOX.md, "Seed file") into empty
// emulators: a mapping with an optional version and one section per
// emulator, under the emulator's name. The sandbox reads the top level;
// each emulator reads and loads its own section, reporting problems at
// their nodes, so that one run reports every problem of the file, in
// order. Start stops on any problem, so emulators are never used half
// seeded.
func seed(file string, data []byte, emus []*hosted) error {
	r := emulator.NewSeedReader(file)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			r.Report(model.Pos{File: file, Line: 1}, "seed file is empty (write {} for emulators without domains)")
		} else {
			r.SyntaxProblem(err)
		}
		return r.Err()
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		r.Errf(&extra, "a seed file holds one YAML document; found another one here")
	} else if !errors.Is(err, io.EOF) {
		r.SyntaxProblem(err)
	}
	var errs []error
	if len(doc.Content) == 1 {
		allowed := []string{"version"}
		for _, h := range emus {
			allowed = append(allowed, h.name)
		}
		if top, ok := r.Fields(doc.Content[0], "the seed file", allowed...); ok {
			if n := top["version"]; n != nil {
				r.Integer(n, "version", 1, 1)
			}
			for _, h := range emus {
				if n := top[h.name]; n != nil {
					if err := h.emu.Seed(r, n); err != nil {
						errs = append(errs, err)
					}
				}
			}
		}
	}
	if err := r.Err(); err != nil {
		// Failures without a place usually follow from the problems
		// reported at their place; those say what to fix.
		return err
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sandbox: seed %s: %w", file, err)
	}
	return nil
}
