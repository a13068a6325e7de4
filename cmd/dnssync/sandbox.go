package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/dnssync/dnssync/internal/sandbox"
	"github.com/dnssync/dnssync/internal/spec"
)

func newSandboxCmd(g *globalOptions) *cobra.Command {
	o := sandbox.Options{
		AliyunAddr: sandbox.DefaultAliyunAddr,
		DNSPodAddr: sandbox.DefaultDNSPodAddr,
		RandSeed:   1,
		Aliyun:     sandbox.EmulatorOptions{TaskDelay: time.Second},
		DNSPod:     sandbox.EmulatorOptions{TaskDelay: time.Second},
	}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve local emulators of both providers, for trying configs without accounts",
		Long: "sandbox serves protocol-faithful emulators of the Alibaba Cloud Domain API and of DNSPod on\n" +
			"loopback, over HTTPS with a local CA (or --plain-http), with state that survives restarts.\n" +
			"It writes sandbox-ca.pem, sandbox-credentials.yaml and sandbox-state.json into the state\n" +
			"directory and prints the endpoints and the sandbox's test credentials. Point dnssync.yaml's\n" +
			"endpoint, ca_file and credentials.file at them (examples/dnssync.yaml does). Stop it with\n" +
			"Ctrl-C or SIGTERM; the state is saved. See docs/SANDBOX.md.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The sandbox owns its signal handling, so that it shuts down
			// cleanly however it was started.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()

			configDir := ""
			_, statErr := os.Stat(g.config)
			if cmd.Flags().Changed("config") || !errors.Is(statErr, fs.ErrNotExist) {
				cfg, err := loadConfig(ctx, g)
				if err != nil {
					return fmt.Errorf("sandbox: %s: %w", g.config, err)
				}
				o.Providers = sandbox.ProvidersFromConfig(cfg)
				configDir = cfg.Dir
				if o.StateDir == "" {
					o.StateDir = cfg.StateDir
				}
			}
			if o.StateDir == "" {
				o.StateDir = spec.DefaultStateDir
			}
			if !cmd.Flags().Changed("seed") {
				o.SeedFile = sandbox.DefaultSeedFile(configDir)
			}
			log := g.logger()
			o.Logger = log

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
	f.StringVar(&o.AliyunAddr, "aliyun-addr", o.AliyunAddr, "loopback address of the Alibaba Cloud Domain API emulator")
	f.StringVar(&o.DNSPodAddr, "dnspod-addr", o.DNSPodAddr, "loopback address of the DNSPod API emulator")
	f.StringVar(&o.StateDir, "state-dir", o.StateDir, "directory for the CA, credentials and state (default: the config's state_dir, else .dnssync)")
	f.BoolVar(&o.PlainHTTP, "plain-http", false, "serve plain HTTP instead of HTTPS")
	f.StringVar(&o.SeedFile, "seed", "", "YAML fixture to start from when there is no saved state (default: sandbox/seed.yaml beside the config, else examples/sandbox/seed.yaml)")
	f.BoolVar(&o.Reset, "reset", false, "discard the saved state and start again from the seed")
	f.StringVar(&o.ReadyFile, "ready-file", "", "write a JSON file with the endpoints and pid once listening (removed on exit)")
	f.Var(sandbox.DurationFlag{Aliyun: &o.Aliyun.TaskDelay, DNSPod: &o.DNSPod.TaskDelay}, "task-delay",
		"time an asynchronous task item takes: D for both, or aliyun=D,dnspod=D")
	rates := []struct {
		name, usage string
		a, d        *float64
	}{
		{"fault-throttle", "share of requests answered with throttling", &o.Aliyun.Faults.Throttle, &o.DNSPod.Faults.Throttle},
		{"fault-5xx", "share of requests answered with HTTP 5xx", &o.Aliyun.Faults.ServerError, &o.DNSPod.Faults.ServerError},
		{"fault-drop", "share of requests whose connection is closed without an answer", &o.Aliyun.Faults.Drop, &o.DNSPod.Faults.Drop},
		{"fault-commit-loss", "share of writes carried out whose answer is lost", &o.Aliyun.Faults.CommitLoss, &o.DNSPod.Faults.CommitLoss},
		{"fault-item-fail", "share of task items (domains, records) that fail", &o.Aliyun.Faults.ItemFail, &o.DNSPod.Faults.ItemFail},
	}
	for _, r := range rates {
		f.Var(sandbox.RateFlag{Aliyun: r.a, DNSPod: r.d}, r.name, r.usage+": S in [0,1] for both, or aliyun=S,dnspod=S")
	}
	f.Var(sandbox.DurationFlag{Aliyun: &o.Aliyun.Faults.Latency, DNSPod: &o.DNSPod.Faults.Latency}, "latency",
		"delay added to every request: D for both, or aliyun=D,dnspod=D")
	f.Uint64Var(&o.RandSeed, "seed-rand", o.RandSeed, "seed of the fault dice, for reproducible runs")
	return cmd
}
