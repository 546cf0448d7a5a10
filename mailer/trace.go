package mailer

import (
	"context"

	gomail "github.com/wneessen/go-mail"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/acctflow/acctflow/events"
)

// HeaderTraceparent carries, on every email we send, the W3C traceparent of
// its SMTP span, so that an email found in a mailbox or an MTA's queue leads
// to the trace that sent it. Nothing reads it back: a reply is a new
// message written by a person, and a traceparent in it (copied, or forged)
// would let the sender graft spans onto our traces.
const HeaderTraceparent gomail.Header = "Traceparent"

// startSend starts the span of one SMTP delivery attempt ("smtp send",
// kind client), a child of the span in ctx (the effect's), and puts its
// traceparent on msg. With tracing off, a traceparent already in ctx (from
// the event being handled) is carried over as it is, and none is invented.
func (s *Sender) startSend(ctx context.Context, m Message, msg *gomail.Msg) (context.Context, trace.Span) {
	ctx, span := events.Tracer().Start(ctx, "smtp send", trace.WithSpanKind(trace.SpanKindClient))
	if span.IsRecording() {
		span.SetAttributes(
			attribute.String("server.address", s.cfg.Host),
			attribute.Int("server.port", s.cfg.Port),
			attribute.String("acctflow.smtp.helo", s.helo),
			attribute.String("acctflow.email.recipient", MaskAddress(m.To.Email)),
		)
	}
	if tp, _ := events.TraceHeaders(ctx); tp != "" {
		msg.SetGenHeader(HeaderTraceparent, tp)
	}
	return ctx, span
}
