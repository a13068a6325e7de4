package aliyun

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"sort"
	"strings"
)

// PercentEncode encodes s as the RPC signature requires (RFC 3986): the
// unreserved characters A-Z a-z 0-9 - _ . ~ stay, every other byte of the
// UTF-8 form becomes %XY with upper-case hex. A space is %20, never "+".
func PercentEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0x0f])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// CanonicalQuery is the canonicalized query string of params: every pair
// (the "Signature" parameter excluded, empty values kept) percent-encoded
// and sorted by name in byte order, joined with "&".
func CanonicalQuery(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k == "Signature" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys) // byte order: "DomainName.10" < "DomainName.2"
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(PercentEncode(k))
		b.WriteByte('=')
		b.WriteString(PercentEncode(params[k]))
	}
	return b.String()
}

// StringToSign is METHOD&%2F&percentEncode(canonical query).
func StringToSign(method string, params map[string]string) string {
	return method + "&%2F&" + PercentEncode(CanonicalQuery(params))
}

// Sign returns the Base64 HMAC-SHA1 signature of the request described by
// method and params, keyed with secret + "&".
func Sign(method string, params map[string]string, secret string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(StringToSign(method, params)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
