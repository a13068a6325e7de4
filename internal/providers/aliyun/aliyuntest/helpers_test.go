package aliyuntest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a manual clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// caller signs requests with the emulator's own signer (behaviour tests;
// the signer itself is checked against the spec vectors and the SDK).
type caller struct {
	t       *testing.T
	url     string
	id      string
	secret  string
	token   string
	now     func() time.Time
	nonce   int
	method  string
	useBody bool
}

func newCaller(t *testing.T, ts *httptest.Server, now func() time.Time) *caller {
	return &caller{t: t, url: ts.URL, id: "AK", secret: "SK", now: now, method: "POST"}
}

func (c *caller) form(action string, kv ...string) url.Values {
	c.nonce++
	p := map[string]string{
		"Action": action, "Version": "2018-01-29", "Format": "JSON", "AccessKeyId": c.id,
		"SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
		"SignatureNonce": "nonce-" + strconv.Itoa(c.nonce), "Timestamp": c.now().UTC().Format("2006-01-02T15:04:05Z"),
	}
	if c.token != "" {
		p["SecurityToken"] = c.token
	}
	for i := 0; i < len(kv); i += 2 {
		p[kv[i]] = kv[i+1]
	}
	v := url.Values{}
	for k, val := range p {
		v.Set(k, val)
	}
	v.Set("Signature", ServerSignature(ServerStringToSign(c.method, p), c.secret))
	return v
}

type reply struct {
	Status int
	Body   map[string]any
}

func (r reply) code() string { s, _ := r.Body["Code"].(string); return s }

func (c *caller) send(v url.Values) reply {
	c.t.Helper()
	var req *http.Request
	var err error
	if c.useBody {
		req, err = http.NewRequest(c.method, c.url+"/", strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req, err = http.NewRequest(c.method, c.url+"/?"+v.Encode(), nil)
	}
	if err != nil {
		c.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("request: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		c.t.Fatalf("answer %d not JSON: %s", resp.StatusCode, b)
	}
	return reply{resp.StatusCode, m}
}

func (c *caller) call(action string, kv ...string) reply {
	c.t.Helper()
	return c.send(c.form(action, kv...))
}

// details returns TaskStatus strings of a task, by domain.
func (c *caller) details(taskNo string) map[string]map[string]any {
	c.t.Helper()
	r := c.call("QueryTaskDetailList", "TaskNo", taskNo, "PageNum", "1", "PageSize", "1000")
	if r.Status != 200 {
		c.t.Fatalf("QueryTaskDetailList: %d %v", r.Status, r.Body)
	}
	out := map[string]map[string]any{}
	for _, d := range r.Body["Data"].(map[string]any)["TaskDetail"].([]any) {
		m := d.(map[string]any)
		out[m["DomainName"].(string)] = m
	}
	return out
}

func newTestServer(t *testing.T, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	s := New(opts)
	s.AddKey("AK", "SK")
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}
