package lifecycle_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/lifecycle"
)

// Two events of one request are folded by two workers, and the one that
// wrote the older revision syncs the index last. The index follows the
// record's latest revision all the same: a request that ended is not brought
// back into its region's queue (it was, as a flaky digest showed), and a
// missing line is made from the latest record.
func TestIndexSyncedOutOfOrder(t *testing.T) {
	ctx := context.Background()
	conn := brokertest.Connect(t, brokertest.Server(t))
	store := handlertest.Store(t, conn)
	index := store.Index(brokertest.KV(t, conn, broker.BucketOpen))
	seq := uint64(0)
	fold := func(id string, ev events.Event) lifecycle.Changed {
		t.Helper()
		data, err := events.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		seq++
		env := events.Envelope{ID: events.DerivedID("test", id, ev.Subject()), Time: events.Time(time.Now())}
		c, err := store.Change(ctx, id, func(r *lifecycle.Record) error {
			return lifecycle.Apply(r, ev.Subject(), data, env, seq)
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	sync := func(c lifecycle.Changed) {
		t.Helper()
		if err := index.Sync(ctx, c.Before, c.After, c.Rev); err != nil {
			t.Fatal(err)
		}
	}
	open := func() map[string]lifecycle.Stage {
		t.Helper()
		lines, err := index.Open(ctx, "us")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]lifecycle.Stage{}
		for _, l := range lines {
			out[l.RequestID] = l.Stage
		}
		return out
	}

	// Ended: confirmed, then rejected; the rejection's sync comes first.
	fold("REQ-ENDED", handlertest.Routed(handlertest.Request("REQ-ENDED")))
	confirmed := fold("REQ-ENDED", handlertest.Confirmed("REQ-ENDED"))
	rejected := fold("REQ-ENDED", events.RequestRejected{RequestID: "REQ-ENDED", Reasons: []string{events.ReasonOpsRejected},
		Detail: "duplicate", RejectedBy: "ops", RejectedAt: events.Time(time.Now())})
	if rejected.After.Stage != lifecycle.StageRejected {
		t.Fatalf("rejection folded to %s", rejected.After.Stage)
	}
	sync(rejected)
	sync(confirmed)
	if got := open(); len(got) != 0 {
		t.Fatalf("an ended request is back in the queue: %v", got)
	}

	// Still open: routed, then confirmed; only the older sync has run.
	routed := fold("REQ-OPEN", handlertest.Routed(handlertest.Request("REQ-OPEN")))
	fold("REQ-OPEN", handlertest.Confirmed("REQ-OPEN"))
	sync(routed)
	if got := open(); got["REQ-OPEN"] != lifecycle.StageAwaitingDetails {
		t.Fatalf("the line was made from an older revision: %v", got)
	}
}

// A flood of rejected replies (auto-replies from anyone, say) cannot push a
// waiting held reply out of the record: the history drops them first.
func TestHeldReplyOutlivesAFloodOfRejectedReplies(t *testing.T) {
	var r lifecycle.Record
	apply := func(subject, data string, seq uint64) {
		t.Helper()
		if err := lifecycle.Apply(&r, subject, []byte(data), events.Envelope{ID: fmt.Sprintf("ev-%d", seq)}, seq); err != nil {
			t.Fatal(err)
		}
	}
	apply(events.SubjectReplyHeld, `{"reply_id":"aaaaaaaaaaaaaaaa","request_id":"REQ-FLOOD","reason":"unverified_sender","matched_by":"subject",`+
		`"root_email":"root@acme.example","confirmation_requested":true,"held_at":"2026-12-03T10:00:00Z"}`, 10)
	for i := range 450 {
		apply(events.SubjectReplyRejected, fmt.Sprintf(`{"reply_id":"%016x","request_id":"REQ-FLOOD","reason":"auto_reply","rejected_at":"2026-12-03T10:00:01Z"}`, i), uint64(20+i))
	}
	// One more arrives late (an earlier stream position): the record is
	// folded again from its history.
	apply(events.SubjectReplyRejected, `{"reply_id":"bbbbbbbbbbbbbbbb","request_id":"REQ-FLOOD","reason":"auto_reply","rejected_at":"2026-12-03T10:00:01Z"}`, 15)
	if len(r.History) > 400 {
		t.Fatalf("history of %d entries", len(r.History))
	}
	if len(r.Held) != 1 || r.Held[0].ReplyID != "aaaaaaaaaaaaaaaa" || r.Held[0].Status != lifecycle.HeldWaiting {
		t.Fatalf("held replies after the flood: %+v", r.Held)
	}
}
