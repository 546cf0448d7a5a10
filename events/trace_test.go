package events_test

import (
	"context"
	"errors"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/telemetry/telemetrytest"
)

// capture is a Publisher that keeps what it is given.
type capture struct {
	msgs []*nats.Msg
	err  error
}

func (c *capture) PublishMsg(_ context.Context, m *nats.Msg, _ ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	if c.err != nil {
		return nil, c.err
	}
	c.msgs = append(c.msgs, m)
	return &jetstream.PubAck{Stream: events.Stream, Sequence: uint64(len(c.msgs))}, nil
}

var sent = events.ConfirmationSent{RequestID: "REQ-7", MessageID: "a@acctflow.example", Recipient: "jane@northwind.example", ReplyTo: "acct+REQ-7.0a1b2c3d4e5f@acctflow.example", SentAt: "2026-01-02T03:04:05.000Z"}

const upstream = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

// The event carries its publish span's traceparent; the publish span is a
// child of the span in ctx, else of the cause's trace, else a new root.
func TestPublishContinuesTheTrace(t *testing.T) {
	rec := telemetrytest.Record(t)

	// 1. In a handler step: a child of the step's span.
	ctx, step := events.Tracer().Start(context.Background(), "step")
	js := &capture{}
	if _, err := events.Publish(ctx, js, sent, "id-1", "test", events.Envelope{TraceParent: upstream, CorrelationID: "REQ-7"}); err != nil {
		t.Fatal(err)
	}
	step.End()
	pub, err := rec.One("publish acct.confirmation.sent", "messaging.message.id=id-1")
	if err != nil {
		t.Fatal(err)
	}
	stepStub, _ := rec.One("step")
	if err := telemetrytest.ChildOf(pub, stepStub); err != nil {
		t.Fatal(err)
	}
	if pub.SpanKind != trace.SpanKindProducer || !telemetrytest.HasAttrs(pub, "acctflow.request_id=REQ-7", "messaging.destination.name=acct.confirmation.sent", "messaging.system=nats") {
		t.Fatalf("publish span %v %v", pub.SpanKind, pub.Attributes)
	}
	if got := js.msgs[0].Header.Get(events.HeaderTraceParent); got != telemetrytest.Traceparent(pub.SpanContext) {
		t.Fatalf("traceparent %q, want the publish span's %q", got, telemetrytest.Traceparent(pub.SpanContext))
	}

	// 2. No span in ctx: the cause's trace goes on.
	if _, err := events.Publish(context.Background(), js, sent, "id-2", "test", events.Envelope{TraceParent: upstream, TraceState: "vendor=x"}); err != nil {
		t.Fatal(err)
	}
	pub, _ = rec.One("publish acct.confirmation.sent", "messaging.message.id=id-2")
	cause := events.SpanContextOf(upstream, "")
	if pub.Parent.SpanID() != cause.SpanID() || pub.SpanContext.TraceID() != cause.TraceID() || !pub.Parent.IsRemote() {
		t.Fatalf("publish span's parent %v, want the cause's remote span %v", pub.Parent, cause)
	}
	if got := js.msgs[1].Header.Get(events.HeaderTraceState); got != "vendor=x" {
		t.Fatalf("tracestate %q not carried over", got)
	}

	// 3. An original event (no cause, no span): the root of a new trace.
	if _, err := events.Publish(context.Background(), js, sent, "id-3", "test", events.Envelope{}); err != nil {
		t.Fatal(err)
	}
	pub, _ = rec.One("publish acct.confirmation.sent", "messaging.message.id=id-3")
	if pub.Parent.IsValid() || pub.SpanContext.TraceID() == cause.TraceID() {
		t.Fatalf("an original event's publish span has parent %v", pub.Parent)
	}
	if got := js.msgs[2].Header.Get(events.HeaderTraceParent); got != telemetrytest.Traceparent(pub.SpanContext) {
		t.Fatalf("traceparent %q, want %q", got, telemetrytest.Traceparent(pub.SpanContext))
	}

	// 4. A failed publish is recorded on its span.
	js.err = errors.New("nats: timeout")
	if _, err := events.Publish(context.Background(), js, sent, "id-4", "test", events.Envelope{}); err == nil {
		t.Fatal("no error")
	}
	pub, _ = rec.One("publish acct.confirmation.sent", "messaging.message.id=id-4")
	if pub.Status.Code != codes.Error || len(pub.Events) == 0 || pub.Events[0].Name != "exception" {
		t.Fatalf("failed publish: status %v, events %v", pub.Status, pub.Events)
	}
}

// With tracing off a traceparent passes through unchanged and none is
// invented.
func TestPublishWithTracingOff(t *testing.T) {
	telemetrytest.Off(t)
	js := &capture{}
	if _, err := events.Publish(context.Background(), js, sent, "id-1", "test", events.Envelope{TraceParent: upstream, TraceState: "vendor=x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := events.Publish(context.Background(), js, sent, "id-2", "test", events.Envelope{}); err != nil {
		t.Fatal(err)
	}
	h := js.msgs[0].Header
	if h.Get(events.HeaderTraceParent) != upstream || h.Get(events.HeaderTraceState) != "vendor=x" {
		t.Fatalf("cause's trace context not passed through: %q %q", h.Get(events.HeaderTraceParent), h.Get(events.HeaderTraceState))
	}
	if _, ok := js.msgs[1].Header[events.HeaderTraceParent]; ok {
		t.Fatalf("tracing off, yet an original event got traceparent %q", js.msgs[1].Header.Get(events.HeaderTraceParent))
	}
}

func TestEnvelopeReadsTraceState(t *testing.T) {
	h := events.Envelope{ID: "x", TraceParent: upstream, TraceState: "a=1"}.Header()
	env := events.Read("acct.requested", h, nil)
	if env.TraceParent != upstream || env.TraceState != "a=1" || !env.SpanContext().IsValid() {
		t.Fatalf("%+v", env)
	}
	if events.SpanContextOf("00-garbage", "").IsValid() {
		t.Fatal("malformed traceparent accepted")
	}
}

// What tracing adds to a publish: with tracing off (no provider, the
// default) it must be next to nothing beside the publish itself.
func BenchmarkPublishTracing(b *testing.B) {
	cause := events.Envelope{TraceParent: upstream, CorrelationID: "REQ-7"}
	run := func(b *testing.B) {
		js := &capture{}
		b.ReportAllocs()
		for b.Loop() {
			js.msgs = js.msgs[:0]
			if _, err := events.Publish(context.Background(), js, sent, "id-1", "test", cause); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("off", func(b *testing.B) { telemetrytest.Off(b); run(b) })
	b.Run("recording", func(b *testing.B) { telemetrytest.Record(b); run(b) })
}
