package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/lifecycle"
)

// A held reply of a rejected request is not released (409, in ops' words),
// and is discarded.
func TestReleaseOnAnEndedRequestConflicts(t *testing.T) {
	ts, conn := server(t)
	kv, err := conn.JS.KeyValue(context.Background(), broker.BucketRequests)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lifecycle.NewStore(kv).Update(context.Background(), "REQ-ENDED", func(r *lifecycle.Record) error {
		r.Stage = lifecycle.StageRejected
		r.Held = []lifecycle.HeldReply{{ReplyID: strings.Repeat("c", 32), MatchedBy: "subject", Status: lifecycle.HeldWaiting}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	code, body := do(t, "POST", ts.URL+"/v1/requests/REQ-ENDED/replies/release", "", `{"by":"ops"}`)
	if msg, _ := body["error"].(string); code != 409 || !strings.Contains(msg, "discard it") {
		t.Fatalf("release: %d %v", code, body)
	}
	if code, body := do(t, "POST", ts.URL+"/v1/requests/REQ-ENDED/replies/discard", "", `{"by":"ops"}`); code != 202 {
		t.Fatalf("discard: %d %v", code, body)
	}
}
