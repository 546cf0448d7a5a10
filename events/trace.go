package events

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Tracing (W3C trace context, OpenTelemetry). Every event carries the
// traceparent (and tracestate, when there is one) of the span that
// published it: a handler's outputs continue the trace of its input, and
// an event published with no span in its context continues its cause's. The
// tracer is whatever otel's global provider is: a no-op unless `serve`
// installed one (package telemetry), in which case a traceparent received
// passes through unchanged and none is invented.

// HeaderTraceState is the W3C tracestate header, beside HeaderTraceParent.
const HeaderTraceState = "tracestate"

// TracerName is the instrumentation scope of the spans of this module.
const TracerName = "github.com/acctflow/acctflow"

// Span attribute keys of acctflow's own (the messaging.* ones are OTel's).
const (
	AttrRequestID     = attribute.Key("acctflow.request_id")
	AttrCorrelationID = attribute.Key("acctflow.correlation_id")
	AttrHandler       = attribute.Key("acctflow.handler")
	AttrEventType     = attribute.Key("cloudevents.event_type")
)

// Tracer is acctflow's tracer from the global provider, looked up on every
// call so that a provider installed later (or replaced in a test) is used.
func Tracer() trace.Tracer { return otel.Tracer(TracerName) }

var traceContext = propagation.TraceContext{}

// traceCarrier holds the two W3C values for the propagator without a map.
type traceCarrier struct{ parent, state string }

func (c *traceCarrier) Get(k string) string {
	switch k {
	case HeaderTraceParent:
		return c.parent
	case HeaderTraceState:
		return c.state
	}
	return ""
}

func (c *traceCarrier) Set(k, v string) {
	switch k {
	case HeaderTraceParent:
		c.parent = v
	case HeaderTraceState:
		c.state = v
	}
}

func (c *traceCarrier) Keys() []string { return []string{HeaderTraceParent, HeaderTraceState} }

// SpanContext is the remote span context the envelope carries; it is not
// valid when the event has no (well-formed) traceparent.
func (e Envelope) SpanContext() trace.SpanContext {
	return SpanContextOf(e.TraceParent, e.TraceState)
}

// SpanContextOf parses a W3C traceparent (and tracestate).
func SpanContextOf(traceparent, tracestate string) trace.SpanContext {
	if traceparent == "" {
		return trace.SpanContext{}
	}
	return trace.SpanContextFromContext(traceContext.Extract(context.Background(), &traceCarrier{traceparent, tracestate}))
}

// ContextWithRemote returns ctx with the envelope's trace as the remote
// parent of the spans started from it; ctx unchanged when it has none.
func ContextWithRemote(ctx context.Context, e Envelope) context.Context {
	sc := e.SpanContext()
	if !sc.IsValid() {
		return ctx
	}
	return trace.ContextWithRemoteSpanContext(ctx, sc)
}

// TraceHeaders renders the span context of ctx as traceparent and
// tracestate values; both empty when ctx has no valid span context.
func TraceHeaders(ctx context.Context) (traceparent, tracestate string) {
	var c traceCarrier
	traceContext.Inject(ctx, &c)
	return c.parent, c.state
}

// startPublish starts the producer span of one publish: a child of the
// span in ctx, else of the cause's trace, else the root of a new trace.
func startPublish(ctx context.Context, e Event, id string, cause Envelope) (context.Context, trace.Span) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		ctx = ContextWithRemote(ctx, cause)
	}
	ctx, span := Tracer().Start(ctx, "publish "+e.Subject(), trace.WithSpanKind(trace.SpanKindProducer))
	if span.IsRecording() {
		span.SetAttributes(
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.operation.type", "send"),
			attribute.String("messaging.destination.name", e.Subject()),
			attribute.String("messaging.message.id", id),
			AttrEventType.String(TypeOf(e.Subject())),
		)
		if rid := requestIDOf(e); rid != "" {
			span.SetAttributes(AttrRequestID.String(rid))
		}
		if cause.CorrelationID != "" {
			span.SetAttributes(AttrCorrelationID.String(cause.CorrelationID))
		}
	}
	return ctx, span
}

// requestIDOf is the request an event is about, when it is about one:
// replies and support changes are keyed by their own ids.
func requestIDOf(e Event) string {
	switch v := e.(type) {
	case ReplyReceived:
		return ""
	case ReplyRejected:
		return v.RequestID
	case SupportChanged:
		return v.RequestID
	case TicketCreated:
		return v.RequestID
	case EffectFailed:
		return v.RequestID
	}
	return e.Key()
}

// EndSpan records err on span (as an exception event and an error status)
// and ends it.
func EndSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
