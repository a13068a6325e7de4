// Package scaffold writes a new config repository for `dnssync init`:
// dnssync.yaml, one example zone, the JSON Schema the editors' modelines
// point at, a GitHub workflow, a pre-commit configuration and a .gitignore
// for the state directory. It names no provider: the command hands it the
// provider types to configure, and what each needs to reach the sandbox.
package scaffold

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
)

//go:embed templates/*
var templates embed.FS

// SchemaFile is the schema's name at the repository root, where every
// modeline points.
const SchemaFile = "schema.json"

// Provider is one provider entry of the generated dnssync.yaml.
type Provider struct {
	Name string // key in dnssync.yaml, referred to by the zone
	Type string
	// Sandbox, when set, points the provider at `dnssync sandbox`: its
	// endpoint (https://127.0.0.1:PORT) and the sandbox's CA and
	// credentials files under the state directory.
	Sandbox string
}

// Options describe the repository to write.
type Options struct {
	Domain    string    // the example zone's domain
	Registrar *Provider // manages the example's delegation; nil: none
	DNS       *Provider // manages the example's records; nil: none
	Schema    []byte    // the JSON Schema, written as schema.json
	// Action is what the workflow's `uses:` names, e.g.
	// "dnssync/dnssync@v1.2.0".
	Action string
	// HookRepo and HookRev are the pre-commit hook repository and its rev.
	HookRepo, HookRev string
	// Force replaces files that exist; otherwise an existing file stops
	// the whole scaffold before anything is written.
	Force bool
}

// StateDir is the generated configuration's state directory.
const StateDir = ".dnssync"

// file is one file of the scaffold: where it goes, its template, and what
// to do when the directory already has one.
type file struct {
	path, tmpl string
	exists     existing
}

type existing int

const (
	conflict  existing = iota // stop, unless Force
	keep                      // leave the repository's own file alone
	appendNew                 // add the lines it lacks (.gitignore)
)

var files = []file{
	{"dnssync.yaml", "dnssync.yaml.tmpl", conflict},
	{"zones/{{domain}}.yaml", "zone.yaml.tmpl", conflict},
	{".github/workflows/dnssync.yaml", "workflow.yaml.tmpl", conflict},
	{".pre-commit-config.yaml", "pre-commit-config.yaml.tmpl", conflict},
	{".gitignore", "gitignore.tmpl", appendNew},
	{"README.md", "README.md.tmpl", keep},
}

// Write creates the repository under dir (made if missing) and returns the
// paths written, relative to dir, in a stable order. An existing README.md
// is kept and an existing .gitignore gets only the lines it lacks; any
// other existing file stops the whole scaffold before anything is written,
// unless Force.
func Write(dir string, o Options) ([]string, error) {
	if o.Domain == "" {
		o.Domain = "example.com"
	}
	if o.DNS == nil && o.Registrar == nil {
		return nil, errors.New("scaffold: no provider to configure")
	}
	if len(o.Schema) == 0 {
		return nil, errors.New("scaffold: no schema")
	}
	out := map[string][]byte{SchemaFile: o.Schema}
	mode := map[string]existing{SchemaFile: conflict}
	for _, f := range files {
		p := strings.ReplaceAll(f.path, "{{domain}}", o.Domain)
		data, err := render(f.tmpl, o, p)
		if err != nil {
			return nil, err
		}
		out[p], mode[p] = data, f.exists
	}
	var exist []string
	for p := range out {
		old, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return nil, err
		}
		switch mode[p] {
		case keep:
			delete(out, p)
		case appendNew:
			if add := missingLines(old, out[p]); len(add) == 0 {
				delete(out, p)
			} else {
				out[p] = append(withNewline(old), add...)
			}
		default:
			if !o.Force {
				exist = append(exist, p)
			}
		}
	}
	if len(exist) > 0 {
		slices.Sort(exist)
		return nil, fmt.Errorf("%s already holds %s; nothing was written (use --force to replace)", dir, strings.Join(exist, ", "))
	}
	paths := make([]string, 0, len(out))
	for p := range out {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(full, out[p], 0o644); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// missingLines returns the lines of want (comments included, so that a
// rule keeps its explanation) whose rules old does not have yet.
func missingLines(old, want []byte) []byte {
	have := map[string]bool{}
	for _, l := range strings.Split(string(old), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	var add []string
	var comments []string
	for _, l := range strings.Split(strings.TrimRight(string(want), "\n"), "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "#") || t == "" {
			comments = append(comments, l)
			continue
		}
		if !have[t] {
			add = append(add, comments...)
			add = append(add, l)
		}
		comments = nil
	}
	if len(add) == 0 {
		return nil
	}
	return []byte(strings.Join(add, "\n") + "\n")
}

func withNewline(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] != '\n' {
		return append(b, '\n')
	}
	return b
}

// Modeline is the yaml-language-server modeline of a YAML file at path
// (slash-separated, relative to the repository root), pointing at the
// schema at the root.
func Modeline(path string) string {
	return "# yaml-language-server: $schema=" + SchemaRef(path)
}

// SchemaRef is the relative reference from the file at path (relative to
// the repository root) to the root's schema.json.
func SchemaRef(p string) string {
	depth := strings.Count(path.Clean(p), "/")
	return strings.Repeat("../", depth) + SchemaFile
}

func render(name string, o Options, p string) ([]byte, error) {
	t, err := template.New(name).Funcs(template.FuncMap{
		"modeline": func() string { return Modeline(p) },
	}).ParseFS(templates, "templates/"+name)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	data := struct {
		Options
		StateDir string
	}{o, StateDir}
	if err := t.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("scaffold %s: %w", p, err)
	}
	return buf.Bytes(), nil
}
