// Package tencentcloud is a client of DNSPod on Tencent Cloud API 3.0
// (service "dnspod", version 2021-03-23): TC3-signed JSON calls for reading
// domains, lines, limits and records, the asynchronous batch writes
// (CreateRecordBatch, ModifyRecordBatch, ModifyRecordBatchV3,
// DeleteRecordBatch) with their task reports (DescribeBatchTask), and the
// synchronous single-record writes. Records come back as canonical
// model.Records; the conversions live in convert.go.
//
// It is self-contained on purpose: a provider adapter builds on Client
// without this package knowing the plan format. tencentcloudtest is the
// emulator its tests (and later the sandbox) run against; tc3 holds the
// signature both share.
//
// Safety rule: a call is retried only when it provably did nothing — the
// request never left the client (connection refused, limiter), or the
// service answered with a frequency refusal (RequestLimitExceeded…). Reads
// are retried on other transient failures too. A write whose request was
// sent and then failed (5xx, reset, timeout, InternalError) returns an error
// wrapping providers.ErrOutcomeUnknown and is never resent: the caller
// re-reads live state before deciding.
package tencentcloud

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
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/dnssync/dnssync/internal/providers"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud/tc3"
)

// Protocol constants.
const (
	Service = "dnspod"
	Version = "2021-03-23"
	// DefaultEndpoint is the China site; the international site is
	// dnspod.intl.tencentcloudapi.com (spec §1.1).
	DefaultEndpoint = "https://dnspod.tencentcloudapi.com"
	IntlEndpoint    = "https://dnspod.intl.tencentcloudapi.com"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultTimeout         = 30 * time.Second
	DefaultMaxRetries      = 4
	DefaultMinBackoff      = 250 * time.Millisecond
	DefaultMaxBackoff      = 10 * time.Second
	DefaultThrottleBackoff = time.Second
	DefaultPageSize        = 3000 // the documented maximum of DescribeRecordList
	MaxPageSize            = 3000
	DefaultListConcurrency = 4
	DefaultMaxBatchRecords = 5000 // records per batch task (JobGreaterThanLimit)
	DefaultMaxDeleteIDs    = 2000 // DeleteRecordBatch: documented recommendation
	DefaultMinTTL          = 600  // free grade, when the domain's purview does not say
	DefaultRate            = 20.0 // requests/second of actions the spec gives no rate for
	maxBody                = 64 << 20
)

// ActionRates are the documented per-action rate limits in requests per
// second (spec §4). Actions not listed use DefaultRate.
func ActionRates() map[string]float64 {
	return map[string]float64{
		"CreateRecord": 500, "ModifyRecord": 500, "DeleteRecord": 500,
		"DescribeRecord": 200, "DescribeRecordList": 100,
		"DescribeRecordFilterList": 20, "DescribeRecordType": 20, "DescribeRecordLineList": 20,
		"DescribePackageDetail": 20, "DescribeDomainPurview": 20, "DescribeDomain": 20,
		"DescribeDomainList": 20, // UNVERIFIED (spec §3.1)
		"CreateRecordBatch":  20, "ModifyRecordBatch": 20, "ModifyRecordBatchV3": 20,
		"DeleteRecordBatch": 20, "DescribeBatchTask": 20,
	}
}

// MaxActionRate is the highest of ActionRates.
func MaxActionRate() float64 {
	m := DefaultRate
	for _, r := range ActionRates() {
		m = max(m, r)
	}
	return m
}

// Options configure a Client. Zero fields take the defaults above.
type Options struct {
	// Endpoint is a URL or a host[:port] (then HTTPS). Plain http:// is
	// accepted for loopback hosts only (the local emulator).
	Endpoint    string
	Credentials Credentials
	// Region, when set, is sent as X-TC-Region; dnspod ignores it.
	Region string
	// Language of the service's messages: "en-US" (default) or "zh-CN".
	Language string
	// SignAction also signs X-TC-Action (as some clients do); the default
	// signs content-type;host like the official SDK.
	SignAction bool

	// RootCAs replaces the system roots; CAFile adds a PEM file's
	// certificates to them (or to RootCAs). HTTPClient is used as the base
	// client instead and cannot be combined with either.
	RootCAs    *x509.CertPool
	CAFile     string
	HTTPClient *http.Client
	// Timeout bounds one attempt (request and answer).
	Timeout time.Duration

	// Rates overrides ActionRates per action (requests/second); a negative
	// value means unlimited. RateScale multiplies every rate (default 1);
	// a negative RateScale disables client-side limiting altogether.
	Rates     map[string]float64
	RateScale float64

	// MaxRetries is the number of retries after the first attempt of a
	// retryable call; negative means none. Back-off is capped exponential
	// with jitter between MinBackoff and MaxBackoff; ThrottleBackoff is the
	// first wait after a frequency refusal.
	MaxRetries      int
	MinBackoff      time.Duration
	MaxBackoff      time.Duration
	ThrottleBackoff time.Duration

	// PageSize is DescribeRecordList's and DescribeDomainList's Limit
	// (≤ 3000); ListConcurrency how many record pages are in flight.
	PageSize        int
	ListConcurrency int
	// SortField, when set, is sent with DescribeRecordList (the default
	// order is UNVERIFIED; rows are de-duplicated by RecordId either way).
	SortField string

	// MaxBatchRecords and MaxDeleteIDs are refused locally before sending.
	MaxBatchRecords int
	MaxDeleteIDs    int
	// DefaultMinTTL is used when DescribeDomainPurview does not say.
	DefaultMinTTL int
	// Lines maps line names to ids for writes; nil means DefaultLineIDs.
	Lines map[string]string
	// LowerCaseBatchStatus spells ModifyRecordBatch's status values
	// "enable"/"disable" (legacy) instead of "ENABLE"/"DISABLE"; which one
	// the service wants is UNVERIFIED.
	LowerCaseBatchStatus bool

	Logger *slog.Logger
	// Now is the clock for X-TC-Timestamp; tests pin it.
	Now func() time.Time
}

// Client is a dnspod API 3.0 client, safe for concurrent use.
type Client struct {
	opts     Options
	endpoint *url.URL
	host     string
	hc       *http.Client
	limits   map[string]*rate.Limiter // per action; nil entry = unlimited
	defLimit *rate.Limiter
	log      *slog.Logger
}

// New validates opts, applies defaults and builds a Client.
func New(opts Options) (*Client, error) {
	if err := opts.Credentials.validate("Options.Credentials"); err != nil {
		return nil, err
	}
	u, err := parseEndpoint(opts.Endpoint)
	if err != nil {
		return nil, err
	}
	applyDefaults(&opts)
	hc, err := buildHTTPClient(opts)
	if err != nil {
		return nil, err
	}
	c := &Client{opts: opts, endpoint: u, host: u.Host, hc: hc, log: opts.Logger, limits: map[string]*rate.Limiter{}}
	if opts.RateScale > 0 {
		rates := ActionRates()
		for a, r := range opts.Rates {
			rates[a] = r
		}
		for a, r := range rates {
			if r > 0 {
				c.limits[a] = newLimiter(r * opts.RateScale)
			} else {
				c.limits[a] = nil
			}
		}
		c.defLimit = newLimiter(DefaultRate * opts.RateScale)
	}
	return c, nil
}

// newLimiter paces r requests per second with a bucket of a tenth of a
// second's worth: concurrent page reads start together, the rate holds.
func newLimiter(r float64) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(r), max(1, int(r/10)))
}

func applyDefaults(o *Options) {
	if o.Language == "" {
		o.Language = "en-US"
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.RateScale == 0 {
		o.RateScale = 1
	}
	switch {
	case o.MaxRetries == 0:
		o.MaxRetries = DefaultMaxRetries
	case o.MaxRetries < 0:
		o.MaxRetries = 0
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	o.MaxBackoff = max(o.MaxBackoff, o.MinBackoff)
	if o.ThrottleBackoff <= 0 {
		o.ThrottleBackoff = DefaultThrottleBackoff
	}
	if o.PageSize <= 0 || o.PageSize > MaxPageSize {
		o.PageSize = DefaultPageSize
	}
	if o.ListConcurrency <= 0 {
		o.ListConcurrency = DefaultListConcurrency
	}
	if o.MaxBatchRecords <= 0 {
		o.MaxBatchRecords = DefaultMaxBatchRecords
	}
	if o.MaxDeleteIDs <= 0 {
		o.MaxDeleteIDs = DefaultMaxDeleteIDs
	}
	if o.DefaultMinTTL <= 0 {
		o.DefaultMinTTL = DefaultMinTTL
	}
	if o.Lines == nil {
		o.Lines = DefaultLineIDs()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// parseEndpoint accepts "https://host[:port]", "host[:port]" (HTTPS) and,
// for loopback hosts only, "http://host:port". The API path is always "/".
func parseEndpoint(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = DefaultEndpoint
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("tencentcloud: endpoint %q is not a URL", short(s))
	}
	switch {
	case u.Host == "":
		return nil, fmt.Errorf("tencentcloud: endpoint %q has no host", short(s))
	case u.User != nil, u.RawQuery != "", u.Fragment != "", u.Path != "" && u.Path != "/":
		return nil, fmt.Errorf("tencentcloud: endpoint %q: only scheme://host[:port] is allowed", short(u.Host))
	case u.Scheme == "https":
	case u.Scheme == "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("tencentcloud: endpoint %s: plain http is only allowed for loopback hosts", short(u.Host))
		}
	default:
		return nil, fmt.Errorf("tencentcloud: endpoint %s: scheme must be https", short(u.Host))
	}
	u.Path = "/"
	return u, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func buildHTTPClient(o Options) (*http.Client, error) {
	if o.HTTPClient != nil {
		if o.RootCAs != nil || o.CAFile != "" {
			return nil, errors.New("tencentcloud: RootCAs/CAFile cannot be combined with HTTPClient; configure its transport instead")
		}
		hc := *o.HTTPClient
		if hc.Timeout == 0 {
			hc.Timeout = o.Timeout
		}
		return &hc, nil
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	pool := o.RootCAs
	if o.CAFile != "" {
		var err error
		if pool, err = providers.RootPool(o.RootCAs, o.CAFile); err != nil {
			return nil, fmt.Errorf("tencentcloud: %w", err)
		}
	}
	if pool != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: o.Timeout}, nil
}

// Endpoint is the base URL the client talks to.
func (c *Client) Endpoint() string { return c.endpoint.String() }

// Options returns the effective options.
func (c *Client) Options() Options { return c.opts }

func (c *Client) limiter(action string) *rate.Limiter {
	if c.opts.RateScale <= 0 {
		return nil
	}
	if l, ok := c.limits[action]; ok {
		return l
	}
	return c.defLimit
}

// writeActions change state: their failures after sending are unknown
// outcomes, never retried.
func isWrite(action string) bool {
	return strings.HasPrefix(action, "Create") || strings.HasPrefix(action, "Modify") || strings.HasPrefix(action, "Delete")
}

// envelope is every answer: Response with the action's fields, or with
// Error, and RequestId.
type envelope struct {
	Response json.RawMessage `json:"Response"`
}

type errorBody struct {
	Error *struct {
		Code    string `json:"Code"`
		Message string `json:"Message"`
	} `json:"Error"`
	RequestID string `json:"RequestId"`
}

// attemptResult is one attempt's outcome for the retry loop.
type attemptResult struct {
	retry     bool  // may be sent again
	unknown   bool  // a write may have been carried out
	err       error // final error when not retried
	throttled bool
}

// call performs action with params (marshalled to the JSON body; nil sends
// {}) and decodes Response into out (may be nil).
func (c *Client) call(ctx context.Context, action string, params, out any) error {
	body := []byte("{}")
	if params != nil {
		var err error
		if body, err = json.Marshal(params); err != nil {
			return fmt.Errorf("tencentcloud dnspod %s: encoding parameters: %w", action, err)
		}
	}
	write := isWrite(action)
	var last attemptResult
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			d := c.backoff(attempt, last.throttled)
			c.log.Debug("tencentcloud retry", "action", action, "attempt", attempt+1, "wait", d)
			if err := sleep(ctx, d); err != nil {
				return fmt.Errorf("tencentcloud dnspod %s: %w (after: %w)", action, err, last.err)
			}
		}
		if l := c.limiter(action); l != nil {
			if err := l.Wait(ctx); err != nil {
				return fmt.Errorf("tencentcloud dnspod %s: rate limiter: %w", action, err)
			}
		}
		last = c.attempt(ctx, action, body, write, out)
		switch {
		case last.err == nil:
			return nil
		case last.unknown:
			return fmt.Errorf("tencentcloud dnspod %s: %w: %w", action, providers.ErrOutcomeUnknown, last.err)
		case !last.retry || attempt >= c.opts.MaxRetries || ctx.Err() != nil:
			return last.err
		}
	}
}

// attempt sends one signed request and classifies the answer.
func (c *Client) attempt(ctx context.Context, action string, body []byte, write bool, out any) attemptResult {
	req, err := c.newRequest(ctx, action, body)
	if err != nil {
		return attemptResult{err: fmt.Errorf("tencentcloud dnspod %s: %w", action, err)}
	}
	var sent atomic.Bool
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		WroteHeaders: func() { sent.Store(true) },
	}))
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.transportFailure(ctx, action, write, sent.Load(), err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if rerr != nil {
		werr := fmt.Errorf("tencentcloud dnspod %s: reading answer: %w: %w", action, providers.ErrTransient, rerr)
		return attemptResult{retry: !write, unknown: write, err: werr}
	}
	if resp.StatusCode != http.StatusOK {
		// The service answers every request it processed with 200 (spec
		// §2.1); anything else comes from in front of it.
		herr := fmt.Errorf("tencentcloud dnspod %s: HTTP %d %s: %w", action, resp.StatusCode, contentKind(resp), providers.ErrTransient)
		c.log.Debug("tencentcloud answer", "action", action, "http", resp.StatusCode, "dur", time.Since(start))
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			return attemptResult{retry: true, throttled: true, err: herr}
		case resp.StatusCode >= 500:
			return attemptResult{retry: !write, unknown: write, err: herr}
		default:
			return attemptResult{err: fmt.Errorf("tencentcloud dnspod %s: HTTP %d %s", action, resp.StatusCode, contentKind(resp))}
		}
	}
	var env envelope
	var eb errorBody
	if err := json.Unmarshal(data, &env); err != nil || len(env.Response) == 0 || json.Unmarshal(env.Response, &eb) != nil {
		derr := fmt.Errorf("tencentcloud dnspod %s: undecodable answer (%s): %w", action, contentKind(resp), providers.ErrTransient)
		return attemptResult{retry: !write, unknown: write, err: derr}
	}
	if eb.Error != nil {
		e := &APIError{Code: eb.Error.Code, Message: c.clean(eb.Error.Message), RequestID: eb.RequestID, Action: action}
		c.log.Debug("tencentcloud answer", "action", action, "code", e.Code, "request_id", e.RequestID, "dur", time.Since(start))
		switch {
		case e.notProcessed():
			return attemptResult{retry: true, throttled: isThrottle(e.Code), err: e}
		case write && e.outcomeUnknown():
			return attemptResult{unknown: true, err: e}
		case !write && e.readRetryable():
			return attemptResult{retry: true, err: e}
		}
		return attemptResult{err: e}
	}
	c.log.Debug("tencentcloud answer", "action", action, "request_id", eb.RequestID, "dur", time.Since(start))
	if out != nil {
		if err := json.Unmarshal(env.Response, out); err != nil {
			derr := fmt.Errorf("tencentcloud dnspod %s: decoding answer (request %s): %w", action, eb.RequestID, err)
			// A write was answered with success, so it happened, but what
			// it returned (a JobId) is lost: the caller must re-read.
			return attemptResult{unknown: write, err: derr}
		}
	}
	return attemptResult{}
}

// newRequest builds and signs one attempt; every attempt is signed anew
// with the current time.
func (c *Client) newRequest(ctx context.Context, action string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	ts := c.opts.Now().Unix()
	const ct = "application/json"
	signed := map[string]string{"content-type": ct, "host": c.host}
	if c.opts.SignAction {
		signed["x-tc-action"] = action
	}
	steps := tc3.Compute(tc3.Input{Method: http.MethodPost, Headers: signed, Payload: body, Service: Service, Timestamp: ts},
		c.opts.Credentials.SecretKey.Reveal())
	req.Host = c.host
	h := req.Header
	h.Set("Content-Type", ct)
	h.Set("X-TC-Action", action)
	h.Set("X-TC-Version", Version)
	h.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	h.Set("X-TC-Language", c.opts.Language)
	if c.opts.Region != "" {
		h.Set("X-TC-Region", c.opts.Region)
	}
	if tok := c.opts.Credentials.SessionToken.Reveal(); tok != "" {
		h.Set("X-TC-Token", tok)
	}
	h.Set("Authorization", tc3.Authorization(c.opts.Credentials.SecretID, steps))
	return req, nil
}

// transportFailure classifies an error of http.Client.Do.
func (c *Client) transportFailure(ctx context.Context, action string, write, sent bool, err error) attemptResult {
	err = redactedError{msg: c.clean(err.Error()), err: err}
	switch {
	case write && sent && !notSent(err):
		return attemptResult{unknown: true, err: err}
	case ctx.Err() != nil:
		return attemptResult{err: fmt.Errorf("tencentcloud dnspod %s: %w", action, ctx.Err())}
	case permanentTransport(err):
		return attemptResult{err: fmt.Errorf("tencentcloud dnspod %s: %w", action, err)}
	}
	return attemptResult{retry: true, err: fmt.Errorf("tencentcloud dnspod %s: %w: %w", action, providers.ErrTransient, err)}
}

// notSent reports whether a transport error happened before the request
// could have reached the server.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || permanentTransport(err)
}

// permanentTransport reports TLS verification failures: retrying is pointless.
func permanentTransport(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn)
}

// redactedError keeps the chain of an error (for errors.Is/As) while its
// text has been cleaned of secrets.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }

// clean removes the secret key and session token from text that came
// from elsewhere (server messages, transport errors) and caps its length.
func (c *Client) clean(s string) string {
	for _, secret := range []string{c.opts.Credentials.SecretKey.Reveal(), c.opts.Credentials.SessionToken.Reveal()} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	const maxMsg = 300
	if r := []rune(s); len(r) > maxMsg {
		s = string(r[:maxMsg]) + "…"
	}
	return s
}

func contentKind(resp *http.Response) string {
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		return "no content type"
	}
	return short(ct)
}

// backoff is capped exponential back-off with jitter; frequency refusals
// start from ThrottleBackoff.
func (c *Client) backoff(attempt int, throttled bool) time.Duration {
	base := c.opts.MinBackoff
	if throttled {
		base = max(base, c.opts.ThrottleBackoff)
	}
	d := c.opts.MaxBackoff
	if attempt < 30 {
		if e := base << (attempt - 1); e > 0 && e < d {
			d = e
		}
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
