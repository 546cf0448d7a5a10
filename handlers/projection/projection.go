// Package projection folds every event into the lifecycle record of its
// request (KV "requests"), which `request show`, the HTTP API and the ops
// console read, and keeps the index of each region's open requests (KV
// "open-requests") in step with it.
package projection

import (
	"context"
	"errors"
	"log/slog"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/schemas"
)

// Store is the projection's storage.
type Store interface {
	Change(ctx context.Context, id string, f func(*lifecycle.Record) error) (lifecycle.Changed, error)
}

// Index is the index of open requests.
type Index interface {
	Sync(ctx context.Context, before, after lifecycle.Record, rev uint64) error
}

type Handler struct {
	Store  Store
	Index  Index // nil: no index kept
	Logger *slog.Logger
}

const Name = "projection"

// Declaration is what the projection touches in NATS: it alone writes the
// request records and the open-requests index.
var Declaration = broker.Declaration{
	Name:     Name,
	Inputs:   []string{"acct.>"},
	Writes:   []string{broker.BucketRequests, broker.BucketOpen},
	InFlight: 128,
}

func (h *Handler) Broker() broker.Handler {
	return Declaration.Handler(h.Handle)
}

func (h *Handler) Handle(ctx context.Context, m broker.Msg) error {
	id := lifecycle.RequestIDOf(m.Subject, m.Data)
	if id == "" {
		return nil // replies and changes without a request have no record
	}
	c, err := h.Store.Change(ctx, id, func(r *lifecycle.Record) error {
		return lifecycle.Apply(r, m.Subject, m.Data, m.Env, m.StreamSeq)
	})
	var ve *schemas.ValidationError
	if errors.As(err, &ve) {
		// The handler that owns this subject dead-letters it; one DLQ
		// record per bad event is enough.
		h.Logger.Debug("projection skipped invalid event", "subject", m.Subject, "err", err)
		return nil
	}
	if err != nil || h.Index == nil {
		return err
	}
	// The index follows when the request's line changed, and on every
	// redelivery, in case a crash came between the two writes.
	was, wasOpen := lifecycle.Summarize(c.Before)
	now, open := lifecycle.Summarize(c.After)
	if was == now && wasOpen == open && m.Deliveries <= 1 {
		return nil
	}
	return h.Index.Sync(ctx, c.Before, c.After, c.Rev)
}
