package tencentcloud

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers"
)

func TestRecordFromAPI(t *testing.T) {
	tests := []struct {
		name string
		row  string
		want model.Record
	}{
		{"apex system NS", `{"RecordId":556507778,"Name":"@","Type":"NS","Line":"默认","LineId":"0","Value":"f1g1ns1.dnspod.net.","TTL":86400,"MX":0,"Weight":null,"Status":"ENABLE","DefaultNS":true}`,
			model.Record{Name: "@", Type: "NS", Line: "默认", Value: "f1g1ns1.dnspod.net.", TTL: 86400, Enabled: true, ID: "556507778", System: true}},
		{"MX lower-cased and dotted", `{"RecordId":2183921139,"Name":"@","Type":"mx","Line":"默认","Value":"ASPMX.L.Google.com","TTL":600,"MX":10,"Status":"ENABLE"}`,
			model.Record{Name: "@", Type: "MX", Line: "默认", Value: "aspmx.l.google.com.", MX: 10, TTL: 600, Enabled: true, ID: "2183921139"}},
		{"disabled AAAA canonical", `{"RecordId":1,"Name":"WWW","Type":"AAAA","Line":"电信","LineId":"10=0","Value":"2001:DB8::0","TTL":"600","Status":"DISABLE"}`,
			model.Record{Name: "www", Type: "AAAA", Line: "电信", Value: "2001:db8::", TTL: 600, ID: "1"}},
		{"quoted TXT", `{"RecordId":2,"Name":"_dmarc","Type":"TXT","Line":"默认","Value":"\"v=DMARC1; p=none\"","TTL":600,"Status":"ENABLE"}`,
			model.Record{Name: "_dmarc", Type: "TXT", Line: "默认", Value: "v=DMARC1; p=none", TTL: 600, Enabled: true, ID: "2"}},
		{"SRV target", `{"RecordId":3,"Name":"_sip._tcp","Type":"SRV","Line":"默认","Value":"10 5 5060 SIP.example.com","TTL":600,"Status":"ENABLE"}`,
			model.Record{Name: "_sip._tcp", Type: "SRV", Line: "默认", Value: "10 5 5060 sip.example.com.", TTL: 600, Enabled: true, ID: "3"}},
		{"line from id only", `{"RecordId":4,"Name":"w","Type":"A","LineId":"10=1","Value":"192.0.2.1","TTL":600,"Status":"ENABLE"}`,
			model.Record{Name: "w", Type: "A", Line: "联通", Value: "192.0.2.1", TTL: 600, Enabled: true, ID: "4"}},
		{"unknown line id kept", `{"RecordId":5,"Name":"w","Type":"A","LineId":"998=3","Value":"192.0.2.1","TTL":600,"Status":"ENABLE"}`,
			model.Record{Name: "w", Type: "A", Line: "998=3", Value: "192.0.2.1", TTL: 600, Enabled: true, ID: "5"}},
		{"empty name is the apex, MX ignored off MX", `{"RecordId":6,"Name":"","Type":"CNAME","Line":"默认","Value":"T.example.net.","TTL":600,"MX":3,"Status":"ENABLE"}`,
			model.Record{Name: "@", Type: "CNAME", Line: "默认", Value: "t.example.net.", TTL: 600, Enabled: true, ID: "6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var it RecordListItem
			if err := json.Unmarshal([]byte(tt.row), &it); err != nil {
				t.Fatal(err)
			}
			got, err := RecordFromAPI(it, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
		})
	}
	var it RecordListItem
	_ = json.Unmarshal([]byte(`{"RecordId":7,"Name":"x","Type":"A","Value":"192.0.2.1"}`), &it)
	if _, err := RecordFromAPI(it, nil); err == nil {
		t.Fatal("row without TTL accepted")
	}
}

func intp(n int) *int { return &n }

func TestToAPI(t *testing.T) {
	mx := model.Record{Name: "@", Type: "MX", Line: "电信", Value: "mx.example.net", MX: 5, TTL: 600, Enabled: true, ID: "12"}
	off := model.Record{Name: "www", Type: "CNAME", Line: "", Value: "t.example.net.", TTL: 300, ID: "13"}
	d := DomainRef{Name: "example.com", ID: 99}

	t.Run("record request", func(t *testing.T) {
		got, err := toRecordRequest(d, mx, DefaultLineIDs())
		if err != nil {
			t.Fatal(err)
		}
		want := recordRequest{Domain: "example.com", DomainID: 99, SubDomain: "@", RecordType: "MX", RecordLine: "电信",
			RecordLineID: "10=0", Value: "mx.example.net.", MX: intp(5), TTL: 600, Status: "ENABLE"}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("(-want +got):\n%s", d)
		}
		got, _ = toRecordRequest(d, off, DefaultLineIDs())
		if got.Status != "DISABLE" || got.MX != nil || got.RecordLine != model.DefaultLine || got.RecordLineID != "0" {
			t.Fatalf("disabled CNAME: %+v", got)
		}
	})
	t.Run("batch add", func(t *testing.T) {
		got, err := toAddRecordBatch(mx, DefaultLineIDs())
		if err != nil {
			t.Fatal(err)
		}
		want := AddRecordBatch{RecordType: "MX", Value: "mx.example.net.", SubDomain: "@", RecordLine: "电信", RecordLineID: "10=0", MX: intp(5), TTL: 600}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("(-want +got):\n%s", d)
		}
		if _, err := toAddRecordBatch(off, DefaultLineIDs()); err == nil {
			t.Fatal("disabled record accepted for CreateRecordBatch")
		}
	})
	t.Run("V3 item", func(t *testing.T) {
		got, err := ModifyItem(off)
		if err != nil {
			t.Fatal(err)
		}
		want := ModifyRecordItem{RecordID: 13, SubDomain: "www", RecordType: "CNAME", RecordLine: model.DefaultLine,
			Value: "t.example.net.", Enabled: "0", TTL: intp(300)}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("(-want +got):\n%s", d)
		}
		b, _ := json.Marshal(got)
		if string(b) != `{"RecordId":13,"SubDomain":"www","RecordType":"CNAME","RecordLine":"默认","Value":"t.example.net.","Enabled":"0","TTL":300}` {
			t.Fatalf("wire form %s", b)
		}
	})
	t.Run("batch change", func(t *testing.T) {
		tests := []struct {
			field string
			lower bool
			want  BatchChange
		}{
			{ChangeTTL, false, BatchChange{Change: "ttl", ChangeTo: "600"}},
			{ChangeStatus, false, BatchChange{Change: "status", ChangeTo: "ENABLE"}},
			{ChangeStatus, true, BatchChange{Change: "status", ChangeTo: "enable"}},
			{ChangeLine, false, BatchChange{Change: "area", ChangeTo: "电信"}},
			{ChangeValue, false, BatchChange{Change: "value", ChangeTo: "mx.example.net."}},
			{ChangeMX, false, BatchChange{Change: "mx", ChangeTo: "5", MX: intp(5)}},
			{ChangeRecordType, false, BatchChange{Change: "record_type", ChangeTo: "MX", Value: "mx.example.net.", MX: intp(5)}},
			{ChangeSubDomain, false, BatchChange{Change: "sub_domain", ChangeTo: "@"}},
		}
		for _, tt := range tests {
			got, err := ChangeFor(tt.field, mx, nil, tt.lower)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("%s (-want +got):\n%s", tt.field, d)
			}
		}
		if _, err := ChangeFor("weight", mx, nil, false); err == nil {
			t.Fatal("unknown field accepted")
		}
	})
}

func TestBatchTaskStatus(t *testing.T) {
	tests := []struct {
		name string
		body string
		want providers.TaskStatus
	}{
		{"done with a failure", `{"DetailList":[{"Domain":"example.com","Status":"ok","RecordList":[
			{"RecordId":11,"SubDomain":"www","RecordType":"A","Value":"192.0.2.1","Status":"ok","ErrMsg":null},
			{"RecordId":0,"SubDomain":"","RecordType":"TXT","Value":"x","Status":"error","ErrMsg":"记录已经存在"}]}],
			"TotalCount":2,"SuccessCount":1,"FailCount":1,"JobType":"record_add"}`,
			providers.TaskStatus{Done: true, Items: []providers.ItemResult{
				{Domain: "example.com", RecordID: "11", What: "www A 192.0.2.1", State: providers.ItemOK},
				{Domain: "example.com", What: "@ TXT x", State: providers.ItemFailed, Message: "记录已经存在"}}}},
		{"running", `{"DetailList":[{"Domain":"example.com","Status":"running","RecordList":[
			{"SubDomain":"a","RecordType":"A","Value":"192.0.2.1","Status":"ok"},
			{"SubDomain":"b","RecordType":"A","Value":"192.0.2.1","Status":"waiting"}]}],"TotalCount":"2","SuccessCount":1,"FailCount":0}`,
			providers.TaskStatus{Items: []providers.ItemResult{
				{Domain: "example.com", What: "a A 192.0.2.1", State: providers.ItemOK},
				{Domain: "example.com", What: "b A 192.0.2.1", State: providers.ItemWaiting}}}},
		{"domain failed as a whole", `{"DetailList":[{"Domain":"locked.example","Status":"error","ErrMsg":"域名已锁定","RecordList":[
			{"SubDomain":"a","RecordType":"A","Value":"192.0.2.1","Status":"waiting"}]}]}`,
			providers.TaskStatus{Done: true, Items: []providers.ItemResult{
				{Domain: "locked.example", What: "a A 192.0.2.1", State: providers.ItemFailed, Message: "域名已锁定"}}}},
		{"counts say not yet", `{"DetailList":[],"TotalCount":3,"SuccessCount":1,"FailCount":1}`,
			providers.TaskStatus{Items: []providers.ItemResult{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var bt BatchTask
			if err := json.Unmarshal([]byte(tt.body), &bt); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, bt.Status()); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestTolerantNumbers(t *testing.T) {
	tests := []struct {
		in      string
		want    Int
		wantErr bool
	}{
		{`600`, Int{600, true}, false},
		{`"600"`, Int{600, true}, false},
		{`600.0`, Int{600, true}, false},
		{`null`, Int{}, false},
		{`""`, Int{}, false},
		{`"ten"`, Int{}, true},
		{`true`, Int{}, true},
		{`6.5`, Int{}, true},
	}
	for _, tt := range tests {
		var n Int
		err := json.Unmarshal([]byte(tt.in), &n)
		if (err != nil) != tt.wantErr || (err == nil && n != tt.want) {
			t.Errorf("%s → %+v, %v", tt.in, n, err)
		}
	}
	var id ID
	if err := json.Unmarshal([]byte(`18446744073709551615`), &id); err != nil || uint64(id) != 1<<64-1 {
		t.Errorf("max uint64 id: %v %v", id, err)
	}
	if err := json.Unmarshal([]byte(`-1`), &id); err == nil {
		t.Error("negative id accepted")
	}
}
