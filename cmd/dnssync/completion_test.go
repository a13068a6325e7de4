package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
)

// TestEveryCommandHasExamples: `dnssync CMD --help` shows examples for
// every command of dnssync's own.
func TestEveryCommandHasExamples(t *testing.T) {
	root, _ := newRoot(&strings.Builder{}, &strings.Builder{})
	root.InitDefaultCompletionCmd()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Name() == "completion" || sub.Name() == "help" || sub.Hidden {
				continue
			}
			if strings.TrimSpace(sub.Example) == "" {
				t.Errorf("dnssync %s has no examples", sub.Name())
			}
			walk(sub)
		}
	}
	if strings.TrimSpace(root.Example) == "" {
		t.Error("dnssync --help has no examples")
	}
	walk(root)
}

// complete runs cobra's completion request, as the bash, zsh and fish
// scripts of `dnssync completion SHELL` do, and returns the candidates.
func complete(t *testing.T, args ...string) []string {
	t.Helper()
	var out, errb strings.Builder
	if code := run(context.Background(), append([]string{cobra.ShellCompRequestCmd}, args...), &out, &errb); code != 0 {
		t.Fatalf("__complete %q: exit %d: %s", args, code, errb.String())
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.HasPrefix(l, ":") || l == "" {
			continue // the directive
		}
		v, _, _ := strings.Cut(l, "\t")
		got = append(got, v)
	}
	return got
}

func TestFlagCompletion(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "dnssync.yaml")
	if err := os.WriteFile(cfg,
		[]byte("providers:\n  reg: {type: aliyun}\n  rec: {type: dnspod}\n  rec2: {type: tencentcloud}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"plan", "--format", ""}, []string{"text", "json", "markdown"}},
		{[]string{"plan", "--color", ""}, []string{"auto", "always", "never"}},
		{[]string{"apply", "--color", ""}, []string{"auto", "always", "never"}},
		{[]string{"validate", "--format", ""}, []string{"text", "json"}},
		{[]string{"status", "--format", ""}, []string{"text", "json"}},
		{[]string{"version", "--format", ""}, []string{"text", "json"}},
		{[]string{"plan", "--log-format", ""}, []string{"text", "json"}},
		{[]string{"init", "--dns", ""}, []string{"dnspod", "rfc2136", "tencentcloud"}},
		{[]string{"init", "--registrar", ""}, []string{"aliyun"}},
		{[]string{"import", "-c", cfg, "--dns", ""}, []string{"rec", "rec2"}},
		{[]string{"import", "-c", cfg, "--registrar", ""}, []string{"reg"}},
		{[]string{"pl"}, []string{"plan"}},
	}
	for _, tt := range tests {
		if d := cmp.Diff(tt.want, complete(t, tt.args...)); d != "" {
			t.Errorf("complete %q (-want +got):\n%s", tt.args, d)
		}
	}
}
