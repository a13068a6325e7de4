package tencentcloudtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dnssync/dnssync/internal/providers/tencentcloud/tc3"
)

const (
	service = "dnspod"
	version = "2021-03-23"
	maxBody = 10 << 20
)

// writeActions change state: FailAfterCommit and the after-commit
// injections only apply to them.
func isWrite(action string) bool {
	return strings.HasPrefix(action, "Create") || strings.HasPrefix(action, "Modify") || strings.HasPrefix(action, "Delete")
}

// outcome is what an action produced.
type outcome struct {
	fields    map[string]any // the Response members besides RequestId
	err       *apiErr
	committed bool
	jobID     uint64
}

func ok(fields map[string]any) outcome { return outcome{fields: fields} }
func fail(e *apiErr) outcome           { return outcome{err: e} }

// ServeHTTP answers one API 3.0 call: POST / with a JSON body.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	action := r.Header.Get("X-TC-Action")
	e := LogEntry{Time: now, Action: action}
	lang := r.Header.Get("X-TC-Language")
	if lang != langEN && lang != langZH {
		lang = s.opts.Language
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.answer(w, &e, lang, fail(invalid("body")))
		return
	}
	if json.Valid(body) {
		e.Params = json.RawMessage(slices.Clone(body))
	}

	fault, delay, afterCommit := s.drawFault(action)
	if delay > 0 && afterCommit != FaultAfterCommitSlow {
		// A slow service finishes its work whether or not the client is
		// still waiting, as a real one would.
		time.Sleep(delay)
	}
	switch fault {
	case FaultDrop:
		e.Fault = fault
		s.record(e)
		panic(http.ErrAbortHandler)
	case FaultServerError:
		e.Fault = fault
		s.writeHTML(w, &e, http.StatusBadGateway)
		return
	case FaultRequestLimit:
		e.Fault = fault
		s.answer(w, &e, lang, fail(errRequestLimit))
		return
	case FaultInternalError:
		e.Fault = fault
		s.answer(w, &e, lang, fail(errInternal))
		return
	}

	s.mu.Lock()
	s.advance(now)
	out := s.handle(r, action, body, now, lang, &e)
	s.mu.Unlock()

	if out.committed && afterCommit != "" {
		// The write happened; the client never learns it (Code stays "").
		e.Fault, e.Committed, e.JobID = afterCommit, true, out.jobID
		switch afterCommit {
		case FaultAfterCommitDrop:
			s.record(e)
			panic(http.ErrAbortHandler)
		case FaultAfterCommitSlow:
			time.Sleep(delay)
			s.answer(w, &e, lang, out)
			return
		}
		s.writeHTML(w, &e, http.StatusBadGateway)
		return
	}
	s.answer(w, &e, lang, out)
}

// drawFault picks this request's fault: scheduled injections first, then
// the seeded random ones.
func (s *Server) drawFault(action string) (fault FaultKind, delay time.Duration, afterCommit FaultKind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.injections {
		in := &s.injections[i]
		if in.Action != "" && in.Action != action {
			continue
		}
		after := strings.HasPrefix(string(in.Kind), "after-commit-")
		if in.Kind == FaultFailItems || (after && !isWrite(action)) {
			continue
		}
		in.Count--
		cur := *in // Delete clears the element
		if in.Count <= 0 {
			s.injections = slices.Delete(s.injections, i, i+1)
		}
		in = &cur
		switch {
		case in.Kind == FaultSlow:
			return "", in.Delay, ""
		case in.Kind == FaultAfterCommitSlow:
			return "", in.Delay, in.Kind
		case after:
			return "", 0, in.Kind
		default:
			return in.Kind, 0, ""
		}
	}
	f := s.opts.Faults
	if len(f.Actions) > 0 && !slices.Contains(f.Actions, action) {
		return "", 0, ""
	}
	if f.LatencyShare > 0 && s.rng.Float64() < f.LatencyShare {
		delay = f.Latency
	}
	x := s.rng.Float64()
	switch {
	case x < f.RequestLimit:
		fault = FaultRequestLimit
	case x < f.RequestLimit+f.ServerError:
		fault = FaultServerError
	case x < f.RequestLimit+f.ServerError+f.Drop:
		fault = FaultDrop
	case x < f.RequestLimit+f.ServerError+f.Drop+f.InternalError:
		fault = FaultInternalError
	}
	if fault == "" && isWrite(action) && f.FailAfterCommit > 0 && s.rng.Float64() < f.FailAfterCommit {
		afterCommit = FaultAfterCommit5xx
		if s.rng.IntN(2) == 0 {
			afterCommit = FaultAfterCommitDrop
		}
	}
	return fault, delay, afterCommit
}

// takeFailItems consumes a FaultFailItems injection for action (mu held).
func (s *Server) takeFailItems(action string) bool {
	for i := range s.injections {
		in := &s.injections[i]
		if in.Kind == FaultFailItems && (in.Action == "" || in.Action == action) {
			in.Count--
			if in.Count <= 0 {
				s.injections = slices.Delete(s.injections, i, i+1)
			}
			return true
		}
	}
	return false
}

// handle authenticates and dispatches (mu held).
func (s *Server) handle(r *http.Request, action string, body []byte, now time.Time, lang string, e *LogEntry) outcome {
	if r.Method != http.MethodPost {
		// GET with form parameters is documented; the emulator implements
		// the JSON POST form only.
		return fail(errf("InvalidParameter", "The emulator accepts POST with a JSON body only.", "仅支持 POST JSON 请求。"))
	}
	secretID, aerr := s.authenticate(r, body, now)
	e.SecretID = secretID
	if aerr != nil {
		return fail(aerr)
	}
	switch v := r.Header.Get("X-TC-Version"); {
	case v == "":
		return fail(missing("X-TC-Version"))
	case v != version:
		return fail(errNoSuchVersion)
	}
	if action == "" {
		return fail(missing("X-TC-Action"))
	}
	h, found := s.actions()[action]
	if !found {
		return fail(errInvalidAction)
	}
	if l := s.limiters[action]; l != nil && !l.AllowN(now, 1) {
		e.Fault = faultRateLimitExceeded
		return fail(errRequestLimit)
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return fail(invalid("Content-Type"))
	}
	c := &call{s: s, now: now, lang: lang, ip: clientIP(r), action: action}
	out := h(c, body)
	if out.err != nil && out.err.Code == errBatchHourly.Code {
		e.Fault = faultBatchQuota
	}
	return out
}

// authenticate verifies the TC3 signature (spec §1.3) and returns the
// SecretId.
func (s *Server) authenticate(r *http.Request, body []byte, now time.Time) (string, *apiErr) {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return "", errInvalidAuthorization
	}
	a, err := tc3.ParseAuthorization(authz)
	if err != nil {
		return "", errInvalidAuthorization
	}
	tsText := r.Header.Get("X-TC-Timestamp")
	if tsText == "" {
		return a.SecretID, missing("X-TC-Timestamp")
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return a.SecretID, invalid("X-TC-Timestamp")
	}
	if skew := now.Sub(time.Unix(ts, 0)); skew > s.opts.MaxSkew || skew < -s.opts.MaxSkew {
		return a.SecretID, errSignatureExpire
	}
	k, found := s.keys[a.SecretID]
	if !found {
		return a.SecretID, errSecretIDNotFound
	}
	if tok := r.Header.Get("X-TC-Token"); tok != k.token {
		return a.SecretID, errTokenFailure
	}
	if a.Service != service || a.Terminator != tc3.Terminator || a.Date != tc3.Date(ts) ||
		!slices.Contains(a.SignedHeaders, "content-type") || !slices.Contains(a.SignedHeaders, "host") {
		return a.SecretID, errSignatureFailure
	}
	signed := make(map[string]string, len(a.SignedHeaders))
	for _, name := range a.SignedHeaders {
		if name != strings.ToLower(name) {
			return a.SecretID, errSignatureFailure
		}
		if name == "host" {
			signed[name] = r.Host
			continue
		}
		v, present := r.Header[http.CanonicalHeaderKey(name)]
		if !present {
			return a.SecretID, errSignatureFailure
		}
		signed[name] = strings.Join(v, ",")
	}
	in := tc3.Input{Method: r.Method, Query: r.URL.RawQuery, Headers: signed, Payload: body,
		Unsigned: r.Header.Get("X-TC-Content-SHA256") == tc3.UnsignedPayload, Service: a.Service, Timestamp: ts}
	if !tc3.Equal(tc3.Compute(in, k.secret).Signature, a.Signature) {
		return a.SecretID, errSignatureFailure
	}
	return a.SecretID, nil
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// newRequestID is a UUID from the seeded generator, so that runs with one
// seed answer with the same ids.
func (s *Server) newRequestID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b [16]byte
	for i := range b {
		b[i] = byte(s.rng.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func (s *Server) record(e LogEntry) { s.log.Add(e) }

// answer writes the JSON envelope with HTTP 200 (the service answers every
// request it processed so, errors included: spec §2.1) and logs.
func (s *Server) answer(w http.ResponseWriter, e *LogEntry, lang string, out outcome) {
	rid := s.newRequestID()
	resp := map[string]any{}
	if out.err != nil {
		resp["Error"] = map[string]string{"Code": out.err.Code, "Message": out.err.message(lang)}
		e.Code = out.err.Code
	} else {
		for k, v := range out.fields {
			resp[k] = v
		}
	}
	resp["RequestId"] = rid
	b, err := json.Marshal(map[string]any{"Response": resp})
	if err != nil {
		// Only emulator bugs get here.
		http.Error(w, "emulator: encoding the answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if out.committed {
		e.Committed = true
	}
	e.JobID, e.RequestID, e.HTTPStatus = out.jobID, rid, http.StatusOK
	s.record(*e)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// writeHTML answers like a gateway in front of the service.
func (s *Server) writeHTML(w http.ResponseWriter, e *LogEntry, status int) {
	e.HTTPStatus = status
	s.record(*e)
	title := strconv.Itoa(status) + " " + http.StatusText(status)
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	_, _ = w.Write([]byte("<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"))
}

// call is one action's view of the request.
type call struct {
	s      *Server
	now    time.Time
	lang   string
	ip     string
	action string
}

// decode reads the body into v strictly: unknown parameters are refused
// (UnknownParameter; the service's answer is UNVERIFIED, spec §2.2), and
// so are values of the wrong JSON type (InvalidParameter).
func decode(body []byte, v any) *apiErr {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return unknownParam(strings.TrimPrefix(err.Error(), "json: unknown field "))
		case errors.As(err, &te):
			return invalid(te.Field)
		default:
			return errf("InvalidParameter", "The request body is not a JSON object.", "请求体不是合法的 JSON 对象。")
		}
	}
	if dec.More() {
		return errf("InvalidParameter", "The request body holds more than one JSON value.", "请求体不是合法的 JSON 对象。")
	}
	return nil
}
