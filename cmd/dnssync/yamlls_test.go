package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// The editors' check of the files dnssync writes: yaml-language-server (the
// YAML language server of VS Code, Neovim, Helix and others, from npm) is
// started headless on its LSP stdio, opens every YAML file of a directory
// and must load each modeline's schema. It needs node and npm; without them
// (or without the npm registry) the checks are skipped with a message,
// unless DNSSYNC_REQUIRE_TOOLS=1 (set by CI) makes that a failure.

// yamllsVersion is the pinned yaml-language-server (2.x needs Node 22).
const yamllsVersion = "1.25.0"

var (
	yamllsOnce sync.Once
	yamllsMain string // path of its bin script
	yamllsErr  error
)

// requireTools reports whether a missing tool must fail the test.
func requireTools() bool { return os.Getenv("DNSSYNC_REQUIRE_TOOLS") == "1" }

// yamlLanguageServer returns the server's start script, installing the
// pinned version into the user cache directory on first use. It fails or
// skips t when that is not possible.
func yamlLanguageServer(t testing.TB) (node, script string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		missingTool(t, "node is not installed: the yaml-language-server check of the schema modelines is skipped")
		return "", ""
	}
	yamllsOnce.Do(func() { yamllsMain, yamllsErr = installYAMLLS() })
	if yamllsErr != nil {
		missingTool(t, "yaml-language-server is not available: "+yamllsErr.Error())
		return "", ""
	}
	return node, yamllsMain
}

func missingTool(t testing.TB, msg string) {
	t.Helper()
	if requireTools() {
		t.Fatal(msg + " (DNSSYNC_REQUIRE_TOOLS=1)")
	}
	t.Skip(msg)
}

func installYAMLLS() (string, error) {
	if p := os.Getenv("DNSSYNC_YAMLLS"); p != "" {
		return p, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "dnssync-test", "yaml-language-server-"+yamllsVersion)
	script := filepath.Join(dir, "node_modules", "yaml-language-server", "bin", "yaml-language-server")
	if _, err := os.Stat(script); err == nil {
		return script, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", errors.New("npm is not installed")
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "install-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix", tmp, "yaml-language-server@"+yamllsVersion)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm install yaml-language-server@%s: %v\n%s", yamllsVersion, err, out)
	}
	if err := os.Rename(tmp, dir); err != nil && !errors.Is(err, fs.ErrExist) {
		if _, serr := os.Stat(script); serr != nil {
			return "", err
		}
	}
	return script, nil
}

// lspDiagnostic is one published diagnostic.
type lspDiagnostic struct {
	Message  string `json:"message"`
	Severity int    `json:"severity"`
	Source   string `json:"source"`
	Range    struct {
		Start struct{ Line, Character int } `json:"start"`
	} `json:"range"`
}

// yamlDiagnostics opens each file (absolute paths) in a fresh
// yaml-language-server and returns the diagnostics it published for each.
func yamlDiagnostics(node, script, root string, files []string) (map[string][]lspDiagnostic, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, "--stdio")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	c := &lspConn{w: stdin, r: bufio.NewReader(stdout)}
	fileURI := func(p string) string { return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String() }

	if err := c.send(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": map[string]any{
		"processId": os.Getpid(), "rootUri": fileURI(root), "capabilities": map[string]any{},
	}}); err != nil {
		return nil, err
	}
	if _, err := c.await(func(m lspMessage) bool { return m.ID != nil && string(*m.ID) == "1" && m.Method == "" }); err != nil {
		return nil, fmt.Errorf("initialize: %w (stderr: %s)", err, stderr.String())
	}
	settings := map[string]any{"yaml": map[string]any{
		"validate": true, "hover": true, "completion": true,
		"schemaStore": map[string]any{"enable": false}, // no network: only the modelines
	}}
	for _, m := range []map[string]any{
		{"jsonrpc": "2.0", "method": "initialized", "params": map[string]any{}},
		{"jsonrpc": "2.0", "method": "workspace/didChangeConfiguration", "params": map[string]any{"settings": settings}},
	} {
		if err := c.send(m); err != nil {
			return nil, err
		}
	}
	want := map[string]string{} // uri → file
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		uri := fileURI(f)
		want[uri] = f
		if err := c.send(map[string]any{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": map[string]any{
			"textDocument": map[string]any{"uri": uri, "languageId": "yaml", "version": 1, "text": string(text)},
		}}); err != nil {
			return nil, err
		}
	}
	got := map[string][]lspDiagnostic{}
	seen := map[string]bool{}
	// Diagnostics come once the schema is loaded (or failed to load); a
	// file may be published more than once, the last one counts. After
	// every file was published, a short quiet period ends the wait.
	deadline := time.Time{}
	for {
		if !deadline.IsZero() {
			c.deadline = deadline
		}
		m, err := c.await(func(m lspMessage) bool { return m.Method == "textDocument/publishDiagnostics" })
		if errors.Is(err, errQuiet) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("waiting for diagnostics: %w (stderr: %s)", err, stderr.String())
		}
		var p struct {
			URI         string          `json:"uri"`
			Diagnostics []lspDiagnostic `json:"diagnostics"`
		}
		if err := json.Unmarshal(m.Params, &p); err != nil {
			return nil, err
		}
		f, ok := want[p.URI]
		if !ok {
			continue
		}
		got[f] = p.Diagnostics
		seen[f] = true
		if len(seen) == len(want) && deadline.IsZero() {
			deadline = time.Now().Add(750 * time.Millisecond)
		}
	}
	return got, nil
}

type lspMessage struct {
	ID     *json.RawMessage `json:"id"`
	Method string           `json:"method"`
	Params json.RawMessage  `json:"params"`
	Result json.RawMessage  `json:"result"`
	Error  json.RawMessage  `json:"error"`
}

var errQuiet = errors.New("no message before the deadline")

// lspConn speaks JSON-RPC with Content-Length framing.
type lspConn struct {
	w        io.Writer
	r        *bufio.Reader
	deadline time.Time
	msgs     chan lspMessage
	errs     chan error
}

func (c *lspConn) send(v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.w, "Content-Length: %d\r\n\r\n%s", len(body), body)
	return err
}

func (c *lspConn) start() {
	c.msgs, c.errs = make(chan lspMessage, 64), make(chan error, 1)
	go func() {
		for {
			n := -1
			for {
				line, err := c.r.ReadString('\n')
				if err != nil {
					c.errs <- err
					return
				}
				line = strings.TrimSpace(line)
				if line == "" {
					break
				}
				if v, ok := strings.CutPrefix(line, "Content-Length:"); ok {
					n, _ = strconv.Atoi(strings.TrimSpace(v))
				}
			}
			if n < 0 {
				c.errs <- errors.New("message without Content-Length")
				return
			}
			body := make([]byte, n)
			if _, err := io.ReadFull(c.r, body); err != nil {
				c.errs <- err
				return
			}
			var m lspMessage
			if err := json.Unmarshal(body, &m); err != nil {
				c.errs <- err
				return
			}
			c.msgs <- m
		}
	}()
}

// await reads messages until one matches, answering the server's own
// requests (configuration, capability registration, progress) on the way.
func (c *lspConn) await(match func(lspMessage) bool) (lspMessage, error) {
	if c.msgs == nil {
		c.start()
	}
	for {
		var timeout <-chan time.Time
		if !c.deadline.IsZero() {
			timeout = time.After(time.Until(c.deadline))
		}
		select {
		case m := <-c.msgs:
			if m.ID != nil && m.Method != "" {
				var result any
				if m.Method == "workspace/configuration" {
					var p struct{ Items []any }
					_ = json.Unmarshal(m.Params, &p)
					items := make([]any, len(p.Items))
					for i := range items {
						items[i] = map[string]any{"validate": true, "schemaStore": map[string]any{"enable": false}}
					}
					result = items
				}
				if err := c.send(map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": result}); err != nil {
					return lspMessage{}, err
				}
				continue
			}
			if match(m) {
				return m, nil
			}
		case err := <-c.errs:
			return lspMessage{}, err
		case <-timeout:
			return lspMessage{}, errQuiet
		}
	}
}

// yamlFiles lists the YAML files under dir (hidden directories included:
// the GitHub workflow and the pre-commit configuration are YAML too).
func yamlFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// schemaProblems returns, per file, the diagnostics that say a schema
// could not be loaded.
func schemaProblems(diags map[string][]lspDiagnostic) []string {
	var out []string
	for f, ds := range diags {
		for _, d := range ds {
			if strings.Contains(d.Message, "Unable to load schema") || strings.Contains(strings.ToLower(d.Message), "schema") && d.Severity == 1 {
				out = append(out, fmt.Sprintf("%s:%d: %s", f, d.Range.Start.Line+1, d.Message))
			}
		}
	}
	return out
}

// cmdYAMLLS is the testscript command `yamlls DIR`: every YAML file under
// DIR is opened in yaml-language-server, which must load every schema and
// report no problem. Without the server it logs why and does nothing
// (unless DNSSYNC_REQUIRE_TOOLS=1).
func cmdYAMLLS(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: yamlls DIR")
	}
	node, script, err := lookupYAMLLS()
	if err != nil {
		if requireTools() {
			ts.Fatalf("%v (DNSSYNC_REQUIRE_TOOLS=1)", err)
		}
		ts.Logf("skipped: %v", err)
		return
	}
	dir := ts.MkAbs(args[0])
	files, err := yamlFiles(dir)
	ts.Check(err)
	diags, err := yamlDiagnostics(node, script, dir, files)
	ts.Check(err)
	for _, f := range files {
		if _, ok := diags[f]; !ok {
			ts.Fatalf("yaml-language-server published nothing for %s", f)
		}
		for _, d := range diags[f] {
			ts.Logf("%s:%d:%d: %s", f, d.Range.Start.Line+1, d.Range.Start.Character+1, d.Message)
		}
		if len(diags[f]) > 0 {
			ts.Fatalf("yaml-language-server reports problems in %s", f)
		}
	}
	ts.Logf("yaml-language-server %s: %d files, schemas loaded, no problems", yamllsVersion, len(files))
}

// lookupYAMLLS is yamlLanguageServer without a testing.TB.
func lookupYAMLLS() (node, script string, err error) {
	node, err = exec.LookPath("node")
	if err != nil {
		return "", "", errors.New("node is not installed: the yaml-language-server check of the schema modelines is skipped")
	}
	yamllsOnce.Do(func() { yamllsMain, yamllsErr = installYAMLLS() })
	if yamllsErr != nil {
		return "", "", fmt.Errorf("yaml-language-server is not available: %w", yamllsErr)
	}
	return node, yamllsMain, nil
}

// TestYAMLLanguageServer checks the check: in a repository made by `dnssync
// init`, the language server loads the schema of every file and finds
// nothing wrong; a modeline pointing nowhere gives "Unable to load schema",
// and a misspelt key is reported — so the schema was really applied.
func TestYAMLLanguageServer(t *testing.T) {
	node, script := yamlLanguageServer(t)
	dir := t.TempDir()
	var out, errb strings.Builder
	if code := run(context.Background(), []string{"init", dir}, &out, &errb); code != 0 {
		t.Fatalf("init: exit %d: %s", code, errb.String())
	}
	broken := filepath.Join(dir, "zones", "broken.yaml")
	misspelt := filepath.Join(dir, "zones", "misspelt.yaml")
	if err := os.WriteFile(broken, []byte("# yaml-language-server: $schema=../no-such-schema.json\ndomain: broken.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(misspelt, []byte("# yaml-language-server: $schema=../schema.json\ndomain: misspelt.example\ndsn: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := yamlFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	diags, err := yamlDiagnostics(node, script, dir, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		ds, ok := diags[f]
		switch {
		case !ok:
			t.Errorf("nothing published for %s", f)
		case f == broken:
			if p := schemaProblems(map[string][]lspDiagnostic{f: ds}); len(p) == 0 {
				t.Errorf("a modeline to a missing schema gave no load error: %+v", ds)
			}
		case f == misspelt:
			if len(ds) == 0 || !strings.Contains(ds[0].Message, "dsn") {
				t.Errorf("a misspelt key was not reported, so the schema was not applied: %+v", ds)
			}
		case len(ds) > 0:
			t.Errorf("%s: %+v", f, ds)
		}
	}
}
