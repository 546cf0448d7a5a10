package broker

import (
	"context"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/retry"
)

// traceStep is the router middleware that gives each handler step its span
// ("handle <handler>", kind consumer): a child of the span that published
// the message (its traceparent header), or the root of a new trace when the
// message has none, as an upstream system's may not. The handler's context
// carries the span, so what it publishes (events.Publish) and the effects
// it performs are its children. The error of the step is recorded with its
// retry class; a deferral ("come back later") is not an error.
//
// It runs inside the outcome middleware (which decides ack, redelivery or
// dead letter from the error it returns) and outside the recoverer, so a
// panic is recorded as the permanent error it becomes.
func traceStep(h message.HandlerFunc) message.HandlerFunc {
	return func(wm *message.Message) ([]*message.Message, error) {
		name := message.HandlerNameFromCtx(wm.Context())
		subject := wm.Metadata.Get(metaSubject)
		parent := events.Envelope{
			TraceParent: wm.Metadata.Get(events.HeaderTraceParent),
			TraceState:  wm.Metadata.Get(events.HeaderTraceState),
		}
		opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindConsumer)}
		if parent.TraceParent == "" {
			opts = append(opts, timerLink(wm.Metadata.Get(HeaderTimerTrace))...)
		}
		ctx, span := events.Tracer().Start(events.ContextWithRemote(wm.Context(), parent), "handle "+name, opts...)
		defer span.End()
		if span.IsRecording() {
			// Only computed when the span is kept: nothing of this is paid
			// with tracing off.
			m := fromWatermill(wm)
			span.SetAttributes(
				events.AttrHandler.String(name),
				attribute.String("messaging.system", "nats"),
				attribute.String("messaging.operation.type", "process"),
				attribute.String("messaging.destination.name", subject),
				attribute.String("messaging.consumer.group.name", name),
				attribute.String("messaging.message.id", m.Env.ID),
				attribute.Int64("messaging.nats.stream_sequence", int64(m.StreamSeq)),
				attribute.Int64("acctflow.deliveries", int64(m.Deliveries)),
				events.AttrEventType.String(m.Env.Type),
				events.AttrCorrelationID.String(m.Env.CorrelationID),
			)
			if requestID, changeID := requestRef(m.Data); requestID != "" {
				span.SetAttributes(events.AttrRequestID.String(requestID))
			} else if changeID != "" {
				span.SetAttributes(attribute.String("acctflow.change_id", changeID))
			}
		}
		wm.SetContext(ctx)
		out, err := h(wm)
		if err != nil && span.IsRecording() {
			class, delay := retry.Classify(err)
			span.SetAttributes(attribute.String("acctflow.outcome", class.String()))
			span.RecordError(err)
			switch class {
			case retry.ClassDeferred, retry.ClassConfiguration:
				if delay > 0 {
					span.SetAttributes(attribute.String("acctflow.retry_in", delay.String()))
				}
			default:
				span.SetStatus(codes.Error, err.Error())
			}
		}
		return out, err
	}
}

// HeaderTimerTrace is the traceparent of the step that scheduled a timer,
// on the schedule and so on the message it fires. It is not traceparent on
// purpose: a timer fires hours or days later, and the step it fires starts
// a trace of its own, linked to the one that scheduled it, as a reply is
// linked to the email it answers, rather than stretching one trace over
// days.
const HeaderTimerTrace = "acctflow-timer-traceparent"

func setTimerTrace(ctx context.Context, h nats.Header) {
	if tp, _ := events.TraceHeaders(ctx); tp != "" {
		h.Set(HeaderTimerTrace, tp)
	}
}

func timerLink(traceparent string) []trace.SpanStartOption {
	sc := events.SpanContextOf(traceparent, "")
	if !sc.IsValid() {
		return nil
	}
	return []trace.SpanStartOption{trace.WithLinks(trace.Link{SpanContext: sc, Attributes: []attribute.KeyValue{
		attribute.String("acctflow.link", "scheduled by"),
	}})}
}
