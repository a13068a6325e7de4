package main

import (
	"context"
	"fmt"

	"github.com/dnssync/dnssync/internal/engine"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/all"
	"github.com/dnssync/dnssync/internal/spec"
)

// loadDesired loads --config and its zones; on any error it prints every
// diagnostic with its position and returns an exit-1 error.
func loadDesired(ctx context.Context, g *globalOptions) (*spec.Config, *model.Desired, error) {
	cfg, diags := spec.LoadConfigDiagnostics(g.config, registry())
	if diags.HasErrors() {
		return nil, nil, reportDiagnostics(g, diags)
	}
	desired, diags := spec.Load(ctx, cfg)
	if diags.HasErrors() {
		return nil, nil, reportDiagnostics(g, diags)
	}
	return cfg, desired, nil
}

func reportDiagnostics(g *globalOptions, diags spec.Diagnostics) error {
	diags.Sort()
	for _, d := range diags {
		fmt.Fprintln(g.stderr, d.String())
	}
	errs, _ := diags.Count()
	return withExitCode(exitError, fmt.Errorf("%d problem(s) in the configuration; nothing was read or changed at any provider", errs))
}

// registry is every provider type this build knows: the one place the
// command wires the concrete providers into the core.
func registry() *providers.Registry { return all.Registry() }

// newEngine builds the providers of cfg.
func newEngine(g *globalOptions, cfg *spec.Config) (*engine.Pass, error) {
	return engine.New(cfg, engine.Options{Version: buildVersion(), Logger: g.logger()})
}
