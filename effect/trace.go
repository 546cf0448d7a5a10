package effect

import (
	"context"
	"errors"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/acctflow/acctflow/events"
)

// tracedAttempt is attempt inside a span ("effect <kind>", kind client): a
// child of the handler step that asked for the effect, and the parent of
// the adapter's own span (the SMTP session, for an email). Only attempts
// that run under a claim get a span; an effect found done, held or busy
// costs no span.
func (l *Ledger) tracedAttempt(ctx context.Context, e Effect, step Step, claim Record, rev uint64, now time.Time) (Outcome, error) {
	ctx, span := events.Tracer().Start(ctx, "effect "+kindOf(e.Key), trace.WithSpanKind(trace.SpanKindClient))
	defer span.End()
	if span.IsRecording() {
		span.SetAttributes(
			attribute.String("acctflow.effect.key", e.Key),
			attribute.String("acctflow.effect.step", step.String()),
			attribute.Int("acctflow.effect.attempt", claim.Attempts+1),
		)
		if claim.Round > 0 {
			span.SetAttributes(attribute.Int("acctflow.effect.round", claim.Round))
		}
	}
	out, err := l.attempt(ctx, e, step, claim, rev, now)
	if span.IsRecording() {
		state := string(out.State)
		switch {
		case out.Now:
			state = "performed"
		case out.Parked:
			state = "parked"
		}
		if state != "" {
			span.SetAttributes(attribute.String("acctflow.effect.outcome", state))
		}
		if err != nil {
			span.RecordError(err)
			// Waiting for an earlier attempt's outcome to show is not a
			// failure; anything else that comes back is.
			if !errors.Is(err, ErrHeld) {
				span.SetStatus(codes.Error, err.Error())
			}
		}
	}
	return out, err
}

// kindOf is the kind part of a ledger key (see Key).
func kindOf(key string) string {
	kind, _, _ := strings.Cut(key, ".")
	return kind
}
