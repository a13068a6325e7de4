package rfc2136

import (
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/dnssync/dnssync/internal/credentials"
)

// fake is a TCP listener on loopback that hands each connection to handle.
// It stands in for servers that misbehave in ways real ones cannot be made
// to: vanishing after reading an UPDATE, never answering, forging answers.
type fake struct {
	ln       net.Listener
	wg       sync.WaitGroup
	requests atomic.Int32 // messages read by the handlers
}

func startFake(t *testing.T, handle func(f *fake, conn net.Conn)) *fake {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fake{ln: ln}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer conn.Close()
				handle(f, conn)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		f.wg.Wait()
	})
	return f
}

func (f *fake) port() int { return f.ln.Addr().(*net.TCPAddr).Port }

// read reads one request (with a generous deadline so a stuck test ends).
func (f *fake) read(conn net.Conn) (*dns.Msg, []byte, error) {
	raw, err := readMsg(conn, true, 10*time.Second)
	if err != nil {
		return nil, nil, err
	}
	f.requests.Add(1)
	m := new(dns.Msg)
	if err := m.Unpack(raw); err != nil {
		return nil, nil, err
	}
	return m, raw, nil
}

// waitClosed blocks until the client closes the connection.
func waitClosed(conn net.Conn) {
	buf := make([]byte, 512)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, err := conn.Read(buf); err != nil {
			return
		}
	}
}

func testKey(t testing.TB, secret string) TSIGKey {
	t.Helper()
	k, err := TSIGKey{Name: "dnssync-key", Algorithm: AlgHMACSHA256, Secret: credentials.Secret(secret)}.normalize()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sign packs resp signed with key as an answer to a request whose MAC is
// reqMAC (timersOnly for later messages of a transfer); it returns the wire
// form and the answer's MAC.
func sign(t testing.TB, resp *dns.Msg, key TSIGKey, reqMAC string, timersOnly bool) ([]byte, string) {
	t.Helper()
	resp.SetTsig(key.Name, key.Algorithm, tsigFudge, time.Now().Unix())
	wire, mac, err := dns.TsigGenerateWithProvider(resp, hmacProvider{key: key}, reqMAC, timersOnly)
	if err != nil {
		t.Fatal(err)
	}
	return wire, mac
}

// requestMAC verifies a request's signature and returns its MAC.
func requestMAC(t testing.TB, req *dns.Msg, raw []byte, key TSIGKey) (string, error) {
	t.Helper()
	ts := req.IsTsig()
	if ts == nil {
		return "", errors.New("request not signed")
	}
	if err := dns.TsigVerifyWithProvider(append([]byte(nil), raw...), hmacProvider{key: key}, "", false); err != nil {
		return "", err
	}
	return ts.MAC, nil
}

func fakeClient(t *testing.T, port int, edit func(*Config)) *Client {
	t.Helper()
	cfg := Config{Server: "127.0.0.1", Port: port, ReadTimeout: 2 * time.Second, DialTimeout: time.Second,
		Key: TSIGKey{Name: "dnssync-key", Algorithm: AlgHMACSHA256, Secret: credentials.Secret(testSecret)}}
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	_ = ln.Close()
	port, _ := strconv.Atoi(p)
	return port
}
