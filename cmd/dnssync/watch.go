package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/dnssync/dnssync/internal/daemon"
	"github.com/dnssync/dnssync/internal/metrics"
	"github.com/dnssync/dnssync/internal/reconcile"
	"github.com/dnssync/dnssync/internal/watch"
)

func newWatchCmd(g *globalOptions) *cobra.Command {
	var (
		o               = daemon.Options{Addr: daemon.DefaultAddr}
		resync          time.Duration
		once            bool
		allowDelegation bool
	)
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Run as a daemon: apply zone file changes as they are saved and repair drift",
		Long: "watch keeps the providers equal to the files. It reconciles every domain at start, then each\n" +
			"domain as soon as its zone file changes, and every domain again each --resync interval to\n" +
			"repair changes made outside dnssync. A plan the safety checks refuse is reported (log,\n" +
			"/readyz, metrics) and not applied, for that domain only. An invalid edit applies nothing\n" +
			"and is shown in /readyz with its file:line:col. It serves /healthz, /readyz and /metrics\n" +
			"on --addr, holds the state directory's lock while it runs and resumes journaled tasks at\n" +
			"start. SIGTERM or SIGINT stops it gracefully (exit 0). See docs/WATCH.md.\n" +
			"With --once: one full reconcile, then exit 0 (no changes), 2 (changes applied) or 1 (error,\n" +
			"invalid file, refused plan).",
		Example: "  dnssync watch                                  # 127.0.0.1:9353: /healthz /readyz /metrics\n" +
			"  dnssync watch --addr 0.0.0.0:9353 --log-format json   # in a container\n" +
			"  dnssync watch --once                           # one pass: 0 no changes, 2 applied, 1 error",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Own the signals, so that the daemon stops gracefully however
			// it was started.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			log := g.logger()
			m := metrics.New()
			bi := readBuildInfo()
			m.SetBuildInfo(bi.Version, bi.Commit, bi.GoVersion)
			rc, err := reconcile.Open(reconcile.Options{
				Registry:   registry(),
				ConfigFile: g.config, Metrics: m, Logger: log, Quiet: g.quiet,
				AllowDelegation: allowDelegation, Version: buildVersion(),
			})
			if err != nil {
				return err
			}
			defer func() {
				if err := rc.Close(); err != nil {
					log.Error("closing the journal", "err", err)
				}
			}()
			o.ConfigFile = g.config
			o.Loader = rc.Loader()
			o.Reconciler = rc
			o.OnStart = rc.Resume
			o.Metrics = m
			o.Logger = log
			o.ResyncInterval = resync
			if resync <= 0 {
				o.ResyncInterval = -1 // disabled; 0 would mean the default
			}
			d, err := daemon.New(o)
			if err != nil {
				return err
			}
			if once {
				// Loading stops at the signal; journaled and new
				// provider work gets --grace (RunOnce).
				code, err := d.RunOnce(ctx)
				var diags daemon.Diagnostics
				if errors.As(err, &diags) {
					// Each diagnostic was logged with its position.
					err = fmt.Errorf("%d problem(s) in the configuration or zone files; nothing was applied", len(diags))
				}
				if code == exitOK && err == nil {
					return nil
				}
				return withExitCode(code, err)
			}
			return d.Run(ctx)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Addr, "addr", daemon.DefaultAddr, "HTTP address of /healthz, /readyz and /metrics (use 0.0.0.0:9353 in a container)")
	f.DurationVar(&resync, "resync", daemon.DefaultResyncInterval, "interval of full resyncs that repair drift, jittered ±10% (0 disables)")
	f.DurationVar(&o.Debounce, "debounce", watch.DefaultDebounce, "quiet time after the last file event before files are read")
	f.DurationVar(&o.GracePeriod, "grace", daemon.DefaultGracePeriod, "how long work in flight may go on after SIGTERM/SIGINT; then its tasks stay journaled")
	f.DurationVar(&o.BackoffBase, "backoff-base", daemon.DefaultBackoffBase, "first retry delay of a domain after a transient provider error")
	f.DurationVar(&o.BackoffMax, "backoff-max", daemon.DefaultBackoffMax, "largest retry delay after transient provider errors")
	f.DurationVar(&o.ProgressDeadline, "progress-deadline", daemon.DefaultProgressDeadline, "how long a domain may wait for or be in a reconcile and still count as ready")
	f.BoolVar(&once, "once", false, "reconcile every domain once and exit: 0 no changes, 2 changes applied, 1 error")
	f.BoolVar(&o.Force, "force", false, "apply plans past the update/delete safety thresholds (for every change the daemon sees)")
	f.BoolVar(&allowDelegation, "allow-delegation", false, "consent to nameserver (delegation) changes")
	return cmd
}
