package tencentcloud_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud"
	"github.com/dnssync/dnssync/internal/providers/tencentcloud/tencentcloudtest"
)

// TestNoSecretInOutput drives successful and failing calls (wrong key,
// faults, lost answers, a refused connection) with temporary credentials
// and debug logging, then greps every error, the client's log, the
// options as printed and the emulator's request log for the key and the
// session token.
func TestNoSecretInOutput(t *testing.T) {
	h := start(t, tencentcloudtest.Options{}, true, func(o *tencentcloud.Options) {
		o.Credentials = tencentcloud.Credentials{SecretID: "AKIDtemp", SecretKey: testKey, SessionToken: testToken}
		o.Timeout = 300 * time.Millisecond
		o.MaxRetries = 1
	})
	h.emu.AddTempKey("AKIDtemp", testKey, testToken)
	d := h.domain(t, "example.com", "")
	ctx := context.Background()
	var outputs []string
	note := func(err error) {
		if err != nil {
			outputs = append(outputs, err.Error(), fmt.Sprintf("%+v %#v", err, err))
		}
	}

	_, err := h.c.DescribeRecordList(ctx, d)
	note(err)
	for _, k := range []tencentcloudtest.FaultKind{tencentcloudtest.FaultServerError, tencentcloudtest.FaultDrop,
		tencentcloudtest.FaultAfterCommit5xx, tencentcloudtest.FaultInternalError, tencentcloudtest.FaultSlow} {
		h.emu.Inject(tencentcloudtest.Injection{Action: "CreateRecord", Kind: k, Delay: 500 * time.Millisecond})
		_, err := h.c.CreateRecord(ctx, d, rec("w"+string(k[:2]), "A", "192.0.2.1", 600))
		if err == nil {
			t.Errorf("%s: no error", k)
		}
		note(err)
	}
	_, err = h.c.CreateRecord(ctx, d, rec("bad", "A", "not-an-address", 600))
	note(err)

	// The same key under another id: a signature failure.
	wrong := start(t, tencentcloudtest.Options{}, false, func(o *tencentcloud.Options) {
		o.Credentials = tencentcloud.Credentials{SecretID: testID, SecretKey: "x" + testKey, SessionToken: testToken}
	})
	_, err = wrong.c.DescribeDomainList(ctx)
	note(err)
	refused, err := tencentcloud.New(tencentcloud.Options{Endpoint: "http://127.0.0.1:1",
		Credentials: tencentcloud.Credentials{SecretID: testID, SecretKey: testKey, SessionToken: testToken}, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = refused.CreateRecordBatch(ctx, []uint64{1}, []model.Record{rec("a", "A", "192.0.2.1", 600)})
	note(err)

	time.Sleep(600 * time.Millisecond) // the slow handler finishes
	outputs = append(outputs, h.log.String(), wrong.log.String(), fmt.Sprintf("%v %+v %#v", h.c.Options(), h.c.Options(), h.c.Options()))
	b, _ := json.Marshal(h.emu.Log())
	outputs = append(outputs, string(b))
	if len(outputs) < 8 || !strings.Contains(h.log.String(), "CreateRecord") {
		t.Fatalf("too little output to check: %d pieces", len(outputs))
	}
	for _, out := range outputs {
		for _, secret := range []string{testKey, testToken} {
			if strings.Contains(out, secret) {
				t.Fatalf("secret %.6s… in output:\n%s", secret, out)
			}
		}
	}
}
