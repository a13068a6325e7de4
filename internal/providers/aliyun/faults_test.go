package aliyun_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/aliyun/aliyuntest"
)

// TestFaultStorm: 200 client calls (reads and writes) under 30% injected
// transient faults all end correctly, and no write is carried out twice.
// A write whose outcome is unknown is resolved the way apply resolves it:
// re-read live state, and submit again only if the change is not there.
func TestFaultStorm(t *testing.T) {
	const domains = 10
	emu := newEmulator(t, aliyuntest.Options{Seed: 20260301})
	var inst []string
	for i := range domains {
		inst = append(inst, emu.AddDomain(fmt.Sprintf("d%d.example", i), []string{"ns1.start.net", "ns2.start.net"}, false))
	}
	ts := httptest.NewServer(emu)
	defer ts.Close()
	o := fastOptions(ts.URL)
	o.MaxRetries = 10
	c := newClient(t, o)
	ctx := context.Background()
	emu.SetFaults(aliyuntest.Faults{Throttle: 0.10, ServerError: 0.08, DropConn: 0.07, CommitLoss: 0.05})

	var unknown, resolvedByReread, resubmitted int
	// ensure performs one logical write: submit; on an unknown outcome
	// re-read and decide; on a refusal (throttled to the end) submit again.
	ensure := func(what string, submit func() error, applied func() (bool, error)) {
		t.Helper()
		for try := 0; try < 20; try++ {
			err := submit()
			switch {
			case err == nil:
				return
			case errors.Is(err, providers.ErrOutcomeUnknown):
				unknown++
				ok, rerr := applied()
				for rerr != nil && errors.Is(rerr, providers.ErrTransient) {
					ok, rerr = applied()
				}
				if rerr != nil {
					t.Fatalf("%s: re-read: %v", what, rerr)
				}
				if ok {
					resolvedByReread++
					return
				}
				resubmitted++
			case errors.Is(err, providers.ErrTransient):
				// Refused (e.g. throttled through every retry): nothing happened.
			default:
				t.Fatalf("%s: %v", what, err)
			}
		}
		t.Fatalf("%s: not done after 20 submissions", what)
	}

	wantNS := map[int][]string{}
	wantHosts := map[int]map[string][]string{}
	syncs := map[string]int{}
	reads := 0
	for i := range 200 {
		d := (i / 5) % domains // every domain sees every kind of call
		name := fmt.Sprintf("d%d.example", d)
		switch i % 5 {
		case 0, 1: // reads
			reads++
			var err error
			switch i % 4 {
			case 0:
				_, err = c.QueryDomainByDomainName(ctx, name)
			case 1:
				_, err = c.QueryDnsHost(ctx, inst[d])
			case 2:
				_, err = c.QueryDomainList(ctx)
			default:
				_, err = c.QueryTaskDetailList(ctx, "no-such-task")
			}
			if err != nil {
				t.Fatalf("call %d read: %v", i, err)
			}
		case 2: // nameserver change
			ns := []string{fmt.Sprintf("ns-%d.a.net", i), fmt.Sprintf("ns-%d.b.net", i)}
			ensure(fmt.Sprintf("call %d NS", i), func() error {
				_, err := c.SaveBatchTaskForModifyingDomainDns(ctx, []string{name}, ns, false)
				return err
			}, func() (bool, error) {
				got, err := c.QueryDomainByDomainName(ctx, name)
				return err == nil && slices.Equal(got.Nameservers, ns), err
			})
			wantNS[d] = ns
		case 3: // DNS host creation
			host := fmt.Sprintf("h%d", i)
			ip := fmt.Sprintf("192.0.2.%d", i%250+1)
			ensure(fmt.Sprintf("call %d host", i), func() error {
				_, err := c.SaveSingleTaskForCreatingDnsHost(ctx, inst[d], host, []string{ip})
				return err
			}, func() (bool, error) {
				hs, err := c.QueryDnsHost(ctx, inst[d])
				return err == nil && containsHost(hs, host), err
			})
			if wantHosts[d] == nil {
				wantHosts[d] = map[string][]string{}
			}
			wantHosts[d][host+"."+name] = []string{ip}
		case 4: // synchronisation repairs a stale registrar entry
			stale := fmt.Sprintf("stale%d", i)
			if err := emu.SetRegistrarHost(name, stale, []string{"198.51.100.1"}); err != nil {
				t.Fatal(err)
			}
			ensure(fmt.Sprintf("call %d sync", i), func() error {
				_, err := c.SaveSingleTaskForSynchronizingDnsHost(ctx, inst[d])
				return err
			}, func() (bool, error) {
				hs, err := c.QueryDnsHost(ctx, inst[d])
				return err == nil && !containsHost(hs, stale), err
			})
			syncs[inst[d]]++
		}
	}

	// Every logical write was committed exactly once.
	log := emu.Log()
	commits := map[string]int{}
	faults := 0
	for _, e := range log {
		if e.Fault != "" {
			faults++
		}
		if !e.Committed {
			continue
		}
		switch e.Action {
		case "SaveBatchTaskForModifyingDomainDns":
			commits["ns "+e.Params["DomainNameServer.1"]]++
		case "SaveSingleTaskForCreatingDnsHost":
			commits["host "+e.Params["DnsName"]]++
		case "SaveSingleTaskForSynchronizingDnsHost":
			commits["sync "+e.Params["InstanceId"]]++
		}
	}
	wantCommits := map[string]int{}
	for i := range 200 {
		switch i % 5 {
		case 2:
			wantCommits[fmt.Sprintf("ns ns-%d.a.net", i)] = 1
		case 3:
			wantCommits[fmt.Sprintf("host h%d", i)] = 1
		}
	}
	for id, n := range syncs {
		wantCommits["sync "+id] = n
	}
	if diff := cmp.Diff(wantCommits, commits); diff != "" {
		t.Errorf("committed writes (-want +got):\n%s", diff)
	}

	// Final state is what the calls asked for.
	for d := range domains {
		got, ok := emu.Domain(fmt.Sprintf("d%d.example", d))
		if !ok {
			t.Fatalf("domain d%d gone", d)
		}
		if diff := cmp.Diff(wantNS[d], got.Nameservers); diff != "" {
			t.Errorf("d%d nameservers (-want +got):\n%s", d, diff)
		}
		for _, layer := range [][]aliyuntest.HostState{got.RegistryHosts, got.RegistrarHosts} {
			m := map[string][]string{}
			for _, h := range layer {
				m[h.Name] = h.IPs
			}
			if diff := cmp.Diff(wantHosts[d], m); diff != "" {
				t.Errorf("d%d hosts (-want +got):\n%s", d, diff)
			}
		}
	}

	// The storm really happened and exercised both resolutions.
	if share := float64(faults) / float64(len(log)); share < 0.2 {
		t.Errorf("only %.0f%% of %d requests saw a fault", share*100, len(log))
	}
	if resolvedByReread == 0 || resubmitted == 0 {
		t.Errorf("unknown outcomes %d: %d resolved by re-reading, %d resubmitted; want both kinds", unknown, resolvedByReread, resubmitted)
	}
	t.Logf("200 calls (%d reads), %d requests, %d faults injected, %d unknown outcomes (%d applied, %d resubmitted)",
		reads, len(log), faults, unknown, resolvedByReread, resubmitted)
}
