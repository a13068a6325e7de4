package spec

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
)

// ConfigFileName is the name of the configuration file in a config repository.
const ConfigFileName = "dnssync.yaml"

// IsZoneFile reports whether a directory entry named name is a zone file.
func IsZoneFile(name string) bool {
	return !strings.HasPrefix(name, ".") && (strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml"))
}

// ZoneFiles expands paths into the sorted list of zone files they name:
// files as given, directories walked for *.yaml and *.yml (hidden entries
// and dnssync.yaml skipped). A directory given through a symlink is walked
// too. A directory inside one that is named like a zone file is listed as
// a file, not walked: it is a mistake (binding a missing file into a
// container makes one), and reading it reports so.
func ZoneFiles(paths ...string) ([]string, Diagnostics) {
	var files []string
	var ds Diagnostics
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			ds = append(ds, Diagnostic{Pos: model.Pos{File: p, Line: 1}, Rule: RuleReadFile, Severity: SeverityError,
				Message: fmt.Sprintf("cannot read: %v", unwrapPathError(err))})
			continue
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		root := p
		if lst, err := os.Lstat(p); err == nil && lst.Mode()&fs.ModeSymlink != 0 {
			// WalkDir does not follow a symlink at its root; a trailing
			// separator makes the system resolve it.
			root = p + string(filepath.Separator)
		}
		err = filepath.WalkDir(root, func(f string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if f == root {
				return nil
			}
			if strings.HasPrefix(e.Name(), ".") {
				if e.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if IsZoneFile(e.Name()) && e.Name() != ConfigFileName {
				files = append(files, f)
				if e.IsDir() {
					return filepath.SkipDir
				}
			}
			return nil
		})
		if err != nil {
			ds = append(ds, Diagnostic{Pos: model.Pos{File: p, Line: 1}, Rule: RuleReadFile, Severity: SeverityError,
				Message: fmt.Sprintf("cannot read directory: %v", unwrapPathError(err))})
		}
	}
	slices.Sort(files)
	return slices.Compact(files), ds
}

// Load loads the zone files under paths (files or directories; none means
// cfg.ZonesDir) into desired state. The result holds every domain that could
// be read, sorted by name; it is only trustworthy when the diagnostics hold
// no error.
func Load(ctx context.Context, cfg *Config, paths ...string) (*model.Desired, Diagnostics) {
	return LoadWith(ctx, cfg, nil, paths...)
}

// LoadWith is Load that tells ready each zone file's domain and DNS
// provider as soon as they are known (ZoneReady), so that the caller can
// read live state while the records are decoded.
func LoadWith(ctx context.Context, cfg *Config, ready ZoneReady, paths ...string) (*model.Desired, Diagnostics) {
	if cfg == nil {
		cfg = DefaultConfig(".", nil)
	}
	if len(paths) == 0 {
		if st, err := os.Stat(cfg.ZonesDir); err != nil || !st.IsDir() {
			return &model.Desired{}, Diagnostics{{Pos: cfg.ZonesPos, Rule: RuleZonesDir, Severity: SeverityError,
				Message: fmt.Sprintf("zones directory %s does not exist", cfg.ZonesDir)}}
		}
		paths = []string{cfg.ZonesDir}
	}
	files, ds := ZoneFiles(paths...)
	desired, more := loadFilesChecked(ctx, cfg, ready, files)
	return desired, append(ds, more...)
}

// LoadFiles loads exactly the given zone files and checks them together
// (a domain declared twice).
func LoadFiles(ctx context.Context, cfg *Config, files ...string) (*model.Desired, Diagnostics) {
	return loadFilesChecked(ctx, cfg, nil, files)
}

func loadFilesChecked(ctx context.Context, cfg *Config, ready ZoneReady, files []string) (*model.Desired, Diagnostics) {
	doms, ds := loadFiles(ctx, cfg, ready, files)
	ds = append(ds, CheckDomains(doms)...)
	SortDomains(doms)
	return &model.Desired{Domains: doms}, ds
}

func loadFiles(ctx context.Context, cfg *Config, ready ZoneReady, files []string) ([]model.Domain, Diagnostics) {
	var ds Diagnostics
	doms := []model.Domain{}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			ds = append(ds, Diagnostic{Pos: model.Pos{File: f, Line: 1}, Rule: RuleReadFile, Severity: SeverityError,
				Message: fmt.Sprintf("not loaded: %v", err)})
			break
		}
		dom, more := loadZone(ctx, cfg, f, ready)
		ds = append(ds, more...)
		if dom != nil {
			doms = append(doms, *dom)
		}
	}
	return doms, ds
}

// SortDomains puts domains in Desired order: by name, then by file.
func SortDomains(ds []model.Domain) {
	slices.SortStableFunc(ds, func(a, b model.Domain) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.File, b.File)
	})
}

// CheckDomains runs the checks across zone files: a domain may be declared
// in one file only. The daemon calls it after reloading a single file.
func CheckDomains(domains []model.Domain) Diagnostics {
	var ds Diagnostics
	first := map[string]model.Domain{}
	sorted := slices.Clone(domains)
	slices.SortStableFunc(sorted, func(a, b model.Domain) int { return strings.Compare(a.File, b.File) })
	for _, d := range sorted {
		f, dup := first[d.Name]
		if !dup {
			first[d.Name] = d
			continue
		}
		ds = append(ds, Diagnostic{Pos: d.Pos, Rule: RuleDomainTwice, Severity: SeverityError,
			Message: fmt.Sprintf("domain %s is declared in %s and again in %s; keep one file per domain", d.Unicode, f.Pos, d.File)})
	}
	return ds
}

// Validate checks a config repository the way `dnssync validate` does.
// configPath is the config file for plain zone arguments; args are zone
// files or directories, or config repositories (a directory holding
// dnssync.yaml, or a dnssync.yaml itself), each checked with its own config.
// No args means configPath and its zones directory. reg knows the
// provider types the configs may use.
func Validate(ctx context.Context, reg *providers.Registry, configPath string, args ...string) (Report, *model.Desired) {
	type group struct {
		config string
		paths  []string
	}
	var groups []group
	var plain []string
	for _, a := range args {
		if st, err := os.Stat(a); err == nil && st.IsDir() {
			if c := filepath.Join(a, ConfigFileName); fileExists(c) {
				groups = append(groups, group{config: c})
				continue
			}
		} else if err == nil && filepath.Base(a) == ConfigFileName {
			groups = append(groups, group{config: a})
			continue
		}
		plain = append(plain, a)
	}
	if len(args) == 0 || len(plain) > 0 {
		groups = append(groups, group{config: configPath, paths: plain})
	}

	var ds Diagnostics
	all := &model.Desired{Domains: []model.Domain{}}
	files := 0
	for _, g := range groups {
		cfg, cds := LoadConfigDiagnostics(ctx, g.config, reg)
		ds = append(ds, cds...)
		files++
		if cfg == nil {
			if len(g.paths) == 0 {
				continue // no config, so no zones directory to look in
			}
			cfg = DefaultConfig(filepath.Dir(g.config), reg)
		}
		var zf []string
		var zds Diagnostics
		if len(g.paths) == 0 {
			if st, err := os.Stat(cfg.ZonesDir); err != nil || !st.IsDir() {
				ds = append(ds, Diagnostic{Pos: cfg.ZonesPos, Rule: RuleZonesDir, Severity: SeverityError,
					Message: fmt.Sprintf("zones directory %s does not exist", cfg.ZonesDir)})
				continue
			}
			zf, zds = ZoneFiles(cfg.ZonesDir)
		} else {
			zf, zds = ZoneFiles(g.paths...)
		}
		ds = append(ds, zds...)
		files += len(zf)
		doms, lds := loadFiles(ctx, cfg, nil, zf)
		ds = append(ds, lds...)
		all.Domains = append(all.Domains, doms...)
	}
	ds = append(ds, CheckDomains(all.Domains)...)
	SortDomains(all.Domains)
	return NewReport(files, all, ds), all
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
