package rfc2136

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"

	"github.com/miekg/dns"
)

// tsigFudge is the allowed clock skew in seconds (RFC 8945 §10 recommends 300).
const tsigFudge = 300

// hmacProvider signs and verifies with one key. It implements
// dns.TsigProvider so that the secret stays in a credentials.Secret until
// the moment a MAC is computed, instead of sitting in the library's
// map[string]string of secrets.
type hmacProvider struct{ key TSIGKey }

func (p hmacProvider) hash(t *dns.TSIG) (hash.Hash, error) {
	if dns.CanonicalName(t.Hdr.Name) != p.key.Name {
		return nil, dns.ErrSecret
	}
	raw, err := base64.StdEncoding.DecodeString(p.key.Secret.Reveal())
	if err != nil {
		return nil, dns.ErrSecret // checked in New; never echo the secret
	}
	if dns.CanonicalName(t.Algorithm) != p.key.Algorithm {
		return nil, dns.ErrKeyAlg
	}
	switch p.key.Algorithm {
	case dns.HmacSHA256:
		return hmac.New(sha256.New, raw), nil
	case dns.HmacSHA512:
		return hmac.New(sha512.New, raw), nil
	}
	return nil, dns.ErrKeyAlg
}

// Generate implements dns.TsigProvider.
func (p hmacProvider) Generate(msg []byte, t *dns.TSIG) ([]byte, error) {
	h, err := p.hash(t)
	if err != nil {
		return nil, err
	}
	h.Write(msg)
	return h.Sum(nil), nil
}

// Verify implements dns.TsigProvider.
func (p hmacProvider) Verify(msg []byte, t *dns.TSIG) error {
	want, err := p.Generate(msg, t)
	if err != nil {
		return err
	}
	got, err := hex.DecodeString(t.MAC)
	if err != nil || !hmac.Equal(want, got) {
		return dns.ErrSig
	}
	return nil
}

// tsigSize is the wire size of the TSIG RR a request signed with k carries.
func tsigSize(k TSIGKey) int {
	macLen := sha256.Size
	if k.Algorithm == dns.HmacSHA512 {
		macLen = sha512.Size
	}
	t := &dns.TSIG{
		Hdr:       dns.RR_Header{Name: k.Name, Rrtype: dns.TypeTSIG, Class: dns.ClassANY},
		Algorithm: k.Algorithm,
		Fudge:     tsigFudge,
		MACSize:   uint16(macLen),
		MAC:       hex.EncodeToString(make([]byte, macLen)),
	}
	return dns.Len(t)
}
