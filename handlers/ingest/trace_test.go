package ingest_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/ingest"
	"github.com/acctflow/acctflow/mailer/inbox"
	"github.com/acctflow/acctflow/telemetry/telemetrytest"
)

// A message taken from a mailbox starts a trace of its own, whatever the
// context it is delivered in and whatever trace header it carries, and its
// acct.reply.received continues that trace.
func TestInboxStartsATrace(t *testing.T) {
	rec := telemetrytest.Record(t)
	e := setup(t)
	raw := []byte("From: Jane <jane@northwind.example>\r\nTo: " + box + "\r\nSubject: Re: [REQ-1001]\r\nMessage-ID: <t1@northwind.example>\r\n" +
		"Traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\nRoot email: a@b.example\r\n")
	ctx, outer := events.Tracer().Start(context.Background(), "reader loop")
	err := e.sink(t).Deliver(ctx, inbox.Message{Account: "imap://acct@127.0.0.1:1143", Folder: "INBOX", UIDValidity: 7, UID: 3, Size: int64(len(raw)), Raw: raw})
	outer.End()
	must(t, err)

	recv, err := rec.One("inbox receive")
	must(t, err)
	if recv.Parent.IsValid() || recv.SpanContext.TraceID().String() == "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Fatalf("the inbox span continues %v: want the root of a new trace", recv.Parent)
	}
	if recv.SpanKind != trace.SpanKindConsumer || !telemetrytest.HasAttrs(recv, "acctflow.reply_id="+ingest.ReplyID("t1@northwind.example", "jane@northwind.example", raw), "acctflow.imap.uid=7/3") {
		t.Fatalf("inbox span: kind %v attributes %v", recv.SpanKind, recv.Attributes)
	}
	pub, err := rec.One("publish " + events.SubjectReplyReceived)
	must(t, err)
	must(t, telemetrytest.ChildOf(pub, recv))
	stored := brokertest.Messages(t, e.conn, events.SubjectReplyReceived)[0]
	if got := stored.Headers().Get(events.HeaderTraceParent); got != telemetrytest.Traceparent(pub.SpanContext) {
		t.Fatalf("acct.reply.received traceparent %q, want %q", got, telemetrytest.Traceparent(pub.SpanContext))
	}
}
