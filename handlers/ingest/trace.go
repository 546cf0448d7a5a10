package ingest

import (
	"context"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/mailer/inbox"
)

// startDeliver starts the span of taking one message from a mailbox
// ("inbox receive"): always the root of a new trace. A reply continues no
// trace of ours, whatever it carries: its sender is outside, and a
// traceparent header in it (copied from our email, or made up) proves
// nothing. The replies handler links its step to the trace of the email
// the reply answers once the reply's token proves which one that is.
func startDeliver(ctx context.Context, m inbox.Message) (context.Context, trace.Span) {
	ctx, span := events.Tracer().Start(ctx, "inbox receive", trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindConsumer))
	if span.IsRecording() {
		span.SetAttributes(
			attribute.String("messaging.system", "imap"),
			attribute.String("messaging.operation.type", "receive"),
			attribute.String("messaging.destination.name", mailboxName(m)),
			attribute.String("acctflow.imap.uid", strconv.FormatUint(uint64(m.UIDValidity), 10)+"/"+strconv.FormatUint(uint64(m.UID), 10)),
			attribute.Int64("messaging.message.body.size", max(m.Size, int64(len(m.Raw)))),
			attribute.Bool("acctflow.reply.oversize", m.Oversize),
		)
	}
	return ctx, span
}

func noteReply(span trace.Span, replyID string) {
	if span.IsRecording() {
		span.SetAttributes(attribute.String("acctflow.reply_id", replyID))
	}
}
