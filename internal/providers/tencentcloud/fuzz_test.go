package tencentcloud

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzDecodeAnswers: the answer decoders never panic, and every row they
// accept converts or fails cleanly.
func FuzzDecodeAnswers(f *testing.F) {
	f.Add([]byte(`{"Response":{"RecordCountInfo":{"TotalCount":2},"RecordList":[{"RecordId":556507778,"Name":"@","Type":"NS","Line":"默认","LineId":"0","Value":"f1g1ns1.dnspod.net.","TTL":86400,"MX":0,"Weight":null,"Status":"ENABLE","DefaultNS":true}],"RequestId":"x"}}`))
	f.Add([]byte(`{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"m"},"RequestId":"r"}}`))
	f.Add([]byte(`{"Response":{"DetailList":[{"RecordList":[{"TTL":"600","MX":"10","Weight":"5","Status":"ok"}]}],"TotalCount":"1","SuccessCount":1}}`))
	f.Add([]byte(`{"Response":{"JobId":"18446744073709551615","DetailList":[{"RecordList":"[{\"id\":\"1\"}]"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var env envelope
		if json.Unmarshal(data, &env) != nil || len(env.Response) == 0 {
			return
		}
		var eb errorBody
		_ = json.Unmarshal(env.Response, &eb)
		var list describeRecordListResponse
		if json.Unmarshal(env.Response, &list) == nil {
			for _, it := range list.RecordList {
				if r, err := RecordFromAPI(it, nil); err == nil && (r.Name == "" || r.Line == "" || r.ID == "") {
					t.Fatalf("incomplete record %+v from %+v", r, it)
				}
			}
		}
		var bt BatchTask
		if json.Unmarshal(env.Response, &bt) == nil {
			st := bt.Status()
			for _, it := range st.Items {
				if st.Done && !it.State.Final() {
					t.Fatalf("done with item %+v", it)
				}
			}
		}
		var dj DeleteJob
		_ = json.Unmarshal(env.Response, &dj)
		var bj BatchJob
		_ = json.Unmarshal(env.Response, &bj)
	})
}

// FuzzParseCredentialsFile: never panics, never quotes the file in an
// error.
func FuzzParseCredentialsFile(f *testing.F) {
	f.Add([]byte("tencentcloud:\n  secret_id: AKID\n  secret_key: SECRETVALUE\n"))
	f.Add([]byte("tencentcloud: [secret_key: SECRETVALUE\n"))
	f.Add([]byte("tencentcloud:\n  secret_id: ' AKID'\n  secret_key: SECRETVALUE\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCredentialsFile(data, "tencentcloud")
		if err != nil {
			if strings.Contains(string(data), "SECRETVALUE") && strings.Contains(err.Error(), "SECRETVALUE") {
				t.Fatalf("error quotes the file: %v", err)
			}
			return
		}
		if c.SecretID == "" || c.SecretKey == "" {
			t.Fatalf("accepted incomplete credentials from %q", data)
		}
	})
}
