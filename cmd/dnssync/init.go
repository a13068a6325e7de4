package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dnssync/dnssync"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/scaffold"
	"github.com/dnssync/dnssync/internal/spec"
)

// actionRepo is where the GitHub Action and the pre-commit hooks live.
const actionRepo = "dnssync/dnssync"

func newInitCmd(g *globalOptions) *cobra.Command {
	var (
		registrar, dns string
		domain         string
		useSandbox     bool
		force          bool
	)
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Start a config repository: dnssync.yaml, an example zone, schema, CI and pre-commit files",
		Long: "init writes a new config repository into DIR (default: the current directory): dnssync.yaml\n" +
			"with one provider for the delegation and one for the records, zones/ with an example zone,\n" +
			"schema.json (the JSON Schema every file's yaml-language-server modeline points at, so editors\n" +
			"check and complete them), a GitHub workflow that validates pull requests, comments their plan\n" +
			"and applies on the default branch, a pre-commit configuration running `dnssync validate`, a\n" +
			".gitignore for the state directory and a short README. In an existing repository it keeps\n" +
			"README.md, adds what .gitignore lacks, and replaces nothing else unless --force. The result\n" +
			"passes `dnssync validate`.\n" +
			"With --sandbox the providers point at `dnssync sandbox`, which then creates the zones' domains\n" +
			"by itself, so that plan and apply can be tried at once without any account.",
		Example: "  dnssync init dns-config\n" +
			"  dnssync init --domain example.org --sandbox   # try it: then `dnssync sandbox &` and `dnssync plan`\n" +
			"  dnssync init --registrar '' --dns " + firstType(providers.RoleDNS) + "   # records only",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			reg := registry()
			emus := map[string]string{}
			for _, k := range emulators() {
				emus[k.Name()] = "https://" + k.DefaultAddr()
			}
			provider := func(flag, typ string, role providers.Role) (*scaffold.Provider, error) {
				if typ == "" {
					return nil, nil
				}
				t, ok := reg.Lookup(typ)
				if !ok {
					return nil, fmt.Errorf("--%s: unknown provider type %q (known: %s)", flag, typ, strings.Join(reg.Names(), ", "))
				}
				if !t.Roles().Has(role) {
					return nil, fmt.Errorf("--%s: provider type %q cannot manage %s", flag, typ, roleText(role))
				}
				p := &scaffold.Provider{Name: typ, Type: typ}
				if useSandbox {
					if p.Sandbox = emus[typ]; p.Sandbox == "" {
						return nil, fmt.Errorf("--sandbox: provider type %q has no sandbox emulator", typ)
					}
				}
				return p, nil
			}
			var o scaffold.Options
			var err error
			if o.Registrar, err = provider("registrar", registrar, providers.RoleRegistrar); err != nil {
				return err
			}
			if o.DNS, err = provider("dns", dns, providers.RoleDNS); err != nil {
				return err
			}
			if o.Registrar == nil && o.DNS == nil {
				return fmt.Errorf("--registrar and --dns are both empty: nothing to manage")
			}
			o.Domain = strings.TrimSuffix(strings.ToLower(domain), ".")
			o.Schema = dnssync.Schema()
			o.Force = force
			rev := releaseRef()
			o.Action = actionRepo + "@" + rev
			o.HookRepo, o.HookRev = "https://github.com/"+actionRepo, rev
			written, err := scaffold.Write(dir, o)
			if err != nil {
				return err
			}
			for _, p := range written {
				g.note("wrote "+filepath.Join(dir, filepath.FromSlash(p)), "file", filepath.Join(dir, filepath.FromSlash(p)))
			}
			// The scaffold must pass validate; say so, or show why not
			// (a provider type whose options have no defaults).
			report, _ := spec.Validate(cmd.Context(), reg, filepath.Join(dir, spec.ConfigFileName))
			if !report.OK {
				_ = report.WriteText(g.stderr)
				return fmt.Errorf("the new configuration needs the settings above before it validates (docs/CONFIGURATION.md)")
			}
			if !g.quiet {
				next := "dnssync plan"
				if useSandbox {
					next = "dnssync sandbox &   # then: dnssync plan"
				}
				if dir != "." {
					next = "cd " + dir + " && " + next
				}
				fmt.Fprintf(g.stdout, "Initialised a dnssync repository in %s (valid). Next: %s\n", dir, next)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&registrar, "registrar", firstType(providers.RoleRegistrar), "provider type for the delegation (nameservers, glue); empty for none")
	f.StringVar(&dns, "dns", firstType(providers.RoleDNS), "provider type for the records; empty for none")
	f.StringVar(&domain, "domain", "example.com", "domain of the example zone")
	f.BoolVar(&useSandbox, "sandbox", false, "point the providers at `dnssync sandbox` (try without an account)")
	f.BoolVar(&force, "force", false, "replace files that exist")
	_ = cmd.RegisterFlagCompletionFunc("registrar", completeTypes(providers.RoleRegistrar))
	_ = cmd.RegisterFlagCompletionFunc("dns", completeTypes(providers.RoleDNS))
	_ = cmd.RegisterFlagCompletionFunc("domain", cobra.NoFileCompletions)
	return cmd
}

// firstType is the default provider type for role: the first, by name, of
// the types that have the role and a sandbox emulator (so that the new
// repository can be tried on the sandbox at once), else of all that have
// the role.
func firstType(role providers.Role) string {
	reg := registry()
	withEmu := map[string]bool{}
	for _, k := range emulators() {
		withEmu[k.Name()] = true
	}
	var any string
	names := reg.Names()
	slices.Sort(names)
	for _, n := range names {
		t, _ := reg.Lookup(n)
		if !t.Roles().Has(role) {
			continue
		}
		if withEmu[n] {
			return n
		}
		if any == "" {
			any = n
		}
	}
	return any
}

// typesWith lists the registered provider types that have role, sorted.
func typesWith(role providers.Role) []string {
	reg := registry()
	var out []string
	for _, n := range reg.Names() {
		if t, _ := reg.Lookup(n); t.Roles().Has(role) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

func roleText(r providers.Role) string {
	if r == providers.RoleRegistrar {
		return "a delegation (registrar)"
	}
	return "records"
}

// releaseRef is the tag the workflow and pre-commit files pin: this
// build's version when it is a release, else "main".
func releaseRef() string {
	v := buildVersion()
	if strings.HasPrefix(v, "v") && !strings.Contains(v, "-") && !strings.Contains(v, "+") {
		return v
	}
	return "main"
}

func newSchemaCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of dnssync.yaml and zone files",
		Long: "schema prints the JSON Schema (draft 2020-12) this dnssync validates with, embedded in the\n" +
			"binary. Keep a copy beside dnssync.yaml so that editors' yaml-language-server modelines\n" +
			"resolve (`dnssync init` and `dnssync import --out` write one).",
		Example: "  dnssync schema > schema.json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := g.stdout.Write(dnssync.Schema())
			return err
		},
	}
}
