// Package tc3 implements Tencent Cloud API 3.0's request signature,
// TC3-HMAC-SHA256, as its documentation describes it step by step. Both
// sides use it: the dnspod client signs with Compute and Authorization, the
// emulator (tencentcloudtest) verifies with ParseAuthorization, Compute and
// Equal. It is a separate package so that the emulator need not depend on
// the client.
//
// Every intermediate value is exposed (Steps) so that the published test
// vectors can be checked one step at a time.
package tc3

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Protocol constants.
const (
	Algorithm       = "TC3-HMAC-SHA256"
	Terminator      = "tc3_request"
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	DateLayout      = "2006-01-02"
	// MaxSkew is how far X-TC-Timestamp may be from the server's clock.
	MaxSkew = 5 * time.Minute
)

// Input is everything a signature covers.
type Input struct {
	Method string // "POST" or "GET"
	// Query is the canonical query string (GET); "" for POST.
	Query string
	// Headers are the signed headers by name; names and values are
	// canonicalised here (lower-cased, trimmed), so callers may pass them as
	// sent. content-type and host are required.
	Headers map[string]string
	Payload []byte
	// Unsigned marks X-TC-Content-SHA256: UNSIGNED-PAYLOAD: the hash of that
	// literal replaces the hash of the body.
	Unsigned  bool
	Service   string // "dnspod"
	Timestamp int64  // X-TC-Timestamp, Unix seconds
}

// Steps are the intermediate and final values of one signature.
type Steps struct {
	HashedPayload          string
	CanonicalHeaders       string
	SignedHeaders          string
	CanonicalRequest       string
	HashedCanonicalRequest string
	Date                   string // UTC date of the timestamp
	CredentialScope        string
	StringToSign           string
	KDate, KService        []byte
	KSigning               []byte
	Signature              string
}

// Date is the credential-scope date of ts: the UTC calendar date. Local
// time would break calls around midnight east of UTC.
func Date(ts int64) string { return time.Unix(ts, 0).UTC().Format(DateLayout) }

// HashHex is the lower-case hex SHA-256 of b.
func HashHex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func mac(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// canonicalHeaders renders the signed headers: lower-case names sorted,
// values trimmed and lower-cased (the documented rule; clients that sign
// x-tc-action sign its lower-cased value).
func canonicalHeaders(h map[string]string) (block, names string) {
	keys := make([]string, 0, len(h))
	vals := make(map[string]string, len(h))
	for k, v := range h {
		lk := strings.ToLower(strings.TrimSpace(k))
		keys = append(keys, lk)
		vals[lk] = strings.ToLower(strings.TrimSpace(v))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(':')
		b.WriteString(vals[k])
		b.WriteByte('\n')
	}
	return b.String(), strings.Join(keys, ";")
}

// Compute runs the whole procedure for secretKey.
func Compute(in Input, secretKey string) Steps {
	var s Steps
	if in.Unsigned {
		s.HashedPayload = HashHex([]byte(UnsignedPayload))
	} else {
		s.HashedPayload = HashHex(in.Payload)
	}
	s.CanonicalHeaders, s.SignedHeaders = canonicalHeaders(in.Headers)
	s.CanonicalRequest = strings.Join([]string{in.Method, "/", in.Query, s.CanonicalHeaders, s.SignedHeaders, s.HashedPayload}, "\n")
	s.HashedCanonicalRequest = HashHex([]byte(s.CanonicalRequest))
	s.Date = Date(in.Timestamp)
	s.CredentialScope = s.Date + "/" + in.Service + "/" + Terminator
	s.StringToSign = Algorithm + "\n" + strconv.FormatInt(in.Timestamp, 10) + "\n" + s.CredentialScope + "\n" + s.HashedCanonicalRequest
	s.KDate = mac([]byte("TC3"+secretKey), s.Date)
	s.KService = mac(s.KDate, in.Service)
	s.KSigning = mac(s.KService, Terminator)
	s.Signature = hex.EncodeToString(mac(s.KSigning, s.StringToSign))
	return s
}

// Authorization is the header value for a signature by secretID.
func Authorization(secretID string, s Steps) string {
	return Algorithm + " Credential=" + secretID + "/" + s.CredentialScope +
		", SignedHeaders=" + s.SignedHeaders + ", Signature=" + s.Signature
}

// Auth is a parsed Authorization header.
type Auth struct {
	SecretID      string
	Date          string
	Service       string
	Terminator    string
	SignedHeaders []string // as listed (lower-case expected)
	Signature     string
}

// ErrMalformed is returned by ParseAuthorization for a header that is not
// a TC3 Authorization.
var ErrMalformed = errors.New("tc3: malformed Authorization header")

// ParseAuthorization reads "TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request,
// SignedHeaders=<a;b>, Signature=<hex>". Separators may carry spaces.
func ParseAuthorization(h string) (Auth, error) {
	var a Auth
	alg, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || alg != Algorithm {
		return a, fmt.Errorf("%w: algorithm is not %s", ErrMalformed, Algorithm)
	}
	parts := map[string]string{}
	for p := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			return a, fmt.Errorf("%w: part without '='", ErrMalformed)
		}
		if _, dup := parts[k]; dup {
			return a, fmt.Errorf("%w: %s given twice", ErrMalformed, k)
		}
		parts[k] = strings.TrimSpace(v)
	}
	cred, sh, sig := parts["Credential"], parts["SignedHeaders"], parts["Signature"]
	if cred == "" || sh == "" || sig == "" || len(parts) != 3 {
		return a, fmt.Errorf("%w: need exactly Credential, SignedHeaders and Signature", ErrMalformed)
	}
	// The SecretId cannot contain '/', so the last three fields are the scope.
	f := strings.Split(cred, "/")
	if len(f) != 4 || f[0] == "" {
		return a, fmt.Errorf("%w: Credential is not id/date/service/%s", ErrMalformed, Terminator)
	}
	a.SecretID, a.Date, a.Service, a.Terminator = f[0], f[1], f[2], f[3]
	a.SignedHeaders = strings.Split(sh, ";")
	a.Signature = sig
	return a, nil
}

// Equal compares two hex signatures in constant time.
func Equal(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }
