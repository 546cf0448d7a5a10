package broker_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/retry"
	"github.com/acctflow/acctflow/telemetry/telemetrytest"
)

// relay handles subject and publishes the confirmation.sent of the request
// it is about, as every handler publishes its outputs.
func relay(name, subject string, conn *broker.Conn) broker.Handler {
	return broker.Handler{Name: name, Subjects: []string{subject}, Handle: func(ctx context.Context, m broker.Msg) error {
		ev := events.ConfirmationSent{RequestID: "REQ-T1", MessageID: "a@acctflow.example", Recipient: "jane@northwind.example", ReplyTo: "acct+REQ-T1.0a1b2c3d4e5f@acctflow.example", SentAt: "2026-01-02T03:04:05.000Z"}
		_, err := events.Publish(ctx, conn.JS, ev, events.DerivedID("sent", m.Env.ID), "test", m.Env)
		return err
	}}
}

func waitSpan(t *testing.T, rec *telemetrytest.Recorder, name string, attrs ...string) tracetest.SpanStub {
	t.Helper()
	var s tracetest.SpanStub
	brokertest.CheckFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		var err error
		s, err = rec.One(name, attrs...)
		return err
	})
	return s
}

// A message with no traceparent (an upstream system's) starts a trace at
// its handler step; what the step publishes continues it, and the next
// handler's step is a child of that publish, across the NATS hop.
func TestHandlerStepsContinueTheTraceAcrossNATS(t *testing.T) {
	rec := telemetrytest.Record(t)
	conn := brokertest.Connect(t, brokertest.Server(t))
	brokertest.Run(t, conn, relay("tracea", "acct.test.trace", conn),
		broker.Handler{Name: "traceb", Subjects: []string{events.SubjectConfirmationSent}, Handle: func(context.Context, broker.Msg) error { return nil }})
	brokertest.PublishRaw(t, conn, "acct.test.trace", payload("REQ-T1"), "up-1")

	b := waitSpan(t, rec, "handle traceb")
	a, err := rec.One("handle tracea")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := rec.One("publish acct.confirmation.sent")
	if err != nil {
		t.Fatal(err)
	}
	if a.Parent.IsValid() {
		t.Fatalf("the first step of an upstream message without traceparent has parent %v: want a new trace", a.Parent)
	}
	if err := telemetrytest.ChildOf(pub, a); err != nil {
		t.Fatal(err)
	}
	if err := telemetrytest.ChildOf(b, pub); err != nil {
		t.Fatalf("across the NATS hop: %v", err)
	}
	if !b.Parent.IsRemote() {
		t.Fatal("the next step's parent is not the remote publish span")
	}
	for _, s := range []tracetest.SpanStub{a, b} {
		if s.SpanKind != trace.SpanKindConsumer || !telemetrytest.HasAttrs(s, "acctflow.request_id=REQ-T1", "messaging.system=nats") || telemetrytest.Attr(s, "acctflow.handler") == "" {
			t.Fatalf("%s: kind %v, attributes %v", s.Name, s.SpanKind, s.Attributes)
		}
	}
	if !telemetrytest.HasAttrs(a, "acctflow.handler=tracea", "messaging.destination.name=acct.test.trace", "messaging.message.id=up-1") ||
		!telemetrytest.HasAttrs(b, "acctflow.handler=traceb", "messaging.destination.name=acct.confirmation.sent") {
		t.Fatalf("attributes: %v / %v", a.Attributes, b.Attributes)
	}
	stored := brokertest.Messages(t, conn, events.SubjectConfirmationSent)[0]
	if got := stored.Headers().Get(events.HeaderTraceParent); got != telemetrytest.Traceparent(pub.SpanContext) {
		t.Fatalf("stored traceparent %q, want the publish span's %q", got, telemetrytest.Traceparent(pub.SpanContext))
	}
}

// A step's error is recorded on its span with its retry class; a deferral
// is recorded but is not an error, a failure and a panic are.
func TestHandlerStepSpansRecordErrors(t *testing.T) {
	rec := telemetrytest.Record(t)
	conn := brokertest.Connect(t, brokertest.Server(t))
	var calls atomic.Int32
	brokertest.Run(t, conn,
		broker.Handler{Name: "later", Subjects: []string{"acct.test.later"}, Handle: func(context.Context, broker.Msg) error {
			if calls.Add(1) == 1 {
				return retry.After(errors.New("lease held elsewhere"), 5*time.Millisecond)
			}
			return nil
		}},
		broker.Handler{Name: "broken", Subjects: []string{"acct.test.broken"}, Handle: func(context.Context, broker.Msg) error {
			return retry.Permanent(errors.New("payload refused"))
		}},
		broker.Handler{Name: "panics", Subjects: []string{"acct.test.panics"}, Handle: func(context.Context, broker.Msg) error {
			panic("boom")
		}},
	)
	brokertest.PublishRaw(t, conn, "acct.test.later", payload("REQ-L"), "l1")
	brokertest.PublishRaw(t, conn, "acct.test.broken", payload("REQ-B"), "b1")
	brokertest.PublishRaw(t, conn, "acct.test.panics", payload("REQ-P"), "p1")
	brokertest.CheckFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		if n := len(rec.Named("handle later")); n < 2 {
			return fmt.Errorf("%d later spans", n)
		}
		return nil
	})
	later := rec.Named("handle later")
	if later[0].Status.Code == codes.Error || !telemetrytest.HasAttrs(later[0], "acctflow.outcome=deferred") || len(later[0].Events) != 1 {
		t.Fatalf("deferral: status %v attributes %v events %v", later[0].Status, later[0].Attributes, later[0].Events)
	}
	if later[1].Status.Code == codes.Error || telemetrytest.Attr(later[1], "acctflow.outcome") != "" {
		t.Fatalf("success: status %v attributes %v", later[1].Status, later[1].Attributes)
	}
	broken := waitSpan(t, rec, "handle broken")
	if broken.Status.Code != codes.Error || !telemetrytest.HasAttrs(broken, "acctflow.outcome=permanent") || len(broken.Events) != 1 || broken.Events[0].Name != "exception" {
		t.Fatalf("permanent failure: status %v attributes %v events %v", broken.Status, broken.Attributes, broken.Events)
	}
	panics := waitSpan(t, rec, "handle panics")
	if panics.Status.Code != codes.Error || !telemetrytest.HasAttrs(panics, "acctflow.outcome=permanent") {
		t.Fatalf("panic: status %v attributes %v", panics.Status, panics.Attributes)
	}
}

// With tracing off, a handler's outputs carry its input's traceparent as
// it came: a process without an exporter does not break a trace that
// passes through it.
func TestTraceParentPassesThroughWithTracingOff(t *testing.T) {
	telemetrytest.Off(t)
	conn := brokertest.Connect(t, brokertest.Server(t))
	brokertest.Run(t, conn, relay("passa", "acct.test.pass", conn))
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	m := &nats.Msg{Subject: "acct.test.pass", Data: payload("REQ-T1"), Header: nats.Header{}}
	m.Header.Set(events.HeaderMsgID, "pass-1")
	m.Header.Set(events.HeaderTraceParent, tp)
	if _, err := conn.JS.PublishMsg(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	brokertest.WaitCount(t, conn, events.SubjectConfirmationSent, 1)
	if got := brokertest.Messages(t, conn, events.SubjectConfirmationSent)[0].Headers().Get(events.HeaderTraceParent); got != tp {
		t.Fatalf("traceparent %q, want %q passed through", got, tp)
	}
}

// A timer fires in a trace of its own, linked to the step that scheduled
// it: a reminder days later does not stretch the request's trace.
func TestTimerStepIsLinkedToTheStepThatScheduledIt(t *testing.T) {
	rec := telemetrytest.Record(t)
	conn := brokertest.Connect(t, brokertest.Server(t))
	var f fired
	brokertest.Run(t, conn, f.handler("tracetimer", "trace-test"))
	ctx, scheduler := events.Tracer().Start(context.Background(), "handle scheduler")
	if err := (broker.Timers{JS: conn.JS}).At(ctx, "trace-test", "REQ-T1", time.Now(), payload("REQ-T1")); err != nil {
		t.Fatal(err)
	}
	scheduler.End()
	step := waitSpan(t, rec, "handle tracetimer")
	if step.Parent.IsValid() {
		t.Fatalf("the fired step continues %v: want a trace of its own", step.Parent)
	}
	if len(step.Links) != 1 || step.Links[0].SpanContext.SpanID() != scheduler.SpanContext().SpanID() ||
		step.Links[0].SpanContext.TraceID() != scheduler.SpanContext().TraceID() {
		t.Fatalf("links %v, want one to the scheduling step %v", step.Links, scheduler.SpanContext())
	}
}
