package main

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/dnssync/dnssync/internal/sandbox"
	"github.com/dnssync/dnssync/internal/sandbox/emulator"
	"github.com/dnssync/dnssync/internal/spec"
)

func newSandboxCmd(g *globalOptions) *cobra.Command {
	kinds := slices.SortedFunc(slices.Values(emulators()), func(a, b emulator.Kind) int { return cmp.Compare(a.Name(), b.Name()) })
	o := sandbox.Options{Kinds: kinds, RandSeed: 1}
	// The flags write into one address and one set of options per
	// emulator; RunE hands them to the sandbox.
	addrs := map[string]*string{}
	emus := map[string]*sandbox.EmulatorOptions{}
	var names, titles, perS, perD []string
	for _, k := range kinds {
		addr := k.DefaultAddr()
		addrs[k.Name()] = &addr
		emus[k.Name()] = &sandbox.EmulatorOptions{TaskDelay: time.Second}
		names = append(names, k.Name())
		titles = append(titles, k.Title())
		perS = append(perS, k.Name()+"=S")
		perD = append(perD, k.Name()+"=D")
	}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve local emulators of the providers, for trying configs without accounts",
		Long: "sandbox serves protocol-faithful emulators of the providers' APIs (" + strings.Join(titles, ", ") + ") on\n" +
			"loopback, over HTTPS with a local CA (or --plain-http), with state that survives restarts.\n" +
			"It writes sandbox-ca.pem, sandbox-credentials.yaml and sandbox-state.json into the state\n" +
			"directory and prints the endpoints and the sandbox's test credentials. Point dnssync.yaml's\n" +
			"endpoint, ca_file and credentials.file at them (examples/dnssync.yaml does). Stop it with\n" +
			"Ctrl-C or SIGTERM; the state is saved. See docs/SANDBOX.md.",
		Example: "  dnssync sandbox                                 # beside dnssync.yaml: its providers and zones\n" +
			"  dnssync sandbox -c examples/dnssync.yaml        # the examples, seeded from examples/sandbox/seed.yaml\n" +
			"  dnssync sandbox --task-delay 0s --ready-file /tmp/sb.json &   # in CI\n" +
			"  dnssync sandbox --fault-throttle dnspod=0.2 --latency 100ms  # try it under faults",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The sandbox owns its signal handling, so that it shuts down
			// cleanly however it was started.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()

			o.Addrs = map[string]string{}
			o.Emulators = map[string]sandbox.EmulatorOptions{}
			for _, name := range names {
				o.Addrs[name] = *addrs[name]
				o.Emulators[name] = *emus[name]
			}
			configDir := ""
			var cfg *spec.Config
			_, statErr := os.Stat(g.config)
			if cmd.Flags().Changed("config") || !errors.Is(statErr, fs.ErrNotExist) {
				var err error
				cfg, err = loadConfig(ctx, g)
				if err != nil {
					return fmt.Errorf("sandbox: %s: %w", g.config, err)
				}
				o.Providers = sandbox.ProvidersFromConfig(cfg, kinds)
				configDir = cfg.Dir
				if o.StateDir == "" {
					o.StateDir = cfg.StateDir
				}
			}
			if o.StateDir == "" {
				o.StateDir = spec.DefaultStateDir
			}
			log := g.logger()
			o.Logger = log
			if !cmd.Flags().Changed("seed") {
				o.SeedFile = sandbox.DefaultSeedFile(configDir)
				// Every domain the zone files declare exists at its
				// providers' emulators, so that the configuration can be
				// planned and applied as it is.
				if cfg != nil {
					desired, diags := spec.Load(ctx, cfg)
					if errs, _ := diags.Count(); errs > 0 {
						log.Warn("sandbox: some zone files have problems; their domains are not created (see dnssync validate)", "errors", errs)
					}
					if desired != nil {
						o.Domains = sandbox.DomainsFromConfig(cfg, desired, kinds)
					}
				}
			}

			sb, err := sandbox.Start(ctx, o)
			if err != nil {
				return err
			}
			if !g.quiet {
				if err := sb.WriteSummary(g.stdout); err != nil {
					sb.Close()
					return err
				}
			}
			var serveErr error
			select {
			case <-ctx.Done():
			case serveErr = <-sb.Err():
			}
			log.Info("sandbox stopping; saving state", "file", sb.StateFile())
			return errors.Join(serveErr, sb.Close())
		},
	}
	f := cmd.Flags()
	f.Var(sandbox.AddrFlag(addrs), "addr",
		"loopback address per emulator: "+strings.Join(names, "=HOST:PORT,")+"=HOST:PORT; an emulator not named keeps its address")
	// --TYPE-addr: the per-emulator form of --addr, kept for scripts
	// written before --addr.
	for _, k := range kinds {
		f.StringVar(addrs[k.Name()], k.Name()+"-addr", *addrs[k.Name()],
			"loopback address of the "+k.Title()+" emulator (--addr "+k.Name()+"=HOST:PORT)")
	}
	f.StringVar(&o.StateDir, "state-dir", o.StateDir, "directory for the CA, credentials and state (default: the config's state_dir, else .dnssync)")
	f.BoolVar(&o.PlainHTTP, "plain-http", false, "serve plain HTTP instead of HTTPS")
	f.StringVar(&o.SeedFile, "seed", "", "YAML fixture to start from when there is no saved state (default: sandbox/seed.yaml beside the config, else examples/sandbox/seed.yaml); unless given, the zone files' domains are created too")
	f.BoolVar(&o.Reset, "reset", false, "discard the saved state and start again from the seed")
	f.BoolVar(&o.SeparateBackends, "separate-backends", false, "keep each emulator's state apart, even those of two APIs over one backend (by default they serve one store)")
	f.StringVar(&o.ReadyFile, "ready-file", "", "write a JSON file with the endpoints and pid once listening (removed on exit)")
	durations := func(field func(*sandbox.EmulatorOptions) *time.Duration) sandbox.DurationFlag {
		m := sandbox.DurationFlag{}
		for name, e := range emus {
			m[name] = field(e)
		}
		return m
	}
	rates := func(field func(*sandbox.EmulatorOptions) *float64) sandbox.RateFlag {
		m := sandbox.RateFlag{}
		for name, e := range emus {
			m[name] = field(e)
		}
		return m
	}
	perDuration := ": D for every emulator, or " + strings.Join(perD, ",")
	perShare := ": S in [0,1] for every emulator, or " + strings.Join(perS, ",")
	f.Var(durations(func(e *sandbox.EmulatorOptions) *time.Duration { return &e.TaskDelay }), "task-delay",
		"time an asynchronous task item takes"+perDuration)
	for _, r := range []struct {
		name, usage string
		field       func(*sandbox.EmulatorOptions) *float64
	}{
		{"fault-throttle", "share of requests answered with throttling", func(e *sandbox.EmulatorOptions) *float64 { return &e.Faults.Throttle }},
		{"fault-5xx", "share of requests answered with HTTP 5xx", func(e *sandbox.EmulatorOptions) *float64 { return &e.Faults.ServerError }},
		{"fault-drop", "share of requests whose connection is closed without an answer", func(e *sandbox.EmulatorOptions) *float64 { return &e.Faults.Drop }},
		{"fault-commit-loss", "share of writes carried out whose answer is lost", func(e *sandbox.EmulatorOptions) *float64 { return &e.Faults.CommitLoss }},
		{"fault-item-fail", "share of task items (domains, records) that fail", func(e *sandbox.EmulatorOptions) *float64 { return &e.Faults.ItemFail }},
	} {
		f.Var(rates(r.field), r.name, r.usage+perShare)
	}
	f.Var(durations(func(e *sandbox.EmulatorOptions) *time.Duration { return &e.Faults.Latency }), "latency",
		"delay added to every request"+perDuration)
	f.Uint64Var(&o.RandSeed, "seed-rand", o.RandSeed, "seed of the fault dice, for reproducible runs")
	register(cmd, map[string]cobra.CompletionFunc{
		"state-dir":  completeDirs,
		"seed":       completeYAML,
		"ready-file": completeJSON,
	})
	return cmd
}
