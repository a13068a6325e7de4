package dnspod

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// decodeRecordList decodes a Record.List answer into a (reset beforehand)
// exactly as json.Unmarshal would, for the shape DNSPod sends: the status,
// domain and info blocks and the records, keys spelled as documented. A
// page holds up to 3,000 records of sixteen fields, and encoding/json's
// reflection and its per-field UnmarshalJSON calls were a fifth of a large
// plan's CPU. Anything it is not sure to decode the same way — invalid
// JSON, a key repeated or spelled in another case, a value of an
// unexpected type, an error from a tolerant type — makes it return false,
// and the caller decodes the answer with encoding/json instead, which
// gives the result or the error that it always gave.
//
// Field values repeated from one record to the next (line, type, TTL,
// status…) share one string.
func decodeRecordList(data []byte, a *recordListAnswer) bool {
	d := listDecoder{data: data}
	for i := range d.next {
		d.next[i] = -1
	}
	return d.answer(a)
}

type listDecoder struct {
	data []byte
	i    int
	last [recordFields]fieldCache // per record field, the last strings decoded
	next [recordFields + 1]int    // record keys' order (fields)
}

// Record fields, in Record's order; the index into listDecoder.last.
const (
	fID = iota
	fName
	fLine
	fLineID
	fType
	fTTL
	fValue
	fWeight
	fMX
	fEnabled
	fStatus
	fMonitorStatus
	fRemark
	fUpdatedOn
	fUseAQB
	fHold
	recordFields
)

var recordKeys = [recordFields]string{"id", "name", "line", "line_id", "type", "ttl", "value", "weight", "mx",
	"enabled", "status", "monitor_status", "remark", "updated_on", "use_aqb", "hold"}

// maxSkipDepth bounds the nesting of values skipped; deeper ones go to
// encoding/json, which has its own limit.
const maxSkipDepth = 100

func (d *listDecoder) ws() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space (0 at the end).
func (d *listDecoder) peek() byte {
	d.ws()
	if d.i >= len(d.data) {
		return 0
	}
	return d.data[d.i]
}

// consume reads byte c after white space.
func (d *listDecoder) consume(c byte) bool {
	if d.peek() != c {
		return false
	}
	d.i++
	return true
}

// special marks the bytes that end the plain run of a JSON string: the
// closing quote, a backslash, control characters (invalid) and non-ASCII
// bytes (UTF-8 to check).
var special = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c == '"' || c == '\\' || c < 0x20 || c >= 0x80
	}
	return t
}()

// str reads a JSON string at d.i; raw is it with its quotes, plain tells
// that its text is raw[1:len(raw)-1] as is (no escapes, valid UTF-8).
func (d *listDecoder) str() (raw []byte, plain, ok bool) {
	if d.peek() != '"' {
		return nil, false, false
	}
	start := d.i
	i := d.i + 1
	plain, ascii := true, true
	for {
		for i < len(d.data) && !special[d.data[i]] {
			i++
		}
		if i >= len(d.data) {
			return nil, false, false
		}
		switch c := d.data[i]; {
		case c == '"':
			d.i = i + 1
			raw = d.data[start:d.i]
			if !ascii && plain {
				plain = utf8.Valid(raw[1 : len(raw)-1])
			}
			return raw, plain, true
		case c < 0x20:
			return nil, false, false
		case c == '\\':
			plain = false
			if i+1 >= len(d.data) {
				return nil, false, false
			}
			switch d.data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d.data) {
					return nil, false, false
				}
				for _, h := range d.data[i+2 : i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return nil, false, false
					}
				}
				i += 6
			default:
				return nil, false, false
			}
		default:
			ascii = false
			i++
		}
	}
}

// unescape returns the text of the JSON string raw, which str read, as
// encoding/json does, when it holds only one-character escapes and valid
// UTF-8 (TXT values come back quoted: "\"v=spf1 …\""); ok is false
// otherwise.
func unescape(raw []byte) (string, bool) {
	in := raw[1 : len(raw)-1]
	if !utf8.Valid(in) {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(in))
	for {
		j := bytes.IndexByte(in, '\\')
		if j < 0 {
			b.Write(in)
			return b.String(), true
		}
		b.Write(in[:j])
		switch c := in[j+1]; c {
		case '"', '\\', '/':
			b.WriteByte(c)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		default: // \u: surrogates and all
			return "", false
		}
		in = in[j+2:]
	}
}

// scalar reads a string, a number, true, false or null and returns its
// text as written.
func (d *listDecoder) scalar() ([]byte, bool) {
	switch c := d.peek(); {
	case c == '"':
		raw, _, ok := d.str()
		return raw, ok
	case c == '-' || c >= '0' && c <= '9':
		start := d.i
		for d.i < len(d.data) {
			c := d.data[d.i]
			if c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' || c >= '0' && c <= '9' {
				d.i++
				continue
			}
			break
		}
		raw := d.data[start:d.i]
		return raw, validNumber(raw)
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(d.data)-d.i >= len(lit) && string(d.data[d.i:d.i+len(lit)]) == lit {
				raw := d.data[d.i : d.i+len(lit)]
				d.i += len(lit)
				return raw, true
			}
		}
	}
	return nil, false
}

// skip reads any JSON value, checking it as encoding/json does.
func (d *listDecoder) skip(depth int) bool {
	if depth > maxSkipDepth {
		return false
	}
	switch d.peek() {
	case '{':
		d.i++
		if d.consume('}') {
			return true
		}
		for {
			if _, _, ok := d.str(); !ok || !d.consume(':') || !d.skip(depth+1) {
				return false
			}
			if d.consume('}') {
				return true
			}
			if !d.consume(',') {
				return false
			}
		}
	case '[':
		d.i++
		if d.consume(']') {
			return true
		}
		for {
			if !d.skip(depth + 1) {
				return false
			}
			if d.consume(']') {
				return true
			}
			if !d.consume(',') {
				return false
			}
		}
	}
	_, ok := d.scalar()
	return ok
}

// object reads an object, calling field for each key; field reads the
// value. A key is passed only when it is plain ASCII (another key could
// match a field's name the way encoding/json folds case: the caller then
// gives up).
func (d *listDecoder) object(field func(key []byte) bool) bool {
	if !d.consume('{') {
		return false
	}
	if d.consume('}') {
		return true
	}
	for {
		raw, plain, ok := d.str()
		if !ok || !plain || !d.consume(':') {
			return false
		}
		key := raw[1 : len(raw)-1]
		for _, c := range key {
			if c >= 0x80 {
				return false
			}
		}
		if !field(key) {
			return false
		}
		if d.consume('}') {
			return true
		}
		if !d.consume(',') {
			return false
		}
	}
}

// known reports whether key is names[k] for some k, and -1 when key
// matches none even ignoring case; ok is false when it matches one only
// ignoring case (encoding/json would take it; leave it to encoding/json).
func known(key []byte, names []string) (k int, ok bool) {
	for i, n := range names {
		if string(key) == n {
			return i, true
		}
	}
	for _, n := range names {
		if equalFoldASCII(key, n) {
			return -1, false
		}
	}
	return -1, true
}

func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// fields reads an object into the fields named names (each at most once;
// set decodes field k's value), skipping other keys. next, when not nil,
// holds for each field (and for the start, at len(names)) the field that
// followed it last time: records repeat their keys in one order, so the
// guess saves comparing a key with every name.
func (d *listDecoder) fields(names []string, next []int, set func(k int) bool) bool {
	var seen uint64
	prev := len(names)
	return d.object(func(key []byte) bool {
		var k int
		ok := true
		if next != nil {
			if g := next[prev]; g >= 0 && string(key) == names[g] {
				k = g
			} else {
				k, ok = known(key, names)
				next[prev] = k
			}
			if k >= 0 {
				prev = k
			}
		} else {
			k, ok = known(key, names)
		}
		switch {
		case !ok:
			return false
		case k < 0:
			return d.skip(1)
		case seen&(1<<k) != 0:
			return false
		}
		seen |= 1 << k
		return set(k)
	})
}

// text decodes a Go string field: a string, or null, which leaves it.
func (d *listDecoder) text(dst *string, cache *fieldCache) bool {
	if d.peek() == 'n' {
		raw, ok := d.scalar()
		return ok && string(raw) == "null"
	}
	raw, plain, ok := d.str()
	if !ok {
		return false
	}
	if !plain {
		if s, ok := unescape(raw); ok {
			*dst = s
			return true
		}
		return json.Unmarshal(raw, dst) == nil
	}
	*dst = d.share(raw[1:len(raw)-1], cache)
	return true
}

// share returns b as a string: one of the strings in cache when equal to
// it (then b is not copied), else a new string that replaces the cache's
// oldest; cache nil: always a new string.
func (d *listDecoder) share(b []byte, cache *fieldCache) string {
	if cache == nil {
		return string(b)
	}
	for _, s := range cache.s {
		if string(b) == s {
			return s
		}
	}
	s := string(b)
	cache.s[cache.n%len(cache.s)] = s
	cache.n++
	return s
}

// fieldCache holds the last strings of one record field.
type fieldCache struct {
	s [4]string
	n int
}

// strValue decodes a Str as (*Str).UnmarshalJSON does.
func (d *listDecoder) strValue(dst *Str, cache *fieldCache) bool {
	raw, ok := d.scalar()
	if !ok {
		return false
	}
	switch c := raw[0]; {
	case c == '"' && len(raw) >= 2 && plainASCIIOrValid(raw):
		*dst = Str(d.share(raw[1:len(raw)-1], cache))
		return true
	case c == '-' || c >= '0' && c <= '9':
		*dst = Str(d.share(raw, cache)) // scalar checked the number
		return true
	}
	return dst.UnmarshalJSON(raw) == nil
}

// plainASCIIOrValid is plainString's test without the copy.
func plainASCIIOrValid(raw []byte) bool {
	in := raw[1 : len(raw)-1]
	for _, c := range in {
		if c == '\\' || c == '"' || c < 0x20 {
			return false
		}
	}
	return utf8.Valid(in)
}

func (d *listDecoder) boolValue(dst *Bool, cache *fieldCache) bool {
	var s Str
	if !d.strValue(&s, cache) {
		return false
	}
	v, err := parseBool(s)
	if err != nil {
		return false
	}
	*dst = v
	return true
}

// texts decodes a []string field: an array of strings, or null.
func (d *listDecoder) texts(dst *[]string) bool {
	if d.peek() == 'n' {
		raw, ok := d.scalar()
		*dst = nil
		return ok && string(raw) == "null"
	}
	if !d.consume('[') {
		return false
	}
	out := []string{}
	if !d.consume(']') {
		for {
			var s string
			if d.peek() == 'n' || !d.text(&s, nil) {
				return false
			}
			out = append(out, s)
			if d.consume(']') {
				break
			}
			if !d.consume(',') {
				return false
			}
		}
	}
	*dst = out
	return true
}

var (
	answerKeys = []string{"status", "domain", "info", "records"}
	statusKeys = []string{"code", "message", "created_at"}
	domainKeys = []string{"id", "name", "punycode", "grade", "owner", "ttl", "dnspod_ns", "grade_ns"}
	infoKeys   = []string{"sub_domains", "record_total", "records_num"}
)

func (d *listDecoder) answer(a *recordListAnswer) bool {
	ok := d.fields(answerKeys, nil, func(k int) bool {
		switch k {
		case 0:
			return d.status(&a.Status)
		case 1:
			return d.domain(&a.Domain)
		case 2:
			return d.fields(infoKeys, nil, func(k int) bool {
				switch k {
				case 0:
					return d.strValue(&a.Info.SubDomains, nil)
				case 1:
					return d.strValue(&a.Info.RecordTotal, nil)
				}
				return d.strValue(&a.Info.RecordsNum, nil)
			})
		}
		return d.records(a)
	})
	d.ws()
	return ok && d.i == len(d.data)
}

func (d *listDecoder) status(s *status) bool {
	return d.fields(statusKeys, nil, func(k int) bool {
		switch k {
		case 0:
			return d.strValue(&s.Code, nil)
		case 1:
			return d.text(&s.Message, nil)
		}
		return d.text(&s.CreatedAt, nil)
	})
}

func (d *listDecoder) domain(z *ZoneDomain) bool {
	return d.fields(domainKeys, nil, func(k int) bool {
		switch k {
		case 0:
			return d.strValue(&z.ID, nil)
		case 1:
			return d.text(&z.Name, nil)
		case 2:
			return d.text(&z.Punycode, nil)
		case 3:
			return d.text(&z.Grade, nil)
		case 4:
			return d.text(&z.Owner, nil)
		case 5:
			return d.strValue(&z.TTL, nil)
		case 6:
			return d.texts(&z.DNSPodNS)
		}
		return d.texts(&z.GradeNS)
	})
}

func (d *listDecoder) records(a *recordListAnswer) bool {
	if !d.consume('[') {
		return false // null included: left to encoding/json
	}
	a.Records = a.Records[:0]
	if d.consume(']') {
		return true
	}
	for {
		if d.peek() != '{' {
			return false
		}
		a.Records = append(a.Records, Record{})
		if !d.record(&a.Records[len(a.Records)-1]) {
			return false
		}
		if d.consume(']') {
			return true
		}
		if !d.consume(',') {
			return false
		}
	}
}

func (d *listDecoder) record(r *Record) bool {
	c := &d.last
	return d.fields(recordKeys[:], d.next[:], func(k int) bool {
		switch k {
		case fID:
			return d.strValue(&r.ID, nil)
		case fName:
			return d.text(&r.Name, nil)
		case fLine:
			return d.text(&r.Line, &c[k])
		case fLineID:
			return d.strValue(&r.LineID, &c[k])
		case fType:
			return d.text(&r.Type, &c[k])
		case fTTL:
			return d.strValue(&r.TTL, &c[k])
		case fValue:
			return d.text(&r.Value, nil)
		case fWeight:
			return d.strValue(&r.Weight, &c[k])
		case fMX:
			return d.strValue(&r.MX, &c[k])
		case fEnabled:
			return d.boolValue(&r.Enabled, &c[k])
		case fStatus:
			return d.text(&r.Status, &c[k])
		case fMonitorStatus:
			return d.text(&r.MonitorStatus, &c[k])
		case fRemark:
			return d.strValue(&r.Remark, &c[k])
		case fUpdatedOn:
			return d.text(&r.UpdatedOn, &c[k])
		case fUseAQB:
			return d.text(&r.UseAQB, &c[k])
		}
		return d.strValue(&r.Hold, &c[k])
	})
}
