package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/dnssync/dnssync"
	"github.com/dnssync/dnssync/internal/importer"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/scaffold"
	"github.com/dnssync/dnssync/internal/spec"
)

func newImportCmd(g *globalOptions) *cobra.Command {
	var (
		registrar string
		dns       string
		outDir    string
		overwrite bool
	)
	cmd := &cobra.Command{
		Use:   "import DOMAIN...",
		Short: "Write zone files from the live state of existing domains",
		Long: "import reads the delegation (registrar) and the records (DNS provider) of each DOMAIN and\n" +
			"prints a zone file for it, or writes <domain>.yaml into --out (the zones directory, say).\n" +
			"Planning an imported file against the state it came from shows no changes. Provider-managed\n" +
			"rows (such as apex NS records the DNS provider owns) are left out. Every file validates: a live\n" +
			"record that breaks one of validate's rules is written as an ignore entry, and left alone.\n" +
			"It never writes to a provider.",
		Example: "  dnssync import example.com                       # print the zone file\n" +
			"  dnssync import example.com example.org -o zones  # write zones/<domain>.yaml (and schema.json)\n" +
			"  dnssync import example.com --dns records -o zones --overwrite",
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd.Context(), g)
			if err != nil {
				return err
			}
			if registrar == "" {
				registrar = onlyProvider(cfg, providers.RoleRegistrar)
			}
			if dns == "" {
				dns = onlyProvider(cfg, providers.RoleDNS)
			}
			if registrar == "" && dns == "" {
				return errors.New("no provider to import from: configure one, or name it with --registrar/--dns")
			}
			eng, err := newEngine(g, cfg)
			if err != nil {
				return err
			}
			want := &model.Desired{}
			for _, a := range args {
				d := model.Domain{Name: model.Host(a)}
				if registrar != "" {
					d.Registrar = &model.Registrar{Provider: registrar}
				}
				if dns != "" {
					d.DNS = &model.DNS{Provider: dns}
				}
				want.Domains = append(want.Domains, d)
			}
			spec.SortDomains(want.Domains)
			live, err := eng.ReadLive(cmd.Context(), want)
			if err != nil {
				return err
			}
			for i := range live.Domains {
				ld := &live.Domains[i]
				o := importer.Options{RegistrarProvider: registrar, DNSProvider: dns, Config: cfg}
				if outDir != "" {
					o.SchemaPath, err = schemaBeside(g, cfg.Dir, outDir)
					if err != nil {
						return err
					}
				}
				data, left, err := importer.ZoneChecked(ld, o)
				if err != nil {
					return err
				}
				for _, r := range left {
					fmt.Fprintf(g.stderr, "%s: %s breaks a rule of `validate`; written as an ignore entry, dnssync will leave it as it is\n", ld.Name, r)
				}
				if outDir == "" {
					if i > 0 {
						fmt.Fprintln(g.stdout, "---")
					}
					if _, err := g.stdout.Write(data); err != nil {
						return err
					}
					continue
				}
				path := filepath.Join(outDir, ld.Name+".yaml")
				flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
				if overwrite {
					flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
				}
				f, err := os.OpenFile(path, flags, 0o644)
				if err != nil {
					if errors.Is(err, os.ErrExist) {
						return fmt.Errorf("%s exists; pass --overwrite to replace it", path)
					}
					return err
				}
				_, werr := f.Write(data)
				if cerr := f.Close(); werr == nil {
					werr = cerr
				}
				if werr != nil {
					return werr
				}
				g.note("wrote "+path, "file", path)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&registrar, "registrar", "", "registrar provider name (default: the only registrar provider configured)")
	fl.StringVar(&dns, "dns", "", "DNS provider name (default: the only DNS provider configured)")
	fl.StringVarP(&outDir, "out", "o", "", "write <domain>.yaml files into this directory instead of printing")
	fl.BoolVar(&overwrite, "overwrite", false, "replace existing files in --out")
	register(cmd, map[string]cobra.CompletionFunc{
		"registrar": completeProviders(g, providers.RoleRegistrar),
		"dns":       completeProviders(g, providers.RoleDNS),
		"out":       completeDirs,
	})
	return cmd
}

// onlyProvider names the single configured provider that has role, or "".
func onlyProvider(cfg *spec.Config, role providers.Role) string {
	name := ""
	for _, n := range cfg.ProviderNames() {
		if cfg.Roles(n).Has(role) {
			if name != "" {
				return ""
			}
			name = n
		}
	}
	return name
}

// schemaBeside makes sure the config repository holds the schema that
// zone files written into outDir point at, writing the embedded one when
// it is missing, and returns the modeline's reference from outDir to it.
func schemaBeside(g *globalOptions, cfgDir, outDir string) (string, error) {
	schema := filepath.Join(cfgDir, scaffold.SchemaFile)
	if _, err := os.Stat(schema); errors.Is(err, fs.ErrNotExist) {
		if err := os.WriteFile(schema, dnssync.Schema(), 0o644); err != nil {
			return "", err
		}
		g.note("wrote "+schema+" (the schema the zone files' modelines point at)", "file", schema)
	} else if err != nil {
		return "", err
	}
	absOut, err := filepath.Abs(outDir)
	if err != nil {
		return "", err
	}
	absSchema, err := filepath.Abs(schema)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(absOut, absSchema)
	if err != nil {
		return "", err
	}
	return filepath.ToSlash(rel), nil
}
