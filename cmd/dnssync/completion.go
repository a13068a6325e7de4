package main

import (
	"github.com/spf13/cobra"

	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/spec"
)

// Shell completion of flag values: cobra's `completion bash|zsh|fish|
// powershell` scripts call back into the binary (`__complete`), which
// answers with these.

// completeValues completes a flag from a fixed list of values.
func completeValues(values ...string) cobra.CompletionFunc {
	return cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp)
}

// completeTypes completes a provider type that can manage role.
func completeTypes(role providers.Role) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return typesWith(role), cobra.ShellCompDirectiveNoFileComp
	}
}

// completeYAML completes paths of YAML files (and directories).
func completeYAML(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
}

// completeJSON completes paths of JSON files (plan files).
func completeJSON(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"json"}, cobra.ShellCompDirectiveFilterFileExt
}

// completeDirs completes directory names.
func completeDirs(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveFilterDirs
}

// register attaches completion functions to flags of cmd; a flag that does
// not exist is a programming error caught by the tests.
func register(cmd *cobra.Command, fns map[string]cobra.CompletionFunc) {
	for name, fn := range fns {
		if err := cmd.RegisterFlagCompletionFunc(name, fn); err != nil {
			panic(err)
		}
	}
}

// completeProviders completes the names of the providers in --config that
// can manage role.
func completeProviders(g *globalOptions, role providers.Role) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		cfg, err := spec.LoadConfig(g.config, registry())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
		}
		var out []string
		for _, n := range cfg.ProviderNames() {
			if cfg.Roles(n).Has(role) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
