package rfc2136

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
)

func oneUpdate(t *testing.T) *dns.Msg {
	t.Helper()
	msgs, err := BuildUpdates(zone, []RRsetChange{{Name: "new", Type: "A",
		After: []model.Record{rec("new", "A", "192.0.2.7", 300)}}}, 65535)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("BuildUpdates: %d messages, %v", len(msgs), err)
	}
	return msgs[0]
}

// answering returns a handler that answers every UPDATE with rcode (and TSIG
// error tsigErr), signed when signed is true, and every plain query (the
// client's SOA probe) with REFUSED.
func answering(t *testing.T, rcode, tsigErr int, signed bool) func(*fake, net.Conn) {
	key := testKey(t, testSecret)
	return func(f *fake, conn net.Conn) {
		req, raw, err := f.read(conn)
		if err != nil {
			return
		}
		resp := new(dns.Msg)
		resp.SetRcode(req, rcode)
		if req.Opcode != dns.OpcodeUpdate {
			resp.Rcode = dns.RcodeRefused
			out, _ := resp.Pack()
			_ = writeMsg(conn, out, true, time.Second)
			return
		}
		var out []byte
		switch {
		case tsigErr != 0:
			// RFC 8945 §5.3.2: an unverifiable request gets an unsigned TSIG
			// carrying the error.
			resp.SetTsig(key.Name, key.Algorithm, tsigFudge, time.Now().Unix())
			resp.Extra[len(resp.Extra)-1].(*dns.TSIG).Error = uint16(tsigErr)
			out, err = resp.Pack()
		case signed:
			var mac string
			if mac, err = requestMAC(t, req, raw, key); err == nil {
				out, _ = sign(t, resp, key, mac, false)
			}
		default:
			out, err = resp.Pack()
		}
		if err != nil {
			t.Errorf("fake: %v", err)
			return
		}
		_ = writeMsg(conn, out, true, time.Second)
	}
}

func TestApplyRcodes(t *testing.T) {
	tests := []struct {
		name    string
		rcode   int
		tsigErr int
		signed  bool
		want    []error // all must match; nil: success
	}{
		{"NOERROR", dns.RcodeSuccess, 0, true, nil},
		{"YXDOMAIN", dns.RcodeYXDomain, 0, true, []error{ErrPrerequisite}},
		{"YXRRSET", dns.RcodeYXRrset, 0, true, []error{ErrPrerequisite}},
		{"NXRRSET", dns.RcodeNXRrset, 0, true, []error{ErrPrerequisite}},
		{"NXDOMAIN", dns.RcodeNameError, 0, true, []error{ErrPrerequisite}},
		{"NOTAUTH BADSIG", dns.RcodeNotAuth, dns.RcodeBadSig, false, []error{ErrNotAuth, ErrTSIG}},
		{"NOTAUTH BADKEY", dns.RcodeNotAuth, dns.RcodeBadKey, false, []error{ErrNotAuth, ErrTSIG}},
		{"NOTAUTH BADTIME", dns.RcodeNotAuth, dns.RcodeBadTime, false, []error{ErrNotAuth, ErrTSIG}},
		{"NOTAUTH, zone not served", dns.RcodeNotAuth, 0, true, []error{ErrZoneNotFound, ErrNotAuth}},
		{"REFUSED", dns.RcodeRefused, 0, true, []error{ErrRefused}},
		{"REFUSED unsigned", dns.RcodeRefused, 0, false, []error{ErrRefused}},
		{"NOTZONE", dns.RcodeNotZone, 0, true, []error{ErrNotZone}},
		{"SERVFAIL", dns.RcodeServerFailure, 0, true, []error{ErrServFail, providers.ErrTransient}},
		{"FORMERR unsigned", dns.RcodeFormatError, 0, false, []error{ErrFormErr}},
		{"NOTIMP", dns.RcodeNotImplemented, 0, true, []error{ErrRcode}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, answering(t, tt.rcode, tt.tsigErr, tt.signed))
			c := fakeClient(t, f.port(), nil)
			res, err := c.Apply(context.Background(), oneUpdate(t))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Apply: %v", err)
				}
				if res.Zone != zone || res.Changes != 1 || res.Size == 0 {
					t.Errorf("result %+v", res)
				}
				return
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("Apply error %v does not match %v", err, w)
				}
			}
			if errors.Is(err, providers.ErrOutcomeUnknown) {
				t.Errorf("an answered update reported an unknown outcome: %v", err)
			}
			var e *Error
			if !errors.As(err, &e) || e.Rcode != tt.rcode || e.Zone != zone || e.Server != c.Config().Address() {
				t.Fatalf("error %#v lacks rcode, zone or server", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, zone) || !strings.Contains(msg, c.Config().Address()) || !strings.Contains(msg, dns.RcodeToString[tt.rcode]) {
				t.Errorf("message does not name zone, server and rcode: %s", msg)
			}
			if strings.Contains(msg, testSecret) {
				t.Errorf("message shows the secret: %s", msg)
			}
		})
	}
}

func TestApplyUnknownOutcome(t *testing.T) {
	key := testKey(t, testSecret)
	otherKey := testKey(t, "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXI=")
	reply := func(build func(req *dns.Msg, mac string) []byte) func(*fake, net.Conn) {
		return func(f *fake, conn net.Conn) {
			req, raw, err := f.read(conn)
			if err != nil {
				return
			}
			mac, err := requestMAC(t, req, raw, key)
			if err != nil {
				t.Errorf("fake: request does not verify: %v", err)
				return
			}
			_ = writeMsg(conn, build(req, mac), true, time.Second)
			waitClosed(conn)
		}
	}
	ok := func(req *dns.Msg) *dns.Msg {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeSuccess)
		return m
	}
	tests := []struct {
		name   string
		handle func(*fake, net.Conn)
	}{
		{"connection closed after reading", func(f *fake, conn net.Conn) { _, _, _ = f.read(conn) }},
		{"never answers", func(f *fake, conn net.Conn) {
			if _, _, err := f.read(conn); err == nil {
				waitClosed(conn)
			}
		}},
		{"half an answer", func(f *fake, conn net.Conn) {
			if _, _, err := f.read(conn); err == nil {
				_, _ = conn.Write([]byte{0, 40, 1, 2, 3})
			}
		}},
		{"unsigned success", reply(func(req *dns.Msg, _ string) []byte {
			out, _ := ok(req).Pack()
			return out
		})},
		{"success signed with another key", reply(func(req *dns.Msg, mac string) []byte {
			out, _ := sign(t, ok(req), otherKey, mac, false)
			return out
		})},
		{"success signed over another request", reply(func(req *dns.Msg, _ string) []byte {
			out, _ := sign(t, ok(req), key, strings.Repeat("00", 32), false)
			return out
		})},
		{"answer to another id", reply(func(req *dns.Msg, mac string) []byte {
			m := ok(req)
			m.Id++
			out, _ := sign(t, m, key, mac, false)
			return out
		})},
		{"garbage", reply(func(*dns.Msg, string) []byte { return []byte("not a DNS message") })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, tt.handle)
			c := fakeClient(t, f.port(), func(c *Config) { c.ReadTimeout = 300 * time.Millisecond })
			_, err := c.Apply(context.Background(), oneUpdate(t))
			if !errors.Is(err, providers.ErrOutcomeUnknown) {
				t.Fatalf("Apply = %v, want ErrOutcomeUnknown", err)
			}
			if errors.Is(err, providers.ErrTransient) {
				t.Errorf("unknown outcome also claims to be transient: %v", err)
			}
			if n := f.requests.Load(); n != 1 {
				t.Errorf("server read %d messages, want exactly 1 (never resend)", n)
			}
		})
	}
}

func TestApplyContextCancelledWhileWaiting(t *testing.T) {
	f := startFake(t, func(f *fake, conn net.Conn) {
		if _, _, err := f.read(conn); err == nil {
			waitClosed(conn)
		}
	})
	c := fakeClient(t, f.port(), func(c *Config) { c.ReadTimeout = time.Minute })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Apply(ctx, oneUpdate(t))
	if !errors.Is(err, providers.ErrOutcomeUnknown) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Apply = %v, want ErrOutcomeUnknown and context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Apply took %s after the context ended", d)
	}
}

func TestApplyNothingSent(t *testing.T) {
	c := fakeClient(t, closedPort(t), nil)
	_, err := c.Apply(context.Background(), oneUpdate(t))
	if !errors.Is(err, providers.ErrTransient) || errors.Is(err, providers.ErrOutcomeUnknown) {
		t.Errorf("Apply to a closed port = %v, want ErrTransient only", err)
	}

	f := startFake(t, func(f *fake, conn net.Conn) { _, _, _ = f.read(conn) })
	c = fakeClient(t, f.port(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Apply(ctx, oneUpdate(t))
	if !errors.Is(err, context.Canceled) || !errors.Is(err, providers.ErrTransient) || errors.Is(err, providers.ErrOutcomeUnknown) {
		t.Errorf("Apply with a cancelled context = %v, want context.Canceled and ErrTransient", err)
	}
	if n := f.requests.Load(); n != 0 {
		t.Errorf("server read %d messages, want none", n)
	}
}

func TestApplyRejectsNonUpdates(t *testing.T) {
	c := fakeClient(t, closedPort(t), nil)
	q := new(dns.Msg)
	q.SetQuestion(zone, dns.TypeSOA)
	for _, m := range []*dns.Msg{nil, q, new(dns.Msg)} {
		if _, err := c.Apply(context.Background(), m); err == nil || errors.Is(err, providers.ErrTransient) {
			t.Errorf("Apply(%v) = %v, want a plain error", m, err)
		}
	}
}

func TestApplyAllStopsAtFirstFailure(t *testing.T) {
	f := startFake(t, answering(t, dns.RcodeNXRrset, 0, true))
	c := fakeClient(t, f.port(), nil)
	msgs := []*dns.Msg{oneUpdate(t), oneUpdate(t), oneUpdate(t)}
	res, err := c.ApplyAll(context.Background(), msgs)
	if !errors.Is(err, ErrPrerequisite) || len(res) != 0 || !strings.Contains(err.Error(), "message 1 of 3") {
		t.Errorf("ApplyAll = %d results, %v", len(res), err)
	}
	if n := f.requests.Load(); n != 1 {
		t.Errorf("server read %d messages, want 1", n)
	}
}

// axfrServer serves a transfer of msgs (answer sections) signed as the
// sign function says.
func axfrServer(t *testing.T, answers [][]dns.RR, signEach func(i int) bool) *fake {
	key := testKey(t, testSecret)
	return startFake(t, func(f *fake, conn net.Conn) {
		req, raw, err := f.read(conn)
		if err != nil {
			return
		}
		mac, err := requestMAC(t, req, raw, key)
		if err != nil {
			t.Errorf("fake: %v", err)
			return
		}
		for i, rrs := range answers {
			m := new(dns.Msg)
			m.SetReply(req)
			m.Authoritative = true
			m.Answer = rrs
			var out []byte
			if signEach(i) {
				out, mac = sign(t, m, key, mac, i > 0)
			} else {
				out, _ = m.Pack()
			}
			if err := writeMsg(conn, out, true, time.Second); err != nil {
				return
			}
		}
	})
}

func TestTransferMultipleMessages(t *testing.T) {
	soa := mustRR(t, "@ 3600 IN SOA ns1 hostmaster 42 3600 600 86400 300")
	answers := [][]dns.RR{
		{soa, mustRR(t, "@ 3600 IN NS ns1"), mustRR(t, "@ 300 IN A 192.0.2.1")},
		{mustRR(t, "www 300 IN A 192.0.2.2"), mustRR(t, "@ 300 IN RRSIG A 13 2 300 20300101000000 20200101000000 1 example.test. AAAA")},
		{mustRR(t, "mail 300 IN A 192.0.2.3"), soa},
	}
	f := axfrServer(t, answers, func(int) bool { return true })
	c := fakeClient(t, f.port(), nil)
	snap, err := c.Transfer(context.Background(), "Example.Test")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range snap.Live.Records {
		got = append(got, r.Name+" "+r.Type)
	}
	want := "@ A,@ NS,@ SOA,mail A,www A"
	if strings.Join(got, ",") != want || snap.Serial != 42 || snap.Skipped["RRSIG"] != 1 || snap.Live.DomainID != "example.test" {
		t.Errorf("transfer: %v serial %d skipped %v id %q", got, snap.Serial, snap.Skipped, snap.Live.DomainID)
	}
}

func TestTransferRejects(t *testing.T) {
	soa := mustRR(t, "@ 3600 IN SOA ns1 hostmaster 42 3600 600 86400 300")
	a := mustRR(t, "@ 300 IN A 192.0.2.1")
	tests := []struct {
		name    string
		answers [][]dns.RR
		signed  func(int) bool
		want    error
	}{
		{"unsigned middle message", [][]dns.RR{{soa, a}, {a}, {soa}}, func(i int) bool { return i != 1 }, ErrTSIG},
		{"unsigned first message", [][]dns.RR{{soa, a, soa}}, func(int) bool { return false }, ErrTSIG},
		{"does not start with SOA", [][]dns.RR{{a, soa}}, func(int) bool { return true }, ErrProtocol},
		{"ends early", [][]dns.RR{{soa, a}}, func(int) bool { return true }, providers.ErrTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := axfrServer(t, tt.answers, tt.signed)
			c := fakeClient(t, f.port(), func(c *Config) { c.ReadTimeout = 300 * time.Millisecond })
			_, err := c.ReadZone(context.Background(), zone)
			if !errors.Is(err, tt.want) {
				t.Errorf("ReadZone = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestTransferRcodes(t *testing.T) {
	key := testKey(t, testSecret)
	tests := []struct {
		name    string
		rcode   int
		tsigErr int
		serves  bool // how the server answers the client's SOA probe
		want    []error
		notWant error
	}{
		{"REFUSED", dns.RcodeRefused, 0, true, []error{ErrRefused}, ErrZoneNotFound},
		{"NOTAUTH BADSIG", dns.RcodeNotAuth, dns.RcodeBadSig, true, []error{ErrNotAuth, ErrTSIG}, ErrZoneNotFound},
		{"NOTAUTH, zone served", dns.RcodeNotAuth, 0, true, []error{ErrNotAuth}, ErrZoneNotFound},
		{"NOTAUTH, zone not served", dns.RcodeNotAuth, 0, false, []error{ErrZoneNotFound, ErrNotAuth, providers.ErrUnknownDomain}, ErrTSIG},
		{"NXDOMAIN", dns.RcodeNameError, 0, false, []error{ErrZoneNotFound, providers.ErrUnknownDomain}, ErrPrerequisite},
		{"SERVFAIL", dns.RcodeServerFailure, 0, true, []error{ErrServFail, providers.ErrTransient}, ErrZoneNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, func(f *fake, conn net.Conn) {
				req, _, err := f.read(conn)
				if err != nil {
					return
				}
				resp := new(dns.Msg)
				if req.Question[0].Qtype == dns.TypeSOA {
					resp.SetRcode(req, dns.RcodeRefused)
					if tt.serves {
						resp.SetReply(req)
						resp.Authoritative = true
						resp.Answer = []dns.RR{mustRR(t, "@ 3600 IN SOA ns1 hostmaster 1 2 3 4 5")}
					}
				} else {
					resp.SetRcode(req, tt.rcode)
					if tt.tsigErr != 0 {
						resp.SetTsig(key.Name, key.Algorithm, tsigFudge, time.Now().Unix())
						resp.Extra[0].(*dns.TSIG).Error = uint16(tt.tsigErr)
					}
				}
				out, err := resp.Pack()
				if err != nil {
					t.Errorf("fake: %v", err)
					return
				}
				_ = writeMsg(conn, out, true, time.Second)
			})
			c := fakeClient(t, f.port(), nil)
			_, err := c.ReadZone(context.Background(), zone)
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("ReadZone = %v, does not match %v", err, w)
				}
			}
			if errors.Is(err, tt.notWant) {
				t.Errorf("ReadZone = %v, matches %v", err, tt.notWant)
			}
			if msg := fmt.Sprint(err); !strings.Contains(msg, "zone transfer of zone "+zone) || !strings.Contains(msg, c.Config().Address()) {
				t.Errorf("message does not name the operation, zone and server: %s", msg)
			}
			if tt.rcode == dns.RcodeRefused && !strings.Contains(err.Error(), "allow-transfer") {
				t.Errorf("message does not point at the transfer ACL: %v", err)
			}
		})
	}
}
