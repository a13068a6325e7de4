package dnspod

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeRecordList: the tolerant decoders never panic on any answer
// body, and every id they accept renders as a string again.
func FuzzDecodeRecordList(f *testing.F) {
	f.Add([]byte(`{"status":{"code":"1"},"domain":{"id":12345,"ttl":600},"info":{"record_total":"1"},"records":[{"id":"1","name":"@","ttl":"600","mx":"0","enabled":"1","weight":null}]}`))
	f.Add([]byte(`{"records":[{"id":1,"ttl":600,"enabled":true,"weight":"5"}]}`))
	f.Add([]byte(`{"records":[{"id":false,"remark":false}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var a recordListAnswer
		if err := json.Unmarshal(data, &a); err != nil {
			return
		}
		for _, r := range a.Records {
			_ = r.ID.String()
			_ = r.TTL.IntOr(0)
		}
		_ = a.Info.RecordTotal.IntOr(-1)
	})
}
