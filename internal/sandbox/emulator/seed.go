package emulator

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
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

// SeedReader decodes yaml.v3 nodes of a seed file by hand so that every
// problem carries the position of the node it is about, and so that
// unknown keys are errors rather than silently ignored typos. The sandbox
// reads the top level; each emulator reads its own section with the same
// reader, so that one run reports every problem of the file, in order.
type SeedReader struct {
	file     string
	problems []SeedProblem
}

// NewSeedReader returns a reader for the seed file file (used in
// positions).
func NewSeedReader(file string) *SeedReader { return &SeedReader{file: file} }

// File is the seed file's name as given.
func (r *SeedReader) File() string { return r.file }

// Pos is n's position in the file.
func (r *SeedReader) Pos(n *yaml.Node) model.Pos {
	return model.Pos{File: r.file, Line: n.Line, Col: n.Column}
}

// Errf reports a problem at n.
func (r *SeedReader) Errf(n *yaml.Node, format string, args ...any) {
	r.Report(r.Pos(n), fmt.Sprintf(format, args...))
}

// Report records a problem at pos, for checks made after decoding (an
// emulator's rules on a record it read earlier).
func (r *SeedReader) Report(pos model.Pos, message string) {
	r.problems = append(r.problems, SeedProblem{Pos: pos, Message: message})
}

// Failed reports whether any problem was found so far.
func (r *SeedReader) Failed() bool { return len(r.problems) > 0 }

// Err returns every problem found, in file order, as a *SeedError; nil
// when there is none.
func (r *SeedReader) Err() error {
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
	return &SeedError{Problems: slices.Clone(r.problems)}
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

// Fields returns the values of a mapping by key, reporting keys that are
// not allowed and keys given twice. ok is false when n is not a mapping.
func (r *SeedReader) Fields(n *yaml.Node, what string, allowed ...string) (map[string]*yaml.Node, bool) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		r.Errf(n, "%s must be a mapping, not %s", what, kindName(n))
		return nil, false
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case !slices.Contains(allowed, k.Value):
			r.Errf(k, "unknown key %q in %s (allowed: %s)", k.Value, what, strings.Join(allowed, ", "))
		case out[k.Value] != nil:
			r.Errf(k, "key %q given twice in %s", k.Value, what)
		default:
			out[k.Value] = v
		}
	}
	return out, true
}

// List returns the items of a sequence.
func (r *SeedReader) List(n *yaml.Node, what string) ([]*yaml.Node, bool) {
	n = resolve(n)
	if n.Kind != yaml.SequenceNode {
		r.Errf(n, "%s must be a list, not %s", what, kindName(n))
		return nil, false
	}
	return n.Content, true
}

// Str reads a non-empty scalar.
func (r *SeedReader) Str(n *yaml.Node, what string) (string, bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		r.Errf(n, "%s must be a string, not %s", what, kindName(n))
		return "", false
	}
	if strings.TrimSpace(n.Value) == "" {
		r.Errf(n, "%s must not be empty", what)
		return "", false
	}
	return n.Value, true
}

// Strs reads a list of scalars (a single scalar counts as a list of one)
// and returns their nodes too, for positions.
func (r *SeedReader) Strs(n *yaml.Node, what string) ([]string, []*yaml.Node, bool) {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		s, ok := r.Str(n, what)
		return []string{s}, []*yaml.Node{n}, ok
	}
	items, ok := r.List(n, what)
	if !ok {
		return nil, nil, false
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok2 := r.Str(it, what+" item")
		ok = ok && ok2
		out = append(out, s)
	}
	return out, items, ok
}

// Integer reads a whole number in [lo, hi].
func (r *SeedReader) Integer(n *yaml.Node, what string, lo, hi int) (int, bool) {
	n = resolve(n)
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		r.Errf(n, "%s must be a whole number, not %s", what, kindName(n))
		return 0, false
	}
	if v < lo || v > hi {
		r.Errf(n, "%s must be between %d and %d, not %d", what, lo, hi, v)
		return 0, false
	}
	return v, true
}

// Boolean reads true or false.
func (r *SeedReader) Boolean(n *yaml.Node, what string) (bool, bool) {
	n = resolve(n)
	var b bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
		r.Errf(n, "%s must be true or false, not %s", what, kindName(n))
		return false, false
	}
	return b, true
}

var hostLabelRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// DomainName reads a domain name (Unicode or punycode, with or without
// the trailing dot) as lower-case A-labels.
func (r *SeedReader) DomainName(n *yaml.Node, what string) (string, bool) {
	v, ok := r.Str(n, what)
	if !ok {
		return "", false
	}
	a, err := idna.Lookup.ToASCII(strings.TrimSuffix(strings.TrimSpace(v), "."))
	if err != nil || !strings.Contains(a, ".") {
		r.Errf(n, "%s %q is not a domain name", what, v)
		return "", false
	}
	return strings.ToLower(a), true
}

// HostName checks v, read from n, as a name-server or host name: labels
// of letters, digits and "-". It returns the name in lower case without
// the trailing dot.
func (r *SeedReader) HostName(n *yaml.Node, v, what string) (string, bool) {
	h := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(v), "."))
	for l := range strings.SplitSeq(h, ".") {
		if !hostLabelRE.MatchString(l) {
			r.Errf(n, "%s %q is not a host name", what, v)
			return "", false
		}
	}
	return h, true
}

// IPs reads a non-empty list of IPv4 or IPv6 addresses, sorted and without
// duplicates.
func (r *SeedReader) IPs(n *yaml.Node, what string) ([]string, bool) {
	vals, nodes, ok := r.Strs(n, what)
	if !ok {
		return nil, false
	}
	if len(vals) == 0 {
		r.Errf(n, "%s must list at least one address", what)
		return nil, false
	}
	out := make([]string, 0, len(vals))
	for i, v := range vals {
		a, err := netip.ParseAddr(strings.TrimSpace(v))
		if err != nil || a.Zone() != "" {
			r.Errf(nodes[i], "%s: %q is not an IP address", what, v)
			ok = false
			continue
		}
		out = append(out, a.Unmap().String())
	}
	slices.Sort(out)
	return slices.Compact(out), ok
}

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// SyntaxProblem turns a yaml.v3 decoding error into a positioned problem.
func (r *SeedReader) SyntaxProblem(err error) {
	p := SeedProblem{Pos: model.Pos{File: r.file, Line: 1}, Message: err.Error()}
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		if m[1] != "" {
			p.Pos.Line, _ = strconv.Atoi(m[1])
		}
		p.Message = "YAML syntax: " + m[2]
	}
	r.problems = append(r.problems, p)
}
