// Package servertest starts real authoritative DNS servers — BIND 9, Knot
// DNS and PowerDNS (gsqlite3 backend) — for the rfc2136 provider's tests.
// Each server runs as a child process on 127.0.0.1 at a free port, with its
// configuration, zone, journal and database in a temporary directory, serves
// one test zone, accepts TSIG-signed updates and transfers with Server.Key,
// transfers only with Server.ReadOnlyKey, and nothing unsigned. It is stopped
// by pid when the test ends.
//
// When a server's program is not installed the test is skipped, unless the
// environment variable DNSSYNC_REQUIRE_SERVERS is 1 or CI is true (as CI
// services set it): then it fails, so that a missing install cannot pass
// for a green run.
// scripts/ci-install-dns-servers.sh installs all three on Debian.
package servertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Kind names a server implementation.
type Kind string

// The servers this package can start.
const (
	BIND     Kind = "bind"
	Knot     Kind = "knot"
	PowerDNS Kind = "powerdns"
)

// Kinds lists every supported server.
func Kinds() []Kind { return []Kind{BIND, Knot, PowerDNS} }

// EnvRequire is the variable that turns a missing server into a failure
// when it is 1.
const EnvRequire = "DNSSYNC_REQUIRE_SERVERS"

// EnvCI is the variable CI services set to "true"; it too turns a missing
// server into a failure.
const EnvCI = "CI"

// Required reports whether a missing server must fail the test rather than
// skip it: EnvRequire is 1, or EnvCI is true (any case) or 1.
func Required() bool {
	if os.Getenv(EnvRequire) == "1" {
		return true
	}
	ci := strings.TrimSpace(os.Getenv(EnvCI))
	return strings.EqualFold(ci, "true") || ci == "1"
}

// DefaultZone is the zone served when Options.Zone is empty.
const DefaultZone = "example.test."

// DefaultZoneFile returns the zone's content used when Options.ZoneFile is
// empty. It uses $ORIGIN-relative names and covers every type the provider
// manages, a delegation with glue, a TXT value split at an arbitrary point
// (as DKIM keys often are) and one longer than 255 octets split at 255.
func DefaultZoneFile() string {
	return `$TTL 300
@                 3600 IN SOA   ns1 hostmaster 1 3600 600 86400 300
@                 3600 IN NS    ns1
@                 3600 IN NS    ns2
@                      IN A     192.0.2.1
@                      IN AAAA  2001:db8::1
@                      IN MX    10 mail
@                      IN MX    20 Mail2.Example.Net.
@                      IN TXT   "v=spf1 mx -all"
@                      IN CAA   0 issue "letsencrypt.org"
ns1                    IN A     192.0.2.53
ns2                    IN A     192.0.2.54
www                    IN CNAME @
mail                   IN A     192.0.2.25
mail                   IN A     192.0.2.26
_sip._tcp              IN SRV   10 60 5060 sip
sip               600  IN AAAA  2001:db8::5060
selector._domainkey    IN TXT   "v=DKIM1; k=rsa; " "p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"
long                   IN TXT   "` + strings.Repeat("a", 255) + `" "` + strings.Repeat("b", 45) + `"
host                   IN PTR   www
sub                    IN NS    ns.sub
ns.sub                 IN A     192.0.2.99
`
}

// Key is a TSIG key as the server knows it.
type Key struct {
	Name      string // without trailing dot
	Algorithm string // "hmac-sha256"
	Secret    string // base64
}

// Options adjust the server. Zero values take the defaults.
type Options struct {
	Zone     string // DefaultZone
	ZoneFile string // DefaultZoneFile(); names relative to the zone
}

// Server is a running server.
type Server struct {
	Kind        Kind
	Host        string // "127.0.0.1"
	Port        int
	Zone        string // absolute
	Key         Key    // may update and transfer
	ReadOnlyKey Key    // may transfer only
	Dir         string // configuration, zone, journal, database, log
	Version     string // as the program reports it
	log         string
	bins        map[string]string
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Log returns what the server printed so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}

// KnotControl runs knotc against a Knot server (zone-freeze, zone-thaw, …)
// and returns its output.
func (s *Server) KnotControl(t testing.TB, args ...string) string {
	t.Helper()
	if s.Kind != Knot {
		t.Fatalf("servertest: KnotControl on a %s server", s.Kind)
	}
	args = append([]string{"-c", filepath.Join(s.Dir, "knot.conf")}, args...)
	out, err := exec.Command(s.bins["knotc"], args...).CombinedOutput()
	if err != nil {
		t.Fatalf("servertest: knotc %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// startTimeout bounds one server's start (preparation included).
const startTimeout = 20 * time.Second

// Start starts a server of kind serving opts' zone and stops it when t ends.
// It skips t (or fails it, see Required) when the program is missing.
func Start(t testing.TB, kind Kind, opts Options) *Server {
	t.Helper()
	progs := map[Kind][]string{BIND: {"named"}, Knot: {"knotd", "knotc"}, PowerDNS: {"pdns_server", "pdnsutil", "sqlite3"}}[kind]
	if progs == nil {
		t.Fatalf("servertest: unknown server kind %q", kind)
	}
	bins := map[string]string{}
	for _, p := range progs {
		path, err := lookPath(p)
		if err != nil {
			missing(t, kind, p)
			return nil
		}
		bins[p] = path
	}
	if opts.Zone == "" {
		opts.Zone = DefaultZone
	}
	if opts.ZoneFile == "" {
		opts.ZoneFile = DefaultZoneFile()
	}
	s := &Server{
		Kind:        kind,
		Host:        "127.0.0.1",
		Zone:        dns.CanonicalName(opts.Zone),
		Key:         Key{Name: "dnssync-key", Algorithm: "hmac-sha256", Secret: newSecret(t)},
		ReadOnlyKey: Key{Name: "readonly-key", Algorithm: "hmac-sha256", Secret: newSecret(t)},
		Dir:         t.TempDir(),
	}
	s.log = filepath.Join(s.Dir, "server.log")
	s.bins = bins
	zoneText := "$ORIGIN " + s.Zone + "\n" + opts.ZoneFile
	if err := os.WriteFile(filepath.Join(s.Dir, "zone.db"), []byte(zoneText), 0o644); err != nil {
		t.Fatalf("servertest: %v", err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	// The free port is found by binding and releasing it; another process
	// may take it before the server binds, so try a few ports.
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		s.Port, err = freePort()
		if err != nil {
			break
		}
		err = s.start(ctx, t, bins)
		if err == nil {
			return s
		}
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	t.Fatalf("servertest: starting %s: %v\n--- server log ---\n%s", kind, err, s.Log())
	return nil
}

var errPortTaken = errors.New("port taken")

// missing skips t because prog of kind is not installed, or fails it when
// Required.
func missing(t testing.TB, kind Kind, prog string) {
	t.Helper()
	msg := fmt.Sprintf("servertest: %s is not installed (%s not found; scripts/ci-install-dns-servers.sh installs it)", kind, prog)
	if Required() {
		t.Fatal(msg + "; " + EnvRequire + "=1 or " + EnvCI + "=true requires it")
		return
	}
	t.Skip(msg)
}

func lookPath(p string) (string, error) {
	if path, err := exec.LookPath(p); err == nil {
		return path, nil
	}
	// Daemons live in sbin directories, which a plain user's PATH may lack.
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		path := filepath.Join(dir, p)
		if fi, err := os.Stat(path); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return path, nil
		}
	}
	return "", exec.ErrNotFound
}

func newSecret(t testing.TB) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("servertest: %v", err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// freePort returns a port that is free for both TCP and UDP on 127.0.0.1.
func freePort() (int, error) {
	for i := 0; i < 20; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		_ = l.Close()
		if err == nil {
			_ = u.Close()
			return port, nil
		}
	}
	return 0, errors.New("no free port")
}

// start prepares and runs the server, and waits until it serves the zone.
func (s *Server) start(ctx context.Context, t testing.TB, bins map[string]string) error {
	var cmd *exec.Cmd
	switch s.Kind {
	case BIND:
		conf := filepath.Join(s.Dir, "named.conf")
		if err := os.WriteFile(conf, []byte(s.bindConf()), 0o644); err != nil {
			return err
		}
		// -g: foreground, log to stderr; -n 1: one worker thread is plenty
		// and keeps the start fast on small machines.
		cmd = exec.Command(bins["named"], "-g", "-4", "-n", "1", "-c", conf)
	case Knot:
		conf := filepath.Join(s.Dir, "knot.conf")
		if err := os.WriteFile(conf, []byte(s.knotConf()), 0o644); err != nil {
			return err
		}
		cmd = exec.Command(bins["knotd"], "-c", conf)
	case PowerDNS:
		if err := s.pdnsPrepare(ctx, bins); err != nil {
			return err
		}
		cmd = exec.Command(bins["pdns_server"], "--config-dir="+s.Dir)
	}
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() { stop(t, s, cmd.Process, exited) })
	s.Version = version(s.Kind, bins)

	for {
		if s.serving(ctx) {
			return nil
		}
		select {
		case <-exited:
			if strings.Contains(strings.ToLower(s.Log()), "address already in use") {
				return fmt.Errorf("%w: %d", errPortTaken, s.Port)
			}
			return fmt.Errorf("server exited: %v", waitErr)
		case <-ctx.Done():
			return fmt.Errorf("server did not answer for zone %s at %s within %s", s.Zone, s.Addr(), startTimeout)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop ends the server by pid: SIGTERM, then SIGKILL if it lingers.
func stop(t testing.TB, s *Server, p *os.Process, exited <-chan struct{}) {
	select {
	case <-exited:
		return
	default:
	}
	_ = p.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = p.Kill()
		<-exited
	}
	if t.Failed() {
		t.Logf("--- %s log (%s) ---\n%s", s.Kind, s.Dir, s.Log())
	}
}

// serving reports whether the server answers authoritatively for the zone.
func (s *Server) serving(ctx context.Context) bool {
	c := &dns.Client{Net: "tcp", Timeout: 200 * time.Millisecond}
	q := new(dns.Msg)
	q.SetQuestion(s.Zone, dns.TypeSOA)
	r, _, err := c.ExchangeContext(ctx, q, s.Addr())
	return err == nil && r.Rcode == dns.RcodeSuccess && r.Authoritative && len(r.Answer) > 0
}

func version(k Kind, bins map[string]string) string {
	var out []byte
	switch k {
	case BIND:
		out, _ = exec.Command(bins["named"], "-v").Output()
	case Knot:
		out, _ = exec.Command(bins["knotd"], "--version").Output()
	case PowerDNS:
		// pdns_server --version exits non-zero but prints the version.
		out, _ = exec.Command(bins["pdns_server"], "--version").CombinedOutput()
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "PowerDNS Authoritative Server") {
				return strings.TrimSpace(l[strings.Index(l, "PowerDNS"):])
			}
		}
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}

func (s *Server) bindConf() string {
	key := func(k Key) string {
		return fmt.Sprintf("key %q { algorithm %s; secret %q; };\n", k.Name, k.Algorithm, k.Secret)
	}
	return key(s.Key) + key(s.ReadOnlyKey) + fmt.Sprintf(`
options {
	directory %[1]q;
	pid-file none;
	session-keyfile none;
	listen-on port %[2]d { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
	allow-query { 127.0.0.1; };
	allow-transfer { none; };
	allow-update { none; };
};
controls { };
zone %[3]q {
	type primary;
	file "zone.db";
	journal "zone.db.jnl";
	allow-update { key %[4]q; };
	allow-transfer { key %[4]q; key %[5]q; };
};
`, s.Dir, s.Port, strings.TrimSuffix(s.Zone, "."), s.Key.Name, s.ReadOnlyKey.Name)
}

func (s *Server) knotConf() string {
	return fmt.Sprintf(`server:
    rundir: %[1]q
    listen: 127.0.0.1@%[2]d
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: info
database:
    storage: %[1]q
key:
  - id: %[3]s
    algorithm: %[4]s
    secret: %[5]s
  - id: %[6]s
    algorithm: %[7]s
    secret: %[8]s
acl:
  - id: update-and-transfer
    key: %[3]s
    action: [update, transfer]
  - id: transfer-only
    key: %[6]s
    action: transfer
template:
  - id: default
    storage: %[1]q
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: changes
zone:
  - domain: %[9]s
    file: zone.db
    acl: [update-and-transfer, transfer-only]
`, s.Dir, s.Port, s.Key.Name, s.Key.Algorithm, s.Key.Secret,
		s.ReadOnlyKey.Name, s.ReadOnlyKey.Algorithm, s.ReadOnlyKey.Secret, s.Zone)
}

// Where Debian's pdns-backend-sqlite3 puts the schema (the second in older
// releases).
const (
	pdnsSchema    = "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql"
	pdnsSchemaDoc = "/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql"
)

// pdnsPrepare writes pdns.conf, creates the database from the packaged
// schema and loads the zone, keys and TSIG permissions with pdnsutil.
func (s *Server) pdnsPrepare(ctx context.Context, bins map[string]string) error {
	db := filepath.Join(s.Dir, "pdns.sqlite3")
	conf := fmt.Sprintf(`launch=gsqlite3
gsqlite3-database=%[1]s
gsqlite3-dnssec=yes
local-address=127.0.0.1
local-port=%[2]d
socket-dir=%[3]s
guardian=no
daemon=no
disable-syslog=yes
write-pid=no
loglevel=4
primary=yes
dnsupdate=yes
allow-dnsupdate-from=127.0.0.0/8
allow-axfr-ips=
disable-axfr=no
webserver=no
api=no
distributor-threads=1
receiver-threads=1
cache-ttl=0
negquery-cache-ttl=0
query-cache-ttl=0
zone-cache-refresh-interval=0
`, db, s.Port, s.Dir)
	if err := os.WriteFile(filepath.Join(s.Dir, "pdns.conf"), []byte(conf), 0o644); err != nil {
		return err
	}
	// A start retried on another port keeps the database made the first time.
	if _, err := os.Stat(db); err == nil {
		return nil
	}
	var schema string
	schemas := []string{pdnsSchema, pdnsSchemaDoc}
	for _, p := range schemas {
		if _, err := os.Stat(p); err == nil {
			schema = p
			break
		}
	}
	if schema == "" {
		return fmt.Errorf("gsqlite3 schema not found in %v", schemas)
	}
	run := func(name string, args ...string) error {
		cmd := exec.CommandContext(ctx, bins[name], args...)
		cmd.Dir = s.Dir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out.String())
		}
		return nil
	}
	if err := run("sqlite3", "-bail", db, ".read "+schema); err != nil {
		return err
	}
	zone := strings.TrimSuffix(s.Zone, ".")
	cd := "--config-dir=" + s.Dir
	steps := [][]string{
		{cd, "load-zone", zone, filepath.Join(s.Dir, "zone.db")},
		{cd, "import-tsig-key", s.Key.Name, s.Key.Algorithm, s.Key.Secret},
		{cd, "import-tsig-key", s.ReadOnlyKey.Name, s.ReadOnlyKey.Algorithm, s.ReadOnlyKey.Secret},
		{cd, "set-meta", zone, "TSIG-ALLOW-DNSUPDATE", s.Key.Name},
		{cd, "set-meta", zone, "TSIG-ALLOW-AXFR", s.Key.Name, s.ReadOnlyKey.Name},
	}
	for _, a := range steps {
		if err := run("pdnsutil", a...); err != nil {
			return err
		}
	}
	return nil
}
