package tencentcloud

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
)

// This file holds every conversion between canonical model.Records and the
// API's fields, in both directions:
//
//	model.Record   API
//	Name "@"       SubDomain / Name "@" (the apex)
//	Line name      RecordLine (name) and RecordLineId (id, from the line table)
//	Value          Value; CNAME/MX/NS (and SRV) targets dotted, TXT unquoted
//	MX             MX, only for MX records (0 elsewhere)
//	TTL            TTL (a number)
//	Enabled        Status ENABLE/DISABLE; Enabled 1/0; "1"/"0" in V3 items
//	ID             RecordId (decimal)
//	System         DefaultNS

// DefaultLineIDs maps line names to line ids (spec §3.6): the China site's
// names, the older 国内/国外 spellings of 境内/境外, and the international
// site's "Default". Writes send the id when it is known: names differ
// between sites and generations, ids do not.
func DefaultLineIDs() map[string]string {
	return map[string]string{
		model.DefaultLine: "0", "Default": "0",
		"境内": "7=0", "国内": "7=0", "境外": "3=0", "国外": "3=0",
		"电信": "10=0", "联通": "10=1", "教育网": "10=2", "移动": "10=3",
		"百度": "90=0", "谷歌": "90=1", "有道": "90=2", "必应": "90=3",
		"搜搜": "90=4", "搜狗": "90=5", "奇虎": "90=6", "搜索引擎": "80=0",
	}
}

// RecordFromAPI turns a DescribeRecordList row into a canonical record
// (package doc of internal/model). lines maps names to ids and is used to
// name a row whose Line is empty; nil means DefaultLineIDs.
func RecordFromAPI(it RecordListItem, lines map[string]string) (model.Record, error) {
	if !it.TTL.Valid {
		return model.Record{}, fmt.Errorf("record %s: no TTL", it.RecordID)
	}
	r := model.Record{
		Name:    strings.ToLower(strings.TrimSpace(it.Name)),
		Type:    strings.ToUpper(strings.TrimSpace(it.Type)),
		Line:    it.Line,
		Value:   it.Value,
		TTL:     int(it.TTL.V),
		Enabled: !strings.EqualFold(it.Status, "DISABLE"),
		ID:      it.RecordID.String(),
		System:  it.DefaultNS,
	}
	if r.Name == "" {
		r.Name = "@"
	}
	if r.Line == "" {
		r.Line = lineName(it.LineID, lines)
	}
	switch r.Type {
	case model.TypeMX:
		r.MX = int(it.MX.V)
		r.Value = model.Fqdn(strings.ToLower(r.Value))
	case model.TypeCNAME, model.TypeNS:
		r.Value = model.Fqdn(strings.ToLower(r.Value))
	case model.TypeSRV:
		r.Value = model.CompareValue(model.TypeSRV, r.Value)
	case model.TypeTXT:
		r.Value = unquoteTXT(r.Value)
	case model.TypeCAA:
		r.Value = model.CanonicalCAA(r.Value)
	case model.TypeA, model.TypeAAAA:
		// "2001:DB8::0" and "2001:db8::" are one address; the canonical
		// text keeps plans from flapping.
		if a, err := netip.ParseAddr(r.Value); err == nil {
			r.Value = a.String()
		}
	}
	return r, nil
}

// lineName names a line id; unknown ids and "" fall back to the default
// line only for "0"/"", otherwise the id itself is kept so that nothing is
// silently merged into the default line.
func lineName(id string, lines map[string]string) string {
	if id == "" || id == "0" {
		return model.DefaultLine
	}
	if lines == nil {
		lines = DefaultLineIDs()
	}
	best := ""
	for name, lid := range lines {
		// Several names share an id (境内/国内); take the smallest for a
		// deterministic answer.
		if lid == id && (best == "" || name < best) {
			best = name
		}
	}
	if best == "" {
		return id
	}
	return best
}

// unquoteTXT strips one pair of surrounding quotes: records entered quoted
// in the console come back quoted, the API otherwise stores the raw text.
func unquoteTXT(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' && !strings.Contains(v[1:len(v)-1], `"`) {
		return v[1 : len(v)-1]
	}
	return v
}

// apiValue is the Value sent for r: targets absolute with one trailing dot
// (the form the service returns; spec §5.3), everything else as is.
func apiValue(r model.Record) string {
	switch r.Type {
	case model.TypeCNAME, model.TypeMX, model.TypeNS:
		return model.Fqdn(r.Value)
	case model.TypeSRV:
		f := strings.Fields(r.Value)
		if len(f) == 4 && f[3] != "." {
			f[3] = model.Fqdn(f[3])
			return strings.Join(f, " ")
		}
	}
	return r.Value
}

// statusWord is the API's Status for enabled.
func statusWord(enabled bool) string {
	if enabled {
		return "ENABLE"
	}
	return "DISABLE"
}

// apiName is the SubDomain sent for r ("@" for the apex, the documented
// default).
func apiName(r model.Record) string {
	if r.Name == "" {
		return "@"
	}
	return r.Name
}

// lineOf returns the line name and, when the table knows it, its id.
func lineOf(r model.Record, lines map[string]string) (name, id string) {
	name = r.Line
	if name == "" {
		name = model.DefaultLine
	}
	return name, lines[name]
}

// mxOf is the MX to send: only for MX records.
func mxOf(r model.Record) *int {
	if r.Type != model.TypeMX {
		return nil
	}
	mx := r.MX
	return &mx
}

func checkRecord(r model.Record) error {
	if r.Type == "" || r.Value == "" {
		return fmt.Errorf("record %s: type and value are required", short(r.Name))
	}
	if r.TTL <= 0 {
		return fmt.Errorf("record %s %s: TTL %d must be positive", short(r.Name), r.Type, r.TTL)
	}
	return nil
}

// toAddRecordBatch converts r for CreateRecordBatch. The action cannot
// create a disabled record (no Status field, spec §3.9), so one is refused
// rather than silently created enabled.
func toAddRecordBatch(r model.Record, lines map[string]string) (AddRecordBatch, error) {
	if err := checkRecord(r); err != nil {
		return AddRecordBatch{}, err
	}
	if !r.Enabled {
		return AddRecordBatch{}, fmt.Errorf("record %s %s: CreateRecordBatch cannot create a disabled record; create it enabled and disable it with ModifyRecordBatch, or use CreateRecord", short(r.Name), r.Type)
	}
	name, id := lineOf(r, lines)
	return AddRecordBatch{RecordType: r.Type, Value: apiValue(r), SubDomain: apiName(r), RecordLine: name,
		RecordLineID: id, MX: mxOf(r), TTL: r.TTL}, nil
}

// toRecordRequest converts r for CreateRecord and ModifyRecord. Every field
// is sent: ModifyRecord replaces the whole record, and an omitted SubDomain
// or Status would move the record to the apex or enable it (spec §3.15).
func toRecordRequest(d DomainRef, r model.Record, lines map[string]string) (recordRequest, error) {
	if err := checkRecord(r); err != nil {
		return recordRequest{}, err
	}
	name, id := lineOf(r, lines)
	return recordRequest{Domain: d.Name, DomainID: d.ID, SubDomain: apiName(r), RecordType: r.Type,
		RecordLine: name, RecordLineID: id, Value: apiValue(r), MX: mxOf(r), TTL: r.TTL, Status: statusWord(r.Enabled)}, nil
}

// ModifyItem converts r into a ModifyRecordBatchV3 item that sets every
// field dnssync manages; r.ID must be the record's id.
func ModifyItem(r model.Record) (ModifyRecordItem, error) {
	id, err := ParseID(r.ID)
	if err != nil {
		return ModifyRecordItem{}, err
	}
	if err := checkRecord(r); err != nil {
		return ModifyRecordItem{}, err
	}
	ttl := r.TTL
	en := "0"
	if r.Enabled {
		en = "1"
	}
	name := r.Line
	if name == "" {
		name = model.DefaultLine
	}
	return ModifyRecordItem{RecordID: id, SubDomain: apiName(r), RecordType: r.Type, RecordLine: name,
		Value: apiValue(r), Enabled: en, MX: mxOf(r), TTL: &ttl}, nil
}

// Batch change fields of ModifyRecordBatch (spec §3.10).
const (
	ChangeSubDomain  = "sub_domain"
	ChangeRecordType = "record_type"
	ChangeLine       = "area"
	ChangeValue      = "value"
	ChangeMX         = "mx"
	ChangeTTL        = "ttl"
	ChangeStatus     = "status"
)

// BatchChange is one ModifyRecordBatch: Change set to ChangeTo on every
// record. With ChangeRecordType, Value (and MX for MX) go along.
type BatchChange struct {
	RecordIDs []uint64
	Change    string
	ChangeTo  string
	Value     string
	MX        *int
}

// ChangeFor builds the ModifyRecordBatch that sets field of the records ids
// to r's value of it. The line is sent by name (the legacy form; whether
// ids are accepted is UNVERIFIED) and the status as ENABLE/DISABLE, or
// enable/disable with lowerStatus.
func ChangeFor(field string, r model.Record, ids []uint64, lowerStatus bool) (BatchChange, error) {
	b := BatchChange{RecordIDs: ids, Change: field}
	switch field {
	case ChangeSubDomain:
		b.ChangeTo = apiName(r)
	case ChangeRecordType:
		b.ChangeTo, b.Value, b.MX = r.Type, apiValue(r), mxOf(r)
	case ChangeLine:
		b.ChangeTo, _ = lineOf(r, nil)
	case ChangeValue:
		b.ChangeTo = apiValue(r)
	case ChangeMX:
		b.ChangeTo = strconv.Itoa(r.MX)
		b.MX = mxOf(r)
	case ChangeTTL:
		b.ChangeTo = strconv.Itoa(r.TTL)
	case ChangeStatus:
		b.ChangeTo = statusWord(r.Enabled)
		if lowerStatus {
			b.ChangeTo = strings.ToLower(b.ChangeTo)
		}
	default:
		return b, fmt.Errorf("tencentcloud: ModifyRecordBatch cannot change %q", short(field))
	}
	return b, nil
}

// ItemState maps a batch status word to a provider-neutral state. The 3.0
// documents show only waiting and ok; running and error come from the
// legacy API (spec §3.13).
func ItemState(s string) providers.ItemState {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "ok", "success", "succeeded", "done":
		return providers.ItemOK
	case "error", "fail", "failed":
		return providers.ItemFailed
	case "running", "processing", "doing":
		return providers.ItemRunning
	default:
		return providers.ItemWaiting
	}
}

// Status turns a task report into per-record results. The task is done
// when no record is waiting or running (the API has no overall state;
// UNVERIFIED rule) and, when the counts are present, when success plus
// failure covers the total.
func (t *BatchTask) Status() providers.TaskStatus {
	st := providers.TaskStatus{Done: true, Items: []providers.ItemResult{}}
	for _, d := range t.DetailList {
		domState := ItemState(d.Status)
		for _, r := range d.RecordList {
			it := providers.ItemResult{Domain: d.Domain, What: describe(r), State: ItemState(r.Status), Message: r.ErrMsg}
			if r.RecordID != 0 {
				it.RecordID = r.RecordID.String()
			}
			// A domain that failed as a whole leaves its records
			// unprocessed: they fail with its message instead of waiting.
			if domState == providers.ItemFailed && !it.State.Final() {
				it.State, it.Message = providers.ItemFailed, d.ErrMsg
			}
			if it.State == providers.ItemFailed && it.Message == "" {
				it.Message = d.ErrMsg
			}
			st.Done = st.Done && it.State.Final()
			st.Items = append(st.Items, it)
		}
		if len(d.RecordList) == 0 && domState != providers.ItemOK {
			it := providers.ItemResult{Domain: d.Domain, What: "domain " + d.Domain, State: domState, Message: d.ErrMsg}
			st.Done = st.Done && it.State.Final()
			st.Items = append(st.Items, it)
		}
	}
	if t.TotalCount.Valid && t.TotalCount.V > 0 && t.SuccessCount.V+t.FailCount.V < t.TotalCount.V {
		st.Done = false
	}
	return st
}

func describe(r BatchRecordInfo) string {
	name := r.SubDomain
	if name == "" {
		name = "@"
	}
	return strings.TrimSpace(fmt.Sprintf("%s %s %s", name, r.RecordType, r.Value))
}
