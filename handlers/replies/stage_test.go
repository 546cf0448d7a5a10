package replies_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
)

func TestOversizeRejected(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
	e.seed(t, "REQ-1001")
	hdr := "From: jane@northwind.example\r\nTo: " + token(t, "REQ-1001") + "\r\nSubject: big\r\nMessage-ID: <big@northwind.example>\r\n\r\n"
	must(t, e.sink.Deliver(context.Background(), inboxMessage(hdr, 50<<20, true)))
	waitCount(t, e.conn, events.SubjectReplyRejected, 1)
	rej := decode[events.ReplyRejected](t, e.conn, events.SubjectReplyRejected, 0)
	if rej.Reason != events.ReplyTooLarge || rej.MessageID != "big@northwind.example" {
		t.Fatalf("rejected %+v", rej)
	}
}

func TestWrongStageAndRoleARNAfterCreation(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
	e.seed(t, "REQ-ROLE")
	created := events.AccountCreated{RequestID: "REQ-ROLE", AccountID: "123456789012", Method: "manual", CreatedAt: events.Time(time.Now())}
	_, err := events.Publish(context.Background(), e.conn.JS, created, "created-1", "test", events.Envelope{})
	must(t, err)
	e.waitStage(t, "REQ-ROLE", lifecycle.StageCreated)

	e.deliver(t, eml(mail{To: token(t, "REQ-ROLE"), Subject: subject("REQ-ROLE"), Body: body("late@acme.example", "Late", "basic")}))
	waitCount(t, e.conn, events.SubjectReplyRejected, 1)
	if rej := decode[events.ReplyRejected](t, e.conn, events.SubjectReplyRejected, 0); rej.Reason != events.ReplyWrongStage {
		t.Fatalf("rejected %+v", rej)
	}
	e.deliver(t, eml(mail{To: token(t, "REQ-ROLE"), Subject: subject("REQ-ROLE"),
		Body: "Here is the role:\narn:aws:iam::123456789012:role/DistributorAccess\n\nJane\n"}))
	waitCount(t, e.conn, events.SubjectRoleSubmitted, 1)
	rs := decode[events.RoleSubmitted](t, e.conn, events.SubjectRoleSubmitted, 0)
	if rs.RoleARN != "arn:aws:iam::123456789012:role/DistributorAccess" || rs.SubmittedBy != contact {
		t.Fatalf("role %+v", rs)
	}
}

// The handler dies after publishing details.submitted but before the ack;
// by the redelivery the projection has moved on: nothing is judged twice.
func TestCompleteReplyRedeliveredAfterProjection(t *testing.T) {
	e := setup(t)
	h := e.handler(t, e.conn)
	var calls atomic.Int32
	b := h.Broker()
	b.Handle = func(ctx context.Context, m broker.Msg) error {
		if err := h.Handle(ctx, m); err != nil {
			return err
		}
		if m.Subject == events.SubjectReplyReceived && calls.Add(1) == 1 {
			e.waitStage(t, "REQ-1001", lifecycle.StageDetailsReceived)
			return errors.New("crashed before ack")
		}
		return nil
	}
	brokertest.Run(t, e.conn, b, e.projection(t))
	e.seed(t, "REQ-1001")
	e.deliver(t, eml(mail{To: token(t, "REQ-1001"), Subject: subject("REQ-1001"), Body: body("root@acme.example", "Acme", "dev")}))
	brokertest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if calls.Load() < 2 {
			return fmt.Errorf("%d deliveries", calls.Load())
		}
		return nil
	})
	idle(t, e.conn)
	if n, r := brokertest.Count(t, e.conn, events.SubjectDetailsSubmitted), brokertest.Count(t, e.conn, events.SubjectReplyRejected); n != 1 || r != 0 {
		t.Fatalf("%d submitted, %d rejected", n, r)
	}
}
