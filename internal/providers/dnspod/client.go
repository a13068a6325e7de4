// Package dnspod talks to DNSPod's legacy token API (dnsapi.cn): an HTTP
// client of the form-POST protocol (Client), and an adapter (Provider) that
// reads a zone into model.LiveDNS and executes plan batches
// (Batch.Record.Create, Batch.Record.Modify, Record.Remove) as provider
// tasks polled through Batch.Detail. internal/apply drives the adapter;
// internal/diff plans with the rule engine in dnspodrules; dnspodtest is the
// emulator the tests and the sandbox run against.
//
// Safety rule: reads are retried on transport errors, 5xx and throttling
// (code -2); a write is retried only when the request provably never reached
// the server or the server refused it with -2. Any other failure of a write
// after the request left the client returns an error wrapping
// providers.ErrOutcomeUnknown, and the caller must re-read before deciding.
package dnspod

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dnssync/dnssync/internal/backoff"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"

	"github.com/dnssync/dnssync/internal/providers"
)

// Defaults for Options fields left zero.
const (
	DefaultEndpoint        = "https://dnsapi.cn/"
	DefaultRateLimit       = 1.0 // requests/second: the 3600/hour a user reported (spec §4)
	DefaultBurst           = 5
	DefaultMaxRetries      = 4
	DefaultMinBackoff      = 500 * time.Millisecond
	DefaultMaxBackoff      = 15 * time.Second
	DefaultThrottleBackoff = 60 * time.Second
	DefaultTimeout         = 30 * time.Second
	DefaultBatchSize       = 100 // UNVERIFIED: the legacy docs state no limit
	DefaultMinTTL          = 600 // free grades (spec §4)
	DefaultPageSize        = 3000
	MaxPageSize            = 3000
	DefaultBatchMXKey      = "MX" // the doc example's spelling; UNVERIFIED
	DefaultVersion         = "dev"
	DefaultContact         = "https://github.com/dnssync/dnssync"
)

// Options configure a Client. Zero fields take the defaults above.
type Options struct {
	// Endpoint is the API base URL; "/<Action>" is appended. Plain http is
	// only allowed for loopback hosts (the local sandbox): DNSPod asks for
	// HTTPS and may ban accounts that use http.
	Endpoint string
	// Token is the DNSPod token as "ID,Token". It is sent in the form body
	// only and never appears in errors or logs.
	Token string
	// RootCAs, when set, replaces the system roots for TLS (the sandbox CA).
	RootCAs *x509.CertPool
	// HTTPClient is the base client (its Transport is wrapped by the rate
	// limiter); nil builds one from RootCAs and Timeout.
	HTTPClient *http.Client
	// UserAgent overrides "dnssync/<Version> (<Contact>)". DNSPod requires
	// "<program>/<version> (<contact e-mail>)".
	UserAgent string
	Version   string // program version for the User-Agent
	Contact   string // contact for the User-Agent; an e-mail address is what DNSPod asks for
	Lang      string // "en" (default) or "cn": language of status.message

	RateLimit float64 // requests per second (every attempt); <0 disables the limiter
	Burst     int

	MaxRetries      int           // retries of a retryable call; <0 means none
	MinBackoff      time.Duration // first back-off after a transient failure
	MaxBackoff      time.Duration // cap of the exponential back-off
	ThrottleBackoff time.Duration // wait after code -2 ("used too frequently")
	Timeout         time.Duration // per attempt

	BatchSize     int    // most records in one Batch.Record.* call (planner limit)
	DefaultMinTTL int    // min TTL when Domain.Purview does not say
	PageSize      int    // Record.List / Domain.List page length, ≤ 3000
	BatchMXKey    string // key of the MX priority in Batch.Record.Create records ("MX")

	Logger *slog.Logger
}

// String hides the token, so that printing options cannot leak it.
func (o Options) String() string {
	o.Token = redact(o.Token)
	type plain Options
	return fmt.Sprintf("%+v", plain(o))
}

// GoString hides the token for %#v as well.
func (o Options) GoString() string { return o.String() }

// LogValue hides the token in structured logs.
func (o Options) LogValue() slog.Value {
	return slog.GroupValue(slog.String("endpoint", o.Endpoint), slog.String("token", redact(o.Token)),
		slog.String("user_agent", o.UserAgent))
}

func redact(tok string) string {
	if tok == "" {
		return ""
	}
	if id, _, ok := strings.Cut(tok, ","); ok {
		return id + ",REDACTED"
	}
	return "REDACTED"
}

var (
	tokenRE = regexp.MustCompile(`^[0-9]+,[^\s,]+$`)
	uaRE    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._-]*/[^\s/()]+ \([^()]+\)$`)
)

// UserAgent builds the User-Agent DNSPod requires.
func UserAgent(version, contact string) string {
	if version == "" {
		version = DefaultVersion
	}
	if contact == "" {
		contact = DefaultContact
	}
	return "dnssync/" + version + " (" + contact + ")"
}

// Client is a DNSPod legacy API client. It is safe for concurrent use.
type Client struct {
	opts  Options // Token cleared
	token string
	base  string
	ua    string
	rc    *retryablehttp.Client
	lim   *rate.Limiter
	log   *slog.Logger
}

// New returns a client for opts.
func New(opts Options) (*Client, error) {
	if !tokenRE.MatchString(opts.Token) {
		return nil, errors.New(`dnspod: token must be "ID,Token"`)
	}
	if opts.Endpoint == "" {
		opts.Endpoint = DefaultEndpoint
	}
	if !strings.HasSuffix(opts.Endpoint, "/") {
		opts.Endpoint += "/"
	}
	u, err := url.Parse(opts.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("dnspod: endpoint: %w", err)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("dnspod: endpoint %s: plain http is only allowed for loopback hosts", u.Redacted())
		}
	default:
		return nil, fmt.Errorf("dnspod: endpoint %s: scheme must be https", u.Redacted())
	}
	if opts.UserAgent == "" {
		opts.UserAgent = UserAgent(opts.Version, opts.Contact)
	}
	if !uaRE.MatchString(opts.UserAgent) {
		return nil, fmt.Errorf("dnspod: user agent %q must look like \"program/version (contact)\"", opts.UserAgent)
	}
	if opts.Lang == "" {
		opts.Lang = "en"
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = DefaultRateLimit
	}
	if opts.Burst <= 0 {
		opts.Burst = DefaultBurst
	}
	switch {
	case opts.MaxRetries == 0:
		opts.MaxRetries = DefaultMaxRetries
	case opts.MaxRetries < 0:
		opts.MaxRetries = 0
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = DefaultMinBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = opts.MinBackoff
	}
	if opts.ThrottleBackoff <= 0 {
		opts.ThrottleBackoff = DefaultThrottleBackoff
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.DefaultMinTTL <= 0 {
		opts.DefaultMinTTL = DefaultMinTTL
	}
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	if opts.PageSize > MaxPageSize {
		return nil, fmt.Errorf("dnspod: page size %d over the maximum %d", opts.PageSize, MaxPageSize)
	}
	if opts.BatchMXKey == "" {
		opts.BatchMXKey = DefaultBatchMXKey
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	c := &Client{token: opts.Token, base: opts.Endpoint, ua: opts.UserAgent, log: log}
	opts.Token = ""
	c.opts = opts
	if opts.RateLimit > 0 {
		c.lim = rate.NewLimiter(rate.Limit(opts.RateLimit), opts.Burst)
	}

	var hc http.Client
	if opts.HTTPClient != nil {
		hc = *opts.HTTPClient
	} else {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if opts.RootCAs != nil {
			tr.TLSClientConfig = &tls.Config{RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12}
		}
		hc.Transport = tr
	}
	if hc.Timeout == 0 {
		hc.Timeout = opts.Timeout
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = &limitedTransport{base: base, lim: c.lim}

	c.rc = &retryablehttp.Client{
		HTTPClient:     &hc,
		RetryWaitMin:   opts.MinBackoff,
		RetryWaitMax:   opts.MaxBackoff,
		RetryMax:       opts.MaxRetries,
		CheckRetry:     c.checkRetry,
		Backoff:        c.backoff,
		ErrorHandler:   retryablehttp.PassthroughErrorHandler,
		RequestLogHook: c.beforeAttempt,
	}
	return c, nil
}

// Options returns the effective options (token removed).
func (c *Client) Options() Options { return c.opts }

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// limitedTransport makes every attempt wait for the client-side limiter.
type limitedTransport struct {
	base http.RoundTripper
	lim  *rate.Limiter
}

func (t *limitedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.lim != nil {
		if err := t.lim.Wait(r.Context()); err != nil {
			if r.Body != nil {
				_ = r.Body.Close()
			}
			return nil, err
		}
	}
	return t.base.RoundTrip(r)
}

// Error is an answer of the API that is not success: a status.code other
// than 1, or an HTTP error status without a usable body.
type Error struct {
	Code       int    // status.code; 0 when the answer had none
	Message    string // status.message, or a description of the HTTP answer
	Action     string // e.g. "Record.List"
	HTTPStatus int
}

func (e *Error) Error() string {
	if e.Code == 0 {
		return fmt.Sprintf("dnspod %s: HTTP %d: %s", e.Action, e.HTTPStatus, e.Message)
	}
	return fmt.Sprintf("dnspod %s: code %d: %s", e.Action, e.Code, e.Message)
}

// Transient reports whether trying again later may succeed: throttling
// (-2), "temporarily closed" (-99), HTTP 429 and 5xx.
func (e *Error) Transient() bool {
	switch e.Code {
	case CodeThrottled, CodeTryLater:
		return true
	}
	return e.HTTPStatus == http.StatusTooManyRequests || e.HTTPStatus >= 500
}

// Is lets errors.Is(err, providers.ErrTransient) match transient answers.
func (e *Error) Is(target error) bool {
	return target == providers.ErrTransient && e.Transient()
}

// Common DNSPod status codes the client acts on.
const (
	CodeOK          = 1
	CodeLoginFailed = -1
	CodeThrottled   = -2
	CodeTryLater    = -99
	CodeNoRecords   = 10 // Record.List with error_on_empty=yes
	CodeNoDomains   = 9  // Domain.List with error_on_empty=yes
)

type ctxKey struct{}

// attempt is the per-call state shared by the retry hooks.
type attempt struct {
	action    string
	write     bool
	n         int
	wrote     atomic.Bool // the current attempt's request was (at least partly) sent
	throttled bool        // the last answer was code -2 or HTTP 429
	unknown   bool        // a write's outcome is unknown
	// out is where call decodes the answer; checkRetry, which has to read
	// a 200's status anyway, decodes answers that carry their status
	// (statusAnswer) there directly, so that a large answer is parsed once.
	out any
}

// statusAnswer is an answer type that decodes the status block too.
type statusAnswer interface {
	answerStatus() status
	reset() // back to the zero value, before a decode
}

// bufferedBody is a 200's body as checkRetry read and decoded it: call
// takes the bytes and the decoded status from here instead of reading and
// parsing again.
type bufferedBody struct {
	*bytes.Reader
	data   []byte
	env    envelope
	envErr error // from decoding the envelope
	out    any   // the statusAnswer the whole body was decoded into; nil if not
}

func (*bufferedBody) Close() error { return nil }

// decode reads the status (and, when possible, the whole answer into out).
func (b *bufferedBody) decode(out any) {
	if sa, ok := out.(statusAnswer); ok {
		if a, ok := out.(*recordListAnswer); ok {
			// Record.List pages, most of a large read: the decoder for
			// their shape, which leaves anything unusual to encoding/json.
			a.reset()
			if decodeRecordList(b.data, a) {
				b.env, b.envErr, b.out = envelope{Status: a.Status}, nil, out
				return
			}
		}
		sa.reset()
		if json.Unmarshal(b.data, out) == nil {
			// The envelope is a part of this answer: decoding it alone
			// would have succeeded and read the same status.
			b.env, b.envErr, b.out = envelope{Status: sa.answerStatus()}, nil, out
			return
		}
	}
	b.envErr = json.Unmarshal(b.data, &b.env)
}

// readBody reads a response body of at most maxBody bytes, in one
// allocation when the length is announced.
func readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n > 0 && n <= maxBody {
		b := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxBody))
}

func stateOf(ctx context.Context) *attempt {
	st, _ := ctx.Value(ctxKey{}).(*attempt)
	return st
}

func (c *Client) beforeAttempt(_ retryablehttp.Logger, r *http.Request, i int) {
	st := stateOf(r.Context())
	if st == nil {
		return
	}
	st.n = i + 1
	st.wrote.Store(false)
	if i > 0 {
		c.log.Debug("dnspod retry", "action", st.action, "attempt", i+1)
	}
}

const maxBody = 64 << 20

// checkRetry decides whether an attempt is repeated. The body of a 200 is
// buffered here because throttling (-2) is only visible inside it.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	st := stateOf(ctx)
	if ctx.Err() != nil {
		if st != nil && st.write && st.wrote.Load() {
			st.unknown = true
		}
		return false, ctx.Err()
	}
	if st == nil {
		return false, nil
	}
	st.throttled = false
	if err != nil {
		if st.write && st.wrote.Load() {
			st.unknown = true
			return false, nil
		}
		return true, nil
	}
	switch {
	case resp.StatusCode >= 500:
		if st.write {
			st.unknown = true
			return false, nil
		}
		return true, nil
	case resp.StatusCode == http.StatusTooManyRequests:
		st.throttled = true
		return true, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return false, nil
	}
	body, rerr := readBody(resp)
	_ = resp.Body.Close()
	if rerr != nil {
		resp.Body = io.NopCloser(&errReader{rerr})
		if st.write {
			st.unknown = true
			return false, nil
		}
		return true, nil
	}
	bb := &bufferedBody{Reader: bytes.NewReader(body), data: body}
	bb.decode(st.out)
	resp.Body = bb
	if bb.envErr == nil && bb.env.Status.Code.IntOr(0) == CodeThrottled {
		// -2 is a complete answer: the server did nothing, so even a write
		// may be sent again, after the long back-off.
		st.throttled = true
		c.log.Warn("dnspod throttled", "action", st.action, "attempt", st.n)
		return true, nil
	}
	return false, nil
}

type errReader struct{ err error }

func (r *errReader) Read([]byte) (int, error) { return 0, r.err }

func (c *Client) backoff(minWait, maxWait time.Duration, n int, resp *http.Response) time.Duration {
	if resp != nil && resp.Request != nil {
		if st := stateOf(resp.Request.Context()); st != nil && st.throttled {
			return c.opts.ThrottleBackoff
		}
	}
	return backoff.Jitter(backoff.Delay(minWait, maxWait, n), nil)
}

type status struct {
	Code      Str    `json:"code"`
	Message   string `json:"message"`
	CreatedAt string `json:"created_at"`
}

type envelope struct {
	Status status `json:"status"`
}

// call POSTs action with params plus the common parameters and decodes the
// answer into out (which may be nil). write marks calls that change state.
func (c *Client) call(ctx context.Context, action string, params url.Values, write bool, out any) error {
	ctx = providers.WithOperation(ctx, action) // metrics and logs name the call by it
	form := url.Values{}
	for k, v := range params {
		form[k] = v
	}
	form.Set("login_token", c.token)
	form.Set("format", "json")
	form.Set("error_on_empty", "no")
	form.Set("lang", c.opts.Lang)

	st := &attempt{action: action, write: write, out: out}
	actx := context.WithValue(ctx, ctxKey{}, st)
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		WroteHeaders: func() { st.wrote.Store(true) },
	})
	req, err := retryablehttp.NewRequestWithContext(actx, http.MethodPost, c.base+action, []byte(form.Encode()))
	if err != nil {
		return fmt.Errorf("dnspod %s: %w", action, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)

	start := time.Now()
	resp, err := c.rc.Do(req)
	if err != nil {
		if resp != nil {
			_ = resp.Body.Close()
		}
		c.log.Debug("dnspod call failed", "action", action, "attempts", st.n, "err", err, "dur", time.Since(start))
		switch {
		case st.unknown:
			return fmt.Errorf("dnspod %s: %w: %w", action, providers.ErrOutcomeUnknown, err)
		case ctx.Err() != nil:
			return fmt.Errorf("dnspod %s: %w", action, err)
		default:
			return fmt.Errorf("dnspod %s: %w: %w", action, providers.ErrTransient, err)
		}
	}
	defer func() { _ = resp.Body.Close() }()
	bb, _ := resp.Body.(*bufferedBody)
	var body []byte
	var rerr error
	if bb != nil {
		body = bb.data
	} else {
		body, rerr = readBody(resp)
	}
	if rerr != nil {
		if write {
			return fmt.Errorf("dnspod %s: %w: reading answer: %w", action, providers.ErrOutcomeUnknown, rerr)
		}
		return fmt.Errorf("dnspod %s: %w: reading answer: %w", action, providers.ErrTransient, rerr)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{Action: action, HTTPStatus: resp.StatusCode, Message: httpMessage(resp, body)}
		c.log.Debug("dnspod call", "action", action, "attempts", st.n, "http", resp.StatusCode, "dur", time.Since(start))
		if write && st.unknown {
			return fmt.Errorf("dnspod %s: %w: %w", action, providers.ErrOutcomeUnknown, e)
		}
		return e
	}
	var env envelope
	if bb != nil {
		env, err = bb.env, bb.envErr
	} else {
		err = json.Unmarshal(body, &env)
	}
	if err != nil || env.Status.Code == "" {
		if err == nil {
			err = errors.New("no status in answer")
		}
		if write {
			return fmt.Errorf("dnspod %s: %w: undecodable answer: %w", action, providers.ErrOutcomeUnknown, err)
		}
		return fmt.Errorf("dnspod %s: undecodable answer (HTTP %d, %s): %w", action, resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	code := env.Status.Code.IntOr(math.MinInt)
	c.log.Debug("dnspod call", "action", action, "attempts", st.n, "code", env.Status.Code.String(), "dur", time.Since(start))
	if code != CodeOK {
		if code == math.MinInt {
			code = 0
		}
		return &Error{Code: code, Message: env.Status.Message, Action: action, HTTPStatus: resp.StatusCode}
	}
	if out != nil && (bb == nil || bb.out != out) {
		if err := json.Unmarshal(body, out); err != nil {
			if write {
				return fmt.Errorf("dnspod %s: %w: undecodable answer: %w", action, providers.ErrOutcomeUnknown, err)
			}
			return fmt.Errorf("dnspod %s: decoding answer: %w", action, err)
		}
	}
	return nil
}

// httpMessage describes a non-2xx answer. A JSON envelope's message is used
// when present; an HTML page (nginx's 401) is only summarised.
func httpMessage(resp *http.Response, body []byte) string {
	var env envelope
	if json.Unmarshal(body, &env) == nil && env.Status.Message != "" {
		return env.Status.Message
	}
	msg := http.StatusText(resp.StatusCode)
	if resp.StatusCode == http.StatusUnauthorized {
		msg += " (login failed: check the token)"
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		msg += " [" + ct + "]"
	}
	return msg
}

// itoa is strconv.Itoa, short for building forms.
func itoa(n int) string { return strconv.Itoa(n) }
