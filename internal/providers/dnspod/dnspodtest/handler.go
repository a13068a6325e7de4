package dnspodtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Common codes the handler answers (spec §2.2).
const (
	codeOK          = 1
	codeLoginFailed = -1
	codeThrottled   = -2
	codePOSTOnly    = 2
	codeUnknown     = 3
)

var (
	tokenRE = regexp.MustCompile(`^([0-9]+),([^\s,]+)$`)
	uaRE    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._-]*/[^\s/()]+ ?\([^()]+\)$`)
	cstZone = time.FixedZone("CST", 8*3600)
)

// cst formats t as DNSPod's server time (China Standard Time).
func cst(t time.Time) string { return t.In(cstZone).Format("2006-01-02 15:04:05") }

// answer is the outcome of handling one request.
type answer struct {
	code      int
	message   string
	fields    map[string]any
	committed bool
	jobID     string
}

func fail(code int, msg string) answer { return answer{code: code, message: msg} }

func ok(fields map[string]any) answer {
	return answer{code: codeOK, message: "Action completed successful", fields: fields}
}

// writeActions change state; FailAfterCommit only applies to them.
var writeActions = map[string]bool{
	"Record.Create": true, "Record.Modify": true, "Record.Remove": true, "Record.Status": true,
	"Batch.Record.Create": true, "Batch.Record.Modify": true,
}

// ServeHTTP handles POST /<Action>. The action is the last path element,
// so the emulator may be mounted under a prefix.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	action := path.Base(r.URL.Path)
	e := LogEntry{Time: now, Action: action, Method: r.Method, UserAgent: r.UserAgent(), UAOK: uaRE.MatchString(r.UserAgent())}

	if r.Method != http.MethodPost {
		// HTTP status for code 2 is UNVERIFIED; the API answers 200 elsewhere.
		s.finish(w, &e, http.StatusOK, fail(codePOSTOnly, "POST only"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<20)
	if err := r.ParseForm(); err != nil {
		s.finish(w, &e, http.StatusBadRequest, fail(codeUnknown, "cannot read the form body"))
		return
	}
	form := r.PostForm
	e.Params = url.Values{}
	for k, v := range form {
		if k != "login_token" {
			e.Params[k] = append([]string(nil), v...)
		}
	}

	// Faults strike before any state change.
	fault, latency, afterCommit := s.drawFaults(action)
	if latency > 0 {
		e.Latency = latency
		t := time.NewTimer(latency)
		select {
		case <-r.Context().Done():
			t.Stop()
		case <-t.C:
		}
	}
	switch fault {
	case "drop":
		e.Fault = fault
		s.record(e)
		panic(http.ErrAbortHandler)
	case "5xx":
		e.Fault = fault
		s.writeHTML(w, &e, http.StatusBadGateway, "502 Bad Gateway")
		return
	case "throttle":
		e.Fault = fault
		s.finish(w, &e, http.StatusOK, fail(codeThrottled, "API usage is limited"))
		return
	}

	s.mu.Lock()
	s.advance(now)
	a, httpStatus, html := s.handle(action, form, now, &e)
	s.mu.Unlock()

	if html != "" {
		s.writeHTML(w, &e, httpStatus, html)
		return
	}
	if a.committed && afterCommit != "" {
		// The write happened; the client never learns it (Code stays 0).
		e.Fault, e.Committed, e.JobID = afterCommit, true, a.jobID
		if afterCommit == "after-commit-drop" {
			s.record(e)
			panic(http.ErrAbortHandler)
		}
		s.writeHTML(w, &e, http.StatusBadGateway, "502 Bad Gateway")
		return
	}
	s.finish(w, &e, httpStatus, a)
}

// drawFaults picks this request's fault from the seeded generator.
func (s *Server) drawFaults(action string) (fault string, latency time.Duration, afterCommit string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.opts.Faults
	if len(f.Actions) > 0 && !slices.Contains(f.Actions, action) {
		return "", 0, ""
	}
	if f.LatencyShare > 0 && s.rng.Float64() < f.LatencyShare {
		latency = f.Latency
	}
	x := s.rng.Float64()
	switch {
	case x < f.Throttle:
		fault = "throttle"
	case x < f.Throttle+f.ServerError:
		fault = "5xx"
	case x < f.Throttle+f.ServerError+f.Drop:
		fault = "drop"
	}
	if fault == "" && writeActions[action] && f.FailAfterCommit > 0 && s.rng.Float64() < f.FailAfterCommit {
		afterCommit = "after-commit-5xx"
		if s.rng.IntN(2) == 0 {
			afterCommit = "after-commit-drop"
		}
	}
	return fault, latency, afterCommit
}

// handle runs the checks every action shares, then the action (mu held).
// A non-empty html means an HTML answer with httpStatus.
func (s *Server) handle(action string, form url.Values, now time.Time, e *LogEntry) (a answer, httpStatus int, html string) {
	if !s.bannedTill.IsZero() && now.Before(s.bannedTill) {
		e.Fault = "banned"
		return fail(codeThrottled, "API usage is limited, try again later"), http.StatusOK, ""
	}
	if s.lim != nil && !s.lim.AllowN(now, 1) {
		e.Fault = "rate-limit"
		if s.opts.BanFor > 0 {
			s.bannedTill = now.Add(s.opts.BanFor)
		}
		return fail(codeThrottled, "API usage is limited"), http.StatusOK, ""
	}
	m := tokenRE.FindStringSubmatch(form.Get("login_token"))
	if m == nil || s.tokens[m[1]] == "" || s.tokens[m[1]] != m[2] {
		if s.opts.HTMLUnauthorized {
			return answer{}, http.StatusUnauthorized, "401 Authorization Required"
		}
		return fail(codeLoginFailed, "Login fail, please check login info"), http.StatusOK, ""
	}
	if f := form.Get("format"); f != "json" {
		// The real default is XML. The emulator only speaks JSON: it answers
		// XML-requesting calls with a status-only XML notice (see docs).
		return answer{code: codeUnknown, message: "the emulator only implements format=json", fields: map[string]any{"_xml": true}}, http.StatusOK, ""
	}
	h, found := s.actions()[action]
	if !found {
		return fail(codeUnknown, "unknown action "+action), http.StatusNotFound, ""
	}
	c := &call{s: s, form: form, now: now, emptyErr: form.Get("error_on_empty") != "no"}
	a = h(c)
	if a.committed {
		e.Committed = true
	}
	e.JobID = a.jobID
	return a, http.StatusOK, ""
}

func (s *Server) record(e LogEntry) { s.log.Add(e) }

// finish writes a JSON (or XML notice) envelope and logs the request.
func (s *Server) finish(w http.ResponseWriter, e *LogEntry, httpStatus int, a answer) {
	e.Code, e.HTTPStatus = a.code, httpStatus
	s.record(*e)
	created := cst(s.opts.Now())
	if a.fields != nil && a.fields["_xml"] == true {
		w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
		w.WriteHeader(httpStatus)
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<dnspod><status><code>" + strconv.Itoa(a.code) +
			"</code><message><![CDATA[" + a.message + "]]></message><created_at>" + created + "</created_at></status></dnspod>\n"))
		return
	}
	body := map[string]any{}
	for k, v := range a.fields {
		body[k] = v
	}
	body["status"] = map[string]string{"code": strconv.Itoa(a.code), "message": a.message, "created_at": created}
	b, err := json.Marshal(body)
	if err != nil {
		http.Error(w, "encoding error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(httpStatus)
	_, _ = w.Write(b)
}

func (s *Server) writeHTML(w http.ResponseWriter, e *LogEntry, httpStatus int, title string) {
	e.HTTPStatus = httpStatus
	s.record(*e)
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(httpStatus)
	_, _ = w.Write([]byte("<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"))
}

// call is one action's view of the request.
type call struct {
	s        *Server
	form     url.Values
	now      time.Time
	emptyErr bool // error_on_empty=yes (the default)
}

func (c *call) get(k string) string { return strings.TrimSpace(c.form.Get(k)) }

func (c *call) has(k string) bool { _, ok := c.form[k]; return ok }
