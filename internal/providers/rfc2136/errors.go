package rfc2136

import (
	"errors"
	"fmt"
	"strings"

	"github.com/miekg/dns"

	"github.com/dnssync/dnssync/internal/providers"
)

// Kinds of failure. An *Error matches its Kind with errors.Is, plus ErrTSIG
// when the server reported a TSIG error, ErrNotAuth for every NOTAUTH
// answer, providers.ErrTransient for SERVFAIL and providers.ErrUnknownDomain
// for ErrZoneNotFound. Failures without a
// trustworthy answer have providers.ErrTransient (nothing was sent or it was
// a read) or providers.ErrOutcomeUnknown (an UPDATE was sent) as Kind.
var (
	// ErrPrerequisite: YXDOMAIN, YXRRSET, NXDOMAIN or NXRRSET. An RRset the
	// update was built from is no longer as it was read; nothing was
	// applied. Re-read and re-plan.
	ErrPrerequisite = errors.New("prerequisite failed: live state changed since it was read; re-plan")
	// ErrNotAuth: NOTAUTH. The server did not accept the key (ErrTSIG
	// matches as well when it said why), or is not authoritative for the
	// zone (then the Kind is ErrZoneNotFound).
	ErrNotAuth = errors.New("not authorized")
	// ErrTSIG: the server rejected our signature (BADSIG, BADKEY, BADTIME)
	// or its answer did not verify with our key.
	ErrTSIG = errors.New("TSIG authentication failed")
	// ErrZoneNotFound: the server does not serve the zone: NOTAUTH without
	// TSIG error while a plain SOA query for the zone gets no authoritative
	// answer, or NXDOMAIN/NOTZONE to a zone transfer.
	ErrZoneNotFound = errors.New("zone not found on the server")
	// ErrRefused: REFUSED. A policy of the server forbids the operation.
	ErrRefused = errors.New("refused by the server's policy")
	// ErrNotZone: NOTZONE. A name in the update is outside the zone.
	ErrNotZone = errors.New("name outside the zone")
	// ErrServFail: SERVFAIL. Also matches providers.ErrTransient: the update
	// is atomic, so nothing was applied and a later attempt may succeed.
	ErrServFail = errors.New("server failure")
	// ErrFormErr: FORMERR. The server could not parse the message.
	ErrFormErr = errors.New("format error")
	// ErrRcode: any other response code (NOTIMP, …).
	ErrRcode = errors.New("unexpected response code")
	// ErrProtocol: the answer did not make sense (wrong id, bad framing,
	// zone transfer not starting with SOA, …).
	ErrProtocol = errors.New("protocol error")
	// ErrTooLarge: one RRset change does not fit into the message size
	// limit even alone; an RRset is never split over two messages.
	ErrTooLarge = errors.New("change does not fit into one UPDATE message")
)

// Operations named in errors.
const (
	opTransfer = "zone transfer"
	opUpdate   = "update"
)

// Error is a failed exchange with a server. It names the operation, zone and
// server; it never contains the TSIG secret.
type Error struct {
	Op        string // "zone transfer" or "update"
	Zone      string // absolute zone name
	Server    string // host:port
	Rcode     int    // response code; -1 when no trustworthy answer arrived
	TSIGError int    // TSIG error the server reported (BADSIG, BADKEY, BADTIME); 0 if none
	Kind      error  // one of the Err* kinds above, providers.ErrTransient or providers.ErrOutcomeUnknown
	Detail    string // what to do about it, or what happened, for people
	Err       error  // underlying cause (I/O, context), may be nil
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rfc2136: %s of zone %s at %s: %v", e.Op, e.Zone, e.Server, e.Kind)
	var codes []string
	if e.Rcode >= 0 {
		codes = append(codes, rcodeName(e.Rcode))
	}
	if e.TSIGError != 0 {
		codes = append(codes, "TSIG "+rcodeName(e.TSIGError))
	}
	if len(codes) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(codes, ", "))
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is/As see the kind, the cause and the generic provider
// markers.
func (e *Error) Unwrap() []error {
	errs := []error{e.Kind}
	if e.TSIGError != 0 && e.Kind != ErrTSIG {
		errs = append(errs, ErrTSIG)
	}
	if e.Rcode == dns.RcodeNotAuth && e.Kind != ErrNotAuth {
		errs = append(errs, ErrNotAuth)
	}
	if e.Kind == ErrServFail {
		errs = append(errs, providers.ErrTransient)
	}
	if e.Kind == ErrZoneNotFound {
		// The core's word for a zone the account lacks.
		errs = append(errs, providers.ErrUnknownDomain)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// aclHint names where each server keeps the permission op needs.
func aclHint(op string) string {
	if op == opTransfer {
		return "allow-transfer (BIND), the zone acl (Knot), allow-axfr-ips and TSIG-ALLOW-AXFR (PowerDNS)"
	}
	return "allow-update/update-policy (BIND), the zone acl (Knot), allow-dnsupdate-from and TSIG-ALLOW-DNSUPDATE (PowerDNS)"
}

func rcodeName(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", rc)
}

// rcodeError maps a response code (and the TSIG error of the answer) to an
// *Error; nil for NOERROR without TSIG error.
func rcodeError(op, zone, server, keyName string, rcode, tsigErr int) error {
	if rcode == dns.RcodeSuccess && tsigErr == 0 {
		return nil
	}
	e := &Error{Op: op, Zone: zone, Server: server, Rcode: rcode, TSIGError: tsigErr}
	switch {
	case tsigErr != 0:
		e.Kind = ErrTSIG
		if rcode == dns.RcodeNotAuth {
			e.Kind = ErrNotAuth
		}
		switch tsigErr {
		case dns.RcodeBadTime:
			e.Detail = "the server rejected the signature time; check that both clocks are right"
		case dns.RcodeBadKey:
			e.Detail = fmt.Sprintf("key %s is unknown to the server or not allowed here (Knot answers BADKEY when its acl denies); check the key name and algorithm, and %s", keyName, aclHint(op))
		default:
			e.Detail = fmt.Sprintf("the server rejected the signature made with key %s; check the secret and algorithm", keyName)
		}
	case rcode == dns.RcodeYXDomain || rcode == dns.RcodeYXRrset || rcode == dns.RcodeNXRrset ||
		rcode == dns.RcodeNameError && op == opUpdate:
		e.Kind = ErrPrerequisite
		e.Detail = "nothing was applied"
	case rcode == dns.RcodeNameError:
		e.Kind = ErrZoneNotFound
	case rcode == dns.RcodeNotAuth:
		e.Kind = ErrNotAuth
		e.Detail = fmt.Sprintf("the server is not authoritative for the zone or does not accept key %s for it", keyName)
	case rcode == dns.RcodeRefused:
		e.Kind = ErrRefused
		e.Detail = fmt.Sprintf("the server does not allow this with key %s (PowerDNS also answers so to a wrong secret), or rejected the content (see its log: BIND checks e.g. that in-zone MX and NS targets have addresses); check %s", keyName, aclHint(op))
	case rcode == dns.RcodeNotZone:
		e.Kind = ErrNotZone
		if op == opTransfer {
			e.Kind = ErrZoneNotFound
		}
	case rcode == dns.RcodeServerFailure:
		e.Kind = ErrServFail
		e.Detail = "nothing was applied; try again later and check the server's log"
	case rcode == dns.RcodeFormatError:
		e.Kind = ErrFormErr
		e.Detail = "the server could not parse the message"
	default:
		e.Kind = ErrRcode
	}
	return e
}
