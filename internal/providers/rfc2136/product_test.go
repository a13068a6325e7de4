package rfc2136_test

// End-to-end tests through the product against real BIND, Knot and
// PowerDNS: a config repository on disk (dnssync.yaml, a key file, zone
// files) → spec.Load → engine.New → Pass.Plan → Pass.Apply → verify.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	applypkg "github.com/dnssync/dnssync/internal/apply"
	"github.com/dnssync/dnssync/internal/engine"
	"github.com/dnssync/dnssync/internal/importer"
	"github.com/dnssync/dnssync/internal/journal"
	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/plan"
	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/all"
	"github.com/dnssync/dnssync/internal/providers/rfc2136"
	"github.com/dnssync/dnssync/internal/providers/rfc2136/servertest"
	"github.com/dnssync/dnssync/internal/spec"
)

// repo is a config repository whose provider "own" is server s.
type repo struct {
	t   testing.TB
	s   *servertest.Server
	dir string
}

// newRepo writes dnssync.yaml and the key file (as tsig-keygen writes it)
// for a server reached at port (the server's own when 0).
func newRepo(t testing.TB, s *servertest.Server, port int) *repo {
	t.Helper()
	return newRepoKey(t, s, port, s.Key)
}

// newRepoKey is newRepo with another key.
func newRepoKey(t testing.TB, s *servertest.Server, port int, key servertest.Key) *repo {
	t.Helper()
	if port == 0 {
		port = s.Port
	}
	r := &repo{t: t, s: s, dir: t.TempDir()}
	r.write("keys/dnssync-key.conf", fmt.Sprintf("key %q {\n\talgorithm %s;\n\tsecret %q;\n};\n", key.Name, key.Algorithm, key.Secret))
	r.write("dnssync.yaml", fmt.Sprintf(`# yaml-language-server: $schema=../schema.json
providers:
  own:
    type: rfc2136
    server: %s
    port: %d
    tsig_key: %s
    tsig_algorithm: %s
    tsig_secret_file: keys/dnssync-key.conf
    timeout: 2s
`, s.Host, port, key.Name, key.Algorithm))
	if err := os.MkdirAll(filepath.Join(r.dir, "zones"), 0o755); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *repo) write(name, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		r.t.Fatal(err)
	}
}

// load validates the repository as `dnssync validate` does and builds the
// pass as the commands do.
func (r *repo) load() (*engine.Pass, *model.Desired) {
	r.t.Helper()
	cfg, err := spec.LoadConfig(filepath.Join(r.dir, "dnssync.yaml"), all.Registry())
	if err != nil {
		r.t.Fatal(err)
	}
	desired, ds := spec.Load(context.Background(), cfg)
	if ds.HasErrors() {
		r.t.Fatalf("zone files do not validate:\n%v", ds)
	}
	pass, err := engine.New(cfg, engine.Options{})
	if err != nil {
		r.t.Fatal(err)
	}
	return pass, desired
}

// importZone does what `dnssync import --out zones` does.
func (r *repo) importZone() {
	r.t.Helper()
	pass, _ := r.load()
	domain := strings.TrimSuffix(r.s.Zone, ".")
	live, err := pass.ReadLive(context.Background(), &model.Desired{Domains: []model.Domain{{Name: domain, DNS: &model.DNS{Provider: "own"}}}})
	if err != nil {
		r.t.Fatal(err)
	}
	data, err := importer.Zone(&live.Domains[0], importer.Options{DNSProvider: "own", SchemaPath: "../../schema.json"})
	if err != nil {
		r.t.Fatal(err)
	}
	r.write("zones/"+domain+".yaml", string(data))
}

// plan plans the repository and fails on refusals.
func (r *repo) plan() *plan.Plan {
	r.t.Helper()
	pass, desired := r.load()
	p, _, err := pass.Plan(context.Background(), desired, engine.PlanOptions{})
	if err != nil {
		r.t.Fatalf("plan: %v", err)
	}
	if len(p.Refusals) > 0 {
		r.t.Fatalf("plan refused: %v", p.Refusals)
	}
	return p
}

// apply applies the repository; confirm runs between plan and submit.
func (r *repo) apply(confirm func(*plan.Plan)) (*engine.ApplyResult, error) {
	r.t.Helper()
	pass, desired := r.load()
	ao := engine.ApplyOptions{PlanOptions: engine.PlanOptions{Force: true},
		Apply: applypkg.Options{PollMin: 10 * time.Millisecond, PollMax: 50 * time.Millisecond}}
	if confirm != nil {
		ao.Confirm = func(p *plan.Plan) (bool, error) { confirm(p); return true, nil }
	}
	return pass.Apply(context.Background(), desired, ao)
}

// zone reads the server's records directly (SOA left out).
func (r *repo) zone() []model.Record {
	r.t.Helper()
	return withoutSOA(readZone(r.t, newClient(r.t, r.s, r.s.Key, nil), r.s))
}

// editedZone is the default test zone after a round of edits: a record
// removed from an RRset and the RRset's TTL changed, an RRset deleted, a
// value changed, records of every type created, a delegation added; the
// TXT split oddly on the server and the MX target spelled in capitals stay
// as they are. Apex NS are declared (as import writes them).
const editedZone = `domain: example.test
dns:
  provider: own
  ttl: 300
  records:
    - {name: "@", type: NS, values: [ns1.example.test., ns2.example.test.], ttl: 3600}
    - {name: "@", type: A, value: 192.0.2.1}
    - {name: "@", type: AAAA, value: "2001:db8::1"}
    - {name: "@", type: MX, value: mail.example.test., mx: 10}
    - {name: "@", type: MX, value: mail2.example.net., mx: 20}
    - {name: "@", type: TXT, value: "v=spf1 mx -all"}
    - {name: "@", type: CAA, value: 0 issue "letsencrypt.org"}
    - {name: ns1, type: A, value: 192.0.2.53}
    - {name: ns2, type: A, value: 192.0.2.54}
    - {name: www, type: CNAME, value: example.test.}
    - {name: mail, type: A, value: 192.0.2.25, ttl: 600}
    - {name: _sip._tcp, type: SRV, value: 10 60 5060 sip.example.test.}
    - {name: selector._domainkey, type: TXT, value: "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"}
    - {name: long, type: TXT, value: "` + "%s" + `"}
    - {name: host, type: PTR, value: mail.example.test.}
    - {name: sub, type: NS, value: ns.sub.example.test.}
    - {name: ns.sub, type: A, value: 192.0.2.99}
    - {name: api, type: A, values: [192.0.2.80, 192.0.2.81]}
    - {name: api, type: AAAA, value: "2001:db8::80"}
    - {name: api, type: TXT, value: "hello world"}
    - {name: _dmarc, type: TXT, value: "v=DMARC1; p=none"}
    - {name: lab, type: NS, values: [ns1.example.net., ns2.example.net.]}
    - {name: "*.dev", type: CNAME, value: www.example.test.}
    - {name: "@", type: MX, value: backup.example.net., mx: 0}
    - {name: "@", type: CAA, value: 0 iodef "mailto:hostmaster@example.test"}
`

func editedZoneText() string {
	return fmt.Sprintf(editedZone, strings.Repeat("a", 255)+strings.Repeat("b", 45))
}

// TestProductImportPlanApply: import writes a file validate accepts and
// whose plan is empty; edits to it are planned as one UPDATE, applied, and
// verified by reading the zone again.
func TestProductImportPlanApply(t *testing.T) {
	eachServer(t, func(t *testing.T, s *servertest.Server) {
		rp := newRepo(t, s, 0)
		rp.importZone()
		if p := rp.plan(); !p.Empty() {
			t.Fatalf("plan right after import is not empty: %+v", p.Changes)
		}

		rp.write("zones/example.test.yaml", editedZoneText())
		p := rp.plan()
		counts := map[plan.ChangeKind]int{}
		for _, c := range p.Changes {
			counts[c.Kind]++
		}
		// Creates: api ×4, _dmarc, lab ×2, *.dev, MX, CAA, new PTR value;
		// deletes: mail .26, sip AAAA, old PTR value; update: mail .25 TTL.
		if want := map[plan.ChangeKind]int{plan.RecordCreate: 11, plan.RecordDelete: 3, plan.RecordUpdate: 1}; !cmp.Equal(counts, want) {
			t.Errorf("changes %v, want %v", counts, want)
		}
		if len(p.Stages) != 1 || len(p.Stages[0].Batches) != 1 || p.Stages[0].Batches[0].Items != 11 {
			t.Fatalf("want one UPDATE of 11 RRsets: %+v", p.Stages)
		}

		res, err := rp.apply(nil)
		if err != nil {
			t.Fatalf("apply: %v", err)
		}
		if s := res.Summary; s.Batches.OK != 1 || s.Items.OK != 11 || !res.Remaining.Empty() {
			t.Fatalf("apply: %+v, remaining %+v", s, res.Remaining.Changes)
		}
		got := map[string][]string{}
		for _, rec := range rp.zone() {
			if rec.Name == "mail" || rec.Name == "host" || rec.Name == "api" || rec.Name == "sip" || rec.Name == "*.dev" {
				got[rec.Name+" "+rec.Type] = append(got[rec.Name+" "+rec.Type], fmt.Sprintf("%s %d", rec.Value, rec.TTL))
			}
		}
		want := map[string][]string{
			"mail A":      {"192.0.2.25 600"},
			"host PTR":    {"mail.example.test. 300"},
			"api A":       {"192.0.2.80 300", "192.0.2.81 300"},
			"api AAAA":    {"2001:db8::80 300"},
			"api TXT":     {"hello world 300"},
			"*.dev CNAME": {"www.example.test. 300"},
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("zone after apply (-want +got):\n%s", d)
		}
		if p := rp.plan(); !p.Empty() {
			t.Errorf("plan after apply: %+v", p.Changes)
		}
	})
}

// TestProductConcurrentChange: someone changes an RRset the plan touches
// between plan and submit. The UPDATE's prerequisite fails, nothing of it
// is applied, the batch fails saying why; the next run converges.
func TestProductConcurrentChange(t *testing.T) {
	eachServer(t, func(t *testing.T, s *servertest.Server) {
		rp := newRepo(t, s, 0)
		rp.importZone()
		zone := editedZoneText()
		rp.write("zones/example.test.yaml", zone)

		res, err := rp.apply(func(*plan.Plan) {
			// Someone else adds an address to "mail" after our read.
			other := newClient(t, s, s.Key, nil)
			apply(t, other, s, []rfc2136.RRsetChange{{Name: "mail", Type: "A",
				Before: []model.Record{r("mail", "A", "192.0.2.25", 300), r("mail", "A", "192.0.2.26", 300)},
				After:  []model.Record{r("mail", "A", "192.0.2.25", 300), r("mail", "A", "192.0.2.26", 300), r("mail", "A", "192.0.2.77", 300)}}})
		})
		if !errors.Is(err, applypkg.ErrIncomplete) {
			t.Fatalf("apply = %v, want an incomplete run", err)
		}
		sum := res.Summary
		if sum.Batches.Failed != 1 || sum.Items.Failed != 11 || sum.Items.OK != 0 {
			t.Fatalf("summary %+v", sum)
		}
		if msg := sum.Results[0].Items[0].Message; !strings.Contains(msg, "live state changed since it was read") || !strings.Contains(msg, "re-plan") {
			t.Errorf("item message does not say live state changed and to re-plan: %s", msg)
		}
		var mail []string
		for _, rec := range rp.zone() {
			if rec.Name == "api" {
				t.Errorf("part of the failed update was applied: %s", rec)
			}
			if rec.Name == "mail" && rec.Type == "A" {
				mail = append(mail, rec.Value)
			}
		}
		if !cmp.Equal(mail, []string{"192.0.2.25", "192.0.2.26", "192.0.2.77"}) {
			t.Errorf("mail A = %v, want the concurrent change only", mail)
		}

		res, err = rp.apply(nil)
		if err != nil || !res.Remaining.Empty() {
			t.Fatalf("next run: %v, remaining %+v", err, res.Remaining)
		}
	})
}

// updateProxy forwards TCP connections to target and counts the UPDATE
// messages that pass; while drop is set, answers to UPDATEs are swallowed
// (the server applies them, the client never learns), everything else is
// passed both ways.
type updateProxy struct {
	addr    string
	drop    atomic.Bool
	updates atomic.Int32
}

func newUpdateProxy(t *testing.T, target string) *updateProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &updateProxy{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.serve(in, target)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return p
}

func (p *updateProxy) serve(in net.Conn, target string) {
	defer in.Close()
	_ = in.SetDeadline(time.Now().Add(10 * time.Second))
	// The first message says what the connection is for.
	var l [2]byte
	if _, err := io.ReadFull(in, l[:]); err != nil {
		return
	}
	first := make([]byte, binary.BigEndian.Uint16(l[:]))
	if _, err := io.ReadFull(in, first); err != nil || len(first) < 3 {
		return
	}
	update := first[2]>>3&0xf == 5 // opcode UPDATE
	if update {
		p.updates.Add(1)
	}
	out, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer out.Close()
	_ = out.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := out.Write(append(l[:], first...)); err != nil {
		return
	}
	back := in.(io.Writer)
	if update && p.drop.Load() {
		back = io.Discard
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(back, out)
		_ = in.Close()
	}()
	_, _ = io.Copy(out, in)
	_ = out.Close()
	<-done
}

// TestProductUnknownOutcome: the UPDATE reaches the server but its answer
// never comes back. The batch's outcome is unknown and journaled; the run
// reads the zone again, finds it applied and plans nothing more; the next
// run plans from the zone and sends nothing again.
func TestProductUnknownOutcome(t *testing.T) {
	eachServer(t, func(t *testing.T, s *servertest.Server) {
		proxy := newUpdateProxy(t, s.Addr())
		_, portText, _ := net.SplitHostPort(proxy.addr)
		port, _ := strconv.Atoi(portText)
		rp := newRepo(t, s, port)
		rp.importZone()
		zone := editedZoneText()
		rp.write("zones/example.test.yaml", zone)
		proxy.drop.Store(true)

		// The run settles the unknown outcome by reading the zone again
		// in a retry round: it finds the update applied, plans nothing,
		// and converges without sending it again.
		res, err := rp.apply(nil)
		if err != nil {
			t.Fatalf("apply = %v, want convergence after reading the zone again", err)
		}
		if res.Summary.Batches.Retried != 1 || res.Summary.Retries != 1 || res.Summary.Batches.Unknown != 0 {
			t.Fatalf("summary %+v", res.Summary)
		}
		if reason := res.Summary.Results[0].Reason; !strings.Contains(reason, providers.ErrOutcomeUnknown.Error()) || !strings.Contains(reason, "not resubmitted") {
			t.Errorf("reason %q", reason)
		}
		if res.Remaining == nil || !res.Remaining.Empty() {
			t.Errorf("the verify read did not find the update applied: %+v", res.Remaining)
		}
		st, err := applypkg.Status(filepath.Join(rp.dir, ".dnssync"))
		if err != nil || st.Last == nil || st.Last.Batches.Retried != 1 {
			t.Errorf("journal: %+v, %v", st, err)
		}

		proxy.drop.Store(false)
		res, err = rp.apply(nil)
		if err != nil {
			t.Fatalf("next run: %v", err)
		}
		if n := proxy.updates.Load(); n != 1 {
			t.Errorf("%d UPDATE messages sent over both runs, want 1", n)
		}
		if !res.Plan.Empty() || slices.ContainsFunc(res.Summary.Results, func(b journal.BatchResult) bool { return b.Run == "" }) {
			t.Errorf("the next run planned or sent something: %+v", res.Summary)
		}
	})
}

// TestProductKeyMayNotUpdate: a key the server lets read but not write.
// The plan is made (transfers work); the UPDATE is refused, every item
// fails with the server's answer and where to look, and nothing changes.
func TestProductKeyMayNotUpdate(t *testing.T) {
	eachServer(t, func(t *testing.T, s *servertest.Server) {
		rp := newRepoKey(t, s, 0, s.ReadOnlyKey)
		rp.importZone()
		before := rp.zone()
		rp.write("zones/example.test.yaml", editedZoneText())
		res, err := rp.apply(nil)
		if !errors.Is(err, applypkg.ErrIncomplete) || res.Summary.Batches.Failed != 1 || res.Summary.Items.Failed != 11 {
			t.Fatalf("apply = %v, summary %+v", err, res.Summary)
		}
		msg := res.Summary.Results[0].Items[0].Message
		if !strings.Contains(msg, "not applied") || !strings.Contains(msg, s.ReadOnlyKey.Name) || !strings.Contains(msg, "allow-update") {
			t.Errorf("item message: %s", msg)
		}
		if d := cmp.Diff(before, rp.zone(), ignoreID); d != "" {
			t.Errorf("the zone changed (-before +after):\n%s", d)
		}
	})
}
