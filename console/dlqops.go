package console

import (
	"context"
	"errors"
	"fmt"

	"github.com/acctflow/acctflow/ops"
)

// OpsDeadLetters is the dead-letter page over `acctflow dlq`'s own
// operations (ops.DLQ), so the console lists and replays exactly as the CLI
// and /v1/dlq do.
type OpsDeadLetters struct{ DLQ *ops.DLQ }

func (d OpsDeadLetters) List(ctx context.Context) ([]DeadLetter, error) {
	list, err := d.DLQ.List(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make([]DeadLetter, len(list))
	for i, l := range list {
		out[i] = DeadLetter{Seq: l.Seq, Subject: l.Subject, Handler: l.Handler, Error: l.Error, Deliveries: l.Deliveries,
			RequestID: l.RequestID, EventID: l.EventID, DeadAt: l.DeadAt}
	}
	return out, nil
}

func (d OpsDeadLetters) Replay(ctx context.Context, seq uint64) (string, error) {
	r, err := d.DLQ.Replay(ctx, seq)
	if errors.Is(err, ops.ErrDeadLetterNotFound) {
		return "", fmt.Errorf("%w: %d", ErrNoDeadLetter, seq)
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("replayed %s for %s (stream sequence %d)", r.Subject, r.Handler, r.StreamSeq), nil
}
