package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the txtar scripts run the real dnssync command: testscript
// re-executes this test binary as "dnssync". The end-to-end tests build the
// binary itself (e2eMain prepares and removes its directory).
func TestMain(m *testing.M) {
	testscript.Main(e2eMain{m}, map[string]func(){
		"dnssync": func() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs testdata/script/*.txtar. Scripts see $EXAMPLES (the
// repository's examples directory), $SCHEMA (its schema.json) and $ACTION
// (the scripts of the GitHub Action, action.yml), and have
// the command `yamlls DIR` (yamlls_test.go).
func TestScripts(t *testing.T) {
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:  "testdata/script",
		Cmds: map[string]func(*testscript.TestScript, bool, []string){"yamlls": cmdYAMLLS},
		Setup: func(env *testscript.Env) error {
			env.Setenv("EXAMPLES", examples)
			env.Setenv("SCHEMA", filepath.Join(filepath.Dir(examples), "schema.json"))
			env.Setenv("ACTION", filepath.Join(filepath.Dir(examples), "action"))
			return nil
		},
	})
}
