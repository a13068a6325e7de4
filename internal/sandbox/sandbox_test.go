package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/aliyun"
	"github.com/dnssync/dnssync/internal/providers/aliyun/aliyuntest"
	"github.com/dnssync/dnssync/internal/providers/all"
	"github.com/dnssync/dnssync/internal/providers/dnspod"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest"
	"github.com/dnssync/dnssync/internal/spec"
)

func TestStartWritesFilesAndStops(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready.json")
	sb := start(t, Options{StateDir: filepath.Join(dir, "state"), SeedFile: exampleSeed, ReadyFile: ready})

	for _, u := range []string{sb.URL("aliyun"), sb.URL("dnspod")} {
		if !strings.HasPrefix(u, "https://127.0.0.1:") {
			t.Errorf("endpoint %q is not https on 127.0.0.1", u)
		}
	}
	perms := map[string]os.FileMode{
		CAFileName: 0o644, CAKeyFileName: 0o600, CredentialsFileName: 0o600, StateFileName: 0o600,
	}
	for name, want := range perms {
		fi, err := os.Stat(filepath.Join(dir, "state", name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", name, got, want)
		}
	}
	var r Ready
	b, err := os.ReadFile(ready)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.PID != os.Getpid() || !cmp.Equal(r.URLs, sb.URLs()) || len(r.URLs) != len(all.Emulators()) || !filepath.IsAbs(r.CAFile) {
		t.Errorf("ready file %+v does not describe the sandbox", r)
	}
	// Scripts read each endpoint as NAME_url, one per line.
	for _, name := range []string{"aliyun", "dnspod", "tencentcloud"} {
		if line := fmt.Sprintf("\n  %q: %q,\n", name+"_url", sb.URL(name)); !strings.Contains(string(b), line) {
			t.Errorf("ready file lacks %s:\n%s", strings.TrimSpace(line), b)
		}
	}
	if !strings.HasPrefix(sb.Origin(), "seeded from ") {
		t.Errorf("origin %q", sb.Origin())
	}

	// A second sandbox may not share the state directory.
	_, err = Start(context.Background(), Options{Kinds: all.Emulators(), StateDir: filepath.Join(dir, "state")})
	if err == nil || !strings.Contains(err.Error(), "another running sandbox") {
		t.Fatalf("second Start in the same directory: %v", err)
	}

	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ready); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ready file left behind after Close: %v", err)
	}
	if _, err := http.Get(strings.Replace(sb.URL("dnspod"), "https", "http", 1)); err == nil {
		t.Error("listener still accepts connections after Close")
	}
	// The directory is free again.
	start(t, Options{StateDir: filepath.Join(dir, "state")})
}

func TestLoopbackOnly(t *testing.T) {
	tests := []struct {
		addr, want string
		ok         bool
	}{
		{"127.0.0.1:18443", "127.0.0.1:18443", true},
		{"localhost:0", "127.0.0.1:0", true},
		{"[::1]:18444", "[::1]:18444", true},
		{"127.0.0.2:1", "127.0.0.2:1", true},
		{"0.0.0.0:18443", "", false},
		{":18443", "", false},
		{"192.0.2.1:18443", "", false},
		{"[::]:1", "", false},
		{"example.com:443", "", false},
		{"127.0.0.1", "", false},
	}
	for _, tt := range tests {
		got, err := loopbackAddr("aliyun", tt.addr)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("loopbackAddr(%q) = %q, %v; want %q ok=%v", tt.addr, got, err, tt.want, tt.ok)
		}
	}
	_, err := Start(context.Background(), Options{Kinds: all.Emulators(), StateDir: t.TempDir(), Addrs: map[string]string{"dnspod": "0.0.0.0:0"}})
	if err == nil || !strings.Contains(err.Error(), "only loopback") {
		t.Fatalf("Start on 0.0.0.0: %v", err)
	}
}

// TestRealClientsOverHTTPS drives the sandbox with dnssync's own clients,
// trusting only the CA file the sandbox wrote.
func TestRealClientsOverHTTPS(t *testing.T) {
	sb := start(t, Options{SeedFile: exampleSeed})
	a, d := clients(t, sb)
	ctx := ctxT(t)

	doms, err := a.QueryDomainList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range doms {
		names = append(names, x.DomainName)
	}
	want := []string{"example.com", "example.net", "example.org", "shop-de.example", "shop-fr.example", "shop-jp.example", "shop-us.example", "shop.example", "xn--bcher-kva.example"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("QueryDomainList (-want +got):\n%s", diff)
	}
	zones, err := d.DomainList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names = nil
	for _, z := range zones {
		names = append(names, z.Punycode)
	}
	sort.Strings(names)
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("Domain.List (-want +got):\n%s", diff)
	}

	// Without the sandbox CA the certificate is not trusted.
	if _, err := http.Get(sb.URL("aliyun")); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("GET without the CA: %v, want a certificate error", err)
	}
}

func TestPlainHTTP(t *testing.T) {
	sb := start(t, Options{PlainHTTP: true, SeedFile: exampleSeed})
	if !strings.HasPrefix(sb.URL("aliyun"), "http://127.0.0.1:") || sb.CAFile() != "" {
		t.Fatalf("plain sandbox: %s, CA %q", sb.URL("aliyun"), sb.CAFile())
	}
	if _, err := os.Stat(filepath.Join(sb.opts.StateDir, CAFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("plain sandbox wrote a CA: %v", err)
	}
	_, d := clients(t, sb)
	if _, err := d.DomainList(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

// TestPersistenceAcrossRestarts writes through the real clients, restarts
// and finds the writes again, with the same CA; --reset goes back to the
// seed and still keeps the CA.
func TestPersistenceAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	ctx := ctxT(t)
	sb := start(t, Options{StateDir: dir, SeedFile: exampleSeed})
	caBefore, err := os.ReadFile(sb.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	a, d := clients(t, sb)
	taskNo, err := a.SaveBatchTaskForModifyingDomainDns(ctx, []string{"example.net"}, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	zone, err := dnspod.NewProvider("dnspod", d).ReadZone(ctx, "example.com")
	if err != nil {
		t.Fatal(err)
	}
	id, err := d.RecordCreate(ctx, zone.DomainID, dnspod.RecordParams{SubDomain: "added", Type: "A", Line: model.DefaultLine, Value: "192.0.2.200", TTL: 600})
	if err != nil {
		t.Fatal(err)
	}
	// Saved after the request, before Close.
	waitFor(t, func() bool {
		b, _ := os.ReadFile(sb.StateFile())
		return strings.Contains(string(b), "192.0.2.200")
	})
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}

	sb2 := start(t, Options{StateDir: dir, SeedFile: exampleSeed})
	if !strings.HasPrefix(sb2.Origin(), "loaded from ") {
		t.Errorf("origin after restart: %q", sb2.Origin())
	}
	if caAfter, _ := os.ReadFile(sb2.CAFile()); string(caAfter) != string(caBefore) {
		t.Error("the CA changed across a restart")
	}
	a2, d2 := clients(t, sb2)
	rec, err := d2.RecordInfo(ctx, zone.DomainID, id)
	if err != nil {
		t.Fatalf("record created before the restart: %v", err)
	}
	if rec.Value != "192.0.2.200" {
		t.Errorf("record value %q", rec.Value)
	}
	details, err := a2.QueryTaskDetailList(ctx, taskNo)
	if err != nil || len(details) != 1 || details[0].DomainName != "example.net" {
		t.Fatalf("task before the restart: %+v, %v", details, err)
	}
	dom, err := a2.QueryDomainByDomainName(ctx, "example.net")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ns1.alidns.com", "ns2.alidns.com"}, dom.Nameservers); diff != "" {
		t.Errorf("example.net name servers after the restart (-want +got):\n%s", diff)
	}
	if err := sb2.Close(); err != nil {
		t.Fatal(err)
	}

	sb3 := start(t, Options{StateDir: dir, SeedFile: exampleSeed, Reset: true})
	if !strings.HasPrefix(sb3.Origin(), "seeded from ") {
		t.Errorf("origin after reset: %q", sb3.Origin())
	}
	if recs := dnspodServer(sb3).Records("example.com"); slices.ContainsFunc(recs, func(r model.Record) bool { return r.Value == "192.0.2.200" }) {
		t.Error("reset kept a record created after seeding")
	}
	if caAfter, _ := os.ReadFile(sb3.CAFile()); string(caAfter) != string(caBefore) {
		t.Error("reset replaced the CA")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestDamagedStateFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, StateFileName, `{"version": 1, "aliyun": {"version": 99}}`)
	_, err := Start(context.Background(), Options{Kinds: all.Emulators(), StateDir: dir})
	if err == nil || !strings.Contains(err.Error(), "--reset") {
		t.Fatalf("damaged state: %v", err)
	}
	sb := start(t, Options{StateDir: dir, Reset: true})
	if sb.Origin() != "empty (no seed file)" {
		t.Errorf("origin %q", sb.Origin())
	}
}

func TestCredentialsPerConfiguredProvider(t *testing.T) {
	ps := []Provider{{"registrar", "aliyun"}, {"records", "dnspod"}, {"records-b", "dnspod"}, {"elsewhere", "route53"}}
	sb := start(t, Options{Providers: ps, PlainHTTP: true})
	b, err := os.ReadFile(sb.CredentialsFile())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"registrar:", "records:", "records-b:"} {
		if !strings.Contains(string(b), "\n"+name) {
			t.Errorf("credentials file lacks %s:\n%s", name, b)
		}
	}
	cs := sb.Credentials()
	// A provider whose type has no emulator gets nothing.
	if len(cs) != 3 || cs[1].Values["token"] == cs[2].Values["token"] || cs[1].Values["token"][:6] == cs[2].Values["token"][:6] {
		t.Fatalf("credentials not distinct: %+v", cs)
	}
	if got := cs[0].String(); !strings.HasPrefix(got, "access_key_id=LTAISandbox") || !strings.Contains(got, " access_key_secret=sandbox") {
		t.Errorf("printed aliyun credential: %q", got)
	}
	// Stable across starts: derived from the names.
	if again := start(t, Options{Providers: ps, PlainHTTP: true}).Credentials(); !cmp.Equal(again, cs) {
		t.Error("credentials differ between two starts")
	}
	// Each one is accepted.
	for _, c := range cs[1:] {
		d, err := dnspod.New(dnspod.Options{Endpoint: sb.URL("dnspod"), Token: c.Values["token"], MaxRetries: -1, RateLimit: -1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.DomainList(ctxT(t)); err != nil {
			t.Errorf("%s: %v", c.Provider, err)
		}
	}
}

// TestFaults checks that the fault options reach the emulators.
func TestFaults(t *testing.T) {
	t.Run("throttle and 5xx", func(t *testing.T) {
		sb := start(t, Options{SeedFile: exampleSeed, Emulators: map[string]EmulatorOptions{
			"aliyun": {Faults: Faults{ServerError: 1}},
			"dnspod": {Faults: Faults{Throttle: 1}}}})
		a, d := clients(t, sb)
		ctx := ctxT(t)
		_, err := a.QueryDomainList(ctx)
		var ae *aliyun.Error
		if !errors.As(err, &ae) || ae.HTTPStatus < 500 || !errors.Is(err, providers.ErrTransient) {
			t.Errorf("aliyun with 5xx faults: %v", err)
		}
		_, err = d.DomainList(ctx)
		var de *dnspod.Error
		if !errors.As(err, &de) || de.Code != dnspod.CodeThrottled {
			t.Errorf("dnspod with throttle faults: %v", err)
		}
		if l := dnspodServer(sb).Log(); len(l) == 0 || l[len(l)-1].Fault != "throttle" {
			t.Errorf("dnspod log does not show the throttle: %+v", l)
		}
	})
	t.Run("latency", func(t *testing.T) {
		sb := start(t, Options{PlainHTTP: true, Emulators: map[string]EmulatorOptions{"dnspod": {Faults: Faults{Latency: 150 * time.Millisecond}}}})
		_, d := clients(t, sb)
		t0 := time.Now()
		if _, err := d.DomainList(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		if el := time.Since(t0); el < 150*time.Millisecond {
			t.Errorf("request took %v with 150ms injected latency", el)
		}
	})
	t.Run("task delay and failing items", func(t *testing.T) {
		sb := start(t, Options{SeedFile: exampleSeed, PlainHTTP: true, Emulators: map[string]EmulatorOptions{
			"aliyun": {TaskDelay: 400 * time.Millisecond, Faults: Faults{ItemFail: 1}}}})
		a, _ := clients(t, sb)
		ctx := ctxT(t)
		no, err := a.SaveBatchTaskForModifyingDomainDns(ctx, []string{"example.org"}, nil, true)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := a.QueryTaskDetailList(ctx, no)
		if err != nil || len(ds) != 1 || ds[0].TaskStatusCode >= aliyuntest.StatusSuccess {
			t.Fatalf("task right after submit: %+v, %v (want not final yet)", ds, err)
		}
		waitFor(t, func() bool {
			ds, err = a.QueryTaskDetailList(ctx, no)
			return err == nil && ds[0].TaskStatusCode >= aliyuntest.StatusSuccess
		})
		if ds[0].TaskStatus != "EXECUTE_FAILURE" {
			t.Errorf("detail with item-fail 1: %+v", ds[0])
		}
	})
	t.Run("bad shares refused", func(t *testing.T) {
		_, err := Start(context.Background(), Options{Kinds: all.Emulators(), StateDir: t.TempDir(),
			Emulators: map[string]EmulatorOptions{"dnspod": {Faults: Faults{Drop: 1.5}}}})
		if err == nil {
			t.Fatal("drop share 1.5 accepted")
		}
		_, err = Start(context.Background(), Options{Kinds: all.Emulators(), StateDir: t.TempDir(),
			Emulators: map[string]EmulatorOptions{"dnspdo": {TaskDelay: time.Second}}})
		if err == nil || !strings.Contains(err.Error(), `no emulator called "dnspdo"`) {
			t.Fatalf("options for an unknown emulator: %v", err)
		}
	})
}

func TestAdminEndpoints(t *testing.T) {
	sb := start(t, Options{SeedFile: exampleSeed})
	_, d := clients(t, sb)
	ctx := ctxT(t)
	for range 3 {
		if _, err := d.DomainList(ctx); err != nil {
			t.Fatal(err)
		}
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig(sb)}}
	get := func(url string, v any) {
		t.Helper()
		resp, err := hc.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", url, resp.Status)
		}
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	var log struct {
		Provider string
		Count    int
		Entries  []dnspodtest.LogEntry
	}
	get(sb.URL("dnspod")+"/_sandbox/log?action=Domain.List", &log)
	if log.Provider != "dnspod" || log.Count != 3 || len(log.Entries) != 3 || log.Entries[0].Action != "Domain.List" {
		t.Errorf("dnspod log: %+v", log)
	}
	if s := strings.Join(log.Entries[0].Params["login_token"], ""); s != "" {
		t.Errorf("the log shows the token")
	}
	get(sb.URL("dnspod")+"/_sandbox/log?action=Batch.Record.Create", &log)
	if log.Count != 0 || log.Entries == nil {
		t.Errorf("filtered log: %+v", log)
	}
	req, _ := http.NewRequest(http.MethodDelete, sb.URL("dnspod")+"/_sandbox/log", nil)
	if resp, err := hc.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE log: %v %v", resp, err)
	}
	get(sb.URL("dnspod")+"/_sandbox/log", &log)
	if log.Count != 0 {
		t.Errorf("log after DELETE: %d entries", log.Count)
	}

	// Drift through PUT /_sandbox/state: remove a DNS host from the
	// registrar's view only.
	var st aliyuntest.State
	get(sb.URL("aliyun")+"/_sandbox/state", &st)
	for i := range st.Domains {
		if st.Domains[i].Name == "example.com" {
			st.Domains[i].RegistrarHosts = nil
		}
	}
	body, _ := json.Marshal(st)
	req, _ = http.NewRequest(http.MethodPut, sb.URL("aliyun")+"/_sandbox/state", strings.NewReader(string(body)))
	if resp, err := hc.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PUT state: %v %v", resp, err)
	}
	if dom, _ := aliyunServer(sb).Domain("example.com"); len(dom.RegistrarHosts) != 0 || len(dom.RegistryHosts) != 3 {
		t.Errorf("after drift: registrar %v registry %v", dom.RegistrarHosts, dom.RegistryHosts)
	}
	if b, _ := os.ReadFile(sb.StateFile()); strings.Count(string(b), `"name": "ns3.example.com"`) != 1 {
		t.Error("drift through the admin endpoint was not saved")
	}

	// Peers other than loopback are refused (as seen behind a proxy).
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/_sandbox/log", nil)
	r.RemoteAddr = "192.0.2.7:40000"
	sb.admin("dnspod", sb.Emulator("dnspod")).ServeHTTP(rec, r)
	if rec.Code != http.StatusForbidden {
		t.Errorf("non-loopback peer: %d", rec.Code)
	}
}

func TestMutateDrift(t *testing.T) {
	sb := start(t, Options{SeedFile: exampleSeed, PlainHTTP: true})
	err := sb.Mutate("dnspod", dnspodtest.EditState(func(st *dnspodtest.State) error {
		for i, d := range st.Domains {
			if d.Name != "example.org" {
				continue
			}
			for j, r := range d.Records {
				if r.Name == "@" && r.Type == model.TypeA {
					st.Domains[i].Records[j].Value = "192.0.2.250"
				}
			}
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	_, d := clients(t, sb)
	live, err := dnspod.NewProvider("dnspod", d).ReadZone(ctxT(t), "example.org")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(live.Records, func(r model.Record) bool { return r.Name == "@" && r.Value == "192.0.2.250" }) {
		t.Errorf("drift not visible to the client: %v", live.Records)
	}
	if err := sb.Mutate("aliyun", aliyuntest.EditState(func(st *aliyuntest.State) error { return errors.New("no") })); err == nil {
		t.Error("Mutate swallowed the callback's error")
	}
	if err := sb.Mutate("dnspod", aliyuntest.EditState(func(st *aliyuntest.State) error { return nil })); err == nil {
		t.Error("an aliyun edit applied to the dnspod emulator")
	}
}

func TestFlagValues(t *testing.T) {
	tests := []struct {
		in     string
		a, d   float64
		errSub string
	}{
		{"0.2", 0.2, 0.2, ""},
		{"aliyun=0.5", 0.5, 0.1, ""},
		{"dnspod=1,aliyun=0", 0, 1, ""},
		{"1.5", 0.1, 0.1, "between 0 and 1"},
		{"route53=0.1", 0.1, 0.1, "unknown emulator"},
		{"aliyun=0.3,dnspod=x", 0.1, 0.1, "not a share"},
	}
	for _, tt := range tests {
		a, d := 0.1, 0.1
		err := RateFlag{"aliyun": &a, "dnspod": &d}.Set(tt.in)
		if (err == nil) != (tt.errSub == "") || (err != nil && !strings.Contains(err.Error(), tt.errSub)) || a != tt.a || d != tt.d {
			t.Errorf("Set(%q) = %v, a=%v d=%v; want a=%v d=%v err~%q", tt.in, err, a, d, tt.a, tt.d, tt.errSub)
		}
	}
	a, d := time.Second, time.Second
	f := DurationFlag{"aliyun": &a, "dnspod": &d}
	if err := f.Set("aliyun=5s"); err != nil || a != 5*time.Second || d != time.Second || f.String() != "aliyun=5s,dnspod=1s" {
		t.Errorf("DurationFlag: %v %v %v %q", err, a, d, f.String())
	}
	if err := f.Set("-1s"); err == nil {
		t.Error("negative duration accepted")
	}
}

func TestAddrFlag(t *testing.T) {
	a, d := "127.0.0.1:18443", "127.0.0.1:18444"
	f := AddrFlag{"aliyun": &a, "dnspod": &d}
	if got := f.String(); got != "aliyun=127.0.0.1:18443,dnspod=127.0.0.1:18444" {
		t.Errorf("String() = %q", got)
	}
	if err := f.Set("dnspod=[::1]:0"); err != nil || a != "127.0.0.1:18443" || d != "[::1]:0" {
		t.Errorf("Set(dnspod=...): %v, %s %s", err, a, d)
	}
	if err := f.Set("127.0.0.1:0"); err != nil || a != "127.0.0.1:0" || d != "127.0.0.1:0" || f.String() != "127.0.0.1:0" {
		t.Errorf("Set(one for all): %v, %s %s", err, a, d)
	}
	if err := f.Set("route53=127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "use aliyun or dnspod") {
		t.Errorf("unknown emulator: %v", err)
	}
}

// TestDomainsFromZoneFiles: domains the configuration declares are created
// at the emulators that lack them, in a new domain's state, after a seed
// (or saved state) was loaded; those the seed has are left as seeded.
func TestDomainsFromZoneFiles(t *testing.T) {
	sb := start(t, Options{PlainHTTP: true, SeedFile: exampleSeed, Domains: map[string][]string{
		"aliyun":  {"example.com", "new.example"},
		"dnspod":  {"example.com", "new.example", "xn--bcher-kva.example"},
		"route53": {"elsewhere.example"}, // no such emulator: ignored
	}})
	if got, want := sb.Origin(), "seeded from "+exampleSeed+"; 2 new domains from the zone files"; got != want {
		t.Errorf("origin %q, want %q", got, want)
	}
	al := aliyunServer(sb).Snapshot()
	var found bool
	for _, d := range al.Domains {
		switch d.Name {
		case "new.example":
			found = true
			if !d.AliyunDNS || len(d.RegistryHosts) != 0 {
				t.Errorf("new registrar domain: %+v", d)
			}
		case "example.com":
			if d.InstanceID != "S20190520000101" {
				t.Errorf("a seeded domain was replaced: %+v", d)
			}
		}
	}
	if !found {
		t.Error("new.example not created at the registrar")
	}
	recs := dnspodServer(sb).Records("new.example")
	if len(recs) != 2 || recs[0].Type != "NS" {
		t.Errorf("new DNSPod domain: want only the system NS rows, got %+v", recs)
	}

}

// TestDomainsFromConfig: each side of a domain goes to the emulator of the
// type of the provider that serves it; providers without an emulator are
// left out.
func TestDomainsFromConfig(t *testing.T) {
	dir := t.TempDir()
	cfgFile := writeFile(t, dir, "dnssync.yaml", "providers:\n  reg: {type: aliyun}\n  rec: {type: dnspod}\n  own: {type: rfc2136, server: 192.0.2.1, tsig_key: k, tsig_secret_env: K}\n")
	cfg, err := spec.LoadConfig(cfgFile, all.Registry())
	if err != nil {
		t.Fatal(err)
	}
	desired := &model.Desired{Domains: []model.Domain{
		{Name: "b.example", Registrar: &model.Registrar{Provider: "reg"}, DNS: &model.DNS{Provider: "rec"}},
		{Name: "a.example", DNS: &model.DNS{Provider: "rec"}},
		{Name: "c.example", Registrar: &model.Registrar{Provider: "reg"}, DNS: &model.DNS{Provider: "own"}},
	}}
	want := map[string][]string{"aliyun": {"b.example", "c.example"}, "dnspod": {"a.example", "b.example"}}
	if d := cmp.Diff(want, DomainsFromConfig(cfg, desired, all.Emulators())); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
