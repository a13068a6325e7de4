package reconcile

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/dnssync/dnssync/internal/daemon"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/safefile"
	"github.com/dnssync/dnssync/internal/spec"
	"github.com/dnssync/dnssync/internal/watch"
)

// RuleStateDirChanged is the diagnostic rule of a configuration whose
// state_dir differs from the directory the running daemon holds locked.
const RuleStateDirChanged = "state-dir-changed"

// Loader is the daemon.Loader over internal/spec: it reads dnssync.yaml
// and zone files exactly as `dnssync plan` does and keeps the last good
// configuration, which zone files are interpreted with and which the
// Reconciler builds its providers from.
//
// The daemon calls LoadConfig and LoadZone from one goroutine; Config may
// be called from any goroutine (the reconcile runs beside the loop).
type Loader struct {
	path string
	reg  *providers.Registry
	log  *slog.Logger

	mu       sync.Mutex
	cfg      *spec.Config // last good configuration; nil before the first
	stateDir string       // pinned: the directory whose lock is held ("" = any)
}

// NewLoader returns a Loader of the configuration file path. log receives
// warnings (nil discards them).
func NewLoader(path string, reg *providers.Registry, log *slog.Logger) *Loader {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Loader{path: path, reg: reg, log: log}
}

// Path is the configuration file.
func (l *Loader) Path() string { return l.path }

// Config returns the last configuration that loaded without errors, or nil.
func (l *Loader) Config() *spec.Config {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cfg
}

// pinStateDir makes every later configuration keep state_dir dir: the
// daemon holds that directory's lock and journal for its whole life, so a
// configuration moving it elsewhere is refused until a restart.
func (l *Loader) pinStateDir(dir string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stateDir = filepath.Clean(dir)
}

// LoadConfig implements daemon.Loader. Warnings are logged; errors become
// diagnostics and leave the previous configuration in force.
func (l *Loader) LoadConfig(ctx context.Context) (daemon.Sources, []daemon.Diagnostic) {
	cfg, ds := spec.LoadConfigDiagnostics(ctx, l.path, l.reg)
	errs := l.convert(ds)
	if len(errs) == 0 && cfg == nil {
		errs = []daemon.Diagnostic{{Pos: model.Pos{File: l.path}, Rule: spec.RuleReadFile, Message: "configuration could not be read"}}
	}
	if len(errs) > 0 {
		return daemon.Sources{}, errs
	}
	if st, err := os.Stat(cfg.ZonesDir); err != nil || !st.IsDir() {
		pos := cfg.ZonesPos
		if pos.IsZero() {
			pos = model.Pos{File: l.path}
		}
		return daemon.Sources{}, []daemon.Diagnostic{{Pos: pos, Rule: spec.RuleZonesDir,
			Message: fmt.Sprintf("zones directory %s does not exist", cfg.ZonesDir)}}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stateDir != "" && filepath.Clean(cfg.StateDir) != l.stateDir {
		return daemon.Sources{}, []daemon.Diagnostic{{Pos: model.Pos{File: l.path}, Rule: RuleStateDirChanged,
			Message: fmt.Sprintf("state_dir is now %s, but this daemon holds the lock and journal of %s; restart dnssync watch to move it", cfg.StateDir, l.stateDir)}}
	}
	l.cfg = cfg
	return daemon.Sources{ZoneDirs: []string{cfg.ZonesDir}, Exclude: []string{spec.ConfigFileName}, MaxFileSize: cfg.Limits.MaxFileSize}, nil
}

// LoadZone implements daemon.Loader: one zone file under the last good
// configuration.
func (l *Loader) LoadZone(ctx context.Context, file string) (*model.Domain, []daemon.Diagnostic) {
	dom, ds := spec.LoadZone(ctx, l.Config(), file)
	if errs := l.convert(ds); len(errs) > 0 {
		return nil, errs
	}
	if dom == nil {
		return nil, []daemon.Diagnostic{{Pos: model.Pos{File: file}, Rule: spec.RuleEmptyFile, Message: "no domain in file"}}
	}
	return dom, nil
}

// LoadSettledZone implements daemon.SettledLoader: LoadZone on the bytes
// read now, if they are what the watcher saw settle.
func (l *Loader) LoadSettledZone(ctx context.Context, file, hash string) (*model.Domain, []daemon.Diagnostic, bool) {
	cfg := l.Config()
	if cfg == nil {
		cfg = spec.DefaultConfig(filepath.Dir(l.path), l.reg)
	}
	data, err := safefile.ReadFile(ctx, file, cfg.ReadOptions())
	if err != nil {
		// LoadZone reads it again and says why it cannot.
		dom, diags := l.LoadZone(ctx, file)
		return dom, diags, false
	}
	if watch.Hash(data) != hash {
		return nil, nil, true
	}
	dom, ds := spec.ParseZone(ctx, l.Config(), file, data)
	if errs := l.convert(ds); len(errs) > 0 {
		return nil, errs, false
	}
	if dom == nil {
		return nil, []daemon.Diagnostic{{Pos: model.Pos{File: file}, Rule: spec.RuleEmptyFile, Message: "no domain in file"}}, false
	}
	return dom, nil, false
}

// convert keeps error-severity diagnostics (sorted) and logs warnings.
func (l *Loader) convert(ds spec.Diagnostics) []daemon.Diagnostic {
	ds.Sort()
	var out []daemon.Diagnostic
	for _, d := range ds {
		if d.Severity == spec.SeverityWarning {
			l.log.Warn("zone or config warning", "pos", d.Pos.String(), "rule", d.Rule, "problem", d.Message)
			continue
		}
		out = append(out, daemon.Diagnostic{Pos: d.Pos, Rule: d.Rule, Message: d.Message})
	}
	return out
}

// initialConfig is the configuration as it is now — read even with
// errors, since the lock must be taken before anything else, for its state
// directory and its limits; the defaults beside the file when it cannot be
// parsed at all.
func initialConfig(path string, reg *providers.Registry) *spec.Config {
	if cfg, _ := spec.LoadConfigDiagnostics(context.Background(), path, reg); cfg != nil {
		return cfg
	}
	return spec.DefaultConfig(filepath.Dir(path), reg)
}
