// Package projection folds every event into the lifecycle record of its
// request (KV "requests"), which `request show` and the HTTP API read.
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
	Update(ctx context.Context, id string, f func(*lifecycle.Record) error) (lifecycle.Record, error)
}

type Handler struct {
	Store  Store
	Logger *slog.Logger
}

const Name = "projection"

func (h *Handler) Broker() broker.Handler {
	return broker.Handler{Name: Name, Subjects: []string{"acct.>"}, Handle: h.Handle, InFlight: 128}
}

func (h *Handler) Handle(ctx context.Context, m broker.Msg) error {
	id := lifecycle.RequestIDOf(m.Subject, m.Data)
	if id == "" {
		return nil // replies and changes without a request have no record
	}
	_, err := h.Store.Update(ctx, id, func(r *lifecycle.Record) error {
		return lifecycle.Apply(r, m.Subject, m.Data, m.Env, m.StreamSeq)
	})
	var ve *schemas.ValidationError
	if errors.As(err, &ve) {
		// The handler that owns this subject dead-letters it; one DLQ
		// record per bad event is enough.
		h.Logger.Debug("projection skipped invalid event", "subject", m.Subject, "err", err)
		return nil
	}
	return err
}
