package sandbox

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/model"
)

// SeedProblem is one thing wrong with a seed file, at the node that is
// wrong.
type SeedProblem struct {
	Pos     model.Pos
	Message string
}

func (p SeedProblem) String() string { return p.Pos.String() + ": " + p.Message }

// SeedError lists every problem of a seed file, in file order.
type SeedError struct {
	Problems []SeedProblem
}

func (e *SeedError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return "invalid sandbox seed:\n" + strings.Join(lines, "\n")
}

// nodeReader decodes yaml.v3 nodes by hand so that every problem carries
// the position of the node it is about, and so that unknown keys are
// errors rather than silently ignored typos.
type nodeReader struct {
	file     string
	problems []SeedProblem
}

func (r *nodeReader) pos(n *yaml.Node) model.Pos {
	return model.Pos{File: r.file, Line: n.Line, Col: n.Column}
}

func (r *nodeReader) errf(n *yaml.Node, format string, args ...any) {
	r.problems = append(r.problems, SeedProblem{Pos: r.pos(n), Message: fmt.Sprintf(format, args...)})
}

func (r *nodeReader) err() error {
	if len(r.problems) == 0 {
		return nil
	}
	sort.SliceStable(r.problems, func(i, j int) bool {
		a, b := r.problems[i].Pos, r.problems[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return &SeedError{Problems: r.problems}
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "empty"
}

// fields returns the values of a mapping by key, reporting keys that are
// not allowed and keys given twice. ok is false when n is not a mapping.
func (r *nodeReader) fields(n *yaml.Node, what string, allowed ...string) (map[string]*yaml.Node, bool) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		r.errf(n, "%s must be a mapping, not %s", what, kindName(n))
		return nil, false
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		known := false
		for _, a := range allowed {
			known = known || a == k.Value
		}
		switch {
		case !known:
			r.errf(k, "unknown key %q in %s (allowed: %s)", k.Value, what, strings.Join(allowed, ", "))
		case out[k.Value] != nil:
			r.errf(k, "key %q given twice in %s", k.Value, what)
		default:
			out[k.Value] = v
		}
	}
	return out, true
}

// list returns the items of a sequence.
func (r *nodeReader) list(n *yaml.Node, what string) ([]*yaml.Node, bool) {
	n = resolve(n)
	if n.Kind != yaml.SequenceNode {
		r.errf(n, "%s must be a list, not %s", what, kindName(n))
		return nil, false
	}
	return n.Content, true
}

// str reads a non-empty scalar.
func (r *nodeReader) str(n *yaml.Node, what string) (string, bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		r.errf(n, "%s must be a string, not %s", what, kindName(n))
		return "", false
	}
	if strings.TrimSpace(n.Value) == "" {
		r.errf(n, "%s must not be empty", what)
		return "", false
	}
	return n.Value, true
}

// strs reads a list of scalars (a single scalar counts as a list of one)
// and returns their nodes too, for positions.
func (r *nodeReader) strs(n *yaml.Node, what string) ([]string, []*yaml.Node, bool) {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		s, ok := r.str(n, what)
		return []string{s}, []*yaml.Node{n}, ok
	}
	items, ok := r.list(n, what)
	if !ok {
		return nil, nil, false
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok2 := r.str(it, what+" item")
		ok = ok && ok2
		out = append(out, s)
	}
	return out, items, ok
}

func (r *nodeReader) integer(n *yaml.Node, what string, min, max int) (int, bool) {
	n = resolve(n)
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		r.errf(n, "%s must be a whole number, not %s", what, kindName(n))
		return 0, false
	}
	if v < min || v > max {
		r.errf(n, "%s must be between %d and %d, not %d", what, min, max, v)
		return 0, false
	}
	return v, true
}

func (r *nodeReader) boolean(n *yaml.Node, what string) (bool, bool) {
	n = resolve(n)
	var b bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
		r.errf(n, "%s must be true or false, not %s", what, kindName(n))
		return false, false
	}
	return b, true
}

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// syntaxProblem turns a yaml.v3 error into a positioned problem.
func (r *nodeReader) syntaxProblem(err error) {
	p := SeedProblem{Pos: model.Pos{File: r.file, Line: 1}, Message: err.Error()}
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		if m[1] != "" {
			p.Pos.Line, _ = strconv.Atoi(m[1])
		}
		p.Message = "YAML syntax: " + m[2]
	}
	r.problems = append(r.problems, p)
}
