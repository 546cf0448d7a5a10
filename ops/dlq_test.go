package ops_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/ops"
	"github.com/acctflow/acctflow/retry"
)

// recorder is a handler that fails permanently until fixed, and records the
// event id of every message it handles.
type recorder struct {
	fixed atomic.Bool
	mu    sync.Mutex
	ids   []string
	seen  []nats.Header
}

func (r *recorder) handler(name, subject string) broker.Handler {
	return broker.Handler{Name: name, Subjects: []string{subject}, Effect: events.EffectEmail, EffectKind: "confirmation",
		Handle: func(_ context.Context, m broker.Msg) error {
			r.mu.Lock()
			r.ids = append(r.ids, m.Env.ID)
			r.seen = append(r.seen, m.Header)
			r.mu.Unlock()
			if !r.fixed.Load() {
				return retry.Permanent(errors.New("550 5.1.1 recipient rejected"))
			}
			return nil
		}}
}

func (r *recorder) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

func TestDLQListShowReplay(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	target := &recorder{}
	var bystander atomic.Int32
	brokertest.Run(t, conn, target.handler("mailer", "acct.routed.*"),
		broker.Handler{Name: "watcher", Subjects: []string{"acct.routed.*"}, Handle: func(context.Context, broker.Msg) error {
			bystander.Add(1)
			return nil
		}})
	// One event as acctflow publishes it (ce-id set), one as an upstream
	// system might (only Nats-Msg-Id): both must keep their ids.
	brokertest.PublishRaw(t, conn, "acct.routed.us", []byte(`{"request_id":"REQ.US.1"}`), "")
	h := nats.Header{}
	h.Set(events.HeaderMsgID, "ce-de") // as acctflow publishes: Nats-Msg-Id = ce-id
	h.Set(events.HeaderID, "ce-de")
	h.Set(events.HeaderSubject, "REQ-DE-1")
	if _, err := conn.JS.PublishMsg(context.Background(), &nats.Msg{Subject: "acct.routed.emea", Header: h, Data: []byte(`{"request_id":"REQ-DE-1"}`)}); err != nil {
		t.Fatal(err)
	}
	brokertest.WaitCount(t, conn, "dlq.>", 2)
	brokertest.WaitIdle(t, conn, "mailer")
	brokertest.WaitIdle(t, conn, "watcher")
	firstIDs := target.calls()
	if len(firstIDs) != 2 || bystander.Load() != 2 {
		t.Fatalf("first round: target %v, bystander %d", firstIDs, bystander.Load())
	}

	d := &ops.DLQ{JS: conn.JS}
	ctx := context.Background()
	all, err := d.List(ctx, "")
	if err != nil || len(all) != 2 {
		t.Fatalf("list: %v %+v", err, all)
	}
	for _, filter := range []string{"acct.routed.emea", "dlq.acct.routed.emea"} {
		only, err := d.List(ctx, filter)
		if err != nil || len(only) != 1 || only[0].Subject != "acct.routed.emea" || only[0].Handler != "mailer" ||
			only[0].RequestID != "REQ-DE-1" || !strings.Contains(only[0].Error, "550") || only[0].EventID != "ce-de" {
			t.Fatalf("list --subject %s: %v %+v", filter, err, only)
		}
	}
	if _, err := d.List(ctx, "acct..x"); !ops.IsBadDLQInput(err) {
		t.Fatalf("a malformed subject gave %v", err)
	}
	us, _ := d.List(ctx, "acct.routed.us")
	if len(us) != 1 || us[0].RequestID != "REQ.US.1" {
		t.Fatalf("list of a dead letter published with no headers: %+v", us)
	}
	shown, err := d.Show(ctx, us[0].Seq)
	if err != nil || shown.RequestID != "REQ.US.1" || shown.Header[broker.HeaderHandler][0] != "mailer" || shown.Payload == nil {
		t.Fatalf("show: %v %+v", err, shown)
	}
	if _, err := d.Show(ctx, 999); !errors.Is(err, ops.ErrDeadLetterNotFound) {
		t.Fatalf("show of a missing sequence: %v", err)
	}

	// Fix the cause; replay one, then the rest. Both replays happen inside
	// JetStream's duplicate window of the originals.
	target.fixed.Store(true)
	r, err := d.Replay(ctx, us[0].Seq)
	if err != nil || r.Duplicate || r.Handler != "mailer" || r.Subject != "acct.routed.us" {
		t.Fatalf("replay: %v %+v", err, r)
	}
	if _, err := d.Replay(ctx, us[0].Seq); !errors.Is(err, ops.ErrDeadLetterNotFound) {
		t.Fatalf("a second replay of the same dead letter: %v", err)
	}
	rs, err := d.ReplayAll(ctx, "acct.routed.*")
	if err != nil || len(rs) != 1 {
		t.Fatalf("replay --all: %v %+v", err, rs)
	}
	brokertest.CheckFor(t, 15e9, 10e6, func() error {
		if n := len(target.calls()); n != 4 {
			return fmt.Errorf("target handled %d messages", n)
		}
		return nil
	})
	brokertest.WaitIdle(t, conn, "mailer")
	brokertest.WaitIdle(t, conn, "watcher")
	if n := brokertest.Count(t, conn, "dlq.>"); n != 0 {
		t.Fatalf("%d dead letters left after replaying all", n)
	}
	if bystander.Load() != 2 {
		t.Fatalf("the other handler saw the replays (%d messages)", bystander.Load())
	}
	ids := target.calls()
	want := map[string]bool{firstIDs[0]: true, firstIDs[1]: true}
	for _, id := range ids[2:] {
		if !want[id] {
			t.Fatalf("a replay arrived with event id %q; the originals had %v", id, firstIDs)
		}
	}
	if ids[2] == ids[3] {
		t.Fatalf("both replays carry %q", ids[2])
	}
	// Each replay was recorded as failed once, at its dead-lettering.
	if n := brokertest.Count(t, conn, events.SubjectEffectFailed); n != 2 {
		t.Fatalf("%d effect.failed events, want 2", n)
	}
}

// A replay carries the original headers and payload, keeps ce-id, drops
// what the broker added when it dead-lettered, and names the handler.
func TestReplayRestoresTheOriginalMessage(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	h := nats.Header{}
	h.Set(events.HeaderID, "ev-1")
	h.Set(events.HeaderMsgID, "dlq-id-1")
	h.Set(events.HeaderTraceParent, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.Set(broker.HeaderHandler, "mailer")
	h.Set(broker.HeaderError, "550 unknown user")
	h.Set(broker.HeaderDeliveries, "1")
	data := []byte(`{"request_id":"REQ-1"}`)
	ack, err := conn.JS.PublishMsg(context.Background(), &nats.Msg{Subject: "dlq.acct.routed.us", Header: h, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&ops.DLQ{JS: conn.JS}).Replay(context.Background(), ack.Sequence); err != nil {
		t.Fatal(err)
	}
	msgs := brokertest.Messages(t, conn, "acct.routed.us")
	if len(msgs) != 1 {
		t.Fatalf("%d replays stored, want 1", len(msgs))
	}
	got := msgs[0].Headers()
	if got.Get(events.HeaderID) != "ev-1" || got.Get(events.HeaderTraceParent) == "" || got.Get(broker.HeaderReplayFor) != "mailer" ||
		got.Get(broker.HeaderError) != "" || got.Get(broker.HeaderDeliveries) != "" || got.Get(broker.HeaderHandler) != "" ||
		got.Get(events.HeaderMsgID) == "" || got.Get(events.HeaderMsgID) == "dlq-id-1" || string(msgs[0].Data()) != string(data) {
		t.Fatalf("replayed %v %s", got, msgs[0].Data())
	}
}
