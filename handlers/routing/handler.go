package routing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/retry"
)

// Requests is the projection lookup routing needs to route a request once.
type Requests interface {
	Get(ctx context.Context, id string) (lifecycle.Record, error)
}

// Handler routes acct.requested.
type Handler struct {
	JS       events.Publisher
	Table    *Table
	Requests Requests
	Logger   *slog.Logger
	Now      func() time.Time
}

// Name is the handler's name in --handlers and its consumer's durable name.
const Name = "routing"

func (h *Handler) Broker() broker.Handler {
	return broker.Handler{Name: Name, Subjects: []string{events.SubjectRequested}, Handle: h.Handle}
}

func (h *Handler) Handle(ctx context.Context, m broker.Msg) error {
	now := h.Now()
	// A request without an id gets one from its content, so a redelivered
	// copy is routed under the same id.
	req, err := events.ParseAccountRequested(m.Data, events.IDFromHash(m.Data), now)
	if err != nil {
		return retry.Permanent(fmt.Errorf("invalid AccountRequested: %w", err))
	}
	rec, err := h.Requests.Get(ctx, req.RequestID)
	if err != nil && !errors.Is(err, lifecycle.ErrNotFound) {
		return err
	}
	// The projection remembers long after JetStream's duplicate window.
	if rec.Region != "" || rec.Rejection != nil && slices.Contains(rec.Rejection.Reasons, events.ReasonOpsRejected) {
		h.Logger.Info("request already handled, duplicate absorbed", "request_id", req.RequestID, "stage", rec.Stage)
		return nil
	}
	routed, rejected := Decide(req, h.Table, now)
	if routed != nil {
		_, err = events.Publish(ctx, h.JS, *routed, events.DerivedID("routed", req.RequestID), "acctflow/routing", m.Env)
		return err
	}
	if rec.Rejection != nil && slices.Equal(rec.Rejection.Reasons, rejected.Reasons) {
		h.Logger.Info("request already rejected for the same reasons", "request_id", req.RequestID)
		return nil
	}
	// A corrected request may be sent again under the same id: a rejection
	// for other reasons is a new event.
	id := events.DerivedID("rejected", req.RequestID, strings.Join(rejected.Reasons, ","))
	_, err = events.Publish(ctx, h.JS, *rejected, id, "acctflow/routing", m.Env)
	return err
}
