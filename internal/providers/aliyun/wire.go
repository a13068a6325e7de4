package aliyun

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// The Domain API's JSON is loosely typed in places (doc examples show
// numbers where the SDKs declare strings, single objects where they declare
// arrays). These decoders accept both forms, as the official SDK does.

// flexString accepts a JSON string, number or bool.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*f = ""
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	*f = flexString(b)
	return nil
}

// flexInt accepts a JSON number or a numeric string.
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	str := strings.TrimSpace(string(s))
	if str == "" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseFloat(str, 64)
	if err != nil {
		return err
	}
	*f = flexInt(n)
	return nil
}

// flexBool accepts a JSON bool or "true"/"false".
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	*f = flexBool(strings.EqualFold(strings.TrimSpace(string(s)), "true"))
	return nil
}

// oneOrMany accepts a JSON array of T, a single T, or null.
type oneOrMany[T any] []T

func (o *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*o = nil
		return nil
	case b[0] == '[':
		var list []T
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		*o = list
		return nil
	default:
		var one T
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*o = []T{one}
		return nil
	}
}

// nsList is a name-server list: {"Dns": [...]} (QueryDomainByDomainName and
// SDK1), {"DnsList": [...]} (SDK2's QueryDomainList) or a bare array (old
// doc examples).
type nsList []string

func (n *nsList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*n = nil
		return nil
	}
	if b[0] == '[' {
		var list oneOrMany[string]
		err := json.Unmarshal(b, &list)
		*n = nsList(list)
		return err
	}
	var obj struct {
		Dns     oneOrMany[string]
		DnsList oneOrMany[string]
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	if len(obj.Dns) > 0 {
		*n = nsList(obj.Dns)
	} else {
		*n = nsList(obj.DnsList)
	}
	return nil
}

type wirePage struct {
	RequestId      string
	TotalItemNum   flexInt
	CurrentPageNum flexInt
	PageSize       flexInt
	TotalPageNum   flexInt
	PrePage        flexBool
	NextPage       flexBool
}

// more reports whether another page follows page.
func (p wirePage) more(page, got int) bool {
	if got == 0 {
		return false
	}
	return bool(p.NextPage) || page < int(p.TotalPageNum)
}

type wireDomain struct {
	DomainName       string
	InstanceId       string
	DomainStatus     flexString
	DomainType       string
	RegistrationDate string
	ExpirationDate   string
	DnsList          nsList
}

type wireDomainList struct {
	wirePage
	Data struct {
		Domain oneOrMany[wireDomain]
	}
}

type wireDNSHost struct {
	DnsName string
	IpList  oneOrMany[string]
}

type wireDNSHostList struct {
	RequestId   string
	DnsHostList oneOrMany[wireDNSHost]
}

type wireTask struct {
	RequestId string
	TaskNo    string
}

type wireTaskDetail struct {
	TaskNo              string
	TaskDetailNo        string
	TaskType            string
	TaskTypeDescription string
	InstanceId          string
	DomainName          string
	TaskStatus          string
	TaskStatusCode      flexInt
	TryCount            flexInt
	ErrorMsg            string
	FailReason          string
	TaskResult          flexString
	CreateTime          string
	UpdateTime          string
}

type wireTaskDetailList struct {
	wirePage
	Data struct {
		TaskDetail oneOrMany[wireTaskDetail]
	}
}
