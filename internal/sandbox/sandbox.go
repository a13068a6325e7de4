package sandbox

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/dnssync/dnssync/internal/sandbox/emulator"
	"github.com/dnssync/dnssync/internal/statedir"
)

// Files the sandbox keeps in its state directory.
const (
	CAFileName          = "sandbox-ca.pem"
	CAKeyFileName       = "sandbox-ca-key.pem"
	CredentialsFileName = "sandbox-credentials.yaml"
	StateFileName       = "sandbox-state.json"
	LockFileName        = "sandbox.lock"
)

// StateVersion is the version of sandbox-state.json.
const StateVersion = 1

// Faults are the injected failures of one emulator.
type Faults = emulator.Faults

// EmulatorOptions configure one emulator.
type EmulatorOptions struct {
	// TaskDelay is how long an asynchronous task item takes from submission
	// to its final state.
	TaskDelay time.Duration
	Faults    Faults
}

// Options configure Start.
type Options struct {
	// Kinds are the emulators to serve, each on a listener of its own
	// (dnssync passes internal/providers/all.Emulators()). At least one.
	Kinds []emulator.Kind
	// StateDir holds the CA, the credentials and the state file (default
	// ".dnssync"). One sandbox at a time may use it.
	StateDir string
	// Addrs are loopback host:port addresses by emulator name (default
	// "127.0.0.1:0": a free port each; the CLI uses each kind's
	// DefaultAddr).
	Addrs map[string]string
	// PlainHTTP serves HTTP instead of HTTPS (no CA is made).
	PlainHTTP bool
	// Providers get test credentials (default DefaultProviders(Kinds)).
	Providers []Provider
	// SeedFile is the YAML fixture a sandbox without saved state starts
	// from; "" starts with empty emulators.
	SeedFile string
	// Reset discards the saved state (the CA is kept) and reseeds.
	Reset bool
	// Domains are domains that must exist, by emulator name (usually the
	// configuration's zone files: DomainsFromConfig). After the state was
	// loaded or seeded, each emulator that can (emulator.DomainAdder)
	// creates those it lacks, in the state its provider gives a new domain.
	Domains map[string][]string
	// Emulators configure the emulators by name; one not named gets the
	// zero value (no task delay, no faults).
	Emulators map[string]EmulatorOptions
	// RandSeed seeds the emulators' fault dice, for reproducible runs.
	RandSeed uint64
	// SeparateBackends keeps every emulator's state to itself. By default
	// emulators of two APIs over one product backend serve one store
	// (emulator.Backends): what one writes, the other reads.
	SeparateBackends bool
	// ReadyFile, when set, receives a small JSON document (Ready) once
	// every listener accepts connections; it is removed by Close.
	ReadyFile string
	// PersistInterval bounds how long a request's state change may stay
	// unsaved: the requests of one interval are saved together, once
	// (default 200ms) — the state is encoded whole, which for a large zone
	// costs more than the requests. Nothing is saved while no request
	// comes: tasks that finish meanwhile are saved pending and finish by
	// their schedule after a restart; Close saves everything.
	PersistInterval time.Duration
	// Logger receives operational messages (default: discarded).
	Logger *slog.Logger
}

// Ready is the content of the ready file.
type Ready struct {
	PID int `json:"pid"`
	// URLs are the emulators' endpoints by name ("https://127.0.0.1:port").
	URLs            map[string]string `json:"urls"`
	CAFile          string            `json:"ca_file,omitempty"`
	CredentialsFile string            `json:"credentials_file"`
	StateFile       string            `json:"state_file"`
}

// MarshalJSON writes the fields in a fixed order and, besides urls, each
// endpoint as NAME_url at the top level ("aliyun_url"): the form scripts
// read before emulators were plug-ins, one line per endpoint.
func (r Ready) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	field := func(key string, v any) error {
		if b.Len() == 0 {
			b.WriteByte('{')
		} else {
			b.WriteByte(',')
		}
		k, err := json.Marshal(key)
		if err != nil {
			return err
		}
		val, err := json.Marshal(v)
		if err != nil {
			return err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(val)
		return nil
	}
	errs := []error{field("pid", r.PID)}
	names := make([]string, 0, len(r.URLs))
	for name := range r.URLs {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		errs = append(errs, field(name+"_url", r.URLs[name]))
	}
	errs = append(errs, field("urls", r.URLs))
	if r.CAFile != "" {
		errs = append(errs, field("ca_file", r.CAFile))
	}
	errs = append(errs, field("credentials_file", r.CredentialsFile), field("state_file", r.StateFile))
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// hosted is one emulator the sandbox serves.
type hosted struct {
	name  string
	title string
	emu   emulator.Emulator
	addr  string // loopback host:port to listen on
	url   string // scheme://host:port once listening
}

// Sandbox is a running set of emulators.
type Sandbox struct {
	opts        Options
	emus        []*hosted          // by name
	backends    *emulator.Backends // nil with SeparateBackends
	creds       []Credential
	lock        *flock.Flock
	caFile      string
	caPool      *x509.CertPool
	credsFile   string
	stateFile   string
	origin      string
	servers     []*http.Server
	serving     sync.WaitGroup // the servers' Serve goroutines
	log         *slog.Logger
	dirty       chan struct{}
	stop        chan struct{}
	loopDone    chan struct{}
	serveErrs   chan error
	persistMu   sync.Mutex // serialises state file writes
	lastWritten []byte
	saves       int        // snapshots taken (persistMu held), for tests
	mutateMu    sync.Mutex // serialises read-modify-write drift injection
	closeOnce   sync.Once
	closeErr    error
}

// Start runs the sandbox. ctx bounds the start only; the sandbox serves
// until Close.
func Start(ctx context.Context, opts Options) (sb *Sandbox, err error) {
	if opts.StateDir == "" {
		opts.StateDir = statedir.DefaultDir
	}
	if opts.PersistInterval <= 0 {
		opts.PersistInterval = 200 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	emus, backends, err := newEmulators(opts)
	if err != nil {
		return nil, err
	}
	if opts.Providers == nil {
		opts.Providers = DefaultProviders(opts.Kinds)
	}
	if err := statedir.Ensure(opts.StateDir); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s := &Sandbox{
		opts:      opts,
		emus:      emus,
		backends:  backends,
		log:       opts.Logger,
		credsFile: filepath.Join(opts.StateDir, CredentialsFileName),
		stateFile: filepath.Join(opts.StateDir, StateFileName),
		dirty:     make(chan struct{}, 1),
		stop:      make(chan struct{}),
		loopDone:  make(chan struct{}),
		serveErrs: make(chan error, len(emus)),
	}
	s.lock = flock.New(filepath.Join(opts.StateDir, LockFileName))
	locked, err := s.lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("sandbox: lock %s: %w", opts.StateDir, err)
	}
	if !locked {
		return nil, fmt.Errorf("sandbox: state directory %s is used by another running sandbox", opts.StateDir)
	}
	var listeners []net.Listener
	defer func() {
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			s.lock.Unlock()
		}
	}()

	if err := s.addCredentials(); err != nil {
		return nil, err
	}
	if err := s.loadState(); err != nil {
		return nil, err
	}
	if err := s.addDomains(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	var tlsConf *tls.Config
	if !opts.PlainHTTP {
		addrs := make([]string, len(s.emus))
		for i, h := range s.emus {
			addrs[i] = h.addr
		}
		if tlsConf, err = s.setupTLS(addrs...); err != nil {
			return nil, err
		}
	}
	body, err := credentialsFile(s.creds)
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(s.credsFile, body, 0o600); err != nil {
		return nil, err
	}
	if err := s.Persist(); err != nil {
		return nil, err
	}

	var lc net.ListenConfig
	scheme := "https"
	if opts.PlainHTTP {
		scheme = "http"
	}
	for _, h := range s.emus {
		ln, err := lc.Listen(ctx, "tcp", h.addr)
		if err != nil {
			return nil, fmt.Errorf("sandbox: %s emulator: %w", h.name, err)
		}
		listeners = append(listeners, ln)
		h.url = scheme + "://" + ln.Addr().String()
		mux := http.NewServeMux()
		mux.Handle("/_sandbox/", s.admin(h.name, h.emu))
		mux.Handle("/", s.track(h.emu))
		s.servers = append(s.servers, &http.Server{
			Handler:           mux,
			TLSConfig:         tlsConf,
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		})
	}
	for i, srv := range s.servers {
		ln := listeners[i]
		if tlsConf != nil {
			ln = tls.NewListener(ln, tlsConf)
		}
		s.serving.Go(func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("sandbox listener stopped", "emulator", s.emus[i].name, "err", err)
				s.serveErrs <- err // buffered: one slot per server
			}
		})
	}
	go s.persistLoop()
	if opts.ReadyFile != "" {
		if err := s.writeReady(); err != nil {
			s.Close()
			return nil, err
		}
	}
	attrs := make([]any, 0, 2*len(s.emus)+2)
	for _, h := range s.emus {
		attrs = append(attrs, h.name, h.url)
	}
	s.log.Info("sandbox serving", append(attrs, "state", s.origin)...)
	return s, nil
}

// newEmulators checks the per-emulator options and makes one emulator per
// kind, ordered by name so that output and credentials are stable, and the
// stores they share (nil with SeparateBackends).
func newEmulators(opts Options) ([]*hosted, *emulator.Backends, error) {
	if len(opts.Kinds) == 0 {
		return nil, nil, errors.New("sandbox: no emulators to serve")
	}
	var backends *emulator.Backends
	if !opts.SeparateBackends {
		backends = emulator.NewBackends()
	}
	kinds := slices.SortedFunc(slices.Values(opts.Kinds), func(a, b emulator.Kind) int { return cmp.Compare(a.Name(), b.Name()) })
	byName := map[string]bool{}
	var emus []*hosted
	for _, k := range kinds {
		name := k.Name()
		if byName[name] {
			return nil, nil, fmt.Errorf("sandbox: two emulators are called %q", name)
		}
		byName[name] = true
		eo := opts.Emulators[name]
		if err := eo.Faults.Check(); err != nil {
			return nil, nil, fmt.Errorf("sandbox: %s faults: %w", name, err)
		}
		addr := cmp.Or(opts.Addrs[name], "127.0.0.1:0")
		addr, err := loopbackAddr(name, addr)
		if err != nil {
			return nil, nil, err
		}
		emu, err := k.NewEmulator(emulator.Options{TaskDelay: eo.TaskDelay, Faults: eo.Faults, RandSeed: opts.RandSeed, Backends: backends})
		if err != nil {
			return nil, nil, fmt.Errorf("sandbox: %w", err)
		}
		emus = append(emus, &hosted{name: name, title: k.Title(), emu: emu, addr: addr})
	}
	// A setting for an emulator that is not served is a typo.
	for _, m := range []map[string]bool{keySet(opts.Addrs), keySet(opts.Emulators)} {
		for name := range m {
			if !byName[name] {
				return nil, nil, fmt.Errorf("sandbox: no emulator called %q (have %s)", name, strings.Join(kindNames(kinds), ", "))
			}
		}
	}
	return emus, backends, nil
}

func keySet[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func kindNames(kinds []emulator.Kind) []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.Name()
	}
	return out
}

// loopbackAddr accepts host:port only for loopback hosts: the sandbox
// answers with test credentials and must not be reachable from elsewhere.
func loopbackAddr(which, addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("sandbox: %s address %q: %w", which, addr, err)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("sandbox: %s address %q: only loopback addresses (127.0.0.1, ::1) are allowed", which, addr)
	}
	return net.JoinHostPort(ip.String(), port), nil
}

func (s *Sandbox) emulator(name string) *hosted {
	for _, h := range s.emus {
		if h.name == name {
			return h
		}
	}
	return nil
}

// addCredentials gives every provider whose type is served a credential
// from its type's emulator, in the order given (a stable order keeps the
// derived values stable).
func (s *Sandbox) addCredentials() error {
	for _, p := range s.opts.Providers {
		h := s.emulator(p.Type)
		if h == nil {
			continue
		}
		values, err := h.emu.AddCredentials(p.Name)
		if err != nil {
			return fmt.Errorf("sandbox: credentials for %s: %w", p.Name, err)
		}
		s.creds = append(s.creds, Credential{Provider: p.Name, Type: p.Type, Values: values})
	}
	return nil
}

// loadState imports the saved state, or seeds when there is none.
func (s *Sandbox) loadState() error {
	if s.opts.Reset {
		if err := os.Remove(s.stateFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("sandbox: reset: %w", err)
		}
	}
	data, err := os.ReadFile(s.stateFile)
	switch {
	case err == nil:
		if err := s.importState(data); err != nil {
			hint := "start with --reset to discard it"
			if s.backends != nil && len(s.backends.Names()) > 0 {
				hint += " (or with --separate-backends if it was saved by emulators that kept their states apart)"
			}
			return fmt.Errorf("sandbox: state file %s: %w; %s", s.stateFile, err, hint)
		}
		s.origin = "loaded from " + s.stateFile
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("sandbox: %w", err)
	}
	if s.opts.SeedFile == "" {
		s.origin = "empty (no seed file)"
		return nil
	}
	data, err = os.ReadFile(s.opts.SeedFile)
	if err != nil {
		return fmt.Errorf("sandbox: seed: %w", err)
	}
	if err := seed(s.opts.SeedFile, data, s.emus); err != nil {
		return err
	}
	s.origin = "seeded from " + s.opts.SeedFile
	return nil
}

// addDomains creates the domains of Options.Domains that the emulators
// lack and says so in the origin.
func (s *Sandbox) addDomains() error {
	added := 0
	for _, h := range s.emus {
		name := h.name
		if len(s.opts.Domains[name]) == 0 {
			continue
		}
		adder, ok := h.emu.(emulator.DomainAdder)
		if !ok {
			s.log.Info("sandbox: the emulator cannot create domains; seed them instead", "emulator", name)
			continue
		}
		for _, d := range s.opts.Domains[name] {
			ok, err := adder.AddDomain(d)
			if err != nil {
				return fmt.Errorf("sandbox: %s: domain %s: %w", name, d, err)
			}
			if ok {
				added++
			}
		}
	}
	if added > 0 {
		if s.origin == "empty (no seed file)" {
			s.origin = fmt.Sprintf("created from the zone files: %d new %s", added, plural(added, "domain", "domains"))
		} else {
			s.origin += fmt.Sprintf("; %d new %s from the zone files", added, plural(added, "domain", "domains"))
		}
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// importState loads sandbox-state.json: {"version": 1, NAME: state, ...}
// with one part per emulator, in the emulator's own export format. An
// emulator without a part starts empty (a state file written before it
// was served); a part for an emulator not served is refused rather than
// dropped at the next save.
func (s *Sandbox) importState(data []byte) error {
	var parts map[string]json.RawMessage
	if err := json.Unmarshal(data, &parts); err != nil {
		return fmt.Errorf("damaged: %w", err)
	}
	var version int
	if v, ok := parts["version"]; ok {
		if err := json.Unmarshal(v, &version); err != nil {
			return fmt.Errorf("damaged: version: %w", err)
		}
	}
	if version != StateVersion {
		return fmt.Errorf("version %d, this dnssync reads %d", version, StateVersion)
	}
	delete(parts, "version")
	if s.backends != nil {
		// Emulators sharing a store each hold it in their part: the
		// first loads it, the others must agree.
		s.backends.BeginLoad()
		defer s.backends.EndLoad()
	}
	for _, h := range s.emus {
		part, ok := parts[h.name]
		if !ok {
			s.log.Info("sandbox: no saved state for an emulator; it starts empty", "emulator", h.name)
			continue
		}
		delete(parts, h.name)
		if err := h.emu.ImportState(part); err != nil {
			return fmt.Errorf("%s: %w", h.name, err)
		}
	}
	for name := range parts {
		return fmt.Errorf("state of %q, which this sandbox does not serve", name)
	}
	return nil
}

func (s *Sandbox) setupTLS(addrs ...string) (*tls.Config, error) {
	s.caFile = filepath.Join(s.opts.StateDir, CAFileName)
	now := time.Now()
	ca, created, err := loadOrCreateCA(s.caFile, filepath.Join(s.opts.StateDir, CAKeyFileName), now)
	if err != nil {
		return nil, err
	}
	if created {
		s.log.Info("sandbox: created a local CA", "file", s.caFile)
	}
	var ips []net.IP
	for _, a := range addrs {
		host, _, _ := net.SplitHostPort(a)
		ips = append(ips, net.ParseIP(host))
	}
	cert, err := ca.serverCert(now, ips)
	if err != nil {
		return nil, err
	}
	s.caPool = x509.NewCertPool()
	s.caPool.AddCert(ca.cert)
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

func (s *Sandbox) writeReady() error {
	abs := func(p string) string {
		if p == "" {
			return ""
		}
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	r := Ready{PID: os.Getpid(), URLs: s.URLs(), CAFile: abs(s.caFile),
		CredentialsFile: abs(s.credsFile), StateFile: abs(s.stateFile)}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("sandbox: ready file: %w", err)
	}
	return writeFileAtomic(s.opts.ReadyFile, append(b, '\n'), 0o644)
}

// track marks the state dirty after every emulator request (a dropped
// connection included: the emulators abort those with a panic).
func (s *Sandbox) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer s.markDirty()
		h.ServeHTTP(w, r)
	})
}

func (s *Sandbox) markDirty() {
	select {
	case s.dirty <- struct{}{}:
	default:
	}
}

func (s *Sandbox) persistLoop() {
	defer close(s.loopDone)
	var due <-chan time.Time // a save is pending
	for {
		select {
		case <-s.stop:
			return
		case <-s.dirty:
			if due == nil {
				due = time.After(s.opts.PersistInterval)
			}
			continue
		case <-due:
			due = nil
		}
		if err := s.Persist(); err != nil {
			s.log.Error("sandbox: saving state failed", "err", err)
		}
	}
}

// snapshot encodes every emulator's state (tasks due by now applied) as
// {"version": 1, NAME: state, ...}, emulators in name order.
func (s *Sandbox) snapshot() ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"version":%d`, StateVersion)
	for _, h := range s.emus {
		part, err := h.emu.ExportState()
		if err != nil {
			return nil, fmt.Errorf("sandbox: export %s state: %w", h.name, err)
		}
		key, err := json.Marshal(h.name)
		if err != nil {
			return nil, fmt.Errorf("sandbox: encode state: %w", err)
		}
		b.WriteByte(',')
		b.Write(key)
		b.WriteByte(':')
		if err := json.Compact(&b, part); err != nil {
			return nil, fmt.Errorf("sandbox: export %s state: %w", h.name, err)
		}
	}
	b.WriteByte('}')
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "  "); err != nil {
		return nil, fmt.Errorf("sandbox: encode state: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// Persist writes the state file now if the state changed since the last
// write. The sandbox calls it after requests, periodically and on Close.
func (s *Sandbox) Persist() error {
	s.persistMu.Lock()
	defer s.persistMu.Unlock()
	s.saves++
	b, err := s.snapshot()
	if err != nil {
		return err
	}
	if bytes.Equal(b, s.lastWritten) {
		return nil
	}
	if err := writeFileAtomic(s.stateFile, b, 0o600); err != nil {
		return err
	}
	s.lastWritten = b
	return nil
}

// Close stops the listeners (waiting briefly for requests in flight),
// saves the state and releases the state directory. It is safe to call
// more than once.
func (s *Sandbox) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var errs []error
		for _, srv := range s.servers {
			if err := srv.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("sandbox: shutdown: %w", err))
				srv.Close()
			}
		}
		s.serving.Wait()
		close(s.stop)
		<-s.loopDone
		if err := s.Persist(); err != nil {
			errs = append(errs, err)
		}
		if s.opts.ReadyFile != "" {
			if err := os.Remove(s.opts.ReadyFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("sandbox: %w", err))
			}
		}
		if err := s.lock.Unlock(); err != nil {
			errs = append(errs, fmt.Errorf("sandbox: unlock: %w", err))
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Err returns a channel that receives an error if a listener fails.
func (s *Sandbox) Err() <-chan error { return s.serveErrs }

// Names are the served emulators' names, sorted.
func (s *Sandbox) Names() []string {
	out := make([]string, len(s.emus))
	for i, h := range s.emus {
		out[i] = h.name
	}
	return out
}

// URL is the endpoint of the emulator called name
// ("https://127.0.0.1:port"), "" when there is none.
func (s *Sandbox) URL(name string) string {
	if h := s.emulator(name); h != nil {
		return h.url
	}
	return ""
}

// URLs are the endpoints by emulator name.
func (s *Sandbox) URLs() map[string]string {
	out := make(map[string]string, len(s.emus))
	for _, h := range s.emus {
		out[h.name] = h.url
	}
	return out
}

// Emulator is the emulator called name (nil when there is none), for
// request-log assertions and faults in tests; the provider's emulator
// package gives typed access (for example aliyuntest.Emulator.Server).
func (s *Sandbox) Emulator(name string) emulator.Emulator {
	if h := s.emulator(name); h != nil {
		return h.emu
	}
	return nil
}

// CAFile is the PEM file of the sandbox CA ("" with PlainHTTP).
func (s *Sandbox) CAFile() string { return s.caFile }

// CAPool holds the sandbox CA (nil with PlainHTTP), for clients in tests.
func (s *Sandbox) CAPool() *x509.CertPool { return s.caPool }

// CredentialsFile is the test credentials file (internal/credentials
// format, keyed by provider name).
func (s *Sandbox) CredentialsFile() string { return s.credsFile }

// StateFile is sandbox-state.json.
func (s *Sandbox) StateFile() string { return s.stateFile }

// Origin says where the state came from: loaded, seeded or empty.
func (s *Sandbox) Origin() string { return s.origin }

// Credentials are the test credentials, one per provider.
func (s *Sandbox) Credentials() []Credential {
	out := make([]Credential, len(s.creds))
	for i, c := range s.creds {
		c.Values = maps.Clone(c.Values)
		out[i] = c
	}
	return out
}

// Mutate changes the state of the emulator called name in place — drift
// made behind dnssync's back — and saves it. f gets the emulator; the
// emulator's package offers typed edits (for example dnspodtest.EditState).
// Requests that arrive while f runs may be overwritten; tests call it
// between passes.
func (s *Sandbox) Mutate(name string, f func(emulator.Emulator) error) error {
	h := s.emulator(name)
	if h == nil {
		return fmt.Errorf("sandbox: no emulator called %q", name)
	}
	s.mutateMu.Lock()
	defer s.mutateMu.Unlock()
	if err := f(h.emu); err != nil {
		return fmt.Errorf("sandbox: drift: %w", err)
	}
	return s.Persist()
}

// WriteSummary prints the endpoints, the files and the test credentials.
func (s *Sandbox) WriteSummary(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("dnssync sandbox: provider emulators on loopback (state %s)\n", s.origin)
	width := 0
	for _, h := range s.emus {
		width = max(width, len(h.name))
	}
	logs := make([]string, len(s.emus))
	for i, h := range s.emus {
		ew.printf("  %-*s  %s  (%s)\n", width, h.name, h.url, h.title)
		logs[i] = h.url + "/_sandbox/log"
	}
	if s.caFile != "" {
		ew.printf("  CA certificate:   %s\n", s.caFile)
	}
	ew.printf("  credentials file: %s\n", s.credsFile)
	ew.printf("  state file:       %s\n", s.stateFile)
	ew.printf("Sandbox test credentials (accepted only by this sandbox, printed on purpose; not secrets):\n")
	for _, c := range s.creds {
		ew.printf("  %s (%s): %s\n", c.Provider, c.Type, c.String())
	}
	ew.printf("Request logs: GET %s\n", joinAnd(logs))
	return ew.err
}

// joinAnd joins "a", "a and b", "a, b and c".
func joinAnd(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
