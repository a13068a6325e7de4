// Package rfc2136 manages zones on people's own authoritative servers (BIND 9,
// Knot DNS, PowerDNS and any other primary that speaks the standards): it
// reads a zone with a TSIG-signed zone transfer (AXFR, RFC 5936) into the
// canonical model.LiveDNS, packs RRset changes into as few DNS UPDATE
// messages (RFC 2136) as the size limit allows, each guarded by
// prerequisites that the touched RRsets are still exactly as read, and sends
// them signed (RFC 8945).
//
// Type and Instance plug it into dnssync (provider type "rfc2136"): the
// Planner packs a zone's differences into UPDATE batches whose payload holds
// the RRset changes as read, Submit rebuilds and sends the message and maps
// the typed errors (ErrPrerequisite, ErrRefused, …,
// providers.ErrOutcomeUnknown, providers.ErrTransient) onto the engine's
// handling, and Sim replays batches for internal/simulate. servertest starts
// real BIND, Knot and PowerDNS processes for the tests.
//
// Safety rule: an UPDATE is never sent twice. A failure before the whole
// message was handed to the connection means nothing reached the server
// (ErrTransient); any failure after that — timeout, reset, an answer that
// does not verify — is an unknown outcome (ErrOutcomeUnknown) and the caller
// must re-read the zone. Because every message carries value-dependent
// prerequisites, a message that was in fact applied cannot be applied again
// by a later identical one: the server would answer NXRRSET/YXRRSET.
package rfc2136

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
)

// Client talks to one server with one TSIG key. It holds no connection
// between calls and is safe for concurrent use.
type Client struct {
	cfg  Config // validated, defaults filled
	tsig hmacProvider
	log  *slog.Logger
}

// New validates cfg and returns a client.
func New(cfg Config) (*Client, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Client{cfg: c, tsig: hmacProvider{key: c.Key}, log: c.Logger}, nil
}

// Config returns the effective configuration (defaults filled in). Its
// secret still redacts itself when printed.
func (c *Client) Config() Config { return c.cfg }

// String describes the client without the secret.
func (c *Client) String() string { return c.cfg.String() }

// GoString is String: %#v would otherwise print the unexported fields,
// secret included, without asking them to redact themselves.
func (c *Client) GoString() string { return c.cfg.String() }

// LogValue describes the client in structured logs without the secret.
func (c *Client) LogValue() slog.Value { return c.cfg.LogValue() }

// Snapshot is a zone as one transfer returned it.
type Snapshot struct {
	Zone   string         // absolute, lower-case
	Serial uint32         // SOA serial of the transferred version
	Live   *model.LiveDNS // records in canonical order, System rows included
	// Skipped counts by type the RRs left out of Live: types the provider
	// does not manage (RRSIG, DNSKEY, NSEC, …) and the rare RR it cannot
	// represent faithfully (logged as a warning).
	Skipped map[string]int
}

// ReadZone transfers zone and returns its records (see Snapshot).
func (c *Client) ReadZone(ctx context.Context, zone string) (*model.LiveDNS, error) {
	s, err := c.Transfer(ctx, zone)
	if err != nil {
		return nil, err
	}
	return s.Live, nil
}

// Transfer reads zone with a TSIG-signed AXFR over TCP and converts it: SOA
// and the apex NS RRset are System rows, unmanaged types are counted in
// Skipped, records are sorted with model.SortRecords, and LiveDNS.DomainID is
// the zone name without trailing dot.
func (c *Client) Transfer(ctx context.Context, zone string) (*Snapshot, error) {
	z, err := canonicalZone(zone)
	if err != nil {
		return nil, fmt.Errorf("rfc2136: %w", err)
	}
	start := time.Now()
	rrs, err := c.axfr(ctx, z)
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{Zone: z, Live: &model.LiveDNS{DomainID: model.Host(z), Records: []model.Record{}}, Skipped: map[string]int{}}
	for i, rr := range rrs {
		if i == len(rrs)-1 {
			break // the closing copy of the SOA
		}
		if soa, ok := rr.(*dns.SOA); ok && i == 0 {
			snap.Serial = soa.Serial
		}
		rec, err := RecordFromRR(z, rr)
		switch {
		case errors.Is(err, ErrUnsupportedType):
			snap.Skipped[typeName(rr.Header().Rrtype)]++
			continue
		case err != nil:
			// Out of zone or not representable: leave it alone, and say so.
			snap.Skipped[typeName(rr.Header().Rrtype)]++
			c.log.WarnContext(ctx, "rfc2136: record left unmanaged", slog.String("zone", z), slog.Any("error", err))
			continue
		}
		snap.Live.Records = append(snap.Live.Records, rec)
	}
	model.SortRecords(snap.Live.Records)
	attrs := []any{slog.String("zone", z), slog.String("server", c.cfg.Address()),
		slog.Int("records", len(snap.Live.Records)), slog.Uint64("serial", uint64(snap.Serial)),
		slog.Duration("took", time.Since(start))}
	if len(snap.Skipped) > 0 {
		attrs = append(attrs, slog.Any("skipped", snap.Skipped))
	}
	c.log.DebugContext(ctx, "rfc2136: zone transferred", attrs...)
	return snap, nil
}

// Result describes an UPDATE the server accepted.
type Result struct {
	Zone     string        // absolute zone name
	Server   string        // host:port
	ID       uint16        // message id used
	Size     int           // octets sent, TSIG included
	Changes  int           // RRs in the update section
	Duration time.Duration // from dialling to the answer
}

// Apply signs msg (an UPDATE as BuildUpdates makes it) with the TSIG key,
// sends it once over the configured transport and maps the answer: nil for
// NOERROR, otherwise an *Error of the matching kind. msg is not modified.
// A failure after the message was handed to the connection wraps
// providers.ErrOutcomeUnknown; a failure to connect or send wraps
// providers.ErrTransient. Cancelling ctx aborts the exchange with the same
// rules (and the error also matches ctx.Err()).
func (c *Client) Apply(ctx context.Context, msg *dns.Msg) (Result, error) {
	if msg == nil || msg.Opcode != dns.OpcodeUpdate || len(msg.Question) != 1 {
		return Result{}, errors.New("rfc2136: Apply needs an UPDATE message with one zone")
	}
	zone := dns.CanonicalName(msg.Question[0].Name)
	res := Result{Zone: zone, Server: c.cfg.Address(), Changes: len(msg.Ns)}
	start := time.Now()
	fail := func(kind error, detail string, cause error) (Result, error) {
		return res, &Error{Op: opUpdate, Zone: zone, Server: res.Server, Rcode: -1, Kind: kind, Detail: detail, Err: cause}
	}

	m := msg.Copy()
	m.Id = dns.Id()
	res.ID = m.Id
	m.SetTsig(c.cfg.Key.Name, c.cfg.Key.Algorithm, tsigFudge, time.Now().Unix())
	wire, reqMAC, err := dns.TsigGenerateWithProvider(m, c.tsig, "", false)
	if err != nil {
		return fail(ErrProtocol, "cannot sign the message", err)
	}
	res.Size = len(wire)
	limit := dns.MaxMsgSize
	if c.cfg.Transport == TransportUDP {
		limit = c.cfg.MaxMessageSize
	}
	if len(wire) > limit {
		return fail(ErrTooLarge, fmt.Sprintf("signed message is %d octets, more than %d", len(wire), limit), nil)
	}

	conn, err := c.dial(ctx, c.cfg.Transport)
	if err != nil {
		return fail(providers.ErrTransient, "cannot connect; nothing was sent", err)
	}
	defer conn.Close()
	stop := abortOnDone(ctx, conn)
	defer stop()

	tcp := c.cfg.Transport == TransportTCP
	if err := writeMsg(conn, wire, tcp, c.cfg.ReadTimeout); err != nil {
		return fail(providers.ErrTransient, "sending failed before the whole message left; nothing was applied", withCtx(ctx, err))
	}
	c.log.DebugContext(ctx, "rfc2136: update sent", slog.String("zone", zone), slog.String("server", res.Server),
		slog.Int("id", int(m.Id)), slog.Int("octets", len(wire)), slog.Int("changes", res.Changes))

	// From here on the server may have applied the message.
	unknown := func(detail string, cause error) (Result, error) {
		return fail(providers.ErrOutcomeUnknown, detail+"; re-read the zone before deciding what to do", withCtx(ctx, cause))
	}
	var resp *dns.Msg
	var raw []byte
	for {
		raw, err = readMsg(conn, tcp, c.cfg.ReadTimeout)
		if err != nil {
			return unknown("no answer", err)
		}
		resp = new(dns.Msg)
		if err := resp.Unpack(raw); err != nil {
			if tcp {
				return unknown("unreadable answer", err)
			}
			continue // a stray datagram; keep waiting for ours
		}
		if resp.Id == m.Id && resp.Response {
			break
		}
		if tcp {
			return unknown("answer to another message", fmt.Errorf("%w: id %d, expected %d", ErrProtocol, resp.Id, m.Id))
		}
	}
	res.Duration = time.Since(start)

	// Only a success must be signed and verify: a forged success would
	// make us believe in a change that never happened. An error is taken
	// at its word, signed or not (servers answer FORMERR and some refusals
	// unsigned, and the library cannot verify a NOTAUTH answer): a forged
	// error can only make the caller re-read the zone.
	tsigErr := 0
	t := resp.IsTsig()
	if t != nil {
		tsigErr = int(t.Error)
	}
	if resp.Rcode == dns.RcodeSuccess && tsigErr == 0 {
		if t == nil {
			return unknown("the server's success answer is not signed", ErrTSIG)
		}
		if err := dns.TsigVerifyWithProvider(raw, c.tsig, reqMAC, false); err != nil {
			return unknown("the server's success answer does not verify with our TSIG key", fmt.Errorf("%w: %w", ErrTSIG, err))
		}
	}
	if err := c.rcodeError(ctx, opUpdate, zone, resp.Rcode, tsigErr); err != nil {
		c.log.DebugContext(ctx, "rfc2136: update failed", slog.String("zone", zone), slog.Int("id", int(m.Id)), slog.Any("error", err))
		return res, err
	}
	c.log.DebugContext(ctx, "rfc2136: update applied", slog.String("zone", zone), slog.Int("id", int(m.Id)),
		slog.Duration("took", res.Duration))
	return res, nil
}

// ApplyAll applies msgs in order and stops at the first failure, returning
// the results of the messages the server accepted and that failure.
func (c *Client) ApplyAll(ctx context.Context, msgs []*dns.Msg) ([]Result, error) {
	results := make([]Result, 0, len(msgs))
	for i, m := range msgs {
		r, err := c.Apply(ctx, m)
		if err != nil {
			return results, fmt.Errorf("message %d of %d: %w", i+1, len(msgs), err)
		}
		results = append(results, r)
	}
	return results, nil
}

// BuildUpdates packs changes to zone with this client's message size limit,
// leaving room for the TSIG record Apply adds. See the package function.
func (c *Client) BuildUpdates(zone string, changes []RRsetChange) ([]*dns.Msg, error) {
	return BuildUpdates(zone, changes, c.cfg.MaxMessageSize-tsigSize(c.cfg.Key))
}

// axfr runs the transfer and returns every RR of the answer, both SOA
// copies included.
func (c *Client) axfr(ctx context.Context, zone string) ([]dns.RR, error) {
	server := c.cfg.Address()
	fail := func(kind error, detail string, cause error) error {
		return &Error{Op: opTransfer, Zone: zone, Server: server, Rcode: -1, Kind: kind, Detail: detail, Err: withCtx(ctx, cause)}
	}
	q := new(dns.Msg)
	q.SetAxfr(zone)
	q.SetTsig(c.cfg.Key.Name, c.cfg.Key.Algorithm, tsigFudge, time.Now().Unix())
	wire, mac, err := dns.TsigGenerateWithProvider(q, c.tsig, "", false)
	if err != nil {
		return nil, fail(ErrProtocol, "cannot sign the query", err)
	}
	conn, err := c.dial(ctx, TransportTCP)
	if err != nil {
		return nil, fail(providers.ErrTransient, "cannot connect", err)
	}
	defer conn.Close()
	stop := abortOnDone(ctx, conn)
	defer stop()
	if err := writeMsg(conn, wire, true, c.cfg.ReadTimeout); err != nil {
		return nil, fail(providers.ErrTransient, "cannot send the query", err)
	}

	var rrs []dns.RR
	for n := 0; ; n++ {
		raw, err := readMsg(conn, true, c.cfg.ReadTimeout)
		if err != nil {
			return nil, fail(providers.ErrTransient, fmt.Sprintf("reading message %d of the transfer", n+1), err)
		}
		m := new(dns.Msg)
		if err := m.Unpack(raw); err != nil {
			return nil, fail(ErrProtocol, "unreadable answer", err)
		}
		if m.Id != q.Id {
			return nil, fail(ErrProtocol, fmt.Sprintf("answer has id %d, expected %d", m.Id, q.Id), nil)
		}
		t := m.IsTsig()
		tsigErr := 0
		if t != nil {
			tsigErr = int(t.Error)
		}
		if err := c.rcodeError(ctx, opTransfer, zone, m.Rcode, tsigErr); err != nil {
			return nil, err
		}
		if t == nil {
			// RFC 8945 allows unsigned messages between signed ones; the
			// servers this provider targets sign each, and accepting one
			// unsigned would let a forged record in.
			return nil, fail(ErrTSIG, fmt.Sprintf("message %d of the transfer is not signed", n+1), nil)
		}
		// The first answer is signed over our query's MAC; each later one
		// over the previous answer's MAC and the timers only.
		if err := dns.TsigVerifyWithProvider(raw, c.tsig, mac, n > 0); err != nil {
			return nil, fail(ErrTSIG, fmt.Sprintf("message %d of the transfer does not verify with our key", n+1), err)
		}
		mac = t.MAC
		if n == 0 && (len(m.Answer) == 0 || m.Answer[0].Header().Rrtype != dns.TypeSOA) {
			return nil, fail(ErrProtocol, "the transfer does not start with the SOA record", nil)
		}
		rrs = append(rrs, m.Answer...)
		if len(rrs) > 1 && rrs[len(rrs)-1].Header().Rrtype == dns.TypeSOA {
			return rrs, nil
		}
	}
}

// rcodeError maps an error answer (see the package function). A NOTAUTH
// without TSIG error is ambiguous — PowerDNS answers so both for a zone it
// does not serve and for a key it does not accept — so one plain SOA query
// tells the two apart for the message.
func (c *Client) rcodeError(ctx context.Context, op, zone string, rcode, tsigErr int) error {
	err := rcodeError(op, zone, c.cfg.Address(), c.cfg.Key.Name, rcode, tsigErr)
	var e *Error
	if rcode != dns.RcodeNotAuth || tsigErr != 0 || !errors.As(err, &e) {
		return err
	}
	if c.serves(ctx, zone) {
		e.Kind = ErrNotAuth
		e.Detail = fmt.Sprintf("the server serves the zone but does not accept key %s for this; check the key's name, algorithm and secret, and %s", c.cfg.Key.Name, aclHint(op))
	} else {
		e.Kind = ErrZoneNotFound
		e.Detail = "the server is not authoritative for the zone; check the zone name and the server's configuration"
	}
	return e
}

// serves reports whether the server answers authoritatively for zone's SOA.
func (c *Client) serves(ctx context.Context, zone string) bool {
	ctx, cancel := context.WithTimeout(ctx, min(c.cfg.ReadTimeout, probeTimeout))
	defer cancel()
	cl := &dns.Client{Net: TransportTCP, Timeout: min(c.cfg.ReadTimeout, probeTimeout)}
	q := new(dns.Msg)
	q.SetQuestion(zone, dns.TypeSOA)
	r, _, err := cl.ExchangeContext(ctx, q, c.cfg.Address())
	return err == nil && r.Rcode == dns.RcodeSuccess && r.Authoritative && len(r.Answer) > 0
}

// probeTimeout bounds the diagnostic query of rcodeError.
const probeTimeout = 2 * time.Second

// dial connects to the server, honouring ctx and the dial timeout.
func (c *Client) dial(ctx context.Context, network string) (net.Conn, error) {
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	return d.DialContext(ctx, network, c.cfg.Address())
}

// abortOnDone makes pending I/O on conn fail as soon as ctx is done. The
// returned stop must be called (it waits for the watcher to finish).
func abortOnDone(ctx context.Context, conn net.Conn) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
			_ = conn.SetDeadline(time.Unix(1, 0))
		case <-done:
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// withCtx adds the context's error to an I/O error caused by cancellation,
// so that errors.Is(err, context.Canceled) holds.
func withCtx(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && err != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("%w (%w)", ctxErr, err)
	}
	return err
}

// writeMsg sends one message: over TCP with its two-octet length, in a
// single write so that a short write means the server cannot have a
// complete message.
func writeMsg(conn net.Conn, wire []byte, tcp bool, timeout time.Duration) error {
	if err := conn.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	if tcp {
		buf := make([]byte, 2+len(wire))
		binary.BigEndian.PutUint16(buf, uint16(len(wire)))
		copy(buf[2:], wire)
		wire = buf
	}
	_, err := conn.Write(wire)
	return err
}

// readMsg reads one message within timeout.
func readMsg(conn net.Conn, tcp bool, timeout time.Duration) ([]byte, error) {
	if err := conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	if !tcp {
		buf := make([]byte, dns.MaxMsgSize)
		n, err := conn.Read(buf)
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
	var l [2]byte
	if _, err := io.ReadFull(conn, l[:]); err != nil {
		return nil, err
	}
	buf := make([]byte, binary.BigEndian.Uint16(l[:]))
	if _, err := io.ReadFull(conn, buf); err != nil {
		return nil, err
	}
	return buf, nil
}
