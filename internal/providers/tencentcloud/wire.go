package tencentcloud

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Int is an integer the service sends as a JSON number, but that some
// documented examples show as a numeric string (TTL, MX, Weight in batch
// details, spec §6). null and a missing key are 0; Valid tells them apart
// from an explicit 0 where that matters (Weight).
type Int struct {
	V     int64
	Valid bool
}

// UnmarshalJSON accepts a number, a numeric string, "" and null.
func (n *Int) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*n = Int{}
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s = strings.TrimSpace(s); s == "" {
			*n = Int{}
			return nil
		}
		b = []byte(s)
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		// 600.0 is still an integer.
		f, ferr := strconv.ParseFloat(string(b), 64)
		if ferr != nil || f != float64(int64(f)) {
			return fmt.Errorf("tencentcloud: %.24q is not an integer", b)
		}
		v = int64(f)
	}
	*n = Int{V: v, Valid: true}
	return nil
}

// MarshalJSON writes the number, or null when not valid.
func (n Int) MarshalJSON() ([]byte, error) {
	if !n.Valid {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, n.V, 10), nil
}

// ID is a DomainId, RecordId or JobId: numbers above 2^31 occur (spec §5.1),
// so it is unsigned 64-bit; a numeric string is tolerated.
type ID uint64

// UnmarshalJSON accepts a number, a numeric string and null (0).
func (id *ID) UnmarshalJSON(b []byte) error {
	var n Int
	if err := n.UnmarshalJSON(b); err != nil {
		// Above int64: try unsigned.
		s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
		u, uerr := strconv.ParseUint(s, 10, 64)
		if uerr != nil {
			return err
		}
		*id = ID(u)
		return nil
	}
	if n.V < 0 {
		return fmt.Errorf("tencentcloud: negative id %d", n.V)
	}
	*id = ID(n.V)
	return nil
}

// String is the decimal form used in model.Record.ID.
func (id ID) String() string { return strconv.FormatUint(uint64(id), 10) }

// ParseID reads a decimal id (model.Record.ID, a plan's record ids).
func ParseID(s string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("tencentcloud: id %q is not a positive decimal number", short(s))
	}
	return n, nil
}

// DomainRef names a domain in a call. The API requires Domain even when
// DomainId is given (which then wins); both are sent when known.
type DomainRef struct {
	Name string
	ID   uint64 // 0 = unknown
}

// DomainItem is one row of DescribeDomainList.
type DomainItem struct {
	DomainID     ID       `json:"DomainId"`
	Name         string   `json:"Name"`
	Punycode     string   `json:"Punycode"`
	Status       string   `json:"Status"` // ENABLE, PAUSE, SPAM
	DNSStatus    string   `json:"DNSStatus"`
	Grade        string   `json:"Grade"` // e.g. DP_FREE
	GradeLevel   Int      `json:"GradeLevel"`
	GradeTitle   string   `json:"GradeTitle"`
	TTL          Int      `json:"TTL"`
	IsVip        string   `json:"IsVip"`
	RecordCount  Int      `json:"RecordCount"`
	EffectiveDNS []string `json:"EffectiveDNS"`
	Owner        string   `json:"Owner"`
	Remark       string   `json:"Remark"`
	CreatedOn    string   `json:"CreatedOn"`
	UpdatedOn    string   `json:"UpdatedOn"`
}

// Ref is the item as a DomainRef.
func (d DomainItem) Ref() DomainRef { return DomainRef{Name: d.Name, ID: uint64(d.DomainID)} }

type describeDomainListResponse struct {
	DomainCountInfo struct {
		DomainTotal Int `json:"DomainTotal"`
		AllTotal    Int `json:"AllTotal"`
	} `json:"DomainCountInfo"`
	DomainList []DomainItem `json:"DomainList"`
}

// DomainInfo is DescribeDomain's answer.
type DomainInfo struct {
	DomainID     ID       `json:"DomainId"`
	Domain       string   `json:"Domain"`
	Punycode     string   `json:"Punycode"`
	Status       string   `json:"Status"`
	Grade        string   `json:"Grade"`
	GradeLevel   Int      `json:"GradeLevel"`
	GradeTitle   string   `json:"GradeTitle"`
	TTL          Int      `json:"TTL"`
	DnspodNsList []string `json:"DnspodNsList"`
	ActualNsList []string `json:"ActualNsList"`
	RecordCount  Int      `json:"RecordCount"`
	IsVip        string   `json:"IsVip"`
	Owner        string   `json:"Owner"`
	CreatedOn    string   `json:"CreatedOn"`
	UpdatedOn    string   `json:"UpdatedOn"`
}

// Line is one resolution line of DescribeRecordLineList.
type Line struct {
	Name   string `json:"Name"`
	LineID string `json:"LineId"`
}

// PurviewItem is one limit of DescribeDomainPurview.
type PurviewItem struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

// RecordListItem is one row of DescribeRecordList.
type RecordListItem struct {
	RecordID      ID     `json:"RecordId"`
	Name          string `json:"Name"`
	Type          string `json:"Type"`
	Line          string `json:"Line"`
	LineID        string `json:"LineId"`
	Value         string `json:"Value"`
	TTL           Int    `json:"TTL"`
	MX            Int    `json:"MX"`
	Weight        Int    `json:"Weight"`
	Status        string `json:"Status"` // ENABLE, DISABLE
	MonitorStatus string `json:"MonitorStatus"`
	Remark        string `json:"Remark"`
	UpdatedOn     string `json:"UpdatedOn"`
	DefaultNS     bool   `json:"DefaultNS"`
}

type describeRecordListResponse struct {
	RecordCountInfo struct {
		SubdomainCount Int `json:"SubdomainCount"`
		ListCount      Int `json:"ListCount"`
		TotalCount     Int `json:"TotalCount"`
	} `json:"RecordCountInfo"`
	RecordList []RecordListItem `json:"RecordList"`
}

// AddRecordBatch is one record of CreateRecordBatch. The API has no
// status, weight or remark here (spec §3.9).
type AddRecordBatch struct {
	RecordType   string `json:"RecordType"`
	Value        string `json:"Value"`
	SubDomain    string `json:"SubDomain"`
	RecordLine   string `json:"RecordLine,omitempty"`
	RecordLineID string `json:"RecordLineId,omitempty"`
	MX           *int   `json:"MX,omitempty"`
	TTL          int    `json:"TTL,omitempty"`
}

// BatchRecordInfo is a record in batch answers and task reports.
type BatchRecordInfo struct {
	ID         Int    `json:"Id"` // position in the request
	RecordID   ID     `json:"RecordId"`
	SubDomain  string `json:"SubDomain"`
	RecordType string `json:"RecordType"`
	RecordLine string `json:"RecordLine"`
	Value      string `json:"Value"`
	TTL        Int    `json:"TTL"`
	MX         Int    `json:"MX"`
	Weight     Int    `json:"Weight"`
	Enabled    Int    `json:"Enabled"`
	Remark     string `json:"Remark"`
	Status     string `json:"Status"`    // waiting, running, ok, error (spec §3.13)
	Operation  string `json:"Operation"` // plus, edit, remove
	ErrMsg     string `json:"ErrMsg"`
}

// BatchDomainDetail is the per-domain block of batch answers and of
// DescribeBatchTask.
type BatchDomainDetail struct {
	ID          Int               `json:"Id"`
	DomainID    ID                `json:"DomainId"`
	Domain      string            `json:"Domain"`
	DomainGrade string            `json:"DomainGrade"`
	Status      string            `json:"Status"`
	Operation   string            `json:"Operation"`
	ErrMsg      string            `json:"ErrMsg"`
	RecordList  []BatchRecordInfo `json:"RecordList"`
}

// BatchJob is the answer to CreateRecordBatch and ModifyRecordBatch: the
// task id and an echo of the input in state "waiting" (not results).
type BatchJob struct {
	JobID      ID                  `json:"JobId"`
	DetailList []BatchDomainDetail `json:"DetailList"`
}

type modifyRecordBatchRequest struct {
	RecordIDList []uint64 `json:"RecordIdList"`
	Change       string   `json:"Change"`
	ChangeTo     string   `json:"ChangeTo"`
	Value        string   `json:"Value,omitempty"`
	MX           string   `json:"MX,omitempty"`
}

// ModifyRecordItem is one record of ModifyRecordBatchV3. Omitted fields
// are meant to stay unchanged (UNVERIFIED, spec §3.11); the client always
// fills every field it manages.
type ModifyRecordItem struct {
	RecordID   uint64  `json:"RecordId"`
	SubDomain  string  `json:"SubDomain,omitempty"`
	RecordType string  `json:"RecordType,omitempty"`
	RecordLine string  `json:"RecordLine,omitempty"`
	Value      string  `json:"Value,omitempty"`
	Enabled    string  `json:"Enabled,omitempty"` // "1" or "0"
	Remark     *string `json:"Remark,omitempty"`
	Weight     *int    `json:"Weight,omitempty"`
	MX         *int    `json:"MX,omitempty"`
	TTL        *int    `json:"TTL,omitempty"`
}

// DeleteBatchDetail is the per-domain block of DeleteRecordBatch's
// answer. RecordList is a JSON document inside a string (spec §3.12).
type DeleteBatchDetail struct {
	DomainID   ID     `json:"DomainId"`
	Domain     string `json:"Domain"`
	Error      string `json:"Error"`
	Status     string `json:"Status"`
	Operation  string `json:"Operation"`
	RecordList string `json:"RecordList"`
}

// DeleteJob is DeleteRecordBatch's answer.
type DeleteJob struct {
	JobID      ID                  `json:"JobId"`
	DetailList []DeleteBatchDetail `json:"DetailList"`
}

// BatchTask is DescribeBatchTask's answer. It has no overall state; see
// Status.
type BatchTask struct {
	DetailList   []BatchDomainDetail `json:"DetailList"`
	TotalCount   Int                 `json:"TotalCount"`
	SuccessCount Int                 `json:"SuccessCount"`
	FailCount    Int                 `json:"FailCount"`
	JobType      string              `json:"JobType"`
	CreatedAt    string              `json:"CreatedAt"`
}

// recordRequest is the body of CreateRecord and ModifyRecord.
type recordRequest struct {
	Domain       string `json:"Domain"`
	DomainID     uint64 `json:"DomainId,omitempty"`
	RecordID     uint64 `json:"RecordId,omitempty"`
	SubDomain    string `json:"SubDomain"`
	RecordType   string `json:"RecordType"`
	RecordLine   string `json:"RecordLine"`
	RecordLineID string `json:"RecordLineId,omitempty"`
	Value        string `json:"Value"`
	MX           *int   `json:"MX,omitempty"`
	TTL          int    `json:"TTL"`
	Status       string `json:"Status"`
}
