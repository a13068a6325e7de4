package sandbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/dnssync/dnssync/internal/providers/aliyun/aliyuntest"
	"github.com/dnssync/dnssync/internal/providers/dnspod/dnspodtest"
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

// Default listen addresses, matching examples/dnssync.yaml.
const (
	DefaultAliyunAddr = "127.0.0.1:18443"
	DefaultDNSPodAddr = "127.0.0.1:18444"
)

// StateVersion is the version of sandbox-state.json.
const StateVersion = 1

// Faults are the injected failures of one emulator. Shares are
// probabilities in [0,1] rolled per request (ItemFail per task item).
type Faults struct {
	Throttle    float64       // throttling answer (Throttling.User / code -2)
	ServerError float64       // HTTP 5xx answer
	Drop        float64       // connection closed without an answer
	CommitLoss  float64       // a write is committed, then its answer is lost
	ItemFail    float64       // a task item (domain / record) ends in failure
	Latency     time.Duration // added to every request
}

func (f Faults) check(name string) error {
	for _, v := range []float64{f.Throttle, f.ServerError, f.Drop, f.CommitLoss, f.ItemFail} {
		if v < 0 || v > 1 {
			return fmt.Errorf("sandbox: %s fault share %v outside [0,1]", name, v)
		}
	}
	if f.Throttle+f.ServerError+f.Drop > 1 {
		return fmt.Errorf("sandbox: %s throttle + 5xx + drop shares exceed 1", name)
	}
	if f.Latency < 0 {
		return fmt.Errorf("sandbox: %s latency is negative", name)
	}
	return nil
}

// EmulatorOptions configure one emulator.
type EmulatorOptions struct {
	// TaskDelay is how long an asynchronous task item takes from submission
	// to its final state: half waiting, half running.
	TaskDelay time.Duration
	Faults    Faults
}

// Options configure Start.
type Options struct {
	// StateDir holds the CA, the credentials and the state file (default
	// ".dnssync"). One sandbox at a time may use it.
	StateDir string
	// AliyunAddr and DNSPodAddr are loopback host:port addresses (default
	// "127.0.0.1:0": a free port each; the CLI uses 18443 and 18444).
	AliyunAddr, DNSPodAddr string
	// PlainHTTP serves HTTP instead of HTTPS (no CA is made).
	PlainHTTP bool
	// Providers get test credentials (default DefaultProviders).
	Providers []Provider
	// SeedFile is the YAML fixture a sandbox without saved state starts
	// from; "" starts with empty emulators.
	SeedFile string
	// Reset discards the saved state (the CA is kept) and reseeds.
	Reset bool
	// Aliyun and DNSPod configure the emulators.
	Aliyun, DNSPod EmulatorOptions
	// RandSeed seeds the emulators' fault dice, for reproducible runs.
	RandSeed uint64
	// ReadyFile, when set, receives a small JSON document (Ready) once both
	// listeners accept connections; it is removed by Close.
	ReadyFile string
	// PersistInterval bounds how long a state change may stay unsaved when
	// it happens without a request (tasks finishing; default 1s). Requests
	// trigger a save at once.
	PersistInterval time.Duration
	// Logger receives operational messages (default: discarded).
	Logger *slog.Logger
}

// Ready is the content of the ready file.
type Ready struct {
	PID             int    `json:"pid"`
	AliyunURL       string `json:"aliyun_url"`
	DNSPodURL       string `json:"dnspod_url"`
	CAFile          string `json:"ca_file,omitempty"`
	CredentialsFile string `json:"credentials_file"`
	StateFile       string `json:"state_file"`
}

// Sandbox is a running pair of emulators.
type Sandbox struct {
	opts        Options
	aliyun      *aliyuntest.Server
	dnspod      *dnspodtest.Server
	creds       []Credential
	lock        *flock.Flock
	caFile      string
	caPool      *x509.CertPool
	credsFile   string
	stateFile   string
	origin      string
	aliyunURL   string
	dnspodURL   string
	servers     []*http.Server
	log         *slog.Logger
	dirty       chan struct{}
	stop        chan struct{}
	loopDone    chan struct{}
	serveErrs   chan error
	persistMu   sync.Mutex // serialises state file writes
	lastWritten []byte
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
	if opts.AliyunAddr == "" {
		opts.AliyunAddr = "127.0.0.1:0"
	}
	if opts.DNSPodAddr == "" {
		opts.DNSPodAddr = "127.0.0.1:0"
	}
	if opts.Providers == nil {
		opts.Providers = DefaultProviders()
	}
	if opts.PersistInterval <= 0 {
		opts.PersistInterval = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := opts.Aliyun.Faults.check(TypeAliyun); err != nil {
		return nil, err
	}
	if err := opts.DNSPod.Faults.check(TypeDNSPod); err != nil {
		return nil, err
	}
	aliyunAddr, err := loopbackAddr("aliyun", opts.AliyunAddr)
	if err != nil {
		return nil, err
	}
	dnspodAddr, err := loopbackAddr("dnspod", opts.DNSPodAddr)
	if err != nil {
		return nil, err
	}
	if err := statedir.Ensure(opts.StateDir); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s := &Sandbox{
		opts:      opts,
		log:       opts.Logger,
		credsFile: filepath.Join(opts.StateDir, CredentialsFileName),
		stateFile: filepath.Join(opts.StateDir, StateFileName),
		dirty:     make(chan struct{}, 1),
		stop:      make(chan struct{}),
		loopDone:  make(chan struct{}),
		serveErrs: make(chan error, 2),
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

	s.newEmulators()
	if err := s.loadState(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	var tlsConf *tls.Config
	if !opts.PlainHTTP {
		if tlsConf, err = s.setupTLS(aliyunAddr, dnspodAddr); err != nil {
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
	for _, l := range []struct {
		addr string
		url  *string
		kind string
		h    http.Handler
	}{{aliyunAddr, &s.aliyunURL, TypeAliyun, s.aliyun}, {dnspodAddr, &s.dnspodURL, TypeDNSPod, s.dnspod}} {
		ln, err := lc.Listen(ctx, "tcp", l.addr)
		if err != nil {
			return nil, fmt.Errorf("sandbox: %s emulator: %w", l.kind, err)
		}
		listeners = append(listeners, ln)
		scheme := "https"
		if opts.PlainHTTP {
			scheme = "http"
		}
		*l.url = scheme + "://" + ln.Addr().String()
		mux := http.NewServeMux()
		mux.Handle("/_sandbox/", s.admin(l.kind))
		mux.Handle("/", s.track(l.h))
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
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("sandbox listener stopped", "err", err)
				s.serveErrs <- err
			}
		}()
	}
	go s.persistLoop()
	if opts.ReadyFile != "" {
		if err := s.writeReady(); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.log.Info("sandbox serving", "aliyun", s.aliyunURL, "dnspod", s.dnspodURL, "state", s.origin)
	return s, nil
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

func (s *Sandbox) newEmulators() {
	o := s.opts
	half := func(d time.Duration) time.Duration { return d / 2 }
	af, df := o.Aliyun.Faults, o.DNSPod.Faults
	s.aliyun = aliyuntest.New(aliyuntest.Options{
		WaitDelay: half(o.Aliyun.TaskDelay),
		ExecDelay: o.Aliyun.TaskDelay - half(o.Aliyun.TaskDelay),
		Seed:      o.RandSeed,
		Faults: aliyuntest.Faults{
			Throttle: af.Throttle, ServerError: af.ServerError, DropConn: af.Drop, CommitLoss: af.CommitLoss,
			Latency: af.Latency, FailItems: af.ItemFail,
		},
	})
	dfaults := dnspodtest.Faults{
		Throttle: df.Throttle, ServerError: df.ServerError, Drop: df.Drop, FailAfterCommit: df.CommitLoss,
		Latency: df.Latency, FailItem: df.ItemFail,
	}
	if df.Latency > 0 {
		dfaults.LatencyShare = 1
	}
	// Item k of a DNSPod job is done at created + (2k+2)·BatchStep, so the
	// first item takes TaskDelay and later ones follow in order.
	s.dnspod = dnspodtest.New(dnspodtest.Options{BatchStep: half(o.DNSPod.TaskDelay), Seed: o.RandSeed, Faults: dfaults})
	s.creds = testCredentials(o.Providers)
	for _, c := range s.creds {
		switch c.Type {
		case TypeAliyun:
			s.aliyun.AddKey(c.AccessKeyID, c.AccessKeySecret)
		case TypeDNSPod:
			id, tok, _ := strings.Cut(c.Token, ",")
			s.dnspod.AddToken(id, tok)
		}
	}
}

// persisted is sandbox-state.json.
type persisted struct {
	Version int             `json:"version"`
	Aliyun  json.RawMessage `json:"aliyun"`
	DNSPod  json.RawMessage `json:"dnspod"`
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
		var p persisted
		if err := json.Unmarshal(data, &p); err != nil {
			return fmt.Errorf("sandbox: state file %s is damaged (%v); start with --reset to discard it", s.stateFile, err)
		}
		if p.Version != StateVersion {
			return fmt.Errorf("sandbox: state file %s has version %d, this dnssync reads %d; start with --reset to discard it", s.stateFile, p.Version, StateVersion)
		}
		if err := s.aliyun.Import(p.Aliyun); err != nil {
			return fmt.Errorf("sandbox: state file %s: %w (start with --reset to discard it)", s.stateFile, err)
		}
		if err := s.dnspod.UnmarshalState(p.DNSPod); err != nil {
			return fmt.Errorf("sandbox: state file %s: %w (start with --reset to discard it)", s.stateFile, err)
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
	seed, err := LoadSeed(s.opts.SeedFile)
	if err != nil {
		return err
	}
	if err := seed.Apply(s.aliyun, s.dnspod); err != nil {
		return err
	}
	s.origin = "seeded from " + s.opts.SeedFile
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
	r := Ready{PID: os.Getpid(), AliyunURL: s.aliyunURL, DNSPodURL: s.dnspodURL, CAFile: abs(s.caFile),
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
	t := time.NewTicker(s.opts.PersistInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-s.dirty:
		case <-t.C:
		}
		if err := s.Persist(); err != nil {
			s.log.Error("sandbox: saving state failed", "err", err)
		}
	}
}

// snapshot encodes both emulators' state (tasks due by now applied).
func (s *Sandbox) snapshot() ([]byte, error) {
	a, err := s.aliyun.Export()
	if err != nil {
		return nil, fmt.Errorf("sandbox: export aliyun state: %w", err)
	}
	d, err := s.dnspod.MarshalState()
	if err != nil {
		return nil, fmt.Errorf("sandbox: export dnspod state: %w", err)
	}
	b, err := json.MarshalIndent(persisted{Version: StateVersion, Aliyun: a, DNSPod: d}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("sandbox: encode state: %w", err)
	}
	return append(b, '\n'), nil
}

// Persist writes the state file now if the state changed since the last
// write. The sandbox calls it after requests, periodically and on Close.
func (s *Sandbox) Persist() error {
	s.persistMu.Lock()
	defer s.persistMu.Unlock()
	b, err := s.snapshot()
	if err != nil {
		return err
	}
	if string(b) == string(s.lastWritten) {
		return nil
	}
	if err := writeFileAtomic(s.stateFile, b, 0o600); err != nil {
		return err
	}
	s.lastWritten = b
	return nil
}

// Close stops both listeners (waiting briefly for requests in flight),
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

// AliyunURL is the Alibaba Domain API endpoint ("https://127.0.0.1:port").
func (s *Sandbox) AliyunURL() string { return s.aliyunURL }

// DNSPodURL is the DNSPod API endpoint.
func (s *Sandbox) DNSPodURL() string { return s.dnspodURL }

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
func (s *Sandbox) Credentials() []Credential { return append([]Credential(nil), s.creds...) }

// Aliyun is the registrar emulator: request log, seeding methods, faults.
func (s *Sandbox) Aliyun() *aliyuntest.Server { return s.aliyun }

// DNSPod is the DNSPod emulator.
func (s *Sandbox) DNSPod() *dnspodtest.Server { return s.dnspod }

// MutateAliyun changes the registrar emulator's state in place — drift
// made behind dnssync's back — and saves it. Requests that arrive while f
// runs may be overwritten; tests call it between passes.
func (s *Sandbox) MutateAliyun(f func(*aliyuntest.State) error) error {
	s.mutateMu.Lock()
	defer s.mutateMu.Unlock()
	st := s.aliyun.Snapshot()
	if err := f(&st); err != nil {
		return err
	}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("sandbox: drift: %w", err)
	}
	if err := s.aliyun.Import(b); err != nil {
		return fmt.Errorf("sandbox: drift: %w", err)
	}
	return s.Persist()
}

// MutateDNSPod changes the DNSPod emulator's state in place (see
// MutateAliyun).
func (s *Sandbox) MutateDNSPod(f func(*dnspodtest.State) error) error {
	s.mutateMu.Lock()
	defer s.mutateMu.Unlock()
	st := s.dnspod.Export()
	if err := f(&st); err != nil {
		return err
	}
	if err := s.dnspod.Import(st); err != nil {
		return fmt.Errorf("sandbox: drift: %w", err)
	}
	return s.Persist()
}

// WriteSummary prints the endpoints, the files and the test credentials.
func (s *Sandbox) WriteSummary(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("dnssync sandbox: provider emulators on loopback (state %s)\n", s.origin)
	ew.printf("  aliyun  %s  (Alibaba Cloud Domain API)\n", s.aliyunURL)
	ew.printf("  dnspod  %s  (DNSPod API)\n", s.dnspodURL)
	if s.caFile != "" {
		ew.printf("  CA certificate:   %s\n", s.caFile)
	}
	ew.printf("  credentials file: %s\n", s.credsFile)
	ew.printf("  state file:       %s\n", s.stateFile)
	ew.printf("Sandbox test credentials (accepted only by this sandbox, printed on purpose; not secrets):\n")
	for _, c := range s.creds {
		ew.printf("  %s (%s): %s\n", c.Provider, c.Type, describeCredential(c))
	}
	ew.printf("Request logs: GET %s/_sandbox/log and %s/_sandbox/log\n", s.aliyunURL, s.dnspodURL)
	return ew.err
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
