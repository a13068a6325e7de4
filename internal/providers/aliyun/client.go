package aliyun

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dnssync/dnssync/internal/backoff"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"

	"github.com/dnssync/dnssync/internal/providers"
)

// Protocol constants.
const (
	// DefaultEndpoint is the China-site endpoint of product Domain. The
	// international site uses https://domain-intl.aliyuncs.com (spec §1.1).
	DefaultEndpoint = "https://domain.aliyuncs.com"
	// APIVersion is the Version parameter of every call.
	APIVersion = "2018-01-29"
	// TimestampLayout is the Timestamp parameter format (UTC, literal Z).
	TimestampLayout = "2006-01-02T15:04:05Z"
	// MaxTaskDetailPageSize is the documented PageSize ceiling of
	// QueryTaskDetailList.
	MaxTaskDetailPageSize = 1000
)

// Defaults applied by New to zero Options fields.
const (
	DefaultRateLimit  = 10.0 // requests per second (no published quota; UNVERIFIED)
	DefaultBurst      = 5
	DefaultMaxRetries = 4
	DefaultMinBackoff = 200 * time.Millisecond
	DefaultMaxBackoff = 10 * time.Second
	DefaultTimeout    = 30 * time.Second
	DefaultBatchSize  = 100 // domains per SaveBatchTaskForModifyingDomainDns (UNVERIFIED limit)
	DefaultPageSize   = 100
	// maxRetryAfter caps a server-requested x-acs-retry-after wait.
	maxRetryAfter = time.Minute
	// maxBody bounds how much of a response is read.
	maxBody = 8 << 20
)

// DNSNameStyle says how DnsName is sent in the DNS host operations. Whether
// the API expects the label ("ns1") or the full name ("ns1.example.com") is
// UNVERIFIED (spec §3.9); reading accepts both.
type DNSNameStyle string

// DNS name styles.
const (
	DNSNameLabel DNSNameStyle = "label" // "ns1" for ns1.example.com (default; the docs' examples)
	DNSNameFQDN  DNSNameStyle = "fqdn"  // "ns1.example.com"
)

// Options configure a Client. Zero fields take the defaults above.
type Options struct {
	// Endpoint is a URL ("https://domain.aliyuncs.com") or a host[:port]
	// (then HTTPS). Plain http:// is used only when written explicitly.
	Endpoint string

	AccessKeyID     string
	AccessKeySecret string // never logged, never in errors
	SecurityToken   string // STS token, optional; never logged, never in errors

	// RootCAs replaces the system roots for HTTPS (e.g. the sandbox's CA).
	RootCAs *x509.CertPool
	// CAFile is a PEM file whose certificates are added to the system roots.
	CAFile string
	// HTTPClient is used as the base client (its Transport is wrapped by the
	// rate limiter). It cannot be combined with RootCAs or CAFile.
	HTTPClient *http.Client

	// RateLimit is the client-side request rate per second (every attempt
	// counts); Burst its bucket size. A negative RateLimit disables it.
	RateLimit float64
	Burst     int

	// MaxRetries is the number of retries after the first attempt; negative
	// means none. MinBackoff/MaxBackoff bound the capped exponential backoff
	// (with jitter) between attempts.
	MaxRetries int
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// Timeout bounds one HTTP attempt.
	Timeout time.Duration

	// BatchSize is the most domains one SaveBatchTaskForModifyingDomainDns
	// may carry; PageSize the page size of the list reads.
	BatchSize int
	PageSize  int

	// Lang ("en" or "zh") selects the language of error messages; RegionID,
	// when set, is sent as RegionId (the official SDK always sends one).
	Lang     string
	RegionID string

	Logger *slog.Logger
	// Now is the clock for Timestamp; tests pin it.
	Now func() time.Time

	// DNSNameStyle selects how DnsName is sent (default DNSNameLabel).
	DNSNameStyle DNSNameStyle
	// AliyunDNSSuffixes are the name-server suffixes that mean "Alibaba
	// Cloud DNS" when reading a domain (default alidns.com, hichina.com).
	AliyunDNSSuffixes []string
}

// String never shows the secret or the token.
func (o Options) String() string {
	return fmt.Sprintf("aliyun.Options{Endpoint:%q AccessKeyID:%q AccessKeySecret:%s SecurityToken:%s}",
		o.Endpoint, o.AccessKeyID, redactedMark(o.AccessKeySecret), redactedMark(o.SecurityToken))
}

// LogValue keeps credentials out of structured logs.
func (o Options) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("endpoint", o.Endpoint),
		slog.String("access_key_id", o.AccessKeyID),
		slog.String("access_key_secret", redactedMark(o.AccessKeySecret)),
		slog.String("security_token", redactedMark(o.SecurityToken)),
	)
}

func redactedMark(s string) string {
	if s == "" {
		return "(unset)"
	}
	return "(redacted)"
}

// Client calls the Domain API. It is safe for concurrent use.
type Client struct {
	opts     Options
	endpoint string
	rc       *retryablehttp.Client
	log      *slog.Logger
	nonce    func() string // newNonce; tests pin it
}

// New validates opts, applies defaults and builds a Client.
func New(opts Options) (*Client, error) {
	if opts.AccessKeyID == "" || opts.AccessKeySecret == "" {
		return nil, errors.New("aliyun: access key id and secret are required")
	}
	ep, err := parseEndpoint(opts.Endpoint)
	if err != nil {
		return nil, err
	}
	applyDefaults(&opts)
	hc, err := buildHTTPClient(opts)
	if err != nil {
		return nil, err
	}
	limit := rate.Limit(opts.RateLimit)
	if opts.RateLimit < 0 {
		limit = rate.Inf
	}
	hc.Transport = &limitedTransport{base: hc.Transport, lim: rate.NewLimiter(limit, opts.Burst)}

	c := &Client{opts: opts, endpoint: ep, log: opts.Logger, nonce: newNonce}
	retries := opts.MaxRetries
	if retries < 0 {
		retries = 0
	}
	c.rc = &retryablehttp.Client{
		HTTPClient:     hc,
		RetryWaitMin:   opts.MinBackoff,
		RetryWaitMax:   opts.MaxBackoff,
		RetryMax:       retries,
		RequestLogHook: c.signAttempt,
		CheckRetry:     c.checkRetry,
		Backoff:        c.backoff,
		ErrorHandler:   retryablehttp.PassthroughErrorHandler,
	}
	return c, nil
}

// Endpoint returns the base URL the client talks to.
func (c *Client) Endpoint() string { return c.endpoint }

// BatchSize is the largest domain list one SaveBatchTaskForModifyingDomainDns
// call may carry.
func (c *Client) BatchSize() int { return c.opts.BatchSize }

func applyDefaults(o *Options) {
	if o.RateLimit == 0 {
		o.RateLimit = DefaultRateLimit
	}
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = DefaultMaxRetries
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DNSNameStyle == "" {
		o.DNSNameStyle = DNSNameLabel
	}
	if len(o.AliyunDNSSuffixes) == 0 {
		o.AliyunDNSSuffixes = []string{"alidns.com", "hichina.com"}
	}
}

// parseEndpoint turns the configured endpoint into "scheme://host[:port]/".
func parseEndpoint(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = DefaultEndpoint
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("aliyun: endpoint %q: %w", s, err)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return "", fmt.Errorf("aliyun: endpoint %q: scheme must be https or http", s)
	case u.Host == "":
		return "", fmt.Errorf("aliyun: endpoint %q: no host", s)
	case u.User != nil, u.RawQuery != "", u.Fragment != "":
		return "", fmt.Errorf("aliyun: endpoint %q: only scheme://host[:port] is allowed", s)
	case u.Path != "" && u.Path != "/":
		return "", fmt.Errorf("aliyun: endpoint %q: the API path is always /", s)
	}
	return u.Scheme + "://" + u.Host + "/", nil
}

func buildHTTPClient(o Options) (*http.Client, error) {
	if o.HTTPClient != nil {
		if o.RootCAs != nil || o.CAFile != "" {
			return nil, errors.New("aliyun: RootCAs/CAFile cannot be combined with HTTPClient; configure its transport instead")
		}
		hc := *o.HTTPClient
		if hc.Transport == nil {
			hc.Transport = http.DefaultTransport
		}
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
			return nil, fmt.Errorf("aliyun: %w", err)
		}
	}
	if pool != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: o.Timeout}, nil
}

// limitedTransport applies the client-side rate limit to every attempt.
type limitedTransport struct {
	base http.RoundTripper
	lim  *rate.Limiter
}

// errNotSent marks a failure that happened before any byte left the client.
type errNotSent struct{ err error }

func (e *errNotSent) Error() string { return "request not sent: " + e.err.Error() }
func (e *errNotSent) Unwrap() error { return e.err }

func (t *limitedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := t.lim.Wait(r.Context()); err != nil {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, &errNotSent{err}
	}
	return t.base.RoundTrip(r)
}

func (t *limitedTransport) CloseIdleConnections() {
	if ci, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// callState travels in the request context so the per-attempt hooks of the
// shared retryablehttp client know which call they serve.
type callState struct {
	action string
	params map[string]string
	write  bool
}

type callKey struct{}

func stateFrom(ctx context.Context) *callState {
	st, _ := ctx.Value(callKey{}).(*callState)
	return st
}

// signAttempt runs before every attempt (retryablehttp's RequestLogHook):
// it builds the body with a fresh nonce and timestamp and signs it, so a
// retry is never a replay.
func (c *Client) signAttempt(_ retryablehttp.Logger, r *http.Request, attempt int) {
	st := stateFrom(r.Context())
	if st == nil {
		return
	}
	body, nonce, sig := c.signedBody(st)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	r.ContentLength = int64(len(body))
	c.log.Debug("aliyun request", "action", st.action, "attempt", attempt+1, "nonce", nonce, "signature", sig)
}

func (c *Client) signedBody(st *callState) (body []byte, nonce, sig string) {
	p := make(map[string]string, len(st.params)+12)
	maps.Copy(p, st.params)
	nonce = c.nonce()
	p["Action"] = st.action
	p["Version"] = APIVersion
	p["Format"] = "JSON"
	p["AccessKeyId"] = c.opts.AccessKeyID
	p["SignatureMethod"] = "HMAC-SHA1"
	p["SignatureVersion"] = "1.0"
	p["SignatureNonce"] = nonce
	p["SignatureType"] = "" // sent empty, as the official SDK does
	p["Timestamp"] = c.opts.Now().UTC().Format(TimestampLayout)
	if c.opts.SecurityToken != "" {
		p["SecurityToken"] = c.opts.SecurityToken
	}
	if c.opts.Lang != "" {
		p["Lang"] = c.opts.Lang
	}
	if c.opts.RegionID != "" {
		p["RegionId"] = c.opts.RegionID
	}
	sig = Sign(http.MethodPost, p, c.opts.AccessKeySecret)
	v := make(url.Values, len(p)+1)
	for k, val := range p {
		v.Set(k, val)
	}
	v.Set("Signature", sig)
	return []byte(v.Encode()), nonce, sig
}

// newNonce returns a random UUID-shaped nonce.
func newNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// checkRetry is the retry policy. Reads retry on every transient failure.
// Writes retry only when the server certainly did not act: a throttling,
// Busy or ServiceUnavailable answer below HTTP 500, or a transport failure
// before the request was sent (dial error, connection refused, limiter).
// Any 5xx to a write leaves its outcome unknown (spec §4.3).
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	st := stateFrom(ctx)
	write := st != nil && st.write
	if err != nil {
		if ctx.Err() != nil || permanentTransport(err) {
			return false, nil
		}
		if write && !notSent(err) {
			return false, nil // outcome unknown: never repeat blindly
		}
		return true, nil
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	e := peekError(resp)
	if ctx.Err() != nil {
		return false, nil
	}
	if e.notProcessed() || (!write && e.readRetryable()) {
		if st != nil {
			c.log.Debug("aliyun retry", "action", st.action, "status", resp.StatusCode, "code", e.Code)
		}
		return true, nil
	}
	return false, nil
}

// backoff is capped exponential backoff with jitter; a positive
// x-acs-retry-after header (milliseconds) is honoured instead.
func (c *Client) backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if v := strings.TrimSpace(resp.Header.Get("x-acs-retry-after")); v != "" {
			if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
				d := time.Duration(ms) * time.Millisecond
				return min(d, max(maxWait, maxRetryAfter))
			}
		}
	}
	return backoff.Jitter(backoff.Delay(minWait, maxWait, attempt), nil)
}

// permanentTransport reports TLS verification failures: retrying is pointless.
func permanentTransport(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn)
}

// notSent reports whether a transport error happened before the request
// could have reached the server.
func notSent(err error) bool {
	var ns *errNotSent
	if errors.As(err, &ns) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var rh tls.RecordHeaderError
	return errors.As(err, &rh) || permanentTransport(err)
}

// peekError parses an error answer and puts the body back so the final
// classification can read it again.
func peekError(resp *http.Response) *Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return parseError("", resp, body)
}

type wireError struct {
	RequestId string
	HostId    string
	Code      string
	Message   string
	Recommend string
}

func parseError(action string, resp *http.Response, body []byte) *Error {
	e := &Error{Action: action, HTTPStatus: resp.StatusCode}
	var w wireError
	if err := json.Unmarshal(body, &w); err == nil && (w.Code != "" || w.RequestId != "") {
		e.Code, e.Message, e.RequestID, e.HostID, e.Recommend = w.Code, w.Message, w.RequestId, w.HostId, w.Recommend
	} else {
		msg := strings.TrimSpace(string(body))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		e.Message = msg
	}
	if resp.StatusCode == http.StatusTooManyRequests && e.Code == "" {
		e.Code = CodeThrottling
	}
	return e
}

// redact removes the security token (and, defensively, the secret) from
// text that came back from the server, in every encoding it may take there.
func (c *Client) redact(s string) string {
	for _, secret := range []string{c.opts.SecurityToken, c.opts.AccessKeySecret} {
		if secret == "" {
			continue
		}
		enc := PercentEncode(secret)
		for _, form := range []string{PercentEncode(enc), enc, url.QueryEscape(secret), secret} {
			s = strings.ReplaceAll(s, form, "[redacted]")
		}
	}
	return s
}

// call performs one API operation: params are the operation parameters
// (the common ones are added per attempt), out receives the JSON answer.
func (c *Client) call(ctx context.Context, action string, params map[string]string, write bool, out any) error {
	st := &callState{action: action, params: params, write: write}
	ctx = providers.WithOperation(ctx, action) // metrics and logs name the call by it
	req, err := retryablehttp.NewRequestWithContext(context.WithValue(ctx, callKey{}, st), http.MethodPost, c.endpoint, nil)
	if err != nil {
		return fmt.Errorf("aliyun: %s: %w", action, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("x-acs-action", action)
	req.Header.Set("x-acs-version", APIVersion)

	resp, err := c.rc.Do(req)
	if err != nil {
		if resp != nil {
			_ = resp.Body.Close()
		}
		return c.transportError(ctx, action, write, err)
	}
	defer resp.Body.Close()
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		e := parseError(action, resp, body)
		e.Message = c.redact(e.Message)
		c.log.Debug("aliyun error", "action", action, "status", e.HTTPStatus, "code", e.Code, "request_id", e.RequestID)
		if write && e.outcomeUnknown() {
			return fmt.Errorf("aliyun: %s: %w: %w", action, providers.ErrOutcomeUnknown, e)
		}
		return e
	}
	if rerr == nil {
		rerr = json.Unmarshal(body, out)
	}
	if rerr != nil {
		if write {
			// The server answered 2xx, so it probably acted, but we cannot
			// tell the task number: the caller must re-read.
			return fmt.Errorf("aliyun: %s: reading answer: %w: %w", action, providers.ErrOutcomeUnknown, rerr)
		}
		return fmt.Errorf("aliyun: %s: reading answer: %w: %w", action, providers.ErrTransient, rerr)
	}
	return nil
}

func (c *Client) transportError(ctx context.Context, action string, write bool, err error) error {
	var ue *url.Error
	fromTransport := errors.As(err, &ue)
	msg := c.redact(err.Error())
	switch {
	case write && fromTransport && !notSent(err):
		return fmt.Errorf("aliyun: %s: %w: %w", action, providers.ErrOutcomeUnknown, redactedError{msg, err})
	case ctx.Err() != nil:
		return fmt.Errorf("aliyun: %s: %w", action, ctx.Err())
	case permanentTransport(err):
		return fmt.Errorf("aliyun: %s: %w", action, redactedError{msg, err})
	default:
		return fmt.Errorf("aliyun: %s: %w: %w", action, providers.ErrTransient, redactedError{msg, err})
	}
}

// redactedError keeps the chain of a transport error (for errors.Is/As)
// while its text has passed through Client.redact.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }
