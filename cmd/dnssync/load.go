package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/dnssync/dnssync/internal/engine"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/all"
	"github.com/dnssync/dnssync/internal/sandbox/emulator"
	"github.com/dnssync/dnssync/internal/spec"
)

// loadConfigReport loads --config, printing its diagnostics on errors.
func loadConfigReport(ctx context.Context, g *globalOptions) (*spec.Config, error) {
	cfg, diags := spec.LoadConfigDiagnostics(ctx, g.config, registry())
	if diags.HasErrors() {
		return nil, reportDiagnostics(ctx, g, diags)
	}
	return cfg, nil
}

// loadZones loads the zones of cfg, printing their diagnostics on errors.
func loadZones(ctx context.Context, g *globalOptions, cfg *spec.Config) (*model.Desired, error) {
	desired, diags := spec.Load(ctx, cfg)
	if diags.HasErrors() {
		return nil, reportDiagnostics(ctx, g, diags)
	}
	return desired, nil
}

// loadConfig loads --config for commands that use only the configuration
// (status, import, sandbox): its errors are the returned error.
func loadConfig(ctx context.Context, g *globalOptions) (*spec.Config, error) {
	cfg, diags := spec.LoadConfigDiagnostics(ctx, g.config, registry())
	if err := diags.Err(); err != nil {
		return nil, interrupted(ctx, err)
	}
	return cfg, nil
}

// interrupted replaces err by the reason ctx was cancelled (a signal), if
// it was: what was cut short says nothing about the files.
func interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", context.Cause(ctx))
	}
	return err
}

func reportDiagnostics(ctx context.Context, g *globalOptions, diags spec.Diagnostics) error {
	return reportDiagnosticsAfter(ctx, g, diags, false)
}

// reportDiagnosticsAfter is reportDiagnostics after live state may have
// been read ahead (read): then the closing line says only that nothing
// was changed.
func reportDiagnosticsAfter(ctx context.Context, g *globalOptions, diags spec.Diagnostics, read bool) error {
	if ctx.Err() != nil {
		return interrupted(ctx, nil)
	}
	diags.Sort()
	for _, d := range diags {
		if g.logFormat == "json" {
			level := slog.LevelError
			if d.Severity != spec.SeverityError {
				level = slog.LevelWarn
			}
			g.logger().Log(context.Background(), level, d.Message, "at", d.Pos.String(), "file", d.Pos.File,
				"line", d.Pos.Line, "col", d.Pos.Col, "rule", d.Rule)
			continue
		}
		fmt.Fprintln(g.stderr, d.String())
	}
	errs, _ := diags.Count()
	if read {
		return withExitCode(exitError, fmt.Errorf("%d problem(s) in the configuration; nothing was changed at any provider", errs))
	}
	return withExitCode(exitError, fmt.Errorf("%d problem(s) in the configuration; nothing was read or changed at any provider", errs))
}

// registry is every provider type this build knows: the one place the
// command wires the concrete providers into the core.
func registry() *providers.Registry { return all.Registry() }

// emulators is the sandbox emulator of every provider type that has one,
// wired in beside the registry.
func emulators() []emulator.Kind { return all.Emulators() }

// newEngine builds the providers of cfg.
func newEngine(g *globalOptions, cfg *spec.Config) (*engine.Pass, error) {
	return engine.New(cfg, engine.Options{Version: buildVersion(), Logger: g.logger()})
}
