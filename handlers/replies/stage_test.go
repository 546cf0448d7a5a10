package replies_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/handlers/replies"
	"github.com/acctflow/acctflow/lifecycle"
)

func TestOversizeRejected(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
	e.seed(t, "REQ-1001")
	hdr := "From: jane@northwind.example\r\nTo: " + token(t, "REQ-1001") + "\r\nSubject: big\r\nMessage-ID: <big@northwind.example>\r\n\r\n"
	must(t, e.sink.Deliver(context.Background(), inboxMessage(hdr, 50<<20, true)))
	brokertest.WaitCount(t, e.conn, events.SubjectReplyRejected, 1)
	rej := decode[events.ReplyRejected](t, e.conn, events.SubjectReplyRejected, 0)
	if rej.Reason != events.ReplyTooLarge || rej.MessageID != "big@northwind.example" {
		t.Fatalf("rejected %+v", rej)
	}
}

func TestWrongStageAndRoleARNAfterCreation(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
	e.seed(t, "REQ-ROLE")
	// The table takes it there step by step: an event that skips stages is ignored.
	now := events.Time(time.Now())
	brokertest.Publish(t, e.conn, handlertest.Details("REQ-ROLE", "root@acme.example", "Acme", events.SupportBusiness), "details-1")
	brokertest.Publish(t, e.conn, events.AccountApproved{RequestID: "REQ-ROLE", ApprovedAt: now}, "approved-1")
	created := events.AccountCreated{RequestID: "REQ-ROLE", AccountID: "123456789012", Method: "manual", CreatedAt: now}
	brokertest.Publish(t, e.conn, created, "created-1")
	e.waitStage(t, "REQ-ROLE", lifecycle.StageCreated)

	e.deliver(t, eml(mail{To: token(t, "REQ-ROLE"), Subject: subject("REQ-ROLE"), Body: body("late@acme.example", "Late", "basic")}))
	brokertest.WaitCount(t, e.conn, events.SubjectReplyRejected, 1)
	if rej := decode[events.ReplyRejected](t, e.conn, events.SubjectReplyRejected, 0); rej.Reason != events.ReplyWrongStage {
		t.Fatalf("rejected %+v", rej)
	}
	e.deliver(t, eml(mail{To: token(t, "REQ-ROLE"), Subject: subject("REQ-ROLE"),
		Body: "Here is the role:\narn:aws:iam::123456789012:role/DistributorAccess\n\nJane\n"}))
	brokertest.WaitCount(t, e.conn, events.SubjectRoleSubmitted, 1)
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
	crash := crashOnReply(h, &calls, func() { e.waitStage(t, "REQ-1001", lifecycle.StageDetailsReceived) })
	brokertest.Run(t, e.conn, crash, e.projection(t))
	e.seed(t, "REQ-1001")
	e.deliver(t, eml(mail{To: token(t, "REQ-1001"), Subject: subject("REQ-1001"), Body: body("root@acme.example", "Acme", "dev")}))
	brokertest.WaitCalls(t, &calls, 2)
	brokertest.WaitIdle(t, e.conn, replies.Name)
	if n, r := brokertest.Count(t, e.conn, events.SubjectDetailsSubmitted), brokertest.Count(t, e.conn, events.SubjectReplyRejected); n != 1 || r != 0 {
		t.Fatalf("%d submitted, %d rejected", n, r)
	}
}
