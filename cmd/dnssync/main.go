// Command dnssync reconciles DNS with desired state kept in git. This package
// only wires commands to the internal packages: each command lives in its
// own file as new<Name>Cmd and is added to the root in newRoot.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"syscall"

	"github.com/dnssync/dnssync/internal/interrupt"
	"github.com/spf13/cobra"
)

// Exit codes shared by every command: 0 success (no changes), 1 error.
// `plan --detailed-exitcode` adds 2 (changes pending) by returning
// withExitCode(2, nil).
const (
	exitOK    = 0
	exitError = 1
)

// exitCodeError carries an exit code out of a command. err may be nil when
// the command already printed everything (validate with problems, a plan
// with changes): then nothing more is printed.
type exitCodeError struct {
	code int
	err  error
}

func (e *exitCodeError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitCodeError) Unwrap() error { return e.err }

// withExitCode wraps err (nil allowed) so that main exits with code.
func withExitCode(code int, err error) error { return &exitCodeError{code: code, err: err} }

// globalOptions are the root's persistent flags, shared by every command.
type globalOptions struct {
	config    string
	logFormat string
	quiet     bool
	stdout    io.Writer
	stderr    io.Writer
}

// logger returns the structured logger the flags ask for, on stderr.
// Commands call it when they start; it is cheap.
func (g *globalOptions) logger() *slog.Logger {
	level := slog.LevelInfo
	if g.quiet {
		level = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: level}
	if g.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(g.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(g.stderr, opts))
}

// note tells the person running the command something that is not the
// command's output (a file written, where to go next): a plain line on
// stderr, or under --log-format json a log record like every other line
// there; nothing with --quiet. attrs are the facts of msg, for the JSON
// form.
func (g *globalOptions) note(msg string, attrs ...any) {
	if g.quiet {
		return
	}
	if g.logFormat == "json" {
		g.logger().Info(msg, attrs...)
		return
	}
	fmt.Fprintln(g.stderr, msg)
}

// fail reports the error that ends the command: "dnssync: …" on stderr, or
// under --log-format json an error record.
func (g *globalOptions) fail(err error) {
	if g.logFormat == "json" {
		slog.New(slog.NewJSONHandler(g.stderr, nil)).Error(err.Error())
		return
	}
	fmt.Fprintf(g.stderr, "dnssync: %v\n", err)
}

// newRoot builds the command tree and returns it with the global options
// its flags fill in.
func newRoot(stdout, stderr io.Writer) (*cobra.Command, *globalOptions) {
	g := &globalOptions{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "dnssync",
		Short: "Reconcile DNS delegation and records with desired state in YAML",
		Long: "dnssync reads desired DNS state (registrar nameservers, glue and records) from YAML files,\n" +
			"compares it with the providers and applies the difference in the fewest batch operations.",
		Example: "  dnssync init dns-config && cd dns-config     # start a config repository\n" +
			"  dnssync validate                              # offline checks, file:line:col\n" +
			"  dnssync plan --out plan.json                  # review what would change ...\n" +
			"  dnssync apply plan.json                       # ... and apply exactly that\n" +
			"  dnssync watch                                 # or keep the providers in sync as a daemon",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if g.logFormat != "text" && g.logFormat != "json" {
				return fmt.Errorf("--log-format must be text or json, not %q", g.logFormat)
			}
			// Anything that logs through the standard library's default
			// loggers (log, slog) writes in the chosen format too — in the
			// process's own stderr only, not when run in-process by tests.
			if g.stderr == io.Writer(os.Stderr) {
				slog.SetDefault(g.logger())
			}
			return nil
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVarP(&g.config, "config", "c", "dnssync.yaml", "configuration file")
	pf.StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	pf.BoolVarP(&g.quiet, "quiet", "q", false, "print only problems")
	register(root, map[string]cobra.CompletionFunc{
		"config":     completeYAML,
		"log-format": completeValues("text", "json"),
	})

	root.AddCommand(newVersionCmd(g))
	root.AddCommand(newValidateCmd(g))
	root.AddCommand(newSandboxCmd(g))
	root.AddCommand(newPlanCmd(g))
	root.AddCommand(newApplyCmd(g))
	root.AddCommand(newStatusCmd(g))
	root.AddCommand(newImportCmd(g))
	root.AddCommand(newWatchCmd(g))
	root.AddCommand(newInitCmd(g))
	root.AddCommand(newSchemaCmd(g))
	return root, g
}

// terraformFlags accepts Terraform's single-dash spelling `-out FILE` (and
// `-out=FILE`) for `plan --out`, which people type from habit; the flag
// parser would otherwise read it as `-o ut`.
func terraformFlags(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		switch {
		case a == "--":
			copy(out[i:], args[i:])
			return out
		case a == "-out":
			a = "--out"
		case strings.HasPrefix(a, "-out="):
			a = "-" + a
		}
		out[i] = a
	}
	return out
}

// run executes the command line and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root, g := newRoot(stdout, stderr)
	root.SetArgs(terraformFlags(args))
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitError
	var ec *exitCodeError
	if errors.As(err, &ec) {
		code = ec.code
		err = ec.err
	}
	if err != nil {
		g.fail(err)
	}
	return code
}

func main() {
	// The first SIGINT/SIGTERM stops work; a second one also stops the
	// short steps that follow an interruption (see internal/interrupt).
	ctx, stop := interrupt.Notify(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
