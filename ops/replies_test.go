package ops_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/ops"
)

// A held reply of a request that ended (rejected, expired) cannot be
// released: nothing would apply it. It can still be discarded.
func TestReleaseRefusedOnceTheRequestEnded(t *testing.T) {
	o, conn, store := supportOps(t)
	ctx := context.Background()
	for i, stage := range []lifecycle.Stage{lifecycle.StageRejected, lifecycle.StageExpired, lifecycle.StageAwaitingDetails} {
		id := "REQ-" + string(stage)
		reply := strings.Repeat(string(rune('a'+i)), 32)
		if _, err := store.Update(ctx, id, func(r *lifecycle.Record) error {
			r.Stage = stage
			r.Held = []lifecycle.HeldReply{{ReplyID: reply, From: "jane@northwind.example", MatchedBy: "subject", Status: lifecycle.HeldWaiting}}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		_, err := o.ReleaseReply(ctx, id, "", "ops")
		var he *ops.HeldError
		if !stage.Ended() {
			if err != nil {
				t.Errorf("release at %s: %v", stage, err)
			}
			continue
		}
		if !errors.As(err, &he) || !strings.Contains(err.Error(), "is "+string(stage)) || !strings.Contains(err.Error(), "discard it") {
			t.Errorf("release at %s: %v, want a HeldError saying so", stage, err)
		}
		if _, err := o.DiscardReply(ctx, id, reply[:8], "ops", "request ended"); err != nil {
			t.Errorf("discard at %s: %v", stage, err)
		}
	}
	if n := brokertest.Count(t, conn, events.SubjectReplyReleased); n != 1 {
		t.Fatalf("%d releases published, want the one at awaiting_details", n)
	}
	if n := brokertest.Count(t, conn, events.SubjectReplyDiscarded); n != 2 {
		t.Fatalf("%d discards published", n)
	}
}
