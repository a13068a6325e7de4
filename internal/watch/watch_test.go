package watch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Generous bounds: the tests run with -race on two cores. Nothing here
// asserts how fast a change is seen, only that it is seen, and what.
const (
	testDebounce = 100 * time.Millisecond
	waitFor      = 10 * time.Second
	quietFor     = 600 * time.Millisecond
)

// ignoreHashes: most tests look at which files changed; the hashes are
// checked where they matter (settle_test.go).
var ignoreHashes = cmpopts.IgnoreFields(ChangeSet{}, "Hashes")

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func start(t *testing.T, opts Options) *Watcher {
	t.Helper()
	if opts.Debounce == 0 {
		opts.Debounce = testDebounce
	}
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	})
	return w
}

// expect merges change sets until they add up to want. A save style that
// the debounce happens to split in two still passes as long as the final
// state of every file is right and nothing else is reported.
func expect(t *testing.T, w *Watcher, want ChangeSet) {
	t.Helper()
	var got ChangeSet
	deadline := time.After(waitFor)
	for {
		select {
		case cs, ok := <-w.Changes():
			if !ok {
				t.Fatal("change stream closed")
			}
			got = got.Merge(cs)
			if cmp.Equal(got, want, cmpopts.EquateEmpty(), ignoreHashes) {
				for _, f := range got.Changed {
					if got.Hashes[f] == "" {
						t.Errorf("changed file %s without its hash", f)
					}
				}
				quiet(t, w)
				return
			}
		case <-deadline:
			t.Fatalf("change sets (-want +got):\n%s", cmp.Diff(want, got, cmpopts.EquateEmpty(), ignoreHashes))
		}
	}
}

// quiet asserts that no change set arrives for a while.
func quiet(t *testing.T, w *Watcher) {
	t.Helper()
	select {
	case cs := <-w.Changes():
		t.Fatalf("unexpected change set %+v", cs)
	case <-time.After(quietFor):
	}
}

// Each save style starts from zones/a.yaml = "a1", zones/b.yaml = "b1" and
// config.yaml = "c1" in a plain directory.
func TestSaveStyles(t *testing.T) {
	tests := []struct {
		name string
		save func(t *testing.T, root string)
		want ChangeSet
	}{
		{
			name: "write in place",
			save: func(t *testing.T, root string) { write(t, filepath.Join(root, "zones/a.yaml"), "a2") },
			want: ChangeSet{Changed: []string{"zones/a.yaml"}},
		},
		{
			name: "atomic rename over",
			save: func(t *testing.T, root string) {
				tmp := filepath.Join(root, "zones/.a.yaml.tmp-1234")
				write(t, tmp, "a2")
				must(t, os.Rename(tmp, filepath.Join(root, "zones/a.yaml")))
			},
			want: ChangeSet{Changed: []string{"zones/a.yaml"}},
		},
		{
			name: "vim backup and rename",
			save: func(t *testing.T, root string) {
				z := filepath.Join(root, "zones")
				write(t, filepath.Join(z, "4913"), "") // vim's probe file
				must(t, os.Remove(filepath.Join(z, "4913")))
				must(t, os.Rename(filepath.Join(z, "a.yaml"), filepath.Join(z, "a.yaml~")))
				write(t, filepath.Join(z, "a.yaml"), "a2")
				must(t, os.Chmod(filepath.Join(z, "a.yaml"), 0o644))
				must(t, os.Remove(filepath.Join(z, "a.yaml~")))
			},
			want: ChangeSet{Changed: []string{"zones/a.yaml"}},
		},
		{
			name: "config atomic save",
			save: func(t *testing.T, root string) {
				tmp := filepath.Join(root, "config.yaml.new")
				write(t, tmp, "c2")
				must(t, os.Rename(tmp, filepath.Join(root, "config.yaml")))
			},
			want: ChangeSet{Config: true},
		},
		{
			name: "new file and removed file",
			save: func(t *testing.T, root string) {
				write(t, filepath.Join(root, "zones/c.yml"), "c")
				must(t, os.Remove(filepath.Join(root, "zones/b.yaml")))
			},
			want: ChangeSet{Changed: []string{"zones/c.yml"}, Removed: []string{"zones/b.yaml"}},
		},
		{
			name: "a file moved in from elsewhere",
			save: func(t *testing.T, root string) {
				write(t, filepath.Join(root, "staging/d.yaml"), "d")
				must(t, os.Rename(filepath.Join(root, "staging/d.yaml"), filepath.Join(root, "zones/d.yaml")))
			},
			want: ChangeSet{Changed: []string{"zones/d.yaml"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			t.Chdir(root) // paths are reported as configured: relative here
			write(t, "zones/a.yaml", "a1")
			write(t, "zones/b.yaml", "b1")
			write(t, "config.yaml", "c1")
			w := start(t, Options{Config: "config.yaml", ZoneDirs: []string{"zones"}})
			if diff := cmp.Diff([]string{"zones/a.yaml", "zones/b.yaml"}, w.Files()); diff != "" {
				t.Fatalf("baseline files (-want +got):\n%s", diff)
			}
			tt.save(t, root)
			expect(t, w, tt.want)
		})
	}
}

func TestNoChangeReportsNothing(t *testing.T) {
	tests := []struct {
		name string
		do   func(t *testing.T, z string)
	}{
		{"same bytes rewritten", func(t *testing.T, z string) { write(t, filepath.Join(z, "a.yaml"), "a1") }},
		{"same bytes renamed over", func(t *testing.T, z string) {
			write(t, filepath.Join(z, ".tmp"), "a1")
			must(t, os.Rename(filepath.Join(z, ".tmp"), filepath.Join(z, "a.yaml")))
		}},
		{"chmod and touch", func(t *testing.T, z string) {
			must(t, os.Chmod(filepath.Join(z, "a.yaml"), 0o600))
			now := time.Now()
			must(t, os.Chtimes(filepath.Join(z, "a.yaml"), now, now))
		}},
		{"files that are not zone files", func(t *testing.T, z string) {
			write(t, filepath.Join(z, "README.md"), "x")
			write(t, filepath.Join(z, ".a.yaml.swp"), "x")
			write(t, filepath.Join(z, "a.yaml~"), "x")
			write(t, filepath.Join(z, "#a.yaml#"), "x")
			must(t, os.Mkdir(filepath.Join(z, "sub"), 0o755))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := filepath.Join(t.TempDir(), "zones")
			write(t, filepath.Join(z, "a.yaml"), "a1")
			w := start(t, Options{ZoneDirs: []string{z}})
			tt.do(t, z)
			quiet(t, w)
			// The watcher is still alive and sees a real change afterwards.
			write(t, filepath.Join(z, "a.yaml"), "a2")
			expect(t, w, ChangeSet{Changed: []string{filepath.Join(z, "a.yaml")}})
		})
	}
}

// configMap lays out a directory the way the kubelet's atomic writer does
// for a ConfigMap volume: each key is a symlink "key -> ..data/key", "..data"
// is a symlink to a timestamped directory, and an update writes a new
// timestamped directory, points "..data_tmp" at it, renames "..data_tmp"
// over "..data" and removes the old directory.
type configMap struct {
	t   *testing.T
	dir string
	gen int
}

func (c *configMap) update(files map[string]string) {
	t := c.t
	c.gen++
	ts := fmt.Sprintf("..2024_01_01_00_00_%02d.%09d", c.gen, c.gen)
	for k, v := range files {
		write(t, filepath.Join(c.dir, ts, k), v)
	}
	old, _ := os.Readlink(filepath.Join(c.dir, "..data"))
	must(t, os.Symlink(ts, filepath.Join(c.dir, "..data_tmp")))
	must(t, os.Rename(filepath.Join(c.dir, "..data_tmp"), filepath.Join(c.dir, "..data")))
	for k := range files {
		link := filepath.Join(c.dir, k)
		if _, err := os.Lstat(link); err != nil {
			must(t, os.Symlink(filepath.Join("..data", k), link))
		}
	}
	// Keys dropped from the ConfigMap lose their symlink.
	entries, err := os.ReadDir(c.dir)
	must(t, err)
	for _, e := range entries {
		if _, ok := files[e.Name()]; !ok && e.Name()[0] != '.' {
			must(t, os.Remove(filepath.Join(c.dir, e.Name())))
		}
	}
	if old != "" {
		must(t, os.RemoveAll(filepath.Join(c.dir, old)))
	}
}

func TestKubernetesConfigMapSwap(t *testing.T) {
	root := t.TempDir()
	zones := &configMap{t: t, dir: filepath.Join(root, "zones")}
	conf := &configMap{t: t, dir: filepath.Join(root, "etc")}
	must(t, os.MkdirAll(zones.dir, 0o755))
	must(t, os.MkdirAll(conf.dir, 0o755))
	zones.update(map[string]string{"a.yaml": "a1", "b.yaml": "b1", "c.yaml": "c1"})
	conf.update(map[string]string{"config.yaml": "c1"})

	w := start(t, Options{Config: filepath.Join(conf.dir, "config.yaml"), ZoneDirs: []string{zones.dir}})
	z := func(n string) string { return filepath.Join(zones.dir, n) }
	if diff := cmp.Diff([]string{z("a.yaml"), z("b.yaml"), z("c.yaml")}, w.Files()); diff != "" {
		t.Fatalf("baseline (-want +got):\n%s", diff)
	}

	// One key changes, one is unchanged, one is dropped.
	zones.update(map[string]string{"a.yaml": "a2", "b.yaml": "b1"})
	expect(t, w, ChangeSet{Changed: []string{z("a.yaml")}, Removed: []string{z("c.yaml")}})

	// The watches followed the swap: a second swap is seen too.
	zones.update(map[string]string{"a.yaml": "a2", "b.yaml": "b2"})
	expect(t, w, ChangeSet{Changed: []string{z("b.yaml")}})

	// A swap that changes nothing reports nothing.
	zones.update(map[string]string{"a.yaml": "a2", "b.yaml": "b2"})
	quiet(t, w)

	conf.update(map[string]string{"config.yaml": "c2"})
	expect(t, w, ChangeSet{Config: true})
}

// gitSync mimics git-sync: each revision is checked out into its own
// worktree directory, then the link "current" is replaced atomically
// (symlink to a temp name, rename over) and the old worktree removed.
type gitSync struct {
	t    *testing.T
	root string
	rev  int
	keep bool // leave old worktrees in place (cleanup deferred)
}

func (g *gitSync) publish(files map[string]string) {
	t := g.t
	g.rev++
	wt := filepath.Join(".worktrees", fmt.Sprintf("%040d", g.rev))
	for k, v := range files {
		write(t, filepath.Join(g.root, wt, k), v)
	}
	link := filepath.Join(g.root, "current")
	old, _ := os.Readlink(link)
	tmp := filepath.Join(g.root, "tmp-link")
	must(t, os.Symlink(wt, tmp))
	must(t, os.Rename(tmp, link))
	if old != "" && !g.keep {
		must(t, os.RemoveAll(filepath.Join(g.root, old)))
	}
}

func TestGitSyncWorktreeSwap(t *testing.T) {
	g := &gitSync{t: t, root: t.TempDir()}
	g.publish(map[string]string{"dnssync.yaml": "c1", "zones/a.yaml": "a1", "zones/b.yaml": "b1", "zones/c.yaml": "c1"})
	cur := filepath.Join(g.root, "current")
	zdir := filepath.Join(cur, "zones")
	w := start(t, Options{Config: filepath.Join(cur, "dnssync.yaml"), ZoneDirs: []string{zdir}})
	z := func(n string) string { return filepath.Join(zdir, n) }

	g.publish(map[string]string{"dnssync.yaml": "c1", "zones/a.yaml": "a2", "zones/b.yaml": "b1"})
	expect(t, w, ChangeSet{Changed: []string{z("a.yaml")}, Removed: []string{z("c.yaml")}})

	g.publish(map[string]string{"dnssync.yaml": "c2", "zones/a.yaml": "a2", "zones/b.yaml": "b2"})
	expect(t, w, ChangeSet{Config: true, Changed: []string{z("b.yaml")}})

	// The new worktree is watched now: an edit inside it is seen.
	write(t, filepath.Join(g.root, fmt.Sprintf(".worktrees/%040d/zones/a.yaml", g.rev)), "a3")
	expect(t, w, ChangeSet{Changed: []string{z("a.yaml")}})

	// A swap that leaves the old worktree in place (nothing happens inside
	// the watched directory) is seen through the watch on the link's
	// directory.
	g.keep = true
	g.publish(map[string]string{"dnssync.yaml": "c2", "zones/a.yaml": "a4", "zones/b.yaml": "b2"})
	expect(t, w, ChangeSet{Changed: []string{z("a.yaml")}})
}

func TestSymlinkedZoneDirectorySwap(t *testing.T) {
	// A plain "zones -> releases/v1" link replaced by a new one in place
	// (ln -sfn creates a new link; here remove and create, the non-atomic
	// way, which passes through a moment without the link).
	root := t.TempDir()
	write(t, filepath.Join(root, "releases/v1/a.yaml"), "a1")
	write(t, filepath.Join(root, "releases/v2/a.yaml"), "a2")
	link := filepath.Join(root, "zones")
	must(t, os.Symlink("releases/v1", link))
	w := start(t, Options{ZoneDirs: []string{link}})
	must(t, os.Remove(link))
	must(t, os.Symlink("releases/v2", link))
	expect(t, w, ChangeSet{Changed: []string{filepath.Join(link, "a.yaml")}})
}

func TestMissingDirectoryAppearsLater(t *testing.T) {
	root := t.TempDir()
	zdir := filepath.Join(root, "not/yet/zones")
	conf := filepath.Join(root, "later/config.yaml")
	w := start(t, Options{Config: conf, ZoneDirs: []string{zdir}})
	if len(w.Files()) != 0 {
		t.Fatalf("files in a missing directory: %v", w.Files())
	}
	write(t, filepath.Join(zdir, "a.yaml"), "a1")
	write(t, conf, "c1")
	expect(t, w, ChangeSet{Config: true, Changed: []string{filepath.Join(zdir, "a.yaml")}})

	// Removed and recreated at the same path: the new directory is watched.
	must(t, os.RemoveAll(filepath.Join(root, "not")))
	expect(t, w, ChangeSet{Removed: []string{filepath.Join(zdir, "a.yaml")}})
	write(t, filepath.Join(zdir, "a.yaml"), "a1")
	expect(t, w, ChangeSet{Changed: []string{filepath.Join(zdir, "a.yaml")}})
	write(t, filepath.Join(zdir, "a.yaml"), "a2")
	expect(t, w, ChangeSet{Changed: []string{filepath.Join(zdir, "a.yaml")}})
}

func TestSubdirectories(t *testing.T) {
	root := t.TempDir()
	z := filepath.Join(root, "zones")
	write(t, filepath.Join(z, "cn/a.yaml"), "a1")
	write(t, filepath.Join(z, "dnssync.yaml"), "config") // the config living among the zones
	w := start(t, Options{Config: filepath.Join(z, "dnssync.yaml"), ZoneDirs: []string{z}, Exclude: []string{"dnssync.yaml"}})
	if diff := cmp.Diff([]string{filepath.Join(z, "cn/a.yaml")}, w.Files()); diff != "" {
		t.Fatalf("baseline (-want +got):\n%s", diff)
	}
	write(t, filepath.Join(z, "cn/a.yaml"), "a2")
	expect(t, w, ChangeSet{Changed: []string{filepath.Join(z, "cn/a.yaml")}})

	// A new directory tree with files, created in one go (mkdir -p, then
	// write): the files are found although the watch on the new
	// directories comes after them.
	write(t, filepath.Join(z, "com/x/b.yaml"), "b1")
	write(t, filepath.Join(z, "com/x/c.yaml"), "c1")
	expect(t, w, ChangeSet{Changed: []string{filepath.Join(z, "com/x/b.yaml"), filepath.Join(z, "com/x/c.yaml")}})
	write(t, filepath.Join(z, "com/x/c.yaml"), "c2")
	expect(t, w, ChangeSet{Changed: []string{filepath.Join(z, "com/x/c.yaml")}})

	// Hidden directories are not zones; the config is the config.
	write(t, filepath.Join(z, ".git/objects/d.yaml"), "d")
	write(t, filepath.Join(z, "dnssync.yaml"), "config2")
	expect(t, w, ChangeSet{Config: true})

	must(t, os.RemoveAll(filepath.Join(z, "com")))
	expect(t, w, ChangeSet{Removed: []string{filepath.Join(z, "com/x/b.yaml"), filepath.Join(z, "com/x/c.yaml")}})
}

func TestBurstIsOneChangeSet(t *testing.T) {
	z := t.TempDir()
	write(t, filepath.Join(z, "a.yaml"), "a0")
	// A long debounce makes the burst (microseconds apart) certainly fall
	// within one window even on a loaded machine.
	w := start(t, Options{ZoneDirs: []string{z}, Debounce: 500 * time.Millisecond})
	for i := range 50 {
		write(t, filepath.Join(z, "a.yaml"), fmt.Sprintf("a%d", i+1))
		write(t, filepath.Join(z, "b.yaml"), fmt.Sprintf("b%d", i+1))
	}
	select {
	case cs := <-w.Changes():
		want := ChangeSet{Changed: []string{filepath.Join(z, "a.yaml"), filepath.Join(z, "b.yaml")}}
		if diff := cmp.Diff(want, cs, cmpopts.EquateEmpty(), ignoreHashes); diff != "" {
			t.Fatalf("(-want +got):\n%s", diff)
		}
	case <-time.After(waitFor):
		t.Fatal("no change set")
	}
	select {
	case cs := <-w.Changes():
		t.Fatalf("burst split into more than one change set; second: %+v", cs)
	case <-time.After(time.Second):
	}
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name        string
		first, then ChangeSet
		want        ChangeSet
	}{
		{"union", ChangeSet{Changed: []string{"b"}}, ChangeSet{Config: true, Changed: []string{"a"}}, ChangeSet{Config: true, Changed: []string{"a", "b"}}},
		{"changed then removed", ChangeSet{Changed: []string{"a"}}, ChangeSet{Removed: []string{"a"}}, ChangeSet{Removed: []string{"a"}}},
		{"removed then changed", ChangeSet{Removed: []string{"a"}}, ChangeSet{Changed: []string{"a"}}, ChangeSet{Changed: []string{"a"}}},
		{"config sticks", ChangeSet{Config: true}, ChangeSet{}, ChangeSet{Config: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.first.Merge(tt.then), cmpopts.EquateEmpty()); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func TestList(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "z1/b.yaml"), "")
	write(t, filepath.Join(root, "z1/a.yml"), "")
	write(t, filepath.Join(root, "z1/.hidden.yaml"), "")
	write(t, filepath.Join(root, "z1/notes.txt"), "")
	write(t, filepath.Join(root, "z2/c.yaml"), "")
	must(t, os.Symlink("c.yaml", filepath.Join(root, "z2/link.yaml")))
	must(t, os.Symlink("missing", filepath.Join(root, "z2/dangling.yaml")))
	write(t, filepath.Join(root, "z1/sub/d.yaml"), "")
	write(t, filepath.Join(root, "z1/.git/e.yaml"), "")
	write(t, filepath.Join(root, "z1/dnssync.yaml"), "")
	got, err := List([]string{filepath.Join(root, "z2"), filepath.Join(root, "z1")}, nil, []string{"dnssync.yaml"})
	must(t, err)
	want := []string{filepath.Join(root, "z1/a.yml"), filepath.Join(root, "z1/b.yaml"), filepath.Join(root, "z1/sub/d.yaml"), filepath.Join(root, "z2/c.yaml"), filepath.Join(root, "z2/link.yaml")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
	if _, err := List([]string{filepath.Join(root, "nope")}, nil, nil); err == nil {
		t.Error("missing directory: no error")
	}
}

func TestResolve(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	must(t, err)
	write(t, filepath.Join(root, "real/dir/f"), "x")
	must(t, os.Symlink("real", filepath.Join(root, "l1")))
	must(t, os.Symlink(filepath.Join(root, "l1", "dir"), filepath.Join(root, "sub-link")))
	must(t, os.Symlink("loop", filepath.Join(root, "loop")))

	tests := []struct {
		path      string
		want      string
		wantLinks []string
		wantErr   bool
	}{
		{filepath.Join(root, "real/dir/f"), filepath.Join(root, "real/dir/f"), nil, false},
		{filepath.Join(root, "l1/dir/f"), filepath.Join(root, "real/dir/f"), []string{root}, false},
		{filepath.Join(root, "sub-link/f"), filepath.Join(root, "real/dir/f"), []string{root, root}, false},
		{filepath.Join(root, "l1/nope/f"), filepath.Join(root, "real"), []string{root}, true},
		{filepath.Join(root, "loop"), "", nil, true},
	}
	for _, tt := range tests {
		got, links, err := resolve(tt.path)
		if (err != nil) != tt.wantErr {
			t.Errorf("resolve(%s) err = %v", tt.path, err)
		}
		if tt.want == "" {
			continue
		}
		if got != tt.want || !cmp.Equal(links, tt.wantLinks, cmpopts.EquateEmpty()) {
			t.Errorf("resolve(%s) = %s %v, want %s %v", tt.path, got, links, tt.want, tt.wantLinks)
		}
	}
}
