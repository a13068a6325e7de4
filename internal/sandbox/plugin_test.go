package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dnssync/dnssync/internal/sandbox/emulator"
)

// echoKind is an emulator that knows nothing of DNS: the sandbox must host
// it as it hosts the providers' emulators, with nothing but the contract.
type echoKind struct{}

func (echoKind) Name() string        { return "echo" }
func (echoKind) Title() string       { return "Echo API" }
func (echoKind) DefaultAddr() string { return "127.0.0.1:0" }

func (echoKind) NewEmulator(o emulator.Options) (emulator.Emulator, error) {
	e := &echo{}
	e.SetTaskDelay(o.TaskDelay)
	return e, e.SetFaults(o.Faults)
}

// echo answers every request with its list of names.
type echo struct {
	mu     sync.Mutex
	names  []string
	log    []string
	faults emulator.Faults
	delay  time.Duration
}

func (e *echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.log = append(e.log, r.URL.Path)
	if r.Method == http.MethodPost {
		e.names = append(e.names, strings.TrimPrefix(r.URL.Path, "/"))
	}
	json.NewEncoder(w).Encode(e.names)
}

func (e *echo) AddCredentials(provider string) (map[string]string, error) {
	return map[string]string{"key": "echo-" + provider}, nil
}

func (e *echo) Seed(r *emulator.SeedReader, n *yaml.Node) error {
	f, ok := r.Fields(n, "echo", "names")
	if !ok || f["names"] == nil {
		return nil
	}
	names, _, _ := r.Strs(f["names"], "names")
	e.mu.Lock()
	defer e.mu.Unlock()
	e.names = names
	return nil
}

func (e *echo) ExportState() ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return json.Marshal(map[string][]string{"names": e.names})
}

func (e *echo) ImportState(b []byte) error {
	var st struct{ Names []string }
	if err := json.Unmarshal(b, &st); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.names = st.Names
	return nil
}

func (e *echo) SetFaults(f emulator.Faults) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = f
	return f.Check()
}

func (e *echo) SetTaskDelay(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.delay = d
}

func (e *echo) RequestLog(action string) []any {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []any
	for _, p := range e.log {
		if action == "" || p == action {
			out = append(out, p)
		}
	}
	return out
}

func (e *echo) ResetRequestLog() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.log = nil
}

// TestHostsAnyEmulator runs the sandbox with one emulator of its own:
// seed section, credentials, ready file, admin log, saved state and
// restart all follow the kind, with no provider involved.
func TestHostsAnyEmulator(t *testing.T) {
	dir := t.TempDir()
	kinds := []emulator.Kind{echoKind{}}
	seedFile := writeFile(t, dir, "seed.yaml", "version: 1\necho:\n  names: [seeded]\n")
	ready := filepath.Join(dir, "ready.json")
	opts := Options{Kinds: kinds, StateDir: filepath.Join(dir, "st"), SeedFile: seedFile, PlainHTTP: true, ReadyFile: ready,
		Providers: []Provider{{"one", "echo"}, {"two", "echo"}, {"other", "dnspod"}},
		Emulators: map[string]EmulatorOptions{"echo": {TaskDelay: time.Second, Faults: Faults{Throttle: 0.5}}}}
	sb := start(t, opts)

	e := sb.Emulator("echo").(*echo)
	if e.delay != time.Second || e.faults.Throttle != 0.5 {
		t.Errorf("options did not reach the emulator: delay %v, faults %+v", e.delay, e.faults)
	}
	resp, err := http.Post(sb.URL("echo")+"/added", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	json.NewDecoder(resp.Body).Decode(&names)
	resp.Body.Close()
	if !slices.Equal(names, []string{"seeded", "added"}) {
		t.Errorf("emulator answered %v", names)
	}
	resp, err = http.Get(sb.URL("echo") + "/_sandbox/log")
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Provider string
		Count    int
	}
	json.NewDecoder(resp.Body).Decode(&log)
	resp.Body.Close()
	if log.Provider != "echo" || log.Count != 1 {
		t.Errorf("admin log: %+v", log)
	}

	creds, _ := os.ReadFile(sb.CredentialsFile())
	for _, want := range []string{"\none:\n    key: echo-one\n", "\ntwo:\n    key: echo-two\n"} {
		if !strings.Contains(string(creds), want) {
			t.Errorf("credentials file lacks %q:\n%s", want, creds)
		}
	}
	if strings.Contains(string(creds), "other:") {
		t.Errorf("credentials for a provider whose type is not served:\n%s", creds)
	}
	var summary strings.Builder
	if err := sb.WriteSummary(&summary); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"  echo  " + sb.URL("echo") + "  (Echo API)\n", "  one (echo): key=echo-one\n",
		"Request logs: GET " + sb.URL("echo") + "/_sandbox/log\n"} {
		if !strings.Contains(summary.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, summary.String())
		}
	}
	b, _ := os.ReadFile(ready)
	if !strings.Contains(string(b), fmt.Sprintf("%q: %q", "echo_url", sb.URL("echo"))) {
		t.Errorf("ready file:\n%s", b)
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	state, _ := os.ReadFile(sb.StateFile())
	var parts map[string]json.RawMessage
	if err := json.Unmarshal(state, &parts); err != nil || len(parts) != 2 || string(parts["version"]) != "1" {
		t.Fatalf("state file %s: %v", state, err)
	}

	sb2 := start(t, opts)
	if !strings.HasPrefix(sb2.Origin(), "loaded from ") {
		t.Fatalf("origin %q", sb2.Origin())
	}
	if got := sb2.Emulator("echo").(*echo).names; !slices.Equal(got, []string{"seeded", "added"}) {
		t.Errorf("after a restart: %v", got)
	}
}

func TestKindsChecked(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		opts Options
		want string
	}{
		{"none", Options{}, "no emulators"},
		{"twice", Options{Kinds: []emulator.Kind{echoKind{}, echoKind{}}}, `two emulators are called "echo"`},
		{"unknown address", Options{Kinds: []emulator.Kind{echoKind{}}, Addrs: map[string]string{"dnspod": "127.0.0.1:0"}}, `no emulator called "dnspod" (have echo)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.StateDir = t.TempDir()
			_, err := Start(ctx, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start: %v, want %q", err, tt.want)
			}
		})
	}
}

// TestSeedSectionsFollowKinds: the seed file's sections are the served
// emulators' names.
func TestSeedSectionsFollowKinds(t *testing.T) {
	err := CheckSeed([]emulator.Kind{echoKind{}}, "s.yaml", []byte("echo: {names: [a]}\naliyun: {}\n"))
	if err == nil || !strings.Contains(err.Error(), `s.yaml:2:1: unknown key "aliyun" in the seed file (allowed: version, echo)`) {
		t.Fatalf("CheckSeed: %v", err)
	}
	if err := CheckSeed([]emulator.Kind{echoKind{}}, "s.yaml", []byte("echo: {names: [a]}\n")); err != nil {
		t.Fatal(err)
	}
}

// TestStateParts: an emulator without a part in the state file starts
// empty; a part for an emulator not served stops the start.
func TestStateParts(t *testing.T) {
	kinds := []emulator.Kind{echoKind{}}
	dir := t.TempDir()
	writeFile(t, dir, StateFileName, `{"version": 1}`)
	sb := start(t, Options{Kinds: kinds, StateDir: dir, PlainHTTP: true})
	if got := sb.Emulator("echo").(*echo).names; len(got) != 0 {
		t.Errorf("echo without saved state: %v", got)
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, StateFileName, `{"version": 1, "echo": {"names": []}, "gone": {}}`)
	_, err := Start(context.Background(), Options{Kinds: kinds, StateDir: dir, PlainHTTP: true})
	if err == nil || !strings.Contains(err.Error(), `state of "gone"`) || !strings.Contains(err.Error(), "--reset") {
		t.Fatalf("unknown part: %v", err)
	}
}
