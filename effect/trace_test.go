package effect_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/telemetry/telemetrytest"
)

// Each attempt made under a claim is a child span of the step that asked
// for the effect, and the parent of what the attempt does; a failed attempt
// is an error on it; an effect found done costs no span.
func TestAttemptsAreChildSpansOfTheStep(t *testing.T) {
	rec := telemetrytest.Record(t)
	l := effect.NewLedger(bucket(t), "", brokertest.Logger(t))
	var inner trace.SpanContext
	calls := 0
	e := effect.Effect{Key: effect.Key("ticket", "CHG-1"), What: "ticket for change CHG-1",
		Policy: effect.Policy{Lease: time.Minute, Budget: 3, Backoff: fast},
		Attempt: func(ctx context.Context, _ effect.Record) ([]byte, error) {
			calls++
			inner = trace.SpanContextFromContext(ctx)
			if calls == 1 {
				return nil, errors.New("503 help desk unavailable")
			}
			return []byte(`"T-1"`), nil
		}}
	ctx, step := events.Tracer().Start(context.Background(), "handle tickets")
	if _, err := l.Do(ctx, e); err == nil {
		t.Fatal("the failing attempt returned no error")
	}
	step.End()
	if _, err := untilSettled(t, l, e); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Do(ctx, e); err != nil { // done: no attempt, no span
		t.Fatal(err)
	}
	spans := rec.Named("effect ticket")
	if len(spans) != 2 {
		t.Fatalf("%d effect spans, want one per attempt (2)", len(spans))
	}
	stepStub, _ := rec.One("handle tickets")
	failed, done := spans[0], spans[1]
	if err := telemetrytest.ChildOf(failed, stepStub); err != nil {
		t.Fatal(err)
	}
	if failed.SpanKind != trace.SpanKindClient || failed.Status.Code != codes.Error || len(failed.Events) == 0 ||
		!telemetrytest.HasAttrs(failed, "acctflow.effect.key=ticket.CHG-1", "acctflow.effect.attempt=1", "acctflow.effect.outcome=failed") {
		t.Fatalf("failed attempt: kind %v status %v events %v attributes %v", failed.SpanKind, failed.Status, failed.Events, failed.Attributes)
	}
	if done.Status.Code == codes.Error || !telemetrytest.HasAttrs(done, "acctflow.effect.attempt=2", "acctflow.effect.outcome=performed") {
		t.Fatalf("second attempt: status %v attributes %v", done.Status, done.Attributes)
	}
	if !inner.Equal(done.SpanContext) {
		t.Fatalf("the attempt ran in %v, not in its effect span %v", inner, done.SpanContext)
	}
}
