package aliyun

import (
	"encoding/json"
	"net/http"
	"testing"
)

// FuzzWire: the loosely typed response decoders and the error parser never
// panic, and an error always names its action and status.
func FuzzWire(f *testing.F) {
	f.Add([]byte(`{"RequestId":"r","Code":"Throttling.User","Message":"m"}`), 400)
	f.Add([]byte(`<html>502</html>`), 502)
	f.Add([]byte(`{"DnsList":{"Dns":["ns1.example.com"]},"TaskNo":12345}`), 200)
	f.Add([]byte(`{"DnsList":"ns1.example.com","TaskNo":"x"}`), 200)
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		e := parseError("QueryDnsHost", &http.Response{StatusCode: status}, body)
		if e.Action != "QueryDnsHost" || e.HTTPStatus != status || e.Error() == "" {
			t.Fatalf("error lost its context: %+v", e)
		}
		var v struct {
			S  flexString        `json:"TaskNo"`
			I  flexInt           `json:"PageNumber"`
			B  flexBool          `json:"AliyunDns"`
			NS nsList            `json:"DnsList"`
			O  oneOrMany[string] `json:"Objects"`
		}
		_ = json.Unmarshal(body, &v)
	})
}
