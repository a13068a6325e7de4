package aliyuntest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"strings"
)

// rpcEscape is the documented recipe: form-encode, then "+"→"%20",
// "*"→"%2A", "%7E"→"~".
func rpcEscape(s string) string {
	s = url.QueryEscape(s)
	s = strings.ReplaceAll(s, "+", "%20")
	s = strings.ReplaceAll(s, "*", "%2A")
	return strings.ReplaceAll(s, "%7E", "~")
}

// ServerStringToSign is the string the server signs for a request with the
// given method and parameters (Signature excluded, empty values kept).
func ServerStringToSign(method string, params map[string]string) string {
	v := url.Values{}
	for k, val := range params {
		if k != "Signature" {
			v.Set(k, val)
		}
	}
	canonical := v.Encode() // sorted by key in byte order
	canonical = strings.ReplaceAll(canonical, "+", "%20")
	canonical = strings.ReplaceAll(canonical, "*", "%2A")
	canonical = strings.ReplaceAll(canonical, "%7E", "~")
	return method + "&" + rpcEscape("/") + "&" + rpcEscape(canonical)
}

// ServerSignature is Base64(HMAC-SHA1(secret+"&", stringToSign)).
func ServerSignature(stringToSign, secret string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
